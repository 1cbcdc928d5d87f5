package api

// DescribeGroups: v0-5
//
// Behavior:
// * Each group is answered with its state, protocol type and selected
//   protocol, and members with client id, host, subscription metadata and
//   assignment (metadata and assignment only once a protocol is chosen).
// * An unknown group is state "Dead" with no error, as in Kafka; so is a
//   KIP-848 consumer group (Kafka reports GROUP_ID_NOT_FOUND only from
//   v6): ConsumerGroupDescribe describes those.
// * Authorized operations are not computed (no ACLs).
//
// Version notes:
// * v1: throttle; v3: authorized operations; v4: group.instance.id;
//   v5: flexible
// * v6 (error message) is not offered.

import (
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() { register(15, 0, 5, handleDescribeGroups) }

func handleDescribeGroups(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	req := kreq.(*kmsg.DescribeGroupsRequest)
	return groupCall(env, cc, kreq, func() kmsg.Response {
		resp := req.ResponseKind().(*kmsg.DescribeGroupsResponse)
		for _, id := range req.Groups {
			g := kmsg.NewDescribeGroupsResponseGroup()
			g.Group, g.State, g.AuthorizedOperations = id, "Dead", -2147483648
			resp.Groups = append(resp.Groups, g)
		}
		return resp
	})
}
