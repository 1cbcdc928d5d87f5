package api

// ConsumerGroupHeartbeat: v0-1 (KIP-848)
//
// Behavior:
// * The broker assigns partitions: a member joins with epoch 0 and its
//   subscription, then heartbeats every HeartbeatIntervalMillis
//   (group.consumer.heartbeat.interval.ms, 5000) reporting the
//   partitions it owns; the answer carries its member epoch and, when it
//   changed, its assignment. A partition goes to its new owner only
//   after the previous owner stopped reporting it (revocation first).
// * Server assignors "uniform" (default; sticky and balanced) and
//   "range"; anything else is UNSUPPORTED_ASSIGNOR.
// * Leave with epoch -1; a static member (group.instance.id) leaving
//   with -2 keeps its partitions until its session expires
//   (group.consumer.session.timeout.ms, 45000) or it rejoins; another
//   member with the same instance id meanwhile is UNRELEASED_INSTANCE_ID.
// * Errors: INVALID_REQUEST (Kafka's request checks), UNKNOWN_MEMBER_ID,
//   FENCED_MEMBER_EPOCH (epoch ahead, or behind by more than one lost
//   response), FENCED_INSTANCE_ID, GROUP_MAX_SIZE_REACHED
//   (group.consumer.max.size), INVALID_REGULAR_EXPRESSION,
//   GROUP_ID_NOT_FOUND when a classic group with members holds the id
//   (no online upgrade).
// * A changed group is stored in __consumer_offsets before the answer.
//
// Version notes:
// * v0: the coordinator names a joining member
// * v1: the client names itself; SubscribedTopicRegex

import "github.com/twmb/franz-go/pkg/kmsg"

func init() { register(68, 0, 1, handleConsumerGroupHeartbeat) }

func handleConsumerGroupHeartbeat(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	return groupCall(env, cc, kreq, nil)
}
