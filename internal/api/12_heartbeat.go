package api

// Heartbeat: v0-4
//
// Behavior:
// * Keeps the member's session alive. REBALANCE_IN_PROGRESS tells a
//   member of a Stable group to rejoin; ILLEGAL_GENERATION and
//   UNKNOWN_MEMBER_ID (also for a group the coordinator does not know)
//   make it rejoin from scratch; FENCED_INSTANCE_ID stops a static member
//   that was replaced.
//
// Version notes:
// * v1: throttle; v3: group.instance.id; v4: flexible

import "github.com/twmb/franz-go/pkg/kmsg"

func init() { register(12, 0, 4, handleHeartbeat) }

func handleHeartbeat(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	return groupCall(env, cc, kreq, nil)
}
