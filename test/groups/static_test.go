package groups

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"strom/test/clients/ktest"
)

// staticView is what DescribeGroups shows of a group of static members:
// state, protocol and each instance id's assigned partitions.
func staticView(t *testing.T, addr, group, topic string) string {
	t.Helper()
	g := describe(t, addr, group)
	var ms []string
	for _, m := range g.Members {
		inst := "<none>"
		if m.InstanceID != nil {
			inst = *m.InstanceID
		}
		var ps []int32
		if a, ok := m.Assigned.AsConsumer(); ok {
			for _, at := range a.Topics {
				if at.Topic == topic {
					ps = append(ps, at.Partitions...)
				}
			}
		}
		slices.Sort(ps)
		ms = append(ms, fmt.Sprintf("%s=%v", inst, ps))
	}
	sort.Strings(ms)
	return fmt.Sprintf("%s/%s %s", g.State, g.Protocol, strings.Join(ms, " "))
}

// TestFranzStaticMembershipRestart: franz-go members with
// group.instance.id close without leaving (kgo never sends LeaveGroup
// for a static member) and restart within the session timeout. Each
// returning instance gets its old assignment back with no rebalance: the
// surviving member's generation does not move and DescribeGroups shows
// the same assignment per instance. Both members are restarted in turn,
// so the group leader is among them (KIP-814 SkipAssignment at
// JoinGroup v9). The restarted member resumes after its predecessor's
// commits: nothing is consumed twice. Finally the broker restarts: the
// reloaded group must know the new incarnations' member ids (else their
// commits are FENCED_INSTANCE_ID and never reach the end).
func TestFranzStaticMembershipRestart(t *testing.T) {
	t.Parallel()
	b := startBroker(t)
	topic := ktest.CreateTopic(t, b.Addr, 4)
	group := uniqueGroup(t)
	s := newSeen()
	member := func(inst, name string) *kgoMember {
		return startKgo(t, b.Addr, group, topic, name, s,
			kgo.InstanceID(inst),
			kgo.SessionTimeout(20*time.Second), // a restart well within it
			kgo.Balancers(kgo.RangeBalancer()))
	}
	ms := map[string]*kgoMember{"ia": member("ia", "a"), "ib": member("ib", "b")}
	waitFor(t, 20*time.Second, "a and b split 4 partitions", func() bool { return split(4, ms["ia"], ms["ib"]) })
	produce(t, b.Addr, topic, "one", 100)
	waitFor(t, 15*time.Second, "100 consumed", func() bool { return s.count() == 100 })

	view := staticView(t, b.Addr, group, topic)
	if !strings.HasPrefix(view, "Stable/range ia=") || !strings.Contains(view, " ib=") {
		t.Fatalf("describe before restarts: %s", view)
	}
	_, gen := ms["ia"].cl.GroupMetadata()

	for i, inst := range []string{"ib", "ia"} {
		other := map[string]string{"ia": "ib", "ib": "ia"}[inst]
		before := ms[inst].parts()
		ms[inst].stop() // Close: no LeaveGroup for a static member
		if got := staticView(t, b.Addr, group, topic); got != view {
			t.Fatalf("after %s closed the group changed: %s, was %s", inst, got, view)
		}
		ms[inst] = member(inst, fmt.Sprintf("%s-restarted-%d", inst, i))
		waitFor(t, 15*time.Second, inst+" back with its old partitions", func() bool {
			return slices.Equal(ms[inst].parts(), before)
		})
		if _, g := ms[inst].cl.GroupMetadata(); g != gen {
			t.Fatalf("restarted %s joined generation %d, want the unchanged %d", inst, g, gen)
		}
		if _, g := ms[other].cl.GroupMetadata(); g != gen {
			t.Fatalf("restarting %s moved the group from generation %d to %d (a rebalance)", inst, gen, g)
		}
		if got := staticView(t, b.Addr, group, topic); got != view {
			t.Fatalf("after %s restarted: %s, was %s", inst, got, view)
		}

		prefix := fmt.Sprintf("after-%s", inst)
		produce(t, b.Addr, topic, prefix, 40)
		want := 100 + 40*(i+1)
		waitFor(t, 15*time.Second, fmt.Sprintf("%d consumed", want), func() bool { return s.count() == want })
		if d := s.dups(); len(d) > 0 {
			t.Fatalf("records consumed twice across a static restart: %v", d)
		}
	}
	if _, g := ms["ia"].cl.GroupMetadata(); g != gen {
		t.Fatalf("generation moved from %d to %d", gen, g)
	}

	// The broker restarts: the group is reloaded from __consumer_offsets
	// with the restarted incarnations' member ids, so neither is fenced
	// and both keep consuming their partitions.
	b.Restart()
	produce(t, b.Addr, topic, "after-broker-restart", 40)
	waitFor(t, 20*time.Second, "220 consumed", func() bool { return s.count() == 220 })
	if d := s.dups(); len(d) > 0 {
		t.Fatalf("records consumed twice across a broker restart: %v", d)
	}
	for inst, m := range ms {
		if id, _ := m.cl.GroupMetadata(); id == "" {
			t.Fatalf("%s lost its membership after the broker restart", inst)
		}
	}
	ends := endOffsets(t, b.Addr, topic)
	waitFor(t, 10*time.Second, "committed offsets reach the end", func() bool {
		cm := committed(t, b.Addr, group, topic)
		for p, e := range ends {
			if cm[p] != e {
				return false
			}
		}
		return true
	})
}

// TestLibrdkafkaStaticMembershipRestart: two confluent_kafka consumers
// with group.instance.id; the one that joined second (not the leader)
// closes, which librdkafka does without LeaveGroup for a static member,
// and a new consumer with the same instance id takes its place: same
// partitions, no rebalance callback on the other member, the same
// assignment per instance in DescribeGroups, and no record consumed
// twice.
func TestLibrdkafkaStaticMembershipRestart(t *testing.T) {
	needPython(t, "confluent_kafka")
	t.Parallel()
	b := startBroker(t)
	topic := ktest.CreateTopic(t, b.Addr, 4)
	group := uniqueGroup(t)
	produce(t, b.Addr, topic, "one", 80)

	// The script pauses after the close and after the restart, printing
	// a line and waiting for one on stdin, so the test can describe the
	// group at those moments.
	ctl := startScript(t, 60*time.Second, "/usr/bin/python3", "librdkafka_static.py", b.Addr, topic, group)
	ctl.expect("SPLIT")
	view := staticView(t, b.Addr, group, topic)
	if !strings.HasPrefix(view, "Stable/range ia=") || !strings.Contains(view, " ib=") {
		t.Fatalf("describe before restart: %s", view)
	}
	ctl.send("go")
	ctl.expect("CLOSED")
	if got := staticView(t, b.Addr, group, topic); got != view {
		t.Fatalf("after b closed the group changed: %s, was %s", got, view)
	}
	ctl.send("go")
	ctl.expect("RESTARTED")
	if got := staticView(t, b.Addr, group, topic); got != view {
		t.Fatalf("after b restarted: %s, was %s", got, view)
	}
	ctl.send("go")
	produce(t, b.Addr, topic, "two", 40)

	var r struct {
		Rebalances map[string][]string `json:"rebalances"`
		Before     map[string][]int32  `json:"before"`
		After      map[string][]int32  `json:"after"`
		Consumed   [][]any             `json:"consumed"`
		Errors     []string            `json:"errors"`
	}
	lastJSON(t, ctl.wait(), &r)
	if len(r.Errors) > 0 {
		t.Errorf("client errors: %v", r.Errors)
	}
	if !slices.Equal(r.Before["b"], r.After["b2"]) || !slices.Equal(r.Before["a"], r.After["a"]) || len(r.Before["b"]) == 0 {
		t.Errorf("assignments before %v, after %v: the restarted instance should get b's", r.Before, r.After)
	}
	t.Logf("rebalance callbacks: %v", r.Rebalances)
	if ra := r.Rebalances["a_after_split"]; len(ra) != 0 {
		t.Errorf("a saw rebalance callbacks after the split, during b's restart: %v", ra)
	}
	vals := map[string]int{}
	for _, c := range r.Consumed {
		vals[c[1].(string)]++
	}
	for v, n := range vals {
		if n > 1 {
			t.Errorf("%s consumed %d times", v, n)
		}
	}
	if len(vals) != 120 {
		t.Errorf("consumed %d distinct records, want 120", len(vals))
	}
	cm := committed(t, b.Addr, group, topic)
	for p, e := range endOffsets(t, b.Addr, topic) {
		if cm[p] != e {
			t.Errorf("partition %d committed %d, end %d", p, cm[p], e)
		}
	}
}
