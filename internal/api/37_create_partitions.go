package api

// CreatePartitions: v0-3
//
// Behavior:
// * Raises a topic's partition count to Count; the new partitions are
//   placed by the controller, or as given in Assignment (one replica list
//   per new partition, first replica the leader).
// * Count equal to or below the current count -> INVALID_PARTITIONS with
//   Kafka's message; unknown topic -> UNKNOWN_TOPIC_OR_PARTITION; a bad
//   assignment -> INVALID_REPLICA_ASSIGNMENT.
// * A topic listed twice -> INVALID_REQUEST "Duplicate topic name." (each
//   occurrence answered once), the others are processed.
// * ValidateOnly checks everything and creates nothing; TimeoutMillis
//   bounds the wait for the metadata quorum (REQUEST_TIMED_OUT).
//
// Version notes:
// * v1: ThrottleMillis
// * v2: flexible versions
// * v3: no change (KIP-599 throttling)

import (
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() { register(37, 0, 3, handleCreatePartitions) }

func handleCreatePartitions(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	req := kreq.(*kmsg.CreatePartitionsRequest)
	resp := req.ResponseKind().(*kmsg.CreatePartitionsResponse)

	count := map[string]int{}
	for _, rt := range req.Topics {
		count[rt.Topic]++
	}
	ctx, cancel := adminContext(env, cc, req.TimeoutMillis)
	defer cancel()
	done := map[string]bool{}
	for _, rt := range req.Topics {
		if done[rt.Topic] {
			continue
		}
		done[rt.Topic] = true
		var err error
		if count[rt.Topic] > 1 {
			err = invalidRequest("Duplicate topic name.")
		} else {
			var assignments [][]int32
			for _, a := range rt.Assignment {
				assignments = append(assignments, a.Replicas)
			}
			err = env.Controller.CreatePartitions(ctx, rt.Topic, rt.Count, assignments, req.ValidateOnly)
		}
		st := kmsg.NewCreatePartitionsResponseTopic()
		st.Topic = rt.Topic
		st.ErrorCode = errCode(err)
		st.ErrorMessage = errMessage(err)
		resp.Topics = append(resp.Topics, st)
	}
	return Reply(resp)
}
