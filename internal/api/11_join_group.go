package api

// JoinGroup: v0-9
//
// Behavior:
// * The request waits in the coordinator until the rebalance completes
//   (every known member rejoined, or the rebalance timeout passed); a new
//   group first waits group.initial.rebalance.delay.ms for more members.
// * MEMBER_ID_REQUIRED (KIP-394) only for v4+ dynamic members: older
//   clients (kafka-go, kafka-python, librdkafka at v0-3) join in one step.
// * Static members (group.instance.id, v5+) rejoining a Stable group with
//   unchanged protocols take their old place without a rebalance; the
//   previous incarnation is FENCED_INSTANCE_ID. A returning static leader
//   at v9 gets SkipAssignment (KIP-814).
// * Session timeout outside group.min/max.session.timeout.ms is
//   INVALID_SESSION_TIMEOUT; protocols no member has in common are
//   INCONSISTENT_GROUP_PROTOCOL.
// * Min version 0 is advertised: librdkafka 2.0.2 gates features on it.
//
// Version notes:
// * v1: rebalance timeout (v0 uses the session timeout)
// * v4: MEMBER_ID_REQUIRED; v5: group.instance.id; v6: flexible
// * v7: protocol type in the response; v8: reason; v9: SkipAssignment

import "github.com/twmb/franz-go/pkg/kmsg"

func init() { register(11, 0, 9, handleJoinGroup) }

func handleJoinGroup(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	return groupCall(env, cc, kreq, nil)
}
