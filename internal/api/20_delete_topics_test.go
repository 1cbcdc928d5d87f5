package api

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/config"
)

func TestDeleteTopics(t *testing.T) {
	e := newTestEnv(t, nil)
	for _, n := range []string{"a", "b", "c", "d"} {
		e.createTopic(t, n, 1, nil)
	}
	idOf := func(n string) [16]byte { return [16]byte(e.Ctrl.Image().Topic(n).ID) }
	byName := func(n string) kmsg.DeleteTopicsRequestTopic {
		r := kmsg.NewDeleteTopicsRequestTopic()
		r.Topic = kmsg.StringPtr(n)
		return r
	}
	byID := func(id [16]byte) kmsg.DeleteTopicsRequestTopic {
		r := kmsg.NewDeleteTopicsRequestTopic()
		r.TopicID = id
		return r
	}
	bID, cID := idOf("b"), idOf("c")
	both := byName("d")
	both.TopicID = idOf("d")

	for _, tc := range []struct {
		name    string
		version int16
		names   []string                        // v0-5
		topics  []kmsg.DeleteTopicsRequestTopic // v6
		want    []int16
		deleted []string
		kept    []string
	}{
		{name: "by name v0", version: 0, names: []string{"a", "missing"},
			want: []int16{0, kerr.UnknownTopicOrPartition.Code}, deleted: []string{"a"}},
		{name: "by id v6", version: 6, topics: []kmsg.DeleteTopicsRequestTopic{byID(bID), byID([16]byte{1})},
			want: []int16{0, kerr.UnknownTopicID.Code}, deleted: []string{"b"}},
		{name: "duplicate name v5", version: 5, names: []string{"c", "c"},
			want: []int16{kerr.InvalidRequest.Code}, kept: []string{"c"}},
		{name: "name and id v6", version: 6, topics: []kmsg.DeleteTopicsRequestTopic{both},
			want: []int16{kerr.InvalidRequest.Code}, kept: []string{"d"}},
		{name: "by name v6 reports id", version: 6, topics: []kmsg.DeleteTopicsRequestTopic{byName("c")},
			want: []int16{0}, deleted: []string{"c"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := kmsg.NewPtrDeleteTopicsRequest()
			req.TimeoutMillis = 10000
			req.TopicNames, req.Topics = tc.names, tc.topics
			resp := e.do(t, req, tc.version).(*kmsg.DeleteTopicsResponse)
			if len(resp.Topics) != len(tc.want) {
				t.Fatalf("got %d results, want %d", len(resp.Topics), len(tc.want))
			}
			for i, st := range resp.Topics {
				if st.ErrorCode != tc.want[i] {
					t.Errorf("result %d (%s): %v, want %v", i, deref(st.Topic), kerr.ErrorForCode(st.ErrorCode), kerr.ErrorForCode(tc.want[i]))
				}
			}
			img := e.Ctrl.Image()
			for _, n := range tc.deleted {
				if img.Topic(n) != nil {
					t.Errorf("%s still exists", n)
				}
			}
			for _, n := range tc.kept {
				if img.Topic(n) == nil {
					t.Errorf("%s was deleted", n)
				}
			}
			if tc.name == "by id v6" && deref(resp.Topics[0].Topic) != "b" {
				t.Errorf("delete by id reported name %q, want b", deref(resp.Topics[0].Topic))
			}
			if tc.name == "by name v6 reports id" && resp.Topics[0].TopicID != cID {
				t.Errorf("delete by name reported id %x, want %x", resp.Topics[0].TopicID, cID)
			}
		})
	}
}

func TestDeleteTopicsDisabled(t *testing.T) {
	e := newTestEnv(t, func(b *config.Broker) { b.DeleteTopicEnable = false })
	e.createTopic(t, "a", 1, nil)
	req := kmsg.NewPtrDeleteTopicsRequest()
	req.TopicNames = []string{"a"}
	resp := e.do(t, req, 1).(*kmsg.DeleteTopicsResponse)
	if got := resp.Topics[0].ErrorCode; got != kerr.TopicDeletionDisabled.Code {
		t.Fatalf("got %v, want TOPIC_DELETION_DISABLED", kerr.ErrorForCode(got))
	}
	if e.Ctrl.Image().Topic("a") == nil {
		t.Fatal("topic deleted although deletion is disabled")
	}
}
