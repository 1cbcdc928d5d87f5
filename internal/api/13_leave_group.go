package api

// LeaveGroup: v0-5
//
// Behavior:
// * v0-2 name one member; v3+ name several, by member id or
//   group.instance.id, each answered on its own (KIP-345). The group
//   rebalances once for the batch.
// * An unknown member is UNKNOWN_MEMBER_ID (per member at v3+); a static
//   member named with a stale member id is FENCED_INSTANCE_ID.
//
// Version notes:
// * v1: throttle; v3: batched members; v4: flexible; v5: reason

import "github.com/twmb/franz-go/pkg/kmsg"

func init() { register(13, 0, 5, handleLeaveGroup) }

func handleLeaveGroup(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	return groupCall(env, cc, kreq, nil)
}
