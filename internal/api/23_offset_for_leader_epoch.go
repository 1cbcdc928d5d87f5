package api

// OffsetForLeaderEpoch: v0-4
//
// Behavior:
// * Answers, for a requested leader epoch, the largest epoch at or below
//   it that this log knows and the offset where the next epoch starts (or
//   the log end offset for the current epoch), so a consumer or follower
//   can detect and truncate diverged data (KIP-101, KIP-320).
// * A requested epoch above the current leader epoch is unknown: epoch
//   and end offset -1, no error (Kafka's UNDEFINED_EPOCH result).
// * CurrentLeaderEpoch (v2+, -1 = unchecked): older than ours is
//   FENCED_LEADER_EPOCH, newer is UNKNOWN_LEADER_EPOCH.
// * ReplicaID (v3+): consumers send -1, followers their id. Every
//   partition this broker hosts it leads, so both are served alike.
// * Unknown partitions are UNKNOWN_TOPIC_OR_PARTITION; known but not
//   hosted here NOT_LEADER_FOR_PARTITION.
//
// Version notes:
// * v1: LeaderEpoch in the response
// * v2: CurrentLeaderEpoch (KIP-320), ThrottleMillis
// * v3: ReplicaID
// * v4: flexible versions

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() { register(23, 0, 4, handleOffsetForLeaderEpoch) }

func handleOffsetForLeaderEpoch(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	req := kreq.(*kmsg.OffsetForLeaderEpochRequest)
	resp := req.ResponseKind().(*kmsg.OffsetForLeaderEpochResponse)
	for _, rt := range req.Topics {
		st := kmsg.NewOffsetForLeaderEpochResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewOffsetForLeaderEpochResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.ErrorCode = endOffsetForEpoch(env, rt.Topic, rp, &sp)
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return Reply(resp)
}

func endOffsetForEpoch(env *Env, topic string, rp kmsg.OffsetForLeaderEpochRequestTopicPartition, sp *kmsg.OffsetForLeaderEpochResponseTopicPartition) int16 {
	p, err := hostedPartition(env, topic, rp.Partition)
	if err != nil {
		return errCode(err)
	}
	cur := p.LeaderEpoch()
	switch {
	case rp.CurrentLeaderEpoch == -1:
	case rp.CurrentLeaderEpoch < cur:
		return kerr.FencedLeaderEpoch.Code
	case rp.CurrentLeaderEpoch > cur:
		return kerr.UnknownLeaderEpoch.Code
	}
	switch {
	case rp.LeaderEpoch < 0 || rp.LeaderEpoch > cur:
		// Kafka's UNDEFINED_EPOCH / UNDEFINED_EPOCH_OFFSET.
		sp.LeaderEpoch, sp.EndOffset = -1, -1
	case rp.LeaderEpoch == cur:
		// Kafka records the current epoch as starting at the log end
		// when leadership is taken, even before a batch is written in
		// it, so the current epoch always ends at the log end offset.
		sp.LeaderEpoch, sp.EndOffset = cur, p.LogEndOffset()
	default:
		end, epoch := p.EndOffsetForEpoch(rp.LeaderEpoch)
		if epoch < 0 {
			// The log knows no epoch above the requested one (it is
			// empty, or the epochs since its last batch wrote
			// nothing), so the next epoch is the current one, which
			// Kafka starts at the log end. Kafka would name the last
			// written epoch rather than the requested one; clients
			// only compare the end offset with their position, which
			// the log end never fails.
			end, epoch = p.LogEndOffset(), rp.LeaderEpoch
		}
		sp.LeaderEpoch, sp.EndOffset = epoch, end
	}
	return 0
}
