package api

// ListGroups: v0-4
//
// Behavior:
// * Every group this coordinator knows, classic groups and groups that
//   only commit offsets (protocol type ""), sorted by id.
// * v4 filters by state (case-insensitive, as Kafka parses it).
// * Before any group exists (__consumer_offsets not created) the list is
//   empty; listing does not create the topic.
//
// Version notes:
// * v1: throttle; v3: flexible; v4: states filter
// * v5 (type filter, KIP-848) is not offered.

import "github.com/twmb/franz-go/pkg/kmsg"

func init() { register(16, 0, 4, handleListGroups) }

func handleListGroups(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	return groupCall(env, cc, kreq, func() kmsg.Response { return kreq.ResponseKind() })
}
