package api

// ConsumerGroupDescribe: v0-1 (KIP-848)
//
// Behavior:
// * Each consumer group with its state (Empty, Assigning, Reconciling,
//   Stable), group epoch, assignment epoch and assignor, and each member
//   with its epoch, subscription, current and target assignment.
// * A classic group, or an unknown one, is GROUP_ID_NOT_FOUND.
// * Authorized operations are not computed (no ACLs).
//
// Version notes:
// * v1: member type

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() { register(69, 0, 1, handleConsumerGroupDescribe) }

func handleConsumerGroupDescribe(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	req := kreq.(*kmsg.ConsumerGroupDescribeRequest)
	return groupCall(env, cc, kreq, func() kmsg.Response {
		resp := req.ResponseKind().(*kmsg.ConsumerGroupDescribeResponse)
		for _, id := range req.Groups {
			g := kmsg.NewConsumerGroupDescribeResponseGroup()
			g.Group, g.ErrorCode = id, kerr.GroupIDNotFound.Code
			resp.Groups = append(resp.Groups, g)
		}
		return resp
	})
}
