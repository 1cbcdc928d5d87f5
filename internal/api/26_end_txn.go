package api

// EndTxn: v0-3
//
// Behavior:
// * Commits or aborts the producer's open transaction: the
//   PrepareCommit/PrepareAbort state is stored, a COMMIT or ABORT marker
//   is written to every partition of the transaction (and the group
//   offsets staged by TxnOffsetCommit are committed or dropped), then the
//   Complete state is stored. The answer comes after all of it, so a
//   read_committed consumer or an OffsetFetch sent afterwards sees the
//   outcome. A broker stop in between is finished at the next start.
// * A retry of a finished EndTxn with the same outcome succeeds; the
//   other outcome, or no open transaction, is INVALID_TXN_STATE.
// * A stale epoch (the id was taken over, or the coordinator aborted the
//   transaction after transaction.timeout.ms) is PRODUCER_FENCED
//   (INVALID_PRODUCER_EPOCH below v2).
//
// Version notes:
// * librdkafka 2.0.2 sends v0-1; v2: PRODUCER_FENCED (KIP-588); v3:
//   flexible versions. v4-5 (KIP-890) are not offered.

import "github.com/twmb/franz-go/pkg/kmsg"

func init() { register(26, 0, 3, handleEndTxn) }

func handleEndTxn(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	return txnCall(env, cc, kreq.(*kmsg.EndTxnRequest), nil)
}
