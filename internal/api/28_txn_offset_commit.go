package api

// TxnOffsetCommit: v0-3
//
// Behavior:
// * Stages a transactional producer's consumed offsets for a group: they
//   are written to the group's __consumer_offsets partition as a
//   transactional batch of the producer (so a fenced epoch is refused
//   there) and become the group's committed offsets only when the
//   transaction commits; an abort drops them. Answered once durable.
// * Until the transaction ends, OffsetFetch with require_stable answers
//   UNSTABLE_OFFSET_COMMIT for those partitions.
// * v3 (KIP-447) carries the member id and generation: an unknown member
//   is UNKNOWN_MEMBER_ID, another generation ILLEGAL_GENERATION, so a
//   zombie from an old generation cannot commit. Empty member id and
//   generation -1 skip the check.
// * A fenced producer gets PRODUCER_FENCED (INVALID_PRODUCER_EPOCH
//   below v2).
//
// Version notes:
// * v2: committed leader epoch; v3: group metadata, flexible versions.
//   v4-5 (KIP-890) are not offered.

import "github.com/twmb/franz-go/pkg/kmsg"

func init() { register(28, 0, 3, handleTxnOffsetCommit) }

func handleTxnOffsetCommit(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	return groupCall(env, cc, kreq.(*kmsg.TxnOffsetCommitRequest), nil)
}
