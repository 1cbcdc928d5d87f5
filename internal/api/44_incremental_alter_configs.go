package api

// IncrementalAlterConfigs: v0-1
//
// Behavior:
// * Applies SET, DELETE, APPEND and SUBTRACT per key (KIP-339); APPEND
//   and SUBTRACT apply to LIST-typed keys only (INVALID_CONFIG otherwise,
//   decided by the controller, which knows the types).
// * TOPIC resources: unknown topic -> UNKNOWN_TOPIC_OR_PARTITION; unknown
//   key or bad value -> INVALID_CONFIG naming the key.
// * A key listed twice in one resource -> INVALID_REQUEST "Error due to
//   duplicate config keys"; a resource listed twice -> INVALID_REQUEST
//   "Duplicate resource."; an unknown operation or a null value for
//   anything but DELETE -> INVALID_REQUEST.
// * BROKER resources: the name must be "" or this broker's id. Dynamic
//   broker configs are not supported yet: only DELETE operations (no-ops,
//   since no dynamic broker config can exist) succeed; SET, APPEND and
//   SUBTRACT are INVALID_REQUEST.
// * Other resource types -> INVALID_REQUEST. ValidateOnly changes nothing.
//
// Version notes:
// * v1: flexible versions

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/controller"
)

func init() { register(44, 0, 1, handleIncrementalAlterConfigs) }

func handleIncrementalAlterConfigs(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	req := kreq.(*kmsg.IncrementalAlterConfigsRequest)
	resp := req.ResponseKind().(*kmsg.IncrementalAlterConfigsResponse)

	seen := map[configResource]int{}
	for _, rr := range req.Resources {
		seen[configResource{rr.ResourceType, rr.ResourceName}]++
	}
	ctx, cancel := adminContext(env, cc, 0)
	defer cancel()
	for _, rr := range req.Resources {
		r := kmsg.NewIncrementalAlterConfigsResponseResource()
		r.ResourceType = rr.ResourceType
		r.ResourceName = rr.ResourceName
		err := incrementalAlter(ctx, env, &rr, seen, req.ValidateOnly)
		r.ErrorCode = errCode(err)
		r.ErrorMessage = errMessage(err)
		resp.Resources = append(resp.Resources, r)
	}
	return Reply(resp)
}

var incrementalOps = map[kmsg.IncrementalAlterConfigOp]controller.OpType{
	kmsg.IncrementalAlterConfigOpSet:      controller.OpSet,
	kmsg.IncrementalAlterConfigOpDelete:   controller.OpDelete,
	kmsg.IncrementalAlterConfigOpAppend:   controller.OpAppend,
	kmsg.IncrementalAlterConfigOpSubtract: controller.OpSubtract,
}

func incrementalAlter(ctx context.Context, env *Env, rr *kmsg.IncrementalAlterConfigsRequestResource, seen map[configResource]int, validateOnly bool) error {
	if seen[configResource{rr.ResourceType, rr.ResourceName}] > 1 {
		return invalidRequest("Duplicate resource.")
	}
	keys := map[string]bool{}
	ops := make([]controller.ConfigOp, 0, len(rr.Configs))
	for _, c := range rr.Configs {
		if keys[c.Name] {
			return invalidRequest("Error due to duplicate config keys")
		}
		keys[c.Name] = true
		op, ok := incrementalOps[c.Op]
		if !ok {
			return invalidRequest(fmt.Sprintf("Unknown alter config operation %d for key %s", c.Op, c.Name))
		}
		if c.Value == nil && op != controller.OpDelete {
			return invalidRequest("Null value not supported for : " + c.Name)
		}
		ops = append(ops, controller.ConfigOp{Key: c.Name, Value: c.Value, Op: op})
	}
	switch rr.ResourceType {
	case kmsg.ConfigResourceTypeTopic:
		return env.Controller.AlterConfigs(ctx, controller.ResourceTopic, rr.ResourceName, ops, false, validateOnly)
	case kmsg.ConfigResourceTypeBroker:
		if rr.ResourceName != "" {
			if err := checkBrokerResource(env, rr.ResourceName); err != nil {
				return err
			}
		}
		for _, op := range ops {
			if op.Op != controller.OpDelete {
				return errNoDynamicBroker
			}
		}
		return nil
	default:
		return invalidRequest(fmt.Sprintf("Unsupported resource type: %s", rr.ResourceType))
	}
}
