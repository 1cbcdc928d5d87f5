package api

// ListGroups: v0-5
//
// Behavior:
// * Every group this coordinator knows, classic groups and groups that
//   only commit offsets (protocol type ""), and KIP-848 consumer groups
//   (type and protocol type "consumer", states Empty, Assigning,
//   Reconciling, Stable), sorted by id.
// * v4 filters by state, v5 by type (case-insensitive, as Kafka parses them).
// * Before any group exists (__consumer_offsets not created) the list is
//   empty; listing does not create the topic.
//
// Version notes:
// * v1: throttle; v3: flexible; v4: states filter; v5: types filter

import "github.com/twmb/franz-go/pkg/kmsg"

func init() { register(16, 0, 5, handleListGroups) }

func handleListGroups(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	return groupCall(env, cc, kreq, func() kmsg.Response { return kreq.ResponseKind() })
}
