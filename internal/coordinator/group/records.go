package group

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/coordinator/runtime"
)

// OffsetsTopic is Kafka's internal topic holding group state.
const OffsetsTopic = "__consumer_offsets"

// PartitionFor is the __consumer_offsets partition of a group, computed
// as Kafka does (Utils.abs(groupId.hashCode) % partitions), so that
// tooling which reads the topic finds a group where Kafka would put it.
func PartitionFor(groupID string, partitions int32) int32 {
	return runtime.PartitionFor(groupID, partitions)
}

// Record keys and values use Kafka's own schemas from kmsg: offset
// commits with key version 1 and value version 3, group metadata with
// key version 2 and value version 3. A null value is a tombstone.

func offsetKey(group string, tp TopicPartition) []byte {
	k := kmsg.OffsetCommitKey{Version: 1, Group: group, Topic: tp.Topic, Partition: tp.Partition}
	return k.AppendTo(nil)
}

func offsetValue(o Offset) []byte {
	v := kmsg.NewOffsetCommitValue()
	v.Version = 3
	v.Offset, v.LeaderEpoch, v.Metadata, v.CommitTimestamp = o.Offset, o.LeaderEpoch, o.Metadata, o.CommitTime
	return v.AppendTo(nil)
}

func groupKey(group string) []byte {
	k := kmsg.GroupMetadataKey{Version: 2, Group: group}
	return k.AppendTo(nil)
}

func groupValue(v kmsg.GroupMetadataValue) []byte { return v.AppendTo(nil) }

// entry is one decoded __consumer_offsets record.
type entry struct {
	group  string
	isMeta bool
	tp     TopicPartition
	offset *Offset                  // nil: tombstone
	meta   *kmsg.GroupMetadataValue // nil: tombstone
	// A KIP-848 consumer group record (consumer_record.go); consumer
	// is its value, nil for a tombstone.
	isConsumer bool
	consumer   []byte
}

var errUnknownKey = errors.New("unknown __consumer_offsets key version")

func decodeEntry(key, value []byte) (entry, error) {
	if len(key) < 2 {
		return entry{}, fmt.Errorf("short key")
	}
	switch ver := int16(binary.BigEndian.Uint16(key)); ver {
	case 0, 1:
		var k kmsg.OffsetCommitKey
		if err := k.ReadFrom(key); err != nil {
			return entry{}, err
		}
		e := entry{group: k.Group, tp: TopicPartition{k.Topic, k.Partition}}
		if value != nil {
			var v kmsg.OffsetCommitValue
			if err := v.ReadFrom(value); err != nil {
				return entry{}, err
			}
			le := v.LeaderEpoch
			if v.Version < 3 {
				le = -1
			}
			e.offset = &Offset{Offset: v.Offset, LeaderEpoch: le, Metadata: v.Metadata, CommitTime: v.CommitTimestamp}
		}
		return e, nil
	case 2:
		var k kmsg.GroupMetadataKey
		if err := k.ReadFrom(key); err != nil {
			return entry{}, err
		}
		e := entry{group: k.Group, isMeta: true}
		if value != nil {
			v := kmsg.NewGroupMetadataValue()
			if err := v.ReadFrom(value); err != nil {
				return entry{}, err
			}
			e.meta = &v
		}
		return e, nil
	case consumerKeyVersion:
		id, err := decodeConsumerKey(key)
		if err != nil {
			return entry{}, err
		}
		return entry{group: id, isConsumer: true, consumer: value}, nil
	default:
		// Versions 3+ are Kafka's KIP-848 and share-group records, which
		// this coordinator does not write (consumer groups are stored
		// under consumerKeyVersion instead).
		return entry{}, fmt.Errorf("%w %d", errUnknownKey, ver)
	}
}
