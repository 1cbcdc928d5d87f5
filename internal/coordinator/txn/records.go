package txn

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/record"
	"strom/internal/replica"
)

// StateTopic is Kafka's internal topic holding transaction state.
const StateTopic = "__transaction_state"

// Records use Kafka's schemas: kmsg.TxnMetadataKey version 0 and
// kmsg.TxnMetadataValue version 0, so that Kafka tooling reading the
// topic understands them. A null value is a tombstone.

func stateKey(id string) []byte {
	k := kmsg.TxnMetadataKey{Version: 0, TransactionalID: id}
	return k.AppendTo(nil)
}

func stateValue(m Meta) []byte {
	v := kmsg.NewTxnMetadataValue()
	v.Version = 0
	v.ProducerID, v.ProducerEpoch, v.TimeoutMillis = m.ProducerID, m.Epoch, m.TimeoutMs
	v.State = kmsg.TransactionState(m.State)
	v.LastUpdateTimestamp, v.StartTimestamp = m.UpdatedMs, m.StartMs
	var cur *kmsg.TxnMetadataValueTopic
	for _, tp := range m.SortedPartitions() {
		if cur == nil || cur.Topic != tp.Topic {
			v.Topics = append(v.Topics, kmsg.TxnMetadataValueTopic{Topic: tp.Topic})
			cur = &v.Topics[len(v.Topics)-1]
		}
		cur.Partitions = append(cur.Partitions, tp.Partition)
	}
	return v.AppendTo(nil)
}

func decodeState(key, value []byte) (id string, m *Meta, err error) {
	if len(key) < 2 || binary.BigEndian.Uint16(key) != 0 {
		return "", nil, fmt.Errorf("unknown %s key version", StateTopic)
	}
	var k kmsg.TxnMetadataKey
	if err := k.ReadFrom(key); err != nil {
		return "", nil, err
	}
	if value == nil {
		return k.TransactionalID, nil, nil
	}
	v := kmsg.NewTxnMetadataValue()
	if err := v.ReadFrom(value); err != nil {
		return "", nil, err
	}
	out := Meta{
		ProducerID: v.ProducerID, Epoch: v.ProducerEpoch, TimeoutMs: v.TimeoutMillis,
		State: State(v.State), StartMs: v.StartTimestamp, UpdatedMs: v.LastUpdateTimestamp,
		Partitions: map[TP]bool{},
	}
	for _, t := range v.Topics {
		for _, p := range t.Partitions {
			out.Partitions[TP{t.Topic, p}] = true
		}
	}
	return k.TransactionalID, &out, nil
}

// buildBatch encodes one record as an uncompressed v2 batch (base offset
// 0: the log assigns offsets) with a correct CRC.
func buildBatch(key, value []byte, now time.Time) []byte {
	kr := kmsg.Record{Key: key, Value: value}
	kr.Length = int32(len(kr.AppendTo(nil)) - 1)
	ts := now.UnixMilli()
	b := kmsg.RecordBatch{
		PartitionLeaderEpoch: -1, Magic: 2, FirstTimestamp: ts, MaxTimestamp: ts,
		ProducerID: -1, ProducerEpoch: -1, FirstSequence: -1, NumRecords: 1,
		Records: kr.AppendTo(nil),
	}
	out := b.AppendTo(nil)
	binary.BigEndian.PutUint32(out[8:], uint32(len(out)-12))
	binary.BigEndian.PutUint32(out[17:], record.ComputeCRC(out))
	return out
}

// readPartition calls fn for every record of one partition from its log
// start to its high watermark, in offset order.
func readPartition(p *replica.Partition, fn func(key, value []byte)) (int, error) {
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
			break
		}
		off = next
	}
	return n, nil
}
