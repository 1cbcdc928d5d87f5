package api

// AddPartitionsToTxn: v0-3
//
// Behavior:
// * Adds partitions to the producer's transaction, starting it if none is
//   open; answered once the new transaction state is durable in
//   __transaction_state. Only partitions added this way accept the
//   producer's transactional batches (Produce answers INVALID_TXN_STATE
//   otherwise).
// * An unknown transactional id or producer id is
//   INVALID_PRODUCER_ID_MAPPING; a stale epoch is PRODUCER_FENCED
//   (INVALID_PRODUCER_EPOCH below v2, which clients treat alike).
// * While the previous transaction's markers are being written, or the
//   state is being stored, CONCURRENT_TRANSACTIONS (retriable).
// * A partition of a topic that does not exist fails the request:
//   UNKNOWN_TOPIC_OR_PARTITION for it, OPERATION_NOT_ATTEMPTED for the rest.
//
// Version notes:
// * v0 is what librdkafka 2.0.2 sends.
// * v2: PRODUCER_FENCED (KIP-588)
// * v3: flexible versions
// * v4-5 (KIP-890 batched broker-to-broker verification) are not offered.

import "github.com/twmb/franz-go/pkg/kmsg"

func init() { register(24, 0, 3, handleAddPartitionsToTxn) }

func handleAddPartitionsToTxn(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	return txnCall(env, cc, kreq.(*kmsg.AddPartitionsToTxnRequest), nil)
}
