package api

// ListOffsets: v0-8
//
// Behavior:
// * -2 (earliest) is the log start offset; -1 (latest) is the high
//   watermark, or for read_committed (isolation_level 1, v2+) the last
//   stable offset; -3 (max timestamp, KIP-734) is the
//   record with the largest timestamp; -4 (earliest local, KIP-405) is
//   the log start offset as nothing is tiered.
// * A timestamp finds the first committed record whose timestamp is at
//   least it; none gives offset -1 and timestamp -1 (v1+).
// * v0 answers with old_style_offsets.
// * current_leader_epoch (v4+) is checked as in Fetch.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() { register(2, 0, 8, handleListOffsets) }

func handleListOffsets(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	req := kreq.(*kmsg.ListOffsetsRequest)
	resp := req.ResponseKind().(*kmsg.ListOffsetsResponse)
	for _, rt := range req.Topics {
		st := kmsg.NewListOffsetsResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewListOffsetsResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.Timestamp, sp.Offset, sp.LeaderEpoch = -1, -1, -1
			part, err := env.Replicas.Partition(rt.Topic, rp.Partition)
			if err != nil {
				sp.ErrorCode = errCode(err)
				st.Partitions = append(st.Partitions, sp)
				continue
			}
			if req.Version >= 4 && rp.CurrentLeaderEpoch >= 0 {
				if e := part.LeaderEpoch(); rp.CurrentLeaderEpoch < e {
					sp.ErrorCode = kerr.FencedLeaderEpoch.Code
				} else if rp.CurrentLeaderEpoch > e {
					sp.ErrorCode = kerr.UnknownLeaderEpoch.Code
				}
				if sp.ErrorCode != 0 {
					st.Partitions = append(st.Partitions, sp)
					continue
				}
			}
			if err := part.Err(); err != nil {
				sp.ErrorCode = errCode(err)
				st.Partitions = append(st.Partitions, sp)
				continue
			}
			epoch := part.LeaderEpoch()
			switch ts := rp.Timestamp; {
			case ts == -2 || ts == -4:
				sp.Offset = part.LogStartOffset()
			case ts == -1 && req.IsolationLevel == 1:
				sp.Offset = part.LastStableOffset()
			case ts == -1:
				sp.Offset = part.HighWatermark()
			case ts == -3:
				sp.Offset, sp.Timestamp = part.MaxTimestamp()
			case ts >= 0:
				off, t, ok := part.OffsetForTimestamp(ts)
				if ok {
					sp.Offset, sp.Timestamp = off, t
				}
			default:
				sp.ErrorCode = kerr.InvalidRequest.Code
			}
			if sp.Offset >= 0 {
				sp.LeaderEpoch = epoch
			}
			if req.Version == 0 {
				if sp.Offset >= 0 {
					sp.OldStyleOffsets = []int64{sp.Offset}
				} else {
					sp.OldStyleOffsets = []int64{}
				}
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return Reply(resp)
}
