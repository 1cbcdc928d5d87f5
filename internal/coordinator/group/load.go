package group

import (
	"encoding/binary"

	"strom/internal/record"
	"strom/internal/replica"
)

// loadPartition calls fn for every record of one __consumer_offsets
// partition from its log start to its high watermark, in offset order,
// and returns how many it read. Records of transactional batches
// (TxnOffsetCommit) come with their producer id and txn set; transaction
// markers are reported to marker.
func loadPartition(p *replica.Partition, fn func(key, value []byte, pid int64, txn bool), marker func(pid int64, commit bool)) (int, error) {
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
			recs, err := record.Records(batch)
			if err != nil {
				return err
			}
			if h.IsControl() {
				if h.IsTransactional() && len(recs) > 0 && len(recs[0].Key) >= 4 {
					marker(h.ProducerID, binary.BigEndian.Uint16(recs[0].Key[2:]) == 1)
				}
				return nil
			}
			for _, r := range recs {
				if h.BaseOffset+int64(r.OffsetDelta) < off || r.Key == nil {
					continue
				}
				fn(r.Key, r.Value, h.ProducerID, h.IsTransactional())
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
