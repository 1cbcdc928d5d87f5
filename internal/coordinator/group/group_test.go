package group

import (
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

var t0 = time.Unix(1_700_000_000, 0)

func testRules() *Rules {
	n := 0
	return &Rules{
		MinSessionTimeout: time.Second, MaxSessionTimeout: time.Minute,
		NewMemberID: func(p string) string { n++; return fmt.Sprintf("%s-%d", p, n) },
	}
}

func joinReq(version int16, member string) *kmsg.JoinGroupRequest {
	r := kmsg.NewPtrJoinGroupRequest()
	r.Version, r.Group, r.MemberID = version, "g", member
	r.SessionTimeoutMillis, r.RebalanceTimeoutMillis = 10_000, 30_000
	r.ProtocolType = "consumer"
	r.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: []byte{1}}}
	return r
}

func only(t *testing.T, fx Effects, tok Token) kmsg.Response {
	t.Helper()
	for _, r := range fx.Replies {
		if r.Token == tok {
			return r.Resp
		}
	}
	t.Fatalf("no reply for token %d in %+v", tok, fx.Replies)
	return nil
}

func TestMemberIDRequiredOnlyFromV4(t *testing.T) {
	g := NewGroup("g", testRules(), t0)
	r := only(t, g.Join(t0, joinReq(4, ""), "c", "/h", 1), 1).(*kmsg.JoinGroupResponse)
	if r.ErrorCode != kerr.MemberIDRequired.Code || r.MemberID == "" {
		t.Fatalf("v4 first join: %+v", r)
	}
	g2 := NewGroup("g", testRules(), t0)
	r = only(t, g2.Join(t0, joinReq(3, ""), "c", "/h", 1), 1).(*kmsg.JoinGroupResponse)
	if r.ErrorCode != 0 || r.Generation != 1 || r.LeaderID != r.MemberID || len(r.Members) != 1 {
		t.Fatalf("v3 join must complete in one step: %+v", r)
	}
}

// A two-member rebalance: join, sync, a third arrives, leave, expiry.
func TestRebalanceLifecycle(t *testing.T) {
	g := NewGroup("g", testRules(), t0)
	a := only(t, g.Join(t0, joinReq(3, ""), "a", "/h", 1), 1).(*kmsg.JoinGroupResponse)
	sync := func(member string, gen int32, tok Token, assign bool) Effects {
		r := kmsg.NewPtrSyncGroupRequest()
		r.Group, r.MemberID, r.Generation = "g", member, gen
		if assign {
			for _, m := range g.Members() {
				r.GroupAssignment = append(r.GroupAssignment, kmsg.SyncGroupRequestGroupAssignment{MemberID: m.ID, MemberAssignment: []byte(m.ID)})
			}
		}
		return g.Sync(t0, r, tok)
	}
	fx := sync(a.MemberID, 1, 2, true)
	if !fx.Store || len(fx.AfterStore) != 1 || g.State() != Stable {
		t.Fatalf("leader sync: %+v state %s", fx, g.State())
	}

	// b joins: the group waits for a to rejoin (a learns from heartbeat).
	now := t0.Add(time.Second)
	fx = g.Join(now, joinReq(3, ""), "b", "/h", 3)
	if len(fx.Replies) != 0 || g.State() != PreparingRebalance {
		t.Fatalf("b must wait: %+v %s", fx.Replies, g.State())
	}
	hb := kmsg.NewPtrHeartbeatRequest()
	hb.Group, hb.MemberID, hb.Generation = "g", a.MemberID, 1
	if r := g.Heartbeat(now, hb); r.ErrorCode != kerr.RebalanceInProgress.Code {
		t.Fatalf("heartbeat during rebalance: %v", r.ErrorCode)
	}
	fx = g.Join(now, joinReq(3, a.MemberID), "a", "/h", 4)
	ra, rb := only(t, fx, 4).(*kmsg.JoinGroupResponse), only(t, fx, 3).(*kmsg.JoinGroupResponse)
	if ra.Generation != 2 || rb.Generation != 2 || ra.LeaderID != a.MemberID || len(ra.Members) != 2 || len(rb.Members) != 0 {
		t.Fatalf("gen 2: a %+v b %+v", ra, rb)
	}
	// Stale generation and unknown member.
	if r := only(t, sync(a.MemberID, 1, 5, false), 5).(*kmsg.SyncGroupResponse); r.ErrorCode != kerr.IllegalGeneration.Code {
		t.Fatalf("stale sync: %v", r.ErrorCode)
	}
	if r := only(t, sync("nobody", 2, 6, false), 6).(*kmsg.SyncGroupResponse); r.ErrorCode != kerr.UnknownMemberID.Code {
		t.Fatalf("unknown sync: %v", r.ErrorCode)
	}
	if fx := sync(rb.MemberID, 2, 7, false); len(fx.Replies) != 0 {
		t.Fatalf("follower sync must wait for the leader: %+v", fx)
	}
	fx = sync(a.MemberID, 2, 8, true)
	if len(fx.AfterStore) != 2 {
		t.Fatalf("both syncs answered after the store: %+v", fx)
	}
	for _, r := range fx.AfterStore {
		if sr := r.Resp.(*kmsg.SyncGroupResponse); sr.ErrorCode != 0 || len(sr.MemberAssignment) == 0 {
			t.Fatalf("sync answer: %+v", sr)
		}
	}

	// Commits: a member of the current generation yes, a stale one no,
	// a simple (generation -1) commit no while there are members.
	if c := g.CheckCommit(now, a.MemberID, nil, 2); c != 0 {
		t.Fatalf("commit: %v", c)
	}
	if c := g.CheckCommit(now, a.MemberID, nil, 1); c != kerr.IllegalGeneration.Code {
		t.Fatalf("stale commit: %v", c)
	}
	if c := g.CheckCommit(now, "", nil, -1); c != kerr.UnknownMemberID.Code {
		t.Fatalf("simple commit into a live group: %v", c)
	}

	// b stops heartbeating: at its session timeout it is removed and a
	// rebalance starts; a rejoins alone.
	d, ok := g.Deadline()
	if !ok || d.After(now.Add(10*time.Second)) {
		t.Fatalf("deadline %v %v", d, ok)
	}
	later := now.Add(11 * time.Second)
	hb.Generation = 2
	g.Heartbeat(now.Add(9*time.Second), hb) // a stays alive
	g.Tick(later)
	if g.State() != PreparingRebalance || g.NumMembers() != 1 {
		t.Fatalf("after b expired: %s, %d members", g.State(), g.NumMembers())
	}
	fx = g.Join(later, joinReq(3, a.MemberID), "a", "/h", 9)
	if r := only(t, fx, 9).(*kmsg.JoinGroupResponse); r.Generation != 3 || len(r.Members) != 1 {
		t.Fatalf("gen 3: %+v", r)
	}

	// a leaves: the group is Empty, stored, and accepts simple commits.
	lv := kmsg.NewPtrLeaveGroupRequest()
	lv.Version, lv.Group, lv.MemberID = 1, "g", a.MemberID
	resp, fx := g.Leave(later, lv)
	if resp.ErrorCode != 0 || g.State() != Empty || !fx.Store {
		t.Fatalf("leave: %v %s %+v", resp.ErrorCode, g.State(), fx)
	}
	if c := g.CheckCommit(later, "", nil, -1); c != 0 {
		t.Fatalf("simple commit into an empty group: %v", c)
	}
	if r := g.Heartbeat(later, hb); r.ErrorCode != kerr.UnknownMemberID.Code {
		t.Fatalf("heartbeat after leaving: %v", r.ErrorCode)
	}
}

func TestStaticMemberRejoinsWithoutRebalance(t *testing.T) {
	g := NewGroup("g", testRules(), t0)
	join := func(id, inst string, tok Token) Effects {
		r := joinReq(5, id)
		r.InstanceID = &inst
		return g.Join(t0, r, "c", "/h", tok)
	}
	l := only(t, join("", "i1", 1), 1).(*kmsg.JoinGroupResponse)
	f := join("", "i2", 2)
	_ = f
	// i2 joined while Completing: the group rebalances; both rejoin.
	fx := join(l.MemberID, "i1", 3)
	r2 := only(t, fx, 2).(*kmsg.JoinGroupResponse)
	r1 := only(t, fx, 3).(*kmsg.JoinGroupResponse)
	sr := kmsg.NewPtrSyncGroupRequest()
	sr.Group, sr.MemberID, sr.Generation = "g", r1.MemberID, r1.Generation
	g.Sync(t0, sr, 4)
	if g.State() != Stable {
		t.Fatalf("state %s", g.State())
	}
	gen := g.Generation()
	// i2 restarts (new process, no member id): same place, no rebalance;
	// the answer waits for the new member id to be stored.
	fx = join("", "i2", 5)
	r := storedReply(t, fx, 5).(*kmsg.JoinGroupResponse)
	if r.ErrorCode != 0 || g.State() != Stable || g.Generation() != gen || r.MemberID == r2.MemberID {
		t.Fatalf("static rejoin: %+v state %s gen %d", r, g.State(), g.Generation())
	}
	// The old incarnation is fenced.
	hb := kmsg.NewPtrHeartbeatRequest()
	i2 := "i2"
	hb.Group, hb.MemberID, hb.Generation, hb.InstanceID = "g", r2.MemberID, gen, &i2
	if resp := g.Heartbeat(t0, hb); resp.ErrorCode != kerr.FencedInstanceID.Code {
		t.Fatalf("old incarnation: %v", resp.ErrorCode)
	}
}

func TestInitialRebalanceDelay(t *testing.T) {
	rules := testRules()
	rules.InitialRebalance = 3 * time.Second
	g := NewGroup("g", rules, t0)
	if fx := g.Join(t0, joinReq(3, ""), "a", "/h", 1); len(fx.Replies) != 0 {
		t.Fatal("first join must wait for the initial delay")
	}
	g.Join(t0.Add(2*time.Second), joinReq(3, ""), "b", "/h", 2)
	// b arrived within the delay: the wait is extended once more.
	if fx := g.Tick(t0.Add(3 * time.Second)); len(fx.Replies) != 0 {
		t.Fatal("delay must extend when members keep arriving")
	}
	fx := g.Tick(t0.Add(6 * time.Second))
	if len(fx.Replies) != 2 || g.Generation() != 1 {
		t.Fatalf("both answered in one generation: %+v", fx.Replies)
	}
}

func TestRecordsRoundTrip(t *testing.T) {
	tp := TopicPartition{"t", 3}
	e, err := decodeEntry(offsetKey("g", tp), offsetValue(Offset{Offset: 42, LeaderEpoch: 7, Metadata: "m", CommitTime: 5}))
	if err != nil || e.group != "g" || e.tp != tp || e.offset.Offset != 42 || e.offset.LeaderEpoch != 7 || e.offset.Metadata != "m" {
		t.Fatalf("offset entry %+v %v", e, err)
	}
	g := NewGroup("g", testRules(), t0)
	g.Join(t0, joinReq(3, ""), "a", "/h", 1)
	e, err = decodeEntry(groupKey("g"), groupValue(g.Snapshot(t0)))
	if err != nil || !e.isMeta || e.meta.Generation != 1 || len(e.meta.Members) != 1 {
		t.Fatalf("group entry %+v %v", e, err)
	}
	e, err = decodeEntry(groupKey("g"), nil)
	if err != nil || e.meta != nil {
		t.Fatalf("tombstone %+v %v", e, err)
	}
}

// storedReply is the reply for tok that waits for the group's metadata
// to be stored.
func storedReply(t *testing.T, fx Effects, tok Token) kmsg.Response {
	t.Helper()
	if !fx.Store {
		t.Fatalf("effects do not store the group: %+v", fx)
	}
	for _, r := range fx.AfterStore {
		if r.Token == tok {
			return r.Resp
		}
	}
	t.Fatalf("no stored reply for token %d in %+v", tok, fx)
	return nil
}

// A restarted static member reports different protocol metadata (a
// KIP-429 client lists the partitions it owns, none after a restart). As
// in Kafka, only a change of the selected protocol rebalances; a
// returning leader at v9 is told to skip the assignment (KIP-814).
func TestStaticRejoinWithNewMetadataKeepsGeneration(t *testing.T) {
	g := NewGroup("g", testRules(), t0)
	join := func(version int16, id, inst string, meta byte, tok Token) Effects {
		r := joinReq(version, id)
		r.InstanceID = &inst
		r.Protocols[0].Metadata = []byte{meta}
		return g.Join(t0, r, "c", "/h", tok)
	}
	l := only(t, join(9, "", "i1", 1, 1), 1).(*kmsg.JoinGroupResponse)
	sr := kmsg.NewPtrSyncGroupRequest()
	sr.Group, sr.MemberID, sr.Generation = "g", l.MemberID, l.Generation
	g.Sync(t0, sr, 2)
	if g.State() != Stable {
		t.Fatalf("state %s", g.State())
	}
	gen := g.Generation()
	r := storedReply(t, join(9, "", "i1", 2, 3), 3).(*kmsg.JoinGroupResponse)
	if r.ErrorCode != 0 || !r.SkipAssignment || r.LeaderID != r.MemberID || g.State() != Stable || g.Generation() != gen {
		t.Fatalf("static leader rejoin with new metadata: %+v state %s gen %d (was %d)", r, g.State(), g.Generation(), gen)
	}
	// Preferring another protocol changes the selected one: a rebalance.
	rq := joinReq(9, "")
	i1 := "i1"
	rq.InstanceID = &i1
	rq.Protocols = append([]kmsg.JoinGroupRequestProtocol{{Name: "roundrobin"}}, rq.Protocols...)
	g.Join(t0, rq, "c", "/h", 4)
	if g.State() == Stable {
		t.Fatalf("a static member changing the selected protocol must rebalance")
	}
}
