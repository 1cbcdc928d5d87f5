package api

// AddOffsetsToTxn: v0-3
//
// Behavior:
// * Adds the group's __consumer_offsets partition to the producer's
//   transaction (partition abs(hash(group)) % offsets.topic.num.partitions),
//   so that EndTxn writes a marker there and settles the offsets that
//   TxnOffsetCommit stages.
// * Errors as AddPartitionsToTxn: INVALID_PRODUCER_ID_MAPPING,
//   PRODUCER_FENCED (INVALID_PRODUCER_EPOCH below v2),
//   CONCURRENT_TRANSACTIONS.
//
// Version notes:
// * v0 is what librdkafka 2.0.2 sends; v3 is flexible; v4 (KIP-890) is
//   not offered.

import "github.com/twmb/franz-go/pkg/kmsg"

func init() { register(25, 0, 3, handleAddOffsetsToTxn) }

func handleAddOffsetsToTxn(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	return txnCall(env, cc, kreq.(*kmsg.AddOffsetsToTxnRequest), nil)
}
