package api

// DeleteRecords: v0-2
//
// Behavior:
// * Moves each partition's log start offset forward to the given offset;
//   -1 means the high watermark. Moving it backwards is a no-op that
//   reports the current log start offset, as in Kafka.
// * An offset below -1 or above the high watermark is OFFSET_OUT_OF_RANGE.
// * The response's low watermark is the new log start offset.
// * A partition absent from the metadata is UNKNOWN_TOPIC_OR_PARTITION;
//   one in the metadata that this broker does not host (another leader,
//   or still opening) is NOT_LEADER_FOR_PARTITION, which clients retry.
// * Single replica: the low watermark is final when the call returns, so
//   TimeoutMillis is not waited on.
//
// Version notes:
// * v1: ThrottleMillis
// * v2: flexible versions

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/replica"
)

func init() { register(21, 0, 2, handleDeleteRecords) }

func handleDeleteRecords(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	req := kreq.(*kmsg.DeleteRecordsRequest)
	resp := req.ResponseKind().(*kmsg.DeleteRecordsResponse)
	for _, rt := range req.Topics {
		st := kmsg.NewDeleteRecordsResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewDeleteRecordsResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.LowWatermark = -1
			p, err := hostedPartition(env, rt.Topic, rp.Partition)
			if err == nil {
				sp.LowWatermark, err = p.DeleteRecords(rp.Offset)
			}
			if err != nil {
				sp.LowWatermark = -1
			}
			sp.ErrorCode = errCode(err)
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return Reply(resp)
}

// hostedPartition finds a partition this broker serves for an admin
// request, telling apart "no such partition" from "not here": the first
// is in no metadata image, the second exists but is led elsewhere or not
// opened yet, which clients retry after refreshing metadata. A partition
// whose log failed reports its storage error.
func hostedPartition(env *Env, topic string, index int32) (*replica.Partition, error) {
	if _, ok := env.Controller.Image().Partition(topic, index); !ok {
		return nil, replica.ErrUnknownTopicOrPartition
	}
	p, err := env.Replicas.Partition(topic, index)
	if err != nil {
		return nil, replica.ErrNotLeader
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return p, nil
}
