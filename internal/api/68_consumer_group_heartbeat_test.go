package api

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/config"
	"strom/internal/coordinator/group"
)

func newGroupEnv(t *testing.T) *testEnv {
	t.Helper()
	e := newTestEnv(t, func(b *config.Broker) {
		b.OffsetsTopicNumPartitions = 1
		b.OffsetsTopicReplicationFactor = 1
	})
	e.Groups = group.Start(group.Config{Broker: e.Config, Topics: e.Ctrl, Replicas: e.Replicas, Logger: e.Logger})
	t.Cleanup(e.Groups.Close)
	return e
}

// TestConsumerGroupHeartbeatAndDescribe runs the KIP-848 APIs through
// the wire codec at both versions: a v0 member is named by the
// coordinator, a v1 member names itself; describe shows both; leaving
// answers epoch -1.
func TestConsumerGroupHeartbeatAndDescribe(t *testing.T) {
	e := newGroupEnv(t)
	e.createTopic(t, "t", 4, nil)

	join := func(version int16, member string) *kmsg.ConsumerGroupHeartbeatResponse {
		req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
		req.Group, req.MemberID, req.MemberEpoch, req.RebalanceTimeoutMillis = "g", member, 0, 30000
		req.SubscribedTopicNames, req.Topics = []string{"t"}, []kmsg.ConsumerGroupHeartbeatRequestTopic{}
		return e.do(t, req, version).(*kmsg.ConsumerGroupHeartbeatResponse)
	}
	r0 := join(0, "")
	if r0.ErrorCode != 0 || r0.MemberID == nil || *r0.MemberID == "" || r0.MemberEpoch != 1 || r0.HeartbeatIntervalMillis != 5000 {
		t.Fatalf("v0 join: %+v", r0)
	}
	if r0.Assignment == nil || len(r0.Assignment.Topics) != 1 || len(r0.Assignment.Topics[0].Partitions) != 4 {
		t.Fatalf("v0 join assignment: %+v", r0.Assignment)
	}
	if r := join(1, ""); r.ErrorCode != kerr.InvalidRequest.Code {
		t.Fatalf("v1 join without a member id: %+v", r)
	}
	r1 := join(1, "client-named")
	if r1.ErrorCode != 0 || *r1.MemberID != "client-named" || r1.MemberEpoch != 2 {
		t.Fatalf("v1 join: %+v", r1)
	}
	if r1.Assignment == nil || len(r1.Assignment.Topics) != 0 {
		t.Fatalf("the second member must wait for the first to revoke: %+v", r1.Assignment)
	}

	for _, v := range []int16{0, 1} {
		d := kmsg.NewPtrConsumerGroupDescribeRequest()
		d.Groups = []string{"g", "absent"}
		resp := e.do(t, d, v).(*kmsg.ConsumerGroupDescribeResponse)
		if g := resp.Groups[0]; g.ErrorCode != 0 || g.State != "Reconciling" || g.Epoch != 2 || g.AssignmentEpoch != 2 || g.AssignorName != "uniform" || len(g.Members) != 2 {
			t.Fatalf("describe v%d: %+v", v, g)
		}
		if resp.Groups[1].ErrorCode != kerr.GroupIDNotFound.Code {
			t.Fatalf("describe v%d of an absent group: %+v", v, resp.Groups[1])
		}
	}

	leave := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	leave.Group, leave.MemberID, leave.MemberEpoch = "g", "client-named", -1
	if r := e.do(t, leave, 1).(*kmsg.ConsumerGroupHeartbeatResponse); r.ErrorCode != 0 || r.MemberEpoch != -1 {
		t.Fatalf("leave: %+v", r)
	}
	if r := e.do(t, leave, 1).(*kmsg.ConsumerGroupHeartbeatResponse); r.ErrorCode != kerr.UnknownMemberID.Code {
		t.Fatalf("second leave: %+v", r)
	}

	// ListGroups v5 shows the consumer group by type.
	lg := kmsg.NewPtrListGroupsRequest()
	lg.TypesFilter = []string{"consumer"}
	lr := e.do(t, lg, 5).(*kmsg.ListGroupsResponse)
	if len(lr.Groups) != 1 || lr.Groups[0].Group != "g" || lr.Groups[0].GroupType != "consumer" {
		t.Fatalf("ListGroups: %+v", lr.Groups)
	}
}
