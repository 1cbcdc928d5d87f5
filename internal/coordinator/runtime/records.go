package runtime

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/record"
	"strom/internal/replica"
)

// PartitionFor is the partition of key in an internal topic of
// partitions partitions, computed as Kafka does
// (Utils.abs(key.hashCode) % partitions), so that tooling which reads the
// topic finds a key where Kafka would put it.
func PartitionFor(key string, partitions int32) int32 {
	h := javaStringHash(key)
	if h == -1<<31 {
		h = 0
	} else if h < 0 {
		h = -h
	}
	return h % partitions
}

// javaStringHash is String.hashCode: over UTF-16 code units.
func javaStringHash(s string) int32 {
	var h int32
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			h = 31*h + int32(0xD800+(r>>10))
			h = 31*h + int32(0xDC00+(r&0x3FF))
			continue
		}
		h = 31*h + int32(r)
	}
	return h
}

// KV is one record to write; a nil Value is a tombstone.
type KV struct{ Key, Value []byte }

// BuildBatch encodes records as one uncompressed v2 batch with base
// offset 0 (the log assigns offsets) and a correct CRC.
func BuildBatch(recs []KV, now time.Time) []byte {
	var raw []byte
	for i, r := range recs {
		kr := kmsg.Record{OffsetDelta: int32(i), Key: r.Key, Value: r.Value}
		body := kr.AppendTo(nil)
		kr.Length = int32(len(body) - 1) // Length 0 took one varint byte
		raw = kr.AppendTo(raw)
	}
	ts := now.UnixMilli()
	b := kmsg.RecordBatch{
		PartitionLeaderEpoch: -1,
		Magic:                2,
		LastOffsetDelta:      int32(len(recs) - 1),
		FirstTimestamp:       ts,
		MaxTimestamp:         ts,
		ProducerID:           -1,
		ProducerEpoch:        -1,
		FirstSequence:        -1,
		NumRecords:           int32(len(recs)),
		Records:              raw,
	}
	out := b.AppendTo(nil)
	binary.BigEndian.PutUint32(out[8:], uint32(len(out)-12))
	binary.BigEndian.PutUint32(out[17:], record.ComputeCRC(out))
	return out
}

// Write appends batch to partition part of the topic and calls done once
// the batch is durable (below the high watermark) or failed. done always
// runs on another goroutine, so it may post back to the driver. A failed
// append (the partition is open here but refused the batch) is also
// returned, so that the caller can log it apart from a failed wait.
func (r *Runtime) Write(part int32, batch []byte, now time.Time, done func(error)) error {
	p, err := r.cfg.Replicas.Partition(r.topic, part)
	if err != nil {
		go done(err)
		return nil
	}
	res, err := p.Append(batch, now)
	if err != nil {
		go done(err)
		return err
	}
	go func() { done(p.WaitCommitted(r.ctx, res.LastOffset)) }()
	return nil
}

// Record is one keyed record read back from the topic, with what its
// batch says about transactions.
type Record struct {
	Key, Value    []byte // a nil Value is a tombstone
	ProducerID    int64
	Transactional bool
}

// Replay reads partitions 0 to n-1 of the topic, each from its log start
// to its high watermark in offset order, and calls fn for every record
// with a key. With marker set, transaction markers are reported to it;
// with marker nil, control batches are skipped unread. It returns how
// many records fn saw. Runs on the driver (from Load).
func (r *Runtime) Replay(n int32, fn func(part int32, rec Record), marker func(part int32, pid int64, commit bool)) (int, error) {
	total := 0
	for i := int32(0); i < n; i++ {
		p, err := r.cfg.Replicas.Partition(r.topic, i)
		if err != nil {
			return total, err
		}
		var mk func(pid int64, commit bool)
		if marker != nil {
			mk = func(pid int64, commit bool) { marker(i, pid, commit) }
		}
		k, err := readPartition(p, func(rec Record) { fn(i, rec) }, mk)
		if err != nil {
			return total, fmt.Errorf("loading %s-%d: %w", r.topic, i, err)
		}
		total += k
	}
	return total, nil
}

// readPartition is Replay for one partition.
func readPartition(p *replica.Partition, fn func(Record), marker func(pid int64, commit bool)) (int, error) {
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
			if h.IsControl() && marker == nil {
				return nil
			}
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
				fn(Record{Key: r.Key, Value: r.Value, ProducerID: h.ProducerID, Transactional: h.IsTransactional()})
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
