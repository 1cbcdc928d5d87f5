package api

// DescribeTransactions: v0
//
// Behavior:
// * For each transactional id: state (Kafka's names: Empty, Ongoing,
//   PrepareCommit, ...), producer id and epoch, timeout, start time and
//   the partitions of the open transaction.
// * An unknown id is TRANSACTIONAL_ID_NOT_FOUND.
// * Before __transaction_state exists every id is unknown; describing
//   does not create the topic.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() { register(65, 0, 0, handleDescribeTransactions) }

func handleDescribeTransactions(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	req := kreq.(*kmsg.DescribeTransactionsRequest)
	return txnCall(env, cc, req, func() kmsg.Response {
		resp := req.ResponseKind().(*kmsg.DescribeTransactionsResponse)
		for _, id := range req.TransactionalIDs {
			st := kmsg.NewDescribeTransactionsResponseTransactionState()
			st.TransactionalID, st.ErrorCode = id, kerr.TransactionalIDNotFound.Code
			resp.TransactionStates = append(resp.TransactionStates, st)
		}
		return resp
	})
}
