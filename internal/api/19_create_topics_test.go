package api

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func createReq(validateOnly bool, topics ...kmsg.CreateTopicsRequestTopic) *kmsg.CreateTopicsRequest {
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 10000
	req.ValidateOnly = validateOnly
	req.Topics = topics
	return req
}

func newTopic(name string, parts int32, rf int16, configs ...string) kmsg.CreateTopicsRequestTopic {
	t := kmsg.NewCreateTopicsRequestTopic()
	t.Topic, t.NumPartitions, t.ReplicationFactor = name, parts, rf
	for i := 0; i+1 < len(configs); i += 2 {
		c := kmsg.NewCreateTopicsRequestTopicConfig()
		c.Name, c.Value = configs[i], kmsg.StringPtr(configs[i+1])
		t.Configs = append(t.Configs, c)
	}
	return t
}

func TestCreateTopics(t *testing.T) {
	e := newTestEnv(t, nil)
	e.createTopic(t, "exists", 1, nil)
	e.createTopic(t, "my.topic", 1, nil)

	for _, tc := range []struct {
		name     string
		version  int16
		req      *kmsg.CreateTopicsRequest
		want     map[string]int16 // topic -> error code
		created  []string         // must exist in the image afterwards
		absent   []string         // must not exist afterwards
		parts    int32            // NumPartitions reported for the first topic (v5+)
		checkCfg string           // a config that must be reported (v5+)
	}{
		{
			name: "create v0", version: 0,
			req:     createReq(false, newTopic("a", 3, 1)),
			want:    map[string]int16{"a": 0},
			created: []string{"a"},
		},
		{
			name: "defaults and configs v7", version: 7,
			req:      createReq(false, newTopic("b", -1, -1, "retention.ms", "1000")),
			want:     map[string]int16{"b": 0},
			created:  []string{"b"},
			parts:    1,
			checkCfg: "retention.ms=1000",
		},
		{
			name: "validate only creates nothing", version: 5,
			req:    createReq(true, newTopic("c", 2, 1)),
			want:   map[string]int16{"c": 0},
			absent: []string{"c"},
			parts:  2,
		},
		{
			name: "exists", version: 4,
			req:  createReq(false, newTopic("exists", 1, 1)),
			want: map[string]int16{"exists": kerr.TopicAlreadyExists.Code},
		},
		{
			name: "one bad topic does not fail the others", version: 4,
			req:     createReq(false, newTopic("bad/name", 1, 1), newTopic("good", 1, 1)),
			want:    map[string]int16{"bad/name": kerr.InvalidTopicException.Code, "good": 0},
			created: []string{"good"},
		},
		{
			name: "zero partitions", version: 4,
			req:  createReq(false, newTopic("z", 0, 1)),
			want: map[string]int16{"z": kerr.InvalidPartitions.Code},
		},
		{
			name: "replication factor above brokers", version: 4,
			req:  createReq(false, newTopic("rf", 1, 3)),
			want: map[string]int16{"rf": kerr.InvalidReplicationFactor.Code},
		},
		{
			name: "unknown config", version: 4,
			req:    createReq(false, newTopic("cfg", 1, 1, "no.such.config", "1")),
			want:   map[string]int16{"cfg": kerr.InvalidConfig.Code},
			absent: []string{"cfg"},
		},
		{
			name: "duplicate names", version: 4,
			req:    createReq(false, newTopic("dup", 1, 1), newTopic("dup", 1, 1), newTopic("d2", 1, 1)),
			want:   map[string]int16{"dup": kerr.InvalidRequest.Code, "d2": 0},
			absent: []string{"dup"},
		},
		{
			name: "colliding name", version: 4,
			req:  createReq(false, newTopic("my_topic", 1, 1)),
			want: map[string]int16{"my_topic": kerr.InvalidTopicException.Code},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.do(t, tc.req, tc.version).(*kmsg.CreateTopicsResponse)
			if len(resp.Topics) != len(tc.want) {
				t.Fatalf("got %d topics in response, want %d", len(resp.Topics), len(tc.want))
			}
			for _, st := range resp.Topics {
				want, ok := tc.want[st.Topic]
				if !ok {
					t.Fatalf("unexpected topic %q in response", st.Topic)
				}
				if st.ErrorCode != want {
					t.Errorf("%s: error %v, want %v (message %v)", st.Topic, kerr.ErrorForCode(st.ErrorCode), kerr.ErrorForCode(want), deref(st.ErrorMessage))
				}
				if want != 0 && tc.version >= 1 && st.ErrorMessage == nil {
					t.Errorf("%s: no error message", st.Topic)
				}
			}
			img := e.Ctrl.Image()
			for _, n := range tc.created {
				if img.Topic(n) == nil {
					t.Errorf("%s not created", n)
				}
			}
			for _, n := range tc.absent {
				if img.Topic(n) != nil {
					t.Errorf("%s created", n)
				}
			}
			st := resp.Topics[0]
			if tc.version >= 5 && st.ErrorCode == 0 {
				if tc.parts != 0 && st.NumPartitions != tc.parts {
					t.Errorf("NumPartitions %d, want %d", st.NumPartitions, tc.parts)
				}
				if st.ReplicationFactor != 1 {
					t.Errorf("ReplicationFactor %d, want 1", st.ReplicationFactor)
				}
				if len(st.Configs) == 0 {
					t.Error("no configs in v5+ response")
				}
				if tc.checkCfg != "" {
					found := false
					for _, c := range st.Configs {
						if c.Name+"="+deref(c.Value) == tc.checkCfg {
							found = true
							if c.Source != int8(kmsg.ConfigSourceDynamicTopicConfig) {
								t.Errorf("%s source %d, want topic config", c.Name, c.Source)
							}
						}
					}
					if !found {
						t.Errorf("config %s not reported", tc.checkCfg)
					}
				}
			}
			if tc.version >= 7 && st.ErrorCode == 0 && !tc.req.ValidateOnly {
				if tp := img.Topic(st.Topic); tp == nil || [16]byte(tp.ID) != st.TopicID {
					t.Errorf("topic id %x does not match image", st.TopicID)
				}
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
