package api

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestCreatePartitions(t *testing.T) {
	e := newTestEnv(t, nil)
	e.createTopic(t, "t", 1, nil)
	e.createTopic(t, "u", 1, nil)
	part := func(topic string, count int32, assignment ...[]int32) kmsg.CreatePartitionsRequestTopic {
		rt := kmsg.NewCreatePartitionsRequestTopic()
		rt.Topic, rt.Count = topic, count
		for _, a := range assignment {
			ra := kmsg.NewCreatePartitionsRequestTopicAssignment()
			ra.Replicas = a
			rt.Assignment = append(rt.Assignment, ra)
		}
		return rt
	}
	for _, tc := range []struct {
		name         string
		version      int16
		validateOnly bool
		topics       []kmsg.CreatePartitionsRequestTopic
		want         []int16
		wantCount    map[string]int
	}{
		{"validate only", 0, true, []kmsg.CreatePartitionsRequestTopic{part("t", 3)}, []int16{0}, map[string]int{"t": 1}},
		{"grow", 1, false, []kmsg.CreatePartitionsRequestTopic{part("t", 3)}, []int16{0}, map[string]int{"t": 3}},
		{"same count", 2, false, []kmsg.CreatePartitionsRequestTopic{part("t", 3)}, []int16{kerr.InvalidPartitions.Code}, map[string]int{"t": 3}},
		{"shrink", 3, false, []kmsg.CreatePartitionsRequestTopic{part("t", 2)}, []int16{kerr.InvalidPartitions.Code}, map[string]int{"t": 3}},
		{"unknown topic", 3, false, []kmsg.CreatePartitionsRequestTopic{part("nope", 2)}, []int16{kerr.UnknownTopicOrPartition.Code}, nil},
		{"with assignment", 3, false, []kmsg.CreatePartitionsRequestTopic{part("u", 2, []int32{1})}, []int16{0}, map[string]int{"u": 2}},
		{"bad assignment", 3, false, []kmsg.CreatePartitionsRequestTopic{part("u", 3, []int32{42})}, []int16{kerr.InvalidReplicaAssignment.Code}, map[string]int{"u": 2}},
		{"duplicate topic", 3, false, []kmsg.CreatePartitionsRequestTopic{part("u", 4), part("u", 5), part("t", 4)},
			[]int16{kerr.InvalidRequest.Code, 0}, map[string]int{"u": 2, "t": 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := kmsg.NewPtrCreatePartitionsRequest()
			req.TimeoutMillis, req.ValidateOnly, req.Topics = 10000, tc.validateOnly, tc.topics
			resp := e.do(t, req, tc.version).(*kmsg.CreatePartitionsResponse)
			if len(resp.Topics) != len(tc.want) {
				t.Fatalf("got %d results, want %d", len(resp.Topics), len(tc.want))
			}
			for i, st := range resp.Topics {
				if st.ErrorCode != tc.want[i] {
					t.Errorf("%s: got %v (%s), want %v", st.Topic, kerr.ErrorForCode(st.ErrorCode), deref(st.ErrorMessage), kerr.ErrorForCode(tc.want[i]))
				}
			}
			for n, c := range tc.wantCount {
				if got := len(e.Ctrl.Image().Topic(n).Partitions); got != c {
					t.Errorf("%s has %d partitions, want %d", n, got, c)
				}
			}
		})
	}
	// New partitions are served once the replica manager opens them.
	e.waitPartition(t, "t", 3)
}
