package api

// InitProducerId: v0-4
//
// Behavior:
// * Idempotent producers (null transactional id) always get a fresh
//   producer id with epoch 0, also at v3+ when they send their current
//   id and epoch (KIP-360): Kafka's TransactionCoordinator "blindly
//   accepts" a null transactional id and allocates a new id, and clients
//   (Java, librdkafka, franz-go) accept a new id in that reply. Bumping
//   the epoch would need per-producer state the broker does not keep for
//   idempotent producers.
// * Ids are unique across restarts: they come from blocks reserved
//   durably before use (internal/coordinator/producerid).
// * An empty transactional id is INVALID_REQUEST, as in Kafka.
// * A transactional id goes to the transaction coordinator
//   (internal/coordinator/txn): a new id gets a fresh producer id, a
//   known one the same id with its epoch bumped, which fences the
//   previous producer instance (PRODUCER_FENCED, or
//   INVALID_PRODUCER_EPOCH below v4, on its next request). An open
//   transaction of the previous instance is aborted first and the
//   request answered CONCURRENT_TRANSACTIONS, which clients retry.
// * transaction_timeout_ms above transaction.max.timeout.ms is
//   INVALID_TRANSACTION_TIMEOUT.
// * v3+: a producer id and epoch that are neither the current nor the
//   previous ones are fenced (KIP-360).
//
// Version notes:
// * v1: ThrottleMillis
// * v2: flexible versions
// * v3: ProducerID and ProducerEpoch in the request (KIP-360)
// * v4: PRODUCER_FENCED replaces INVALID_PRODUCER_EPOCH (KIP-588)
// * v5 (KIP-890) is not offered.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ProducerIDs hands out producer ids that are unique across restarts
// (*producerid.Allocator). The node supplies it in Env.ProducerIDs.
type ProducerIDs interface {
	Next() (int64, error)
}

func init() { register(22, 0, 4, handleInitProducerID) }

func handleInitProducerID(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	req := kreq.(*kmsg.InitProducerIDRequest)
	resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
	resp.ProducerID, resp.ProducerEpoch = -1, -1

	if req.TransactionalID != nil {
		if *req.TransactionalID == "" {
			resp.ErrorCode = kerr.InvalidRequest.Code
			return Reply(resp)
		}
		return txnCall(env, cc, req, nil)
	}
	if env.ProducerIDs == nil {
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return Reply(resp)
	}
	id, err := env.ProducerIDs.Next()
	if err != nil {
		resp.ErrorCode = errCode(err)
		return Reply(resp)
	}
	resp.ProducerID, resp.ProducerEpoch = id, 0
	return Reply(resp)
}
