package groups

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/test/clients/ktest"
)

// fast848 makes KIP-848 reconciliation quick: members learn of released
// partitions at their next heartbeat.
var fast848 = []string{"group.consumer.heartbeat.interval.ms=200", "group.consumer.session.timeout.ms=6000"}

// optIn848 is franz-go's KIP-848 opt-in (the server-side balancer; the
// default cooperative-sticky balancer maps to the "uniform" assignor).
func optIn848() kgo.Opt { return kgo.ServerSideBalancer() }

// describe848 describes a consumer group through ConsumerGroupDescribe.
func describe848(t *testing.T, addr, group string) (state string, epoch int32, members int) {
	t.Helper()
	ds, err := ktest.Admin(t, addr).DescribeConsumerGroups(ktest.Ctx(t), group)
	if err != nil {
		t.Fatalf("DescribeConsumerGroups: %v", err)
	}
	d := ds[group]
	if d.Err != nil {
		t.Fatalf("DescribeConsumerGroups(%s): %v", group, d.Err)
	}
	return d.State, d.Epoch, len(d.Members)
}

// TestKIP848SplitLeaveTakeover: two franz-go members in KIP-848 mode
// split a topic, one leaves and the other takes over; nothing is
// consumed twice and the commits (at member epochs) reach the end.
func TestKIP848SplitLeaveTakeover(t *testing.T) {
	t.Parallel()
	b := startBroker(t, fast848...)
	topic := ktest.CreateTopic(t, b.Addr, 4)
	group := uniqueGroup(t)
	s := newSeen()
	a := startKgo(t, b.Addr, group, topic, "a", s, optIn848())
	waitFor(t, 15*time.Second, "a owns all 4 partitions", func() bool { return split(4, a) })
	// The other member opts in through franz-go's context key.
	c := startKgo(t, b.Addr, group, topic, "c", s, kgo.WithContext(context.WithValue(context.Background(), "opt_in_kafka_next_gen_balancer_beta", true)))
	waitFor(t, 15*time.Second, "a and c split 4 partitions", func() bool { return split(4, a, c) })

	// The group is a KIP-848 consumer group, not a classic one.
	if st, _, n := describe848(t, b.Addr, group); n != 2 {
		t.Fatalf("ConsumerGroupDescribe: state %s, %d members", st, n)
	}
	if g := describe(t, b.Addr, group); g.State != "Dead" {
		t.Fatalf("DescribeGroups of a consumer group: state %s, want Dead", g.State)
	}
	listed, err := ktest.Admin(t, b.Addr).ListGroupsByType(ktest.Ctx(t), []string{"consumer"})
	if err != nil {
		t.Fatal(err)
	}
	if l, ok := listed[group]; !ok || l.GroupType != "consumer" || l.ProtocolType != "consumer" {
		t.Fatalf("ListGroups: %+v", listed)
	}

	produce(t, b.Addr, topic, "one", 200)
	waitFor(t, 15*time.Second, "200 records consumed", func() bool { return s.count() == 200 })
	who := map[string]int{}
	for _, w := range s.by {
		who[w[0]]++
	}
	if who["a"] == 0 || who["c"] == 0 {
		t.Fatalf("both members should consume: %v", who)
	}

	c.stop()
	waitFor(t, 15*time.Second, "a owns all 4 again", func() bool { return split(4, a) })
	produce(t, b.Addr, topic, "two", 100)
	waitFor(t, 15*time.Second, "300 records consumed", func() bool { return s.count() == 300 })
	if d := s.dups(); len(d) > 0 {
		t.Fatalf("records consumed twice: %v", d[:min(len(d), 10)])
	}
	ends := endOffsets(t, b.Addr, topic)
	waitFor(t, 10*time.Second, "committed offsets reach the end", func() bool {
		return maps.Equal(committed(t, b.Addr, group, topic), ends)
	})
	waitFor(t, 10*time.Second, "the group is Stable with one member", func() bool {
		st, _, n := describe848(t, b.Addr, group)
		return st == "Stable" && n == 1
	})
}

// TestKIP848ChurnNoDuplicates: members join and leave while records are
// produced; a partition is handed over only after its previous owner
// committed and revoked it, so no record is consumed twice.
func TestKIP848ChurnNoDuplicates(t *testing.T) {
	t.Parallel()
	b := startBroker(t, fast848...)
	topic := ktest.CreateTopic(t, b.Addr, 6)
	group := uniqueGroup(t)
	s := newSeen()
	want := 0
	a := startKgo(t, b.Addr, group, topic, "a", s, optIn848())
	waitFor(t, 15*time.Second, "a owns all 6", func() bool { return split(6, a) })
	produce(t, b.Addr, topic, "p0", 60)
	want += 60
	var others []*kgoMember
	for i, name := range []string{"b", "c", "d"} {
		m := startKgo(t, b.Addr, group, topic, name, s, optIn848())
		others = append(others, m)
		produce(t, b.Addr, topic, "join"+name, 60)
		want += 60
		all := append([]*kgoMember{a}, others...)
		waitFor(t, 20*time.Second, "members split the partitions", func() bool { return split(6, all...) })
		_ = i
	}
	for i, m := range others {
		m.stop()
		produce(t, b.Addr, topic, "leave"+m.name, 60)
		want += 60
		rest := append([]*kgoMember{a}, others[i+1:]...)
		waitFor(t, 20*time.Second, "the rest take over", func() bool { return split(6, rest...) })
	}
	waitFor(t, 20*time.Second, "everything consumed", func() bool { return s.count() == want })
	if d := s.dups(); len(d) > 0 {
		t.Fatalf("%d records consumed twice while members joined and left: %v", len(d), d[:min(len(d), 10)])
	}
}

// TestKIP848CommitsResumeAfterRestart: a KIP-848 consumer commits,
// stops; the broker restarts; a new consumer in the group resumes from
// the commits, and the group (epoch, members) survived the restart.
func TestKIP848CommitsResumeAfterRestart(t *testing.T) {
	t.Parallel()
	b := startBroker(t, fast848...)
	topic := ktest.CreateTopic(t, b.Addr, 3)
	group := uniqueGroup(t)
	produce(t, b.Addr, topic, "first", 90)
	s := newSeen()
	a := startKgo(t, b.Addr, group, topic, "a", s, optIn848())
	waitFor(t, 20*time.Second, "90 consumed", func() bool { return s.count() == 90 })
	ends := endOffsets(t, b.Addr, topic)
	waitFor(t, 10*time.Second, "commits reach the end", func() bool {
		return maps.Equal(committed(t, b.Addr, group, topic), ends)
	})
	_, epoch, _ := describe848(t, b.Addr, group)

	// The member stays through a broker restart: it keeps its epoch
	// (stored), keeps consuming and committing.
	b.Restart()
	_, after, _ := describe848(t, b.Addr, group)
	if after < epoch {
		t.Fatalf("group epoch went back from %d to %d across the restart", epoch, after)
	}
	produce(t, b.Addr, topic, "second", 60)
	waitFor(t, 20*time.Second, "150 consumed", func() bool { return s.count() == 150 })
	ends = endOffsets(t, b.Addr, topic)
	waitFor(t, 10*time.Second, "commits reach the new end", func() bool {
		return maps.Equal(committed(t, b.Addr, group, topic), ends)
	})
	a.stop()

	b.Restart()
	produce(t, b.Addr, topic, "third", 30)
	c := startKgo(t, b.Addr, group, topic, "c", s, optIn848())
	waitFor(t, 20*time.Second, "180 consumed", func() bool { return s.count() == 180 })
	if d := s.dups(); len(d) > 0 {
		t.Fatalf("records consumed twice across restarts: %v", d[:min(len(d), 10)])
	}
	for v, w := range s.by {
		if w[0] == "c" && v[:5] != "third" {
			t.Fatalf("the new consumer re-read %s: commits were not resumed", v)
		}
	}
	c.stop()
}

// TestKIP848ClassicCoexistence: a franz-go client without the opt-in
// stays on the classic protocol; a group id is either classic or
// consumer, never both.
func TestKIP848ClassicCoexistence(t *testing.T) {
	t.Parallel()
	b := startBroker(t, fast848...)
	topic := ktest.CreateTopic(t, b.Addr, 2)
	classic, next := uniqueGroup(t), uniqueGroup(t)+"-848"
	s := newSeen()
	a := startKgo(t, b.Addr, classic, topic, "a", s)
	c := startKgo(t, b.Addr, next, topic, "c", s, optIn848())
	waitFor(t, 15*time.Second, "both own their partitions", func() bool { return split(2, a) && split(2, c) })
	if g := describe(t, b.Addr, classic); g.State != "Stable" || g.ProtocolType != "consumer" {
		t.Fatalf("the client without the opt-in should be classic: %+v", g)
	}
	ds, err := ktest.Admin(t, b.Addr).DescribeConsumerGroups(ktest.Ctx(t), classic)
	if err != nil {
		t.Fatal(err)
	}
	if !errorsIs(ds[classic].Err, kerr.GroupIDNotFound) {
		t.Fatalf("ConsumerGroupDescribe of a classic group: %v", ds[classic].Err)
	}

	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	// A KIP-848 join to the classic group with members.
	hb := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	hb.Group, hb.MemberID, hb.MemberEpoch, hb.RebalanceTimeoutMillis = classic, "x-member", 0, 10000
	hb.SubscribedTopicNames, hb.Topics = []string{topic}, []kmsg.ConsumerGroupHeartbeatRequestTopic{}
	hr, err := hb.RequestWith(ktest.Ctx(t), cl)
	if err != nil || hr.ErrorCode != kerr.GroupIDNotFound.Code {
		t.Fatalf("ConsumerGroupHeartbeat to a classic group: %v %+v", err, hr)
	}
	// A classic join to the live consumer group.
	jg := kmsg.NewPtrJoinGroupRequest()
	jg.Group, jg.ProtocolType, jg.SessionTimeoutMillis, jg.RebalanceTimeoutMillis = next, "consumer", 10000, 10000
	jg.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: []byte{0, 0, 0, 0, 0, 0}}}
	jr, err := jg.RequestWith(ktest.Ctx(t), cl)
	if err != nil || jr.ErrorCode != kerr.InconsistentGroupProtocol.Code {
		t.Fatalf("JoinGroup to a consumer group: %v %+v", err, jr)
	}
	// Invalid requests, as Kafka checks them.
	bad := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	bad.Group, bad.MemberID, bad.MemberEpoch, bad.RebalanceTimeoutMillis = next, "y", 0, 10000
	bad.SubscribedTopicNames, bad.Topics = []string{topic}, []kmsg.ConsumerGroupHeartbeatRequestTopic{}
	bad.ServerAssignor = kmsg.StringPtr("sticky")
	if r, err := bad.RequestWith(ktest.Ctx(t), cl); err != nil || r.ErrorCode != kerr.UnsupportedAssignor.Code {
		t.Fatalf("unknown assignor: %v %+v", err, r)
	}
	bad.ServerAssignor = nil
	bad.Topics = []kmsg.ConsumerGroupHeartbeatRequestTopic{{Partitions: []int32{0}}}
	if r, err := bad.RequestWith(ktest.Ctx(t), cl); err != nil || r.ErrorCode != kerr.InvalidRequest.Code {
		t.Fatalf("join with owned partitions: %v %+v", err, r)
	}
}

func errorsIs(err error, target *kerr.Error) bool {
	ke, ok := err.(*kerr.Error)
	if !ok {
		return false
	}
	return ke.Code == target.Code
}

// TestKIP848KilledMemberExpires: a member that vanishes without leaving
// is removed after group.consumer.session.timeout.ms and its partitions
// go to the other member.
func TestKIP848KilledMemberExpires(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "group.consumer.heartbeat.interval.ms=200", "group.consumer.session.timeout.ms=1500")
	topic := ktest.CreateTopic(t, b.Addr, 2)
	group := uniqueGroup(t)
	s := newSeen()
	a := startKgo(t, b.Addr, group, topic, "a", s, optIn848())
	c := startKgo(t, b.Addr, group, topic, "c", s, optIn848())
	waitFor(t, 15*time.Second, "a and c split", func() bool { return split(2, a, c) })
	start := time.Now()
	c.kill()
	waitFor(t, 15*time.Second, "a takes over the dead member's partition", func() bool { return split(2, a) })
	if el := time.Since(start); el < time.Second {
		t.Fatalf("the dead member was dropped after %v, before its 1.5s session timeout", el)
	}
	produce(t, b.Addr, topic, "x", 50)
	waitFor(t, 15*time.Second, "a consumes everything", func() bool { return s.count() == 50 })
}

// TestKIP848StaticMemberRestart: a static member (group.instance.id)
// that leaves with epoch -2 keeps its partitions reserved; the instance
// coming back under a new member id gets them again without the group
// moving to a new epoch. franz-go v1.22.3 sends its -2 leave without the
// instance id, which Kafka (and Strom) refuse as INVALID_REQUEST, so the
// test sends the leave as the Java client does.
func TestKIP848StaticMemberRestart(t *testing.T) {
	t.Parallel()
	b := startBroker(t, fast848...)
	topic := ktest.CreateTopic(t, b.Addr, 4)
	group := uniqueGroup(t)
	s := newSeen()
	a := startKgo(t, b.Addr, group, topic, "a", s, optIn848(), kgo.InstanceID("a-static"))
	c := startKgo(t, b.Addr, group, topic, "c", s, optIn848())
	waitFor(t, 15*time.Second, "a and c split", func() bool { return split(4, a, c) })
	waitFor(t, 10*time.Second, "the group is Stable", func() bool {
		st, _, _ := describe848(t, b.Addr, group)
		return st == "Stable"
	})
	had := a.parts()
	ds, err := ktest.Admin(t, b.Addr).DescribeConsumerGroups(ktest.Ctx(t), group)
	if err != nil {
		t.Fatal(err)
	}
	var memberID string
	for _, m := range ds[group].Members {
		if m.InstanceID != nil && *m.InstanceID == "a-static" {
			memberID = m.MemberID
		}
	}
	epoch := ds[group].Epoch
	a.stop()

	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	leave := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	leave.Group, leave.MemberID, leave.MemberEpoch, leave.InstanceID = group, memberID, -2, kmsg.StringPtr("a-static")
	if r, err := leave.RequestWith(ktest.Ctx(t), cl); err != nil || r.ErrorCode != 0 || r.MemberEpoch != -2 {
		t.Fatalf("static leave: %v %+v", err, r)
	}
	produce(t, b.Addr, topic, "away", 80)
	a2 := startKgo(t, b.Addr, group, topic, "a2", s, optIn848(), kgo.InstanceID("a-static"))
	waitFor(t, 15*time.Second, "80 consumed", func() bool { return s.count() == 80 })
	if got := a2.parts(); !maps.Equal(toSet32(got), toSet32(had)) {
		t.Fatalf("the static member came back with %v, had %v", got, had)
	}
	if _, e, n := describe848(t, b.Addr, group); e != epoch || n != 2 {
		t.Fatalf("group epoch %d -> %d, %d members: a static restart should not rebalance", epoch, e, n)
	}
	if d := s.dups(); len(d) > 0 {
		t.Fatalf("records consumed twice: %v", d)
	}
}

func toSet32(ps []int32) map[int32]bool {
	m := map[int32]bool{}
	for _, p := range ps {
		m[p] = true
	}
	return m
}
