package api

// DescribeCluster: v0-1
//
// Behavior:
// * Returns the cluster id, the brokers registered in the metadata image
//   (unfenced ones, in id order) and, as controller id, this node: in
//   KRaft, clients talking to brokers are given a broker to send
//   controller-bound requests to, and every node here runs the
//   controller role.
// * EndpointType (v1): 1 (brokers) is served; 2 (controllers) is
//   UNSUPPORTED_ENDPOINT_TYPE, as on a Kafka broker listener.
// * ClusterAuthorizedOperations stays at Kafka's "not requested" value
//   (-2147483648): ACLs are not implemented.
//
// Version notes:
// * v1: EndpointType (KIP-919)
// * v2 (IncludeFencedBrokers) is not offered.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() { register(60, 0, 1, handleDescribeCluster) }

func handleDescribeCluster(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	req := kreq.(*kmsg.DescribeClusterRequest)
	resp := req.ResponseKind().(*kmsg.DescribeClusterResponse)
	resp.EndpointType = req.EndpointType
	if req.Version >= 1 && req.EndpointType != 1 {
		resp.ErrorCode = kerr.UnsupportedEndpointType.Code
		resp.ErrorMessage = kmsg.StringPtr("The AdminClient thinks it is talking to a controller, but this is a broker listener.")
		return Reply(resp)
	}
	img := env.Controller.Image()
	resp.ClusterID = env.Controller.ClusterID()
	resp.ControllerID = env.NodeID
	for _, id := range img.LiveBrokers() {
		b := img.Brokers[id]
		sb := kmsg.NewDescribeClusterResponseBroker()
		sb.NodeID, sb.Host, sb.Port = b.ID, b.Host, b.Port
		if b.Rack != "" {
			sb.Rack = kmsg.StringPtr(b.Rack)
		}
		resp.Brokers = append(resp.Brokers, sb)
	}
	return Reply(resp)
}
