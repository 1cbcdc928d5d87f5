package api

import (
	"maps"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

type incOp struct {
	key   string
	op    kmsg.IncrementalAlterConfigOp
	value *string
}

func incReq(validateOnly bool, typ kmsg.ConfigResourceType, name string, ops ...incOp) *kmsg.IncrementalAlterConfigsRequest {
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	req.ValidateOnly = validateOnly
	rr := kmsg.NewIncrementalAlterConfigsRequestResource()
	rr.ResourceType, rr.ResourceName = typ, name
	for _, o := range ops {
		c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
		c.Name, c.Op, c.Value = o.key, o.op, o.value
		rr.Configs = append(rr.Configs, c)
	}
	req.Resources = append(req.Resources, rr)
	return req
}

func TestIncrementalAlterConfigs(t *testing.T) {
	e := newTestEnv(t, nil)
	e.createTopic(t, "t", 1, map[string]string{"retention.ms": "1000"})
	topic, broker := kmsg.ConfigResourceTypeTopic, kmsg.ConfigResourceTypeBroker
	set, del := kmsg.IncrementalAlterConfigOpSet, kmsg.IncrementalAlterConfigOpDelete
	app, sub := kmsg.IncrementalAlterConfigOpAppend, kmsg.IncrementalAlterConfigOpSubtract
	v := kmsg.StringPtr

	for _, tc := range []struct {
		name    string
		version int16
		req     *kmsg.IncrementalAlterConfigsRequest
		wantErr int16
		want    map[string]string
	}{
		{"set keeps other overrides", 0, incReq(false, topic, "t", incOp{"segment.bytes", set, v("1048576")}), 0,
			map[string]string{"retention.ms": "1000", "segment.bytes": "1048576"}},
		{"validate only", 1, incReq(true, topic, "t", incOp{"retention.ms", del, nil}), 0,
			map[string]string{"retention.ms": "1000", "segment.bytes": "1048576"}},
		{"delete", 1, incReq(false, topic, "t", incOp{"retention.ms", del, nil}), 0,
			map[string]string{"segment.bytes": "1048576"}},
		{"append to list", 1, incReq(false, topic, "t", incOp{"cleanup.policy", app, v("compact")}), 0,
			map[string]string{"segment.bytes": "1048576", "cleanup.policy": "delete,compact"}},
		{"subtract from list", 1, incReq(false, topic, "t", incOp{"cleanup.policy", sub, v("delete")}), 0,
			map[string]string{"segment.bytes": "1048576", "cleanup.policy": "compact"}},
		{"append to non-list", 1, incReq(false, topic, "t", incOp{"retention.ms", app, v("5")}), kerr.InvalidConfig.Code,
			map[string]string{"segment.bytes": "1048576", "cleanup.policy": "compact"}},
		{"unknown key", 1, incReq(false, topic, "t", incOp{"nope", set, v("1")}), kerr.InvalidConfig.Code,
			map[string]string{"segment.bytes": "1048576", "cleanup.policy": "compact"}},
		{"duplicate key", 1, incReq(false, topic, "t", incOp{"retention.ms", set, v("1")}, incOp{"retention.ms", del, nil}), kerr.InvalidRequest.Code,
			map[string]string{"segment.bytes": "1048576", "cleanup.policy": "compact"}},
		{"null value for set", 1, incReq(false, topic, "t", incOp{"retention.ms", set, nil}), kerr.InvalidRequest.Code,
			map[string]string{"segment.bytes": "1048576", "cleanup.policy": "compact"}},
		{"unknown op", 1, incReq(false, topic, "t", incOp{"retention.ms", 9, v("1")}), kerr.InvalidRequest.Code,
			map[string]string{"segment.bytes": "1048576", "cleanup.policy": "compact"}},
		{"unknown topic", 1, incReq(false, topic, "nope", incOp{"retention.ms", set, v("1")}), kerr.UnknownTopicOrPartition.Code,
			map[string]string{"segment.bytes": "1048576", "cleanup.policy": "compact"}},
		{"broker delete is a no-op", 1, incReq(false, broker, "1", incOp{"log.retention.ms", del, nil}), 0,
			map[string]string{"segment.bytes": "1048576", "cleanup.policy": "compact"}},
		{"broker set unsupported", 1, incReq(false, broker, "", incOp{"log.retention.ms", set, v("1")}), kerr.InvalidRequest.Code,
			map[string]string{"segment.bytes": "1048576", "cleanup.policy": "compact"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.do(t, tc.req, tc.version).(*kmsg.IncrementalAlterConfigsResponse)
			r := resp.Resources[0]
			if r.ErrorCode != tc.wantErr {
				t.Fatalf("got %v (%s), want %v", kerr.ErrorForCode(r.ErrorCode), deref(r.ErrorMessage), kerr.ErrorForCode(tc.wantErr))
			}
			if got := e.Ctrl.Image().Topic("t").Configs; !maps.Equal(got, tc.want) {
				t.Fatalf("overrides %v, want %v", got, tc.want)
			}
		})
	}
}
