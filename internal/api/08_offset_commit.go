package api

// OffsetCommit: v0-9
//
// Behavior:
// * Answered only once the offset records are durable in
//   __consumer_offsets; from then on OffsetFetch returns them.
// * A member commits with its generation; a consumer outside group
//   management (assign()) commits with generation -1, accepted while
//   the group has no members (creating the group on its first commit).
// * Errors: REBALANCE_IN_PROGRESS while the group awaits its assignment,
//   UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, FENCED_INSTANCE_ID,
//   UNKNOWN_TOPIC_OR_PARTITION for partitions that do not exist,
//   OFFSET_METADATA_TOO_LARGE above 4096 bytes of metadata.
// * Metadata and leader epoch round-trip through OffsetFetch.
// * Retention time (v2-4) is ignored, as Kafka does since 2.1.
// * In a KIP-848 consumer group the generation is the member epoch:
//   UNKNOWN_MEMBER_ID, STALE_MEMBER_EPOCH for a newer epoch or for a
//   partition the member did not hold at the epoch it sent (an older
//   epoch is accepted for partitions held since, KIP-1251), and
//   UNSUPPORTED_VERSION below v9.
//
// Version notes:
// * v1: generation and member; v2-4: retention time; v3: throttle
// * v6: leader epoch; v7: group.instance.id; v8: flexible
// * v9: member epochs (KIP-848); no schema change
// * v10 (topic ids) is not offered.

import "github.com/twmb/franz-go/pkg/kmsg"

func init() { register(8, 0, 9, handleOffsetCommit) }

func handleOffsetCommit(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	return groupCall(env, cc, kreq, nil)
}
