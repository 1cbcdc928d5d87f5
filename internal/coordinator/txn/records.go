package txn

import (
	"encoding/binary"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"
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
