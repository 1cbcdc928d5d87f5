package api

import (
	"maps"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func alterReq(validateOnly bool, typ kmsg.ConfigResourceType, name string, kv ...string) *kmsg.AlterConfigsRequest {
	req := kmsg.NewPtrAlterConfigsRequest()
	req.ValidateOnly = validateOnly
	rr := kmsg.NewAlterConfigsRequestResource()
	rr.ResourceType, rr.ResourceName = typ, name
	for i := 0; i+1 < len(kv); i += 2 {
		c := kmsg.NewAlterConfigsRequestResourceConfig()
		c.Name, c.Value = kv[i], kmsg.StringPtr(kv[i+1])
		rr.Configs = append(rr.Configs, c)
	}
	req.Resources = append(req.Resources, rr)
	return req
}

func TestAlterConfigs(t *testing.T) {
	e := newTestEnv(t, nil)
	e.createTopic(t, "t", 1, map[string]string{"retention.ms": "1000", "cleanup.policy": "compact"})
	topic, broker := kmsg.ConfigResourceTypeTopic, kmsg.ConfigResourceTypeBroker

	dup := alterReq(false, topic, "t", "retention.ms", "5")
	dup.Resources = append(dup.Resources, dup.Resources[0])

	for _, tc := range []struct {
		name    string
		version int16
		req     *kmsg.AlterConfigsRequest
		wantErr int16
		want    map[string]string // topic t's overrides afterwards
	}{
		{"validate only changes nothing", 0, alterReq(true, topic, "t", "retention.ms", "2000"), 0,
			map[string]string{"retention.ms": "1000", "cleanup.policy": "compact"}},
		{"replaces every override", 1, alterReq(false, topic, "t", "retention.ms", "2000"), 0,
			map[string]string{"retention.ms": "2000"}},
		{"unknown key", 2, alterReq(false, topic, "t", "no.such.key", "1"), kerr.InvalidConfig.Code,
			map[string]string{"retention.ms": "2000"}},
		{"bad value", 2, alterReq(false, topic, "t", "retention.ms", "abc"), kerr.InvalidConfig.Code,
			map[string]string{"retention.ms": "2000"}},
		{"unknown topic", 2, alterReq(false, topic, "nope", "retention.ms", "1"), kerr.UnknownTopicOrPartition.Code,
			map[string]string{"retention.ms": "2000"}},
		{"duplicate resource", 2, dup, kerr.InvalidRequest.Code, map[string]string{"retention.ms": "2000"}},
		{"broker: empty set is a no-op", 2, alterReq(false, broker, "1"), 0, map[string]string{"retention.ms": "2000"}},
		{"broker: dynamic configs unsupported", 2, alterReq(false, broker, "", "log.retention.ms", "1"), kerr.InvalidRequest.Code,
			map[string]string{"retention.ms": "2000"}},
		{"broker: other id", 2, alterReq(false, broker, "9"), kerr.InvalidRequest.Code, map[string]string{"retention.ms": "2000"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.do(t, tc.req, tc.version).(*kmsg.AlterConfigsResponse)
			for _, r := range resp.Resources {
				if r.ErrorCode != tc.wantErr {
					t.Fatalf("got %v (%s), want %v", kerr.ErrorForCode(r.ErrorCode), deref(r.ErrorMessage), kerr.ErrorForCode(tc.wantErr))
				}
				if r.ErrorCode != 0 && r.ErrorMessage == nil {
					t.Fatal("error without message")
				}
			}
			if got := e.Ctrl.Image().Topic("t").Configs; !maps.Equal(got, tc.want) {
				t.Fatalf("overrides %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAlterConfigsUnknownKeyNamed(t *testing.T) {
	e := newTestEnv(t, nil)
	e.createTopic(t, "t", 1, nil)
	resp := e.do(t, alterReq(false, kmsg.ConfigResourceTypeTopic, "t", "no.such.key", "1"), 1).(*kmsg.AlterConfigsResponse)
	msg := deref(resp.Resources[0].ErrorMessage)
	if !strings.Contains(msg, "no.such.key") {
		t.Fatalf("message %q does not name the key", msg)
	}
}
