package api

// ListTransactions: v0-2
//
// Behavior:
// * Lists transactional ids with their producer id and state, filtered
//   by state names (unknown names are echoed in unknown_state_filters),
//   producer ids, v1+ minimum running time (only Ongoing transactions
//   older than it) and v2+ a regular expression on the id.
// * Before __transaction_state exists the list is empty; listing does
//   not create the topic.

import "github.com/twmb/franz-go/pkg/kmsg"

func init() { register(66, 0, 2, handleListTransactions) }

func handleListTransactions(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	req := kreq.(*kmsg.ListTransactionsRequest)
	return txnCall(env, cc, req, func() kmsg.Response {
		return req.ResponseKind()
	})
}
