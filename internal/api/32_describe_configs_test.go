package api

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func describeReq(typ kmsg.ConfigResourceType, name string, keys []string, synonyms, docs bool) *kmsg.DescribeConfigsRequest {
	req := kmsg.NewPtrDescribeConfigsRequest()
	rr := kmsg.NewDescribeConfigsRequestResource()
	rr.ResourceType, rr.ResourceName, rr.ConfigNames = typ, name, keys
	req.Resources = append(req.Resources, rr)
	req.IncludeSynonyms, req.IncludeDocumentation = synonyms, docs
	return req
}

func findConfig(r kmsg.DescribeConfigsResponseResource, name string) *kmsg.DescribeConfigsResponseResourceConfig {
	for i := range r.Configs {
		if r.Configs[i].Name == name {
			return &r.Configs[i]
		}
	}
	return nil
}

func TestDescribeConfigs(t *testing.T) {
	e := newTestEnv(t, nil)
	e.createTopic(t, "t", 1, map[string]string{"retention.ms": "1000"})

	topic, broker := kmsg.ConfigResourceTypeTopic, kmsg.ConfigResourceTypeBroker
	for _, tc := range []struct {
		name    string
		version int16
		req     *kmsg.DescribeConfigsRequest
		wantErr int16
		check   func(t *testing.T, r kmsg.DescribeConfigsResponseResource)
	}{
		{"topic override with synonyms and docs", 4, describeReq(topic, "t", nil, true, true), 0,
			func(t *testing.T, r kmsg.DescribeConfigsResponseResource) {
				c := findConfig(r, "retention.ms")
				if c == nil || deref(c.Value) != "1000" || c.Source != kmsg.ConfigSourceDynamicTopicConfig || c.ReadOnly {
					t.Fatalf("retention.ms: %+v", c)
				}
				if len(c.ConfigSynonyms) == 0 || c.ConfigSynonyms[0].Source != kmsg.ConfigSourceDynamicTopicConfig {
					t.Fatalf("synonyms: %+v", c.ConfigSynonyms)
				}
				if c.ConfigType != kmsg.ConfigTypeLong || c.Documentation == nil {
					t.Fatalf("type %v doc %v", c.ConfigType, c.Documentation)
				}
				if d := findConfig(r, "cleanup.policy"); d == nil || deref(d.Value) != "delete" || d.Source == kmsg.ConfigSourceDynamicTopicConfig {
					t.Fatalf("cleanup.policy: %+v", d)
				}
			}},
		{"no synonyms or docs unless asked", 3, describeReq(topic, "t", nil, false, false), 0,
			func(t *testing.T, r kmsg.DescribeConfigsResponseResource) {
				c := findConfig(r, "retention.ms")
				if c == nil || len(c.ConfigSynonyms) != 0 || c.Documentation != nil {
					t.Fatalf("retention.ms: %+v", c)
				}
			}},
		{"v0 marks defaults", 0, describeReq(topic, "t", []string{"retention.ms", "segment.bytes"}, false, false), 0,
			func(t *testing.T, r kmsg.DescribeConfigsResponseResource) {
				if len(r.Configs) != 2 {
					t.Fatalf("got %d configs, want 2", len(r.Configs))
				}
				if findConfig(r, "retention.ms").IsDefault || !findConfig(r, "segment.bytes").IsDefault {
					t.Fatal("IsDefault wrong")
				}
			}},
		{"named keys only, unknown names absent", 1, describeReq(topic, "t", []string{"retention.ms", "no.such"}, false, false), 0,
			func(t *testing.T, r kmsg.DescribeConfigsResponseResource) {
				if len(r.Configs) != 1 || r.Configs[0].Name != "retention.ms" {
					t.Fatalf("configs: %+v", r.Configs)
				}
			}},
		{"empty key list returns nothing", 2, describeReq(topic, "t", []string{}, false, false), 0,
			func(t *testing.T, r kmsg.DescribeConfigsResponseResource) {
				if len(r.Configs) != 0 {
					t.Fatalf("got %d configs", len(r.Configs))
				}
			}},
		{"unknown topic", 4, describeReq(topic, "nope", nil, false, false), kerr.UnknownTopicOrPartition.Code, nil},
		{"invalid topic", 4, describeReq(topic, "bad/name", nil, false, false), kerr.InvalidTopicException.Code, nil},
		{"this broker", 4, describeReq(broker, "1", nil, true, false), 0,
			func(t *testing.T, r kmsg.DescribeConfigsResponseResource) {
				if c := findConfig(r, "num.partitions"); c == nil || deref(c.Value) != "1" {
					t.Fatalf("num.partitions: %+v", c)
				}
			}},
		{"cluster default resource", 4, describeReq(broker, "", nil, false, false), 0,
			func(t *testing.T, r kmsg.DescribeConfigsResponseResource) {
				if len(r.Configs) != 0 {
					t.Fatalf("no dynamic defaults exist, got %d configs", len(r.Configs))
				}
			}},
		{"other broker", 4, describeReq(broker, "7", nil, false, false), kerr.InvalidRequest.Code, nil},
		{"broker name not a number", 4, describeReq(broker, "x", nil, false, false), kerr.InvalidRequest.Code, nil},
		{"unsupported resource type", 4, describeReq(kmsg.ConfigResourceTypeBrokerLogger, "1", nil, false, false), kerr.InvalidRequest.Code, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.do(t, tc.req, tc.version).(*kmsg.DescribeConfigsResponse)
			if len(resp.Resources) != 1 {
				t.Fatalf("got %d resources", len(resp.Resources))
			}
			r := resp.Resources[0]
			if r.ErrorCode != tc.wantErr {
				t.Fatalf("got %v (%s), want %v", kerr.ErrorForCode(r.ErrorCode), deref(r.ErrorMessage), kerr.ErrorForCode(tc.wantErr))
			}
			if r.ResourceName != tc.req.Resources[0].ResourceName || r.ResourceType != tc.req.Resources[0].ResourceType {
				t.Fatalf("resource echoed as %v %q", r.ResourceType, r.ResourceName)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}
