package group

import (
	"strom/internal/record"
	"strom/internal/replica"
)

// loadPartition calls fn for every record of one __consumer_offsets
// partition from its log start to its high watermark, in offset order,
// and returns how many it read. Control batches (transaction markers)
// carry no group state and are skipped.
func loadPartition(p *replica.Partition, fn func(key, value []byte)) (int, error) {
	off, hwm := p.LogStartOffset(), p.HighWatermark()
	n := 0
	for off < hwm {
		data, err := p.Read(off, 1<<20)
		if err != nil {
			return n, err
		}
		if len(data) == 0 {
			break
		}
		next := off
		err = record.Each(data, func(h record.Header, batch []byte) error {
			if h.LastOffset() < off {
				return nil
			}
			next = h.LastOffset() + 1
			if h.IsControl() {
				return nil
			}
			recs, err := record.Records(batch)
			if err != nil {
				return err
			}
			for _, r := range recs {
				if h.BaseOffset+int64(r.OffsetDelta) < off || r.Key == nil {
					continue
				}
				fn(r.Key, r.Value)
				n++
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		if next <= off {
			break // no progress: nothing more below the high watermark
		}
		off = next
	}
	return n, nil
}
