package group

import (
	"fmt"
	"math/rand"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// fakeTopics is a TopicView over made-up topics.
type fakeTopics map[string]int32

func tid(name string) topicID {
	var id topicID
	copy(id[:], name)
	id[15] = 1
	return id
}

func (f fakeTopics) TopicByName(name string) (topicID, int32, bool) {
	n, ok := f[name]
	return tid(name), n, ok
}

func (f fakeTopics) TopicNames() []string {
	var out []string
	for n := range f {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func testConsumerRules() *ConsumerRules {
	return &ConsumerRules{HeartbeatInterval: time.Second, SessionTimeout: 10 * time.Second,
		NewMemberID: func(p string) string { return p + "-gen" }}
}

// client is one simulated KIP-848 member, following the protocol as a
// client does: it reports what it owns and drops revoked partitions.
type client848 struct {
	id    string
	epoch int32
	owned Assignment
	inst  *string
}

func hb(g *ConsumerGroup, now time.Time, c *client848, topics TopicView, subs ...string) *kmsg.ConsumerGroupHeartbeatResponse {
	req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	req.Version, req.Group, req.MemberID, req.MemberEpoch, req.InstanceID = 1, g.ID, c.id, c.epoch, c.inst
	req.RebalanceTimeoutMillis = 5000
	if subs != nil {
		req.SubscribedTopicNames = subs
	} else {
		req.SubscribedTopicNames = []string{"t"}
	}
	req.Topics = []kmsg.ConsumerGroupHeartbeatRequestTopic{}
	for _, id := range c.owned.sortedIDs() {
		req.Topics = append(req.Topics, kmsg.ConsumerGroupHeartbeatRequestTopic{TopicID: id, Partitions: c.owned[id]})
	}
	if c.epoch == 0 {
		req.Topics = []kmsg.ConsumerGroupHeartbeatRequestTopic{}
	}
	if code, msg := ValidateHeartbeat(req); code != 0 {
		panic(msg)
	}
	resp, _ := g.Heartbeat(now, req, Client{ID: c.id, Host: "/h"}, topics)
	if resp.ErrorCode == 0 {
		c.epoch = resp.MemberEpoch
		if resp.Assignment != nil {
			// The client gives up what is no longer assigned, and takes
			// what is.
			c.owned = Assignment{}
			for _, t := range resp.Assignment.Topics {
				c.owned[t.TopicID] = slices.Clone(t.Partitions)
			}
		}
	}
	return resp
}

// checkOwners: no partition is held by two members, and the owners
// table matches the members.
func checkOwners(t *testing.T, g *ConsumerGroup, cs ...*client848) {
	t.Helper()
	held := map[tpKey]string{}
	for _, c := range cs {
		c.owned.each(func(k tpKey) {
			if o, ok := held[k]; ok {
				t.Fatalf("partition %v consumed by %s and %s", k, o, c.id)
			}
			held[k] = c.id
		})
	}
	for _, m := range g.members {
		for _, a := range []Assignment{m.Assigned, m.Revoking} {
			a.each(func(k tpKey) {
				if g.owners[k] != m.ID {
					t.Fatalf("owners[%v] = %q, want %s", k, g.owners[k], m.ID)
				}
			})
		}
	}
}

func TestConsumerGroupRevocationBeforeReassignment(t *testing.T) {
	topics := fakeTopics{"t": 4}
	g := NewConsumerGroup("g", testConsumerRules())
	a := &client848{id: "a", owned: Assignment{}}
	b := &client848{id: "b", owned: Assignment{}}
	now := t0
	if r := hb(g, now, a, topics); r.ErrorCode != 0 || a.owned.count() != 4 || a.epoch != 1 {
		t.Fatalf("a joins: %+v owned %v", r, a.owned)
	}
	if g.State() != "Stable" {
		t.Fatalf("state %s", g.State())
	}
	// b joins: the target splits 2/2, but a still holds everything.
	hb(g, now, b, topics)
	if b.owned.count() != 0 || b.epoch != 2 {
		t.Fatalf("b got %v at epoch %d before a revoked", b.owned, b.epoch)
	}
	checkOwners(t, g, a, b)
	if g.State() != "Reconciling" {
		t.Fatalf("state %s", g.State())
	}
	// a heartbeats: told to keep 2 (epoch unchanged while it revokes).
	hb(g, now, a, topics)
	if a.owned.count() != 2 || a.epoch != 1 || g.members["a"].Revoking.count() != 2 {
		t.Fatalf("a after its revoke instruction: owned %v epoch %d", a.owned, a.epoch)
	}
	// b still waits: a has not confirmed.
	hb(g, now, b, topics)
	if b.owned.count() != 0 {
		t.Fatalf("b got partitions a has not released: %v", b.owned)
	}
	// a confirms (reports only its 2): it moves to epoch 2.
	hb(g, now, a, topics)
	if a.epoch != 2 || g.members["a"].Revoking.count() != 0 {
		t.Fatalf("a after confirming: epoch %d revoking %v", a.epoch, g.members["a"].Revoking)
	}
	hb(g, now, b, topics)
	if b.owned.count() != 2 {
		t.Fatalf("b after a released: %v", b.owned)
	}
	checkOwners(t, g, a, b)
	if g.State() != "Stable" {
		t.Fatalf("state %s", g.State())
	}

	// b leaves: a gets everything back at a new epoch.
	req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	req.Version, req.Group, req.MemberID, req.MemberEpoch = 1, "g", "b", -1
	if r, store := g.Heartbeat(now, req, Client{}, topics); r.ErrorCode != 0 || r.MemberEpoch != -1 || !store {
		t.Fatalf("leave: %+v", r)
	}
	hb(g, now, a, topics)
	if a.owned.count() != 4 || a.epoch != 3 {
		t.Fatalf("a after b left: %v epoch %d", a.owned, a.epoch)
	}
}

func TestConsumerGroupEpochErrorsAndExpiry(t *testing.T) {
	topics := fakeTopics{"t": 2}
	g := NewConsumerGroup("g", testConsumerRules())
	a := &client848{id: "a", owned: Assignment{}}
	hb(g, t0, a, topics)
	ahead := &client848{id: "a", epoch: a.epoch + 1, owned: a.owned}
	if r := hb(g, t0, ahead, topics); r.ErrorCode != kerr.FencedMemberEpoch.Code {
		t.Fatalf("epoch ahead: %d", r.ErrorCode)
	}
	if r := hb(g, t0, &client848{id: "nobody", epoch: 3, owned: Assignment{}}, topics); r.ErrorCode != kerr.UnknownMemberID.Code {
		t.Fatalf("unknown member: %d", r.ErrorCode)
	}
	// Commits: current epoch fine, newer stale, unknown member.
	parts := []tpKey{{tid("t"), 0}}
	if c := g.CheckCommit("a", a.epoch, 9, false, parts); c != 0 {
		t.Fatalf("commit: %d", c)
	}
	if c := g.CheckCommit("a", a.epoch+1, 9, false, parts); c != kerr.StaleMemberEpoch.Code {
		t.Fatalf("commit ahead: %d", c)
	}
	if c := g.CheckCommit("a", a.epoch, 8, false, parts); c != kerr.UnsupportedVersion.Code {
		t.Fatalf("commit v8: %d", c)
	}
	if c := g.CheckCommit("x", 1, 9, false, parts); c != kerr.UnknownMemberID.Code {
		t.Fatalf("commit unknown: %d", c)
	}
	// A second member bumps the epoch; a's commit at its older epoch is
	// still accepted for a partition it has held since then.
	b := &client848{id: "b", owned: Assignment{}}
	hb(g, t0, b, topics)
	hb(g, t0, a, topics)
	hb(g, t0, a, topics)
	if a.epoch != 2 {
		t.Fatalf("a epoch %d", a.epoch)
	}
	kept := []tpKey{}
	a.owned.each(func(k tpKey) { kept = append(kept, k) })
	if c := g.CheckCommit("a", 1, 9, false, kept); c != 0 {
		t.Fatalf("commit at the previous epoch for a kept partition: %d", c)
	}
	// Session expiry removes b and moves the group on.
	d, _ := g.Deadline()
	hb(g, d.Add(-time.Second), a, topics)
	if !g.Tick(d, topics) || g.members["b"] != nil || g.members["a"] == nil {
		t.Fatalf("b should have expired, a not")
	}
	hb(g, d, a, topics)
	hb(g, d, a, topics)
	if a.owned.count() != 2 {
		t.Fatalf("a after b expired: %v", a.owned)
	}
}

func TestConsumerGroupStaticLeaveAndRejoin(t *testing.T) {
	topics := fakeTopics{"t": 4}
	g := NewConsumerGroup("g", testConsumerRules())
	inst := "i1"
	a := &client848{id: "a1", owned: Assignment{}, inst: &inst}
	b := &client848{id: "b", owned: Assignment{}}
	hb(g, t0, a, topics)
	hb(g, t0, b, topics)
	for range 3 {
		hb(g, t0, a, topics)
		hb(g, t0, b, topics)
	}
	if a.owned.count() != 2 || b.owned.count() != 2 {
		t.Fatalf("split: a %v b %v", a.owned, b.owned)
	}
	epoch := g.Epoch()
	held := a.owned.clone()
	req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	req.Version, req.Group, req.MemberID, req.MemberEpoch, req.InstanceID = 1, "g", "a1", -2, &inst
	if r, _ := g.Heartbeat(t0, req, Client{}, topics); r.ErrorCode != 0 || r.MemberEpoch != -2 {
		t.Fatalf("static leave: %+v", r)
	}
	if g.Epoch() != epoch {
		t.Fatalf("a static leave must not move the epoch")
	}
	hb(g, t0, b, topics)
	if b.owned.count() != 2 {
		t.Fatalf("b must not get the absent static member's partitions: %v", b.owned)
	}
	// The same instance under another live member id is refused while
	// the first is in the group and has not left.
	a2 := &client848{id: "a2", owned: Assignment{}, inst: &inst}
	if r := hb(g, t0, a2, topics); r.ErrorCode != 0 || !sameAssignment(a2.owned, held) || g.Epoch() != epoch {
		t.Fatalf("rejoin: %d owned %v (want %v), epoch %d", r.ErrorCode, a2.owned, held, g.Epoch())
	}
	a3 := &client848{id: "a3", owned: Assignment{}, inst: &inst}
	if r := hb(g, t0, a3, topics); r.ErrorCode != kerr.UnreleasedInstanceID.Code {
		t.Fatalf("second instance: %d", r.ErrorCode)
	}
}

func TestConsumerGroupSnapshotRoundTrip(t *testing.T) {
	topics := fakeTopics{"t": 3}
	g := NewConsumerGroup("g", testConsumerRules())
	a := &client848{id: "a", owned: Assignment{}}
	b := &client848{id: "b", owned: Assignment{}}
	hb(g, t0, a, topics)
	hb(g, t0, b, topics)
	hb(g, t0, a, topics) // a is now revoking
	r, err := RestoreConsumerGroup("g", g.Snapshot(), testConsumerRules(), t0)
	if err != nil {
		t.Fatal(err)
	}
	if string(r.Snapshot()) != string(g.Snapshot()) {
		t.Fatalf("round trip:\n%s\n%s", g.Snapshot(), r.Snapshot())
	}
	// The restored group carries on where the old one was.
	hb(r, t0, a, topics)
	hb(r, t0, b, topics)
	checkOwners(t, r, a, b)
	if a.owned.count()+b.owned.count() != 3 {
		t.Fatalf("after restore: a %v b %v", a.owned, b.owned)
	}
}

// TestConsumerGroupChurnNeverDoubleAssigns runs random joins, leaves,
// heartbeats and expiries, checking after every step that no partition
// is consumed by two members, and that the group settles to cover every
// partition.
func TestConsumerGroupChurnNeverDoubleAssigns(t *testing.T) {
	for seed := int64(1); seed <= 30; seed++ {
		rng := rand.New(rand.NewSource(seed))
		topics := fakeTopics{"t": int32(1 + rng.Intn(12))}
		g := NewConsumerGroup("g", testConsumerRules())
		var live []*client848
		now := t0
		n := 0
		for step := 0; step < 300; step++ {
			now = now.Add(100 * time.Millisecond)
			switch x := rng.Intn(10); {
			case x == 0 && len(live) < 6:
				n++
				c := &client848{id: fmt.Sprintf("m%d", n), owned: Assignment{}}
				hb(g, now, c, topics)
				live = append(live, c)
			case x == 1 && len(live) > 0:
				i := rng.Intn(len(live))
				req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
				req.Version, req.Group, req.MemberID, req.MemberEpoch = 1, "g", live[i].id, -1
				g.Heartbeat(now, req, Client{}, topics)
				live = slices.Delete(live, i, i+1)
			case len(live) > 0:
				c := live[rng.Intn(len(live))]
				if r := hb(g, now, c, topics); r.ErrorCode != 0 {
					t.Fatalf("seed %d: heartbeat of %s: %d", seed, c.id, r.ErrorCode)
				}
			}
			checkOwners(t, g, live...)
		}
		for range 5 {
			for _, c := range live {
				hb(g, now, c, topics)
			}
		}
		total := 0
		for _, c := range live {
			total += c.owned.count()
		}
		if len(live) > 0 && total != int(topics["t"]) {
			t.Fatalf("seed %d: settled with %d of %d partitions", seed, total, topics["t"])
		}
		if len(live) > 0 && g.State() != "Stable" {
			t.Fatalf("seed %d: state %s", seed, g.State())
		}
	}
}

// TestAssignorsProperties checks both assignors against what a naive
// count says: every partition of a subscribed topic assigned exactly
// once and only to a subscriber; uniform with equal subscriptions is
// balanced within one and sticky when a member leaves.
func TestAssignorsProperties(t *testing.T) {
	for seed := int64(1); seed <= 200; seed++ {
		rng := rand.New(rand.NewSource(seed))
		topics := fakeTopics{}
		names := []string{"a", "b", "c", "d"}[:1+rng.Intn(4)]
		for _, n := range names {
			topics[n] = int32(rng.Intn(9))
		}
		homogeneous := rng.Intn(2) == 0
		var ms []AssignorMember
		for i := 0; i < 1+rng.Intn(6); i++ {
			m := AssignorMember{ID: fmt.Sprintf("m%d", i)}
			for _, n := range names {
				if homogeneous || rng.Intn(2) == 0 {
					m.Topics = append(m.Topics, n)
				}
			}
			ms = append(ms, m)
		}
		for _, assignor := range Assignors {
			out := Assign(assignor, ms, topics)
			owner := map[tpKey]string{}
			for _, m := range ms {
				out[m.ID].each(func(k tpKey) {
					if o, ok := owner[k]; ok {
						t.Fatalf("seed %d %s: %v to %s and %s", seed, assignor, k, o, m.ID)
					}
					owner[k] = m.ID
				})
			}
			for _, n := range names {
				subscribed := slices.ContainsFunc(ms, func(m AssignorMember) bool { return slices.Contains(m.Topics, n) })
				for p := int32(0); p < topics[n]; p++ {
					o, ok := owner[tpKey{tid(n), p}]
					if subscribed != ok {
						t.Fatalf("seed %d %s: %s-%d assigned=%v subscribed=%v", seed, assignor, n, p, ok, subscribed)
					}
					if ok {
						i := slices.IndexFunc(ms, func(m AssignorMember) bool { return m.ID == o })
						if !slices.Contains(ms[i].Topics, n) {
							t.Fatalf("seed %d %s: %s-%d to %s, not subscribed", seed, assignor, n, p, o)
						}
					}
				}
			}
			if assignor != "uniform" || !homogeneous {
				continue
			}
			lo, hi := 1<<30, -1
			for _, m := range ms {
				lo, hi = min(lo, out[m.ID].count()), max(hi, out[m.ID].count())
			}
			if hi-lo > 1 {
				t.Fatalf("seed %d: uniform unbalanced %d..%d", seed, lo, hi)
			}
			// Sticky: the same input gives the same output; after a
			// member leaves, the others keep everything they had.
			for i := range ms {
				ms[i].Current = out[ms[i].ID]
			}
			again := Assign(assignor, ms, topics)
			for _, m := range ms {
				if !sameAssignment(again[m.ID], out[m.ID]) {
					t.Fatalf("seed %d: uniform not stable for %s", seed, m.ID)
				}
			}
			if len(ms) > 1 {
				rest := ms[1:]
				after := Assign(assignor, rest, topics)
				for _, m := range rest {
					out[m.ID].each(func(k tpKey) {
						if !after[m.ID].has(k) {
							t.Fatalf("seed %d: %s lost %v when another member left", seed, m.ID, k)
						}
					})
				}
			}
		}
	}
}

// FuzzConsumerRecord: the consumer group record decoder, fed from disk,
// never panics, and what it accepts re-encodes to a record that decodes
// to the same group.
func FuzzConsumerRecord(f *testing.F) {
	topics := fakeTopics{"t": 3}
	g := NewConsumerGroup("g", testConsumerRules())
	hb(g, t0, &client848{id: "a", owned: Assignment{}}, topics)
	hb(g, t0, &client848{id: "b", owned: Assignment{}}, topics)
	f.Add(consumerKey("g"), g.Snapshot())
	f.Add([]byte{0x07, 0x38, 0, 1}, []byte{0, 0, '{', '}'})
	f.Fuzz(func(t *testing.T, key, value []byte) {
		id, err := decodeConsumerKey(key)
		if err != nil {
			return
		}
		r, err := RestoreConsumerGroup(id, value, testConsumerRules(), t0)
		if err != nil {
			return
		}
		again, err := RestoreConsumerGroup(id, r.Snapshot(), testConsumerRules(), t0)
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if string(again.Snapshot()) != string(r.Snapshot()) {
			t.Fatalf("round trip differs")
		}
	})
}
