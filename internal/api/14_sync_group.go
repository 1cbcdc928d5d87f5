package api

// SyncGroup: v0-5
//
// Behavior:
// * Followers wait for the leader's assignment; the leader's request
//   makes the group Stable and everyone is answered once the group
//   metadata (with the assignment) is durable in __consumer_offsets.
// * UNKNOWN_MEMBER_ID for a member (or group) the coordinator does not
//   know, ILLEGAL_GENERATION for a stale generation, REBALANCE_IN_PROGRESS
//   when a new rebalance started, INCONSISTENT_GROUP_PROTOCOL when v5's
//   protocol type or name do not match the group's.
//
// Version notes:
// * v1: throttle; v3: group.instance.id; v4: flexible
// * v5: protocol type and name in request and response (KIP-559)

import "github.com/twmb/franz-go/pkg/kmsg"

func init() { register(14, 0, 5, handleSyncGroup) }

func handleSyncGroup(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	return groupCall(env, cc, kreq, nil)
}
