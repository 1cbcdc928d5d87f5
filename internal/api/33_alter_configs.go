package api

// AlterConfigs: v0-2
//
// Behavior:
// * Legacy, non-incremental semantics: the given set replaces every
//   override of the resource; keys left out fall back to their defaults.
//   A null value is treated as left out.
// * TOPIC resources: unknown topic -> UNKNOWN_TOPIC_OR_PARTITION; an
//   unknown key or bad value -> INVALID_CONFIG naming the key (validated
//   by the controller with config.ValidateTopicConfig).
// * BROKER resources: the name must be "" or this broker's id, else
//   INVALID_REQUEST. Dynamic broker configs are not supported yet, so
//   only the trivial request (an empty set, which changes nothing since
//   no dynamic broker config can exist) succeeds; anything else is
//   INVALID_REQUEST.
// * A resource listed twice -> INVALID_REQUEST "Duplicate resource.";
//   other resource types -> INVALID_REQUEST.
// * ValidateOnly checks everything and changes nothing.
//
// Version notes:
// * v1: ThrottleMillis
// * v2: flexible versions

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/controller"
)

func init() { register(33, 0, 2, handleAlterConfigs) }

// errNoDynamicBroker is the answer to any real broker config change.
var errNoDynamicBroker = invalidRequest("dynamic broker configs not supported yet")

type configResource struct {
	typ  kmsg.ConfigResourceType
	name string
}

func handleAlterConfigs(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	req := kreq.(*kmsg.AlterConfigsRequest)
	resp := req.ResponseKind().(*kmsg.AlterConfigsResponse)

	seen := map[configResource]int{}
	for _, rr := range req.Resources {
		seen[configResource{rr.ResourceType, rr.ResourceName}]++
	}
	ctx, cancel := adminContext(env, cc, 0)
	defer cancel()
	for _, rr := range req.Resources {
		var err error
		switch {
		case seen[configResource{rr.ResourceType, rr.ResourceName}] > 1:
			err = invalidRequest("Duplicate resource.")
		case rr.ResourceType == kmsg.ConfigResourceTypeTopic:
			ops := make([]controller.ConfigOp, 0, len(rr.Configs))
			for _, c := range rr.Configs {
				if c.Value == nil {
					continue
				}
				ops = append(ops, controller.ConfigOp{Key: c.Name, Value: c.Value, Op: controller.OpSet})
			}
			err = env.Controller.AlterConfigs(ctx, controller.ResourceTopic, rr.ResourceName, ops, true, req.ValidateOnly)
		case rr.ResourceType == kmsg.ConfigResourceTypeBroker:
			if rr.ResourceName != "" {
				err = checkBrokerResource(env, rr.ResourceName)
			}
			if err == nil && len(rr.Configs) > 0 {
				err = errNoDynamicBroker
			}
		default:
			err = invalidRequest(fmt.Sprintf("Unsupported resource type: %s", rr.ResourceType))
		}
		r := kmsg.NewAlterConfigsResponseResource()
		r.ResourceType = rr.ResourceType
		r.ResourceName = rr.ResourceName
		r.ErrorCode = errCode(err)
		r.ErrorMessage = errMessage(err)
		resp.Resources = append(resp.Resources, r)
	}
	return Reply(resp)
}
