package group

// The KIP-848 consumer group: the broker computes the assignment and
// each member reconciles towards it through ConsumerGroupHeartbeat.
//
// Vocabulary, as in Kafka's GroupMetadataManager:
//   - group epoch: bumped whenever membership, a subscription, the
//     chosen assignor or the metadata of a subscribed topic changes;
//   - target assignment (and its epoch): what the server-side assignor
//     computed for the group epoch; computed at once when the epoch
//     moves, so the assignment epoch trails the group epoch only inside
//     one step;
//   - member epoch: the target epoch the member has reconciled to;
//   - a member's current assignment (Assigned), the partitions it must
//     give up (Revoking) and the partition owners: a partition is handed
//     to its new owner only once no other member holds it, either
//     assigned or pending revocation (Kafka's partition epochs).
//
// ConsumerGroup is pure: no goroutines, clock or I/O; time comes in as
// an argument and the topic metadata as a TopicView.

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

type topicID = [16]byte

// tpKey names one partition by topic id.
type tpKey struct {
	id topicID
	p  int32
}

// Assignment is partitions by topic id; partition lists are sorted.
type Assignment map[topicID][]int32

func (a Assignment) has(k tpKey) bool { return slices.Contains(a[k.id], k.p) }

func (a Assignment) count() int {
	n := 0
	for _, ps := range a {
		n += len(ps)
	}
	return n
}

func (a Assignment) clone() Assignment {
	out := Assignment{}
	for id, ps := range a {
		if len(ps) > 0 {
			out[id] = slices.Clone(ps)
		}
	}
	return out
}

func (a Assignment) add(k tpKey) {
	if !a.has(k) {
		a[k.id] = append(a[k.id], k.p)
		slices.Sort(a[k.id])
	}
}

func (a Assignment) each(fn func(k tpKey)) {
	for id, ps := range a {
		for _, p := range ps {
			fn(tpKey{id, p})
		}
	}
}

func sameAssignment(a, b Assignment) bool {
	if a.count() != b.count() {
		return false
	}
	for id, ps := range a {
		if len(ps) > 0 && !slices.Equal(ps, b[id]) {
			return false
		}
	}
	return true
}

// sortedIDs returns the topic ids in byte order, for deterministic output.
func (a Assignment) sortedIDs() []topicID {
	ids := make([]topicID, 0, len(a))
	for id, ps := range a {
		if len(ps) > 0 {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(x, y topicID) int { return bytes.Compare(x[:], y[:]) })
	return ids
}

// TopicView is the topic metadata a consumer group resolves
// subscriptions against (the driver adapts the metadata image).
type TopicView interface {
	TopicByName(name string) (id topicID, partitions int32, ok bool)
	TopicNames() []string
}

// ConsumerRules are the broker settings for KIP-848 groups.
type ConsumerRules struct {
	HeartbeatInterval time.Duration // group.consumer.heartbeat.interval.ms (5000)
	SessionTimeout    time.Duration // group.consumer.session.timeout.ms (45000)
	MaxSize           int           // group.consumer.max.size; 0 = unlimited
	NewMemberID       func(prefix string) string
}

// Assignors are the server-side assignors, the first being the default
// (group.consumer.assignors).
var Assignors = []string{"uniform", "range"}

type memberState int8

const (
	memberStable     memberState = iota // reconciled to the target epoch
	memberUnrevoked                     // must revoke partitions before moving on
	memberUnreleased                    // waits for partitions other members still hold
)

func (s memberState) String() string {
	switch s {
	case memberUnrevoked:
		return "unrevoked_partitions"
	case memberUnreleased:
		return "unreleased_partitions"
	default:
		return "stable"
	}
}

// leftStaticEpoch is the member epoch of a static member that left
// with epoch -2: it keeps its partitions until its session expires or
// its instance rejoins.
const leftStaticEpoch = -2

// ConsumerMember is one member of a consumer group.
type ConsumerMember struct {
	ID               string
	InstanceID       *string
	RackID           *string
	ClientID         string
	ClientHost       string
	Epoch            int32
	PrevEpoch        int32
	RebalanceTimeout time.Duration
	Topics           []string // subscribed topic names, sorted
	Regex            *string  // subscribed regular expression (v1+)
	Assignor         string   // requested server assignor, "" for none
	Assigned         Assignment
	Revoking         Assignment
	Target           Assignment

	state memberState
	// since holds, for every partition in Assigned or Revoking, the
	// member epoch at which the member got it. A commit carrying an
	// older epoch is accepted for partitions held since then
	// (KIP-1251), so that a commit racing an epoch bump is not refused.
	since    map[tpKey]int32
	deadline time.Time // session expiry
	revokeBy time.Time // rebalance timeout while revoking; zero otherwise
	re       *regexp.Regexp
}

// State is the member's reconciliation state, named as Kafka names it.
func (m *ConsumerMember) State() string { return m.state.String() }

// ConsumerGroup is the pure state machine of one KIP-848 group.
type ConsumerGroup struct {
	ID          string
	epoch       int32
	assignEpoch int32
	assignor    string // the assignor of the current target assignment
	subMeta     string // signature of the subscribed topics at the last epoch bump
	members     map[string]*ConsumerMember
	static      map[string]string // group.instance.id -> member id
	owners      map[tpKey]string  // partition -> member holding it (assigned or revoking)
	dead        bool
	rules       *ConsumerRules
}

// NewConsumerGroup returns an empty consumer group.
func NewConsumerGroup(id string, rules *ConsumerRules) *ConsumerGroup {
	return &ConsumerGroup{
		ID: id, rules: rules,
		members: map[string]*ConsumerMember{}, static: map[string]string{}, owners: map[tpKey]string{},
	}
}

func (g *ConsumerGroup) Epoch() int32                     { return g.epoch }
func (g *ConsumerGroup) AssignmentEpoch() int32           { return g.assignEpoch }
func (g *ConsumerGroup) AssignorName() string             { return g.assignor }
func (g *ConsumerGroup) NumMembers() int                  { return len(g.members) }
func (g *ConsumerGroup) Member(id string) *ConsumerMember { return g.members[id] }

// Members returns the members sorted by id.
func (g *ConsumerGroup) Members() []*ConsumerMember {
	out := make([]*ConsumerMember, 0, len(g.members))
	for _, m := range g.members {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// State is the group state as Kafka names it: Empty, Assigning,
// Reconciling, Stable (Dead once deleted).
func (g *ConsumerGroup) State() string {
	switch {
	case g.dead:
		return "Dead"
	case len(g.members) == 0:
		return "Empty"
	case g.epoch != g.assignEpoch:
		return "Assigning"
	}
	for _, m := range g.members {
		if m.Epoch != leftStaticEpoch && (m.Epoch != g.assignEpoch || m.state != memberStable) {
			return "Reconciling"
		}
	}
	return "Stable"
}

// MarkDead is used when the group is deleted.
func (g *ConsumerGroup) MarkDead() { g.dead = true }

// SubscribedTopics are the topics some member subscribes to (by name
// or through its regular expression).
func (g *ConsumerGroup) SubscribedTopics(topics TopicView) map[string]bool {
	out := map[string]bool{}
	for _, m := range g.members {
		for _, t := range m.subscribed(topics) {
			out[t] = true
		}
	}
	return out
}

func (m *ConsumerMember) subscribed(topics TopicView) []string {
	if m.re == nil {
		return m.Topics
	}
	out := slices.Clone(m.Topics)
	for _, t := range topics.TopicNames() {
		if m.re.MatchString(t) && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

// compileRegex compiles a subscription as Kafka matches it: against
// the whole topic name.
func compileRegex(s string) (*regexp.Regexp, error) {
	return regexp.Compile("^(?:" + s + ")$")
}

// ValidateHeartbeat applies Kafka's request checks
// (throwIfConsumerGroupHeartbeatRequestIsInvalid); 0 when valid.
func ValidateHeartbeat(req *kmsg.ConsumerGroupHeartbeatRequest) (int16, string) {
	bad := func(msg string) (int16, string) { return kerr.InvalidRequest.Code, msg }
	switch {
	case req.Group == "":
		return bad("GroupId can't be empty.")
	case req.InstanceID != nil && *req.InstanceID == "":
		return bad("InstanceId can't be empty.")
	case req.RackID != nil && *req.RackID == "":
		return bad("RackId can't be empty.")
	case req.Version >= 1 && req.MemberID == "":
		return bad("MemberId can't be empty.")
	case req.Version == 0 && req.MemberEpoch != 0 && req.MemberID == "":
		return bad("MemberId can't be empty.")
	case req.MemberEpoch < -2:
		return bad("MemberEpoch is invalid.")
	case req.MemberEpoch == leftStaticEpoch && req.InstanceID == nil:
		return bad("InstanceId can't be null.")
	}
	if req.MemberEpoch == 0 {
		switch {
		case req.RebalanceTimeoutMillis == -1:
			return bad("RebalanceTimeoutMs must be provided in first request.")
		case req.Topics == nil || len(req.Topics) > 0:
			return bad("TopicPartitions must be empty when (re-)joining.")
		case req.SubscribedTopicNames == nil && req.SubscribedTopicRegex == nil:
			return bad("Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.")
		}
	}
	if req.ServerAssignor != nil && !slices.Contains(Assignors, *req.ServerAssignor) {
		return kerr.UnsupportedAssignor.Code, "ServerAssignor " + *req.ServerAssignor + " is not supported. Supported assignors: " + strings.Join(Assignors, ", ") + "."
	}
	if req.SubscribedTopicRegex != nil {
		if _, err := compileRegex(*req.SubscribedTopicRegex); err != nil {
			return kerr.InvalidRegularExpression.Code, err.Error()
		}
	}
	return 0, ""
}

// Heartbeat serves one ConsumerGroupHeartbeat (already validated with
// ValidateHeartbeat). store reports that the group changed in a way
// that must be persisted before the response is sent.
func (g *ConsumerGroup) Heartbeat(now time.Time, req *kmsg.ConsumerGroupHeartbeatRequest, client Client, topics TopicView) (resp *kmsg.ConsumerGroupHeartbeatResponse, store bool) {
	resp = req.ResponseKind().(*kmsg.ConsumerGroupHeartbeatResponse)
	resp.HeartbeatIntervalMillis = int32(g.rules.HeartbeatInterval / time.Millisecond)
	fail := func(code int16, msg string) (*kmsg.ConsumerGroupHeartbeatResponse, bool) {
		resp.ErrorCode = code
		if msg != "" {
			resp.ErrorMessage = &msg
		}
		return resp, store
	}
	if g.dead {
		return fail(kerr.CoordinatorNotAvailable.Code, "")
	}
	switch req.MemberEpoch {
	case -1, leftStaticEpoch:
		return g.leave(now, req, resp, topics)
	}

	var m *ConsumerMember
	newMember := false
	if req.MemberEpoch == 0 {
		id := req.MemberID
		if id == "" { // v0: the coordinator names the member
			id = g.rules.NewMemberID(client.ID)
		}
		m = g.members[id]
		if req.InstanceID != nil {
			if old, ok := g.static[*req.InstanceID]; ok && old != id {
				om := g.members[old]
				if om != nil && om.Epoch != leftStaticEpoch {
					return fail(kerr.UnreleasedInstanceID.Code, fmt.Sprintf("Static member %s with instance id %s cannot join the group because the instance id is owned by member %s.", id, *req.InstanceID, old))
				}
				if om != nil {
					// The returning instance takes the place of the one
					// that left with epoch -2: same partitions, new id.
					m = g.replaceStatic(om, id)
				}
			}
		}
		if m == nil {
			if g.rules.MaxSize > 0 && len(g.members) >= g.rules.MaxSize {
				return fail(kerr.GroupMaxSizeReached.Code, fmt.Sprintf("The consumer group has reached its maximum capacity of %d members.", g.rules.MaxSize))
			}
			m = &ConsumerMember{ID: id, Assigned: Assignment{}, Revoking: Assignment{}, Target: Assignment{}, since: map[tpKey]int32{}}
			newMember = true
			g.members[id] = m
			store = true
		}
		if req.InstanceID != nil {
			m.InstanceID = req.InstanceID
			g.static[*req.InstanceID] = id
		}
		if m.Epoch == leftStaticEpoch {
			m.Epoch = 0
		}
	} else {
		m = g.members[req.MemberID]
		if m == nil {
			if req.InstanceID != nil {
				if owner, ok := g.static[*req.InstanceID]; ok && owner != req.MemberID {
					return fail(kerr.FencedInstanceID.Code, "")
				}
			}
			return fail(kerr.UnknownMemberID.Code, fmt.Sprintf("Member %s is not a member of group %s.", req.MemberID, g.ID))
		}
		if m.InstanceID != nil && req.InstanceID != nil && *m.InstanceID != *req.InstanceID {
			return fail(kerr.FencedInstanceID.Code, "")
		}
		if code, msg := m.checkEpoch(req.MemberEpoch, req.Topics); code != 0 {
			return fail(code, msg)
		}
	}

	// Update the member from the request; null fields mean unchanged.
	m.ClientID, m.ClientHost = client.ID, client.Host
	m.deadline = now.Add(g.rules.SessionTimeout)
	if req.RackID != nil && (m.RackID == nil || *m.RackID != *req.RackID) {
		m.RackID = req.RackID
		store = true
	}
	if req.RebalanceTimeoutMillis > 0 {
		if d := time.Duration(req.RebalanceTimeoutMillis) * time.Millisecond; d != m.RebalanceTimeout {
			m.RebalanceTimeout = d
			store = true
		}
	}
	subChanged := newMember
	if req.SubscribedTopicNames != nil {
		ts := slices.Clone(req.SubscribedTopicNames)
		sort.Strings(ts)
		ts = slices.Compact(ts)
		if !slices.Equal(ts, m.Topics) {
			m.Topics = ts
			subChanged = true
		}
	}
	if req.SubscribedTopicRegex != nil && (m.Regex == nil || *m.Regex != *req.SubscribedTopicRegex) {
		re, _ := compileRegex(*req.SubscribedTopicRegex) // validated
		m.Regex, m.re = req.SubscribedTopicRegex, re
		subChanged = true
	}
	if req.ServerAssignor != nil && *req.ServerAssignor != m.Assignor {
		m.Assignor = *req.ServerAssignor
		subChanged = true
	}

	// A new epoch when membership or subscriptions changed, or when the
	// subscribed topics changed under the group (created, deleted,
	// partitions added).
	meta := g.metaSignature(topics)
	if subChanged || meta != g.subMeta {
		g.bump(topics)
		store = true
	}

	oldEpoch, oldState := m.Epoch, m.state
	oldAssigned, oldRevoking := m.Assigned, m.Revoking
	g.reconcile(now, m, req.Topics, subChanged)
	changed := !sameAssignment(oldAssigned, m.Assigned) || !sameAssignment(oldRevoking, m.Revoking)
	if changed || m.Epoch != oldEpoch || m.state != oldState {
		store = true
	}

	resp.MemberID = &m.ID
	resp.MemberEpoch = m.Epoch
	full := req.RebalanceTimeoutMillis != -1 && (req.SubscribedTopicNames != nil || req.SubscribedTopicRegex != nil) && req.Topics != nil
	if req.MemberEpoch == 0 || full || !sameAssignment(oldAssigned, m.Assigned) {
		resp.Assignment = responseAssignment(m.Assigned)
	}
	return resp, store
}

func responseAssignment(a Assignment) *kmsg.ConsumerGroupHeartbeatResponseAssignment {
	out := &kmsg.ConsumerGroupHeartbeatResponseAssignment{Topics: []kmsg.ConsumerGroupHeartbeatResponseAssignmentTopic{}}
	for _, id := range a.sortedIDs() {
		t := kmsg.NewConsumerGroupHeartbeatResponseAssignmentTopic()
		t.TopicID = id
		t.Partitions = slices.Clone(a[id])
		out.Topics = append(out.Topics, t)
	}
	return out
}

// checkEpoch is Kafka's throwIfMemberEpochIsInvalid: a member ahead of
// the coordinator, or behind it by more than a lost response, is fenced.
func (m *ConsumerMember) checkEpoch(got int32, owned []kmsg.ConsumerGroupHeartbeatRequestTopic) (int16, string) {
	if got > m.Epoch {
		return kerr.FencedMemberEpoch.Code, fmt.Sprintf("The consumer group member has a greater member epoch (%d) than the one known by the group coordinator (%d). The member must abandon all its partitions and rejoin.", got, m.Epoch)
	}
	if got < m.Epoch {
		// The response that bumped the epoch may have been lost: the
		// previous epoch is accepted if the member owns no more than
		// its current assignment.
		if got != m.PrevEpoch || owned == nil || !subsetOf(owned, m.Assigned) {
			return kerr.FencedMemberEpoch.Code, fmt.Sprintf("The consumer group member has a smaller member epoch (%d) than the one known by the group coordinator (%d). The member must abandon all its partitions and rejoin.", got, m.Epoch)
		}
	}
	return 0, ""
}

func subsetOf(owned []kmsg.ConsumerGroupHeartbeatRequestTopic, a Assignment) bool {
	for _, t := range owned {
		for _, p := range t.Partitions {
			if !a.has(tpKey{t.TopicID, p}) {
				return false
			}
		}
	}
	return true
}

// ownsAny reports whether the owned partitions a member reported include
// any of set. A keepalive (owned nil) reports nothing new: the member
// is taken to still hold them.
func ownsAny(owned []kmsg.ConsumerGroupHeartbeatRequestTopic, set Assignment) bool {
	if owned == nil {
		return set.count() > 0
	}
	for _, t := range owned {
		for _, p := range t.Partitions {
			if set.has(tpKey{t.TopicID, p}) {
				return true
			}
		}
	}
	return false
}

func (g *ConsumerGroup) replaceStatic(old *ConsumerMember, id string) *ConsumerMember {
	m := *old
	m.ID = id
	m.Epoch = 0
	m.since = map[tpKey]int32{}
	for k, e := range old.since {
		m.since[k] = e
	}
	delete(g.members, old.ID)
	g.members[id] = &m
	for k, owner := range g.owners {
		if owner == old.ID {
			g.owners[k] = id
		}
	}
	return &m
}

// leave handles epoch -1 (leave) and -2 (a static member leaving for
// now, keeping its partitions until its session expires).
func (g *ConsumerGroup) leave(now time.Time, req *kmsg.ConsumerGroupHeartbeatRequest, resp *kmsg.ConsumerGroupHeartbeatResponse, topics TopicView) (*kmsg.ConsumerGroupHeartbeatResponse, bool) {
	m := g.members[req.MemberID]
	if m == nil && req.InstanceID != nil {
		if id, ok := g.static[*req.InstanceID]; ok {
			if req.MemberID != "" && id != req.MemberID {
				resp.ErrorCode = kerr.FencedInstanceID.Code
				return resp, false
			}
			m = g.members[id]
		}
	}
	if m == nil {
		resp.ErrorCode = kerr.UnknownMemberID.Code
		msg := fmt.Sprintf("Member %s is not a member of group %s.", req.MemberID, g.ID)
		resp.ErrorMessage = &msg
		return resp, false
	}
	resp.MemberID = &req.MemberID
	resp.MemberEpoch = req.MemberEpoch
	if req.MemberEpoch == leftStaticEpoch && m.InstanceID != nil {
		// Its partitions stay reserved: no new epoch, nothing moves.
		g.releaseRevoking(m)
		m.Epoch = leftStaticEpoch
		m.state = memberStable
		m.revokeBy = time.Time{}
		m.deadline = now.Add(g.rules.SessionTimeout)
		return resp, true
	}
	g.remove(m, topics)
	return resp, true
}

// remove fences a member: its partitions are released and the group
// moves to a new epoch.
func (g *ConsumerGroup) remove(m *ConsumerMember, topics TopicView) {
	g.disown(m)
	delete(g.members, m.ID)
	if m.InstanceID != nil && g.static[*m.InstanceID] == m.ID {
		delete(g.static, *m.InstanceID)
	}
	g.bump(topics)
}

func (g *ConsumerGroup) disown(m *ConsumerMember) {
	for k, owner := range g.owners {
		if owner == m.ID {
			delete(g.owners, k)
		}
	}
}

func (g *ConsumerGroup) releaseRevoking(m *ConsumerMember) {
	m.Revoking.each(func(k tpKey) {
		if g.owners[k] == m.ID {
			delete(g.owners, k)
		}
		delete(m.since, k)
	})
	m.Revoking = Assignment{}
}

// metaSignature describes the subscribed topics (name, id, partition
// count); a change means the target assignment must be recomputed.
func (g *ConsumerGroup) metaSignature(topics TopicView) string {
	var b strings.Builder
	for _, t := range sortedKeys(g.SubscribedTopics(topics)) {
		if id, n, ok := topics.TopicByName(t); ok {
			fmt.Fprintf(&b, "%s/%x/%d;", t, id, n)
		}
	}
	return b.String()
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// bump moves the group to a new epoch and computes its target assignment.
func (g *ConsumerGroup) bump(topics TopicView) {
	g.epoch++
	g.subMeta = g.metaSignature(topics)
	g.assignor = g.preferredAssignor()
	var ms []AssignorMember
	for _, m := range g.Members() {
		ms = append(ms, AssignorMember{ID: m.ID, InstanceID: m.InstanceID, Topics: m.subscribed(topics), Current: m.Target})
	}
	targets := Assign(g.assignor, ms, topics)
	for _, m := range g.members {
		m.Target = targets[m.ID]
		if m.Target == nil {
			m.Target = Assignment{}
		}
	}
	g.assignEpoch = g.epoch
}

// preferredAssignor is the assignor most members ask for; the default
// when none asks (Kafka's ConsumerGroup.computePreferredServerAssignor).
func (g *ConsumerGroup) preferredAssignor() string {
	votes := map[string]int{}
	for _, m := range g.members {
		if m.Assignor != "" {
			votes[m.Assignor]++
		}
	}
	best := Assignors[0]
	for _, a := range Assignors {
		if votes[a] > votes[best] {
			best = a
		}
	}
	return best
}

// reconcile is Kafka's CurrentAssignmentBuilder: it moves the member
// towards its target assignment as far as revocations allow. owned is
// what the member reported holding (nil for a keepalive).
func (g *ConsumerGroup) reconcile(now time.Time, m *ConsumerMember, owned []kmsg.ConsumerGroupHeartbeatRequestTopic, subChanged bool) {
	if m.Epoch == leftStaticEpoch {
		return
	}
	// Partitions the member no longer reports are released.
	if owned != nil && m.Revoking.count() > 0 {
		still := Assignment{}
		m.Revoking.each(func(k tpKey) {
			if ownsAny(owned, Assignment{k.id: {k.p}}) {
				still.add(k)
			} else {
				if g.owners[k] == m.ID {
					delete(g.owners, k)
				}
				delete(m.since, k)
			}
		})
		m.Revoking = still
	}
	switch m.state {
	case memberStable:
		if m.Epoch != g.assignEpoch {
			g.nextAssignment(now, m, m.Epoch, owned)
		}
	case memberUnrevoked:
		if ownsAny(owned, m.Revoking) {
			return // still revoking
		}
		g.nextAssignment(now, m, min(m.Epoch+1, g.assignEpoch), owned)
	case memberUnreleased:
		g.nextAssignment(now, m, m.Epoch, owned)
	}
}

// nextAssignment is CurrentAssignmentBuilder.computeNextAssignment.
func (g *ConsumerGroup) nextAssignment(now time.Time, m *ConsumerMember, epoch int32, owned []kmsg.ConsumerGroupHeartbeatRequestTopic) {
	keep, revoke, gain := Assignment{}, Assignment{}, Assignment{}
	unreleased := false
	m.Assigned.each(func(k tpKey) {
		if m.Target.has(k) {
			keep.add(k)
		} else {
			revoke.add(k)
		}
	})
	m.Target.each(func(k tpKey) {
		if keep.has(k) {
			return
		}
		if owner, held := g.owners[k]; held && owner != m.ID {
			unreleased = true
			return
		}
		gain.add(k)
	})

	wasRevoking := m.state == memberUnrevoked
	if revoke.count() > 0 && ownsAny(owned, revoke) {
		// Stay in this epoch until the member gives them up.
		m.setEpoch(epoch)
		m.state = memberUnrevoked
		m.Assigned = keep
		for id, ps := range revoke {
			for _, p := range ps {
				m.Revoking.add(tpKey{id, p})
			}
		}
		if !wasRevoking || m.revokeBy.IsZero() {
			m.revokeBy = now.Add(m.RebalanceTimeout)
		}
		g.restamp(m)
		return
	}
	// Nothing left to revoke (the member reported them gone).
	revoke.each(func(k tpKey) {
		if g.owners[k] == m.ID {
			delete(g.owners, k)
		}
		delete(m.since, k)
	})
	g.releaseRevoking(m)
	m.revokeBy = time.Time{}
	m.setEpoch(g.assignEpoch)
	if unreleased {
		m.state = memberUnreleased
	} else {
		m.state = memberStable
	}
	gain.each(func(k tpKey) {
		keep.add(k)
		m.since[k] = m.Epoch
	})
	m.Assigned = keep
	g.restamp(m)
}

func (m *ConsumerMember) setEpoch(e int32) {
	if e != m.Epoch {
		m.PrevEpoch = m.Epoch
		m.Epoch = e
	}
}

// restamp makes the owners table match the member's assigned and
// revoking partitions.
func (g *ConsumerGroup) restamp(m *ConsumerMember) {
	for k, owner := range g.owners {
		if owner == m.ID && !m.Assigned.has(k) && !m.Revoking.has(k) {
			delete(g.owners, k)
			delete(m.since, k)
		}
	}
	claim := func(k tpKey) {
		if _, ok := m.since[k]; !ok {
			m.since[k] = m.Epoch
		}
		g.owners[k] = m.ID
	}
	m.Assigned.each(claim)
	m.Revoking.each(claim)
}

// Deadline is the earliest time Tick has something to do.
func (g *ConsumerGroup) Deadline() (time.Time, bool) {
	var d time.Time
	for _, m := range g.members {
		for _, t := range []time.Time{m.deadline, m.revokeBy} {
			if !t.IsZero() && (d.IsZero() || t.Before(d)) {
				d = t
			}
		}
	}
	return d, !d.IsZero()
}

// Tick removes members whose session expired, or that did not revoke
// partitions within their rebalance timeout. It reports whether the
// group changed (and must be stored).
func (g *ConsumerGroup) Tick(now time.Time, topics TopicView) bool {
	changed := false
	for _, m := range g.Members() {
		expired := !m.deadline.IsZero() && !now.Before(m.deadline)
		late := !m.revokeBy.IsZero() && !now.Before(m.revokeBy)
		if expired || late {
			g.remove(m, topics)
			changed = true
		}
	}
	return changed
}

// CheckCommit decides whether an OffsetCommit from memberID at epoch is
// accepted (0) or refused with an error code (Kafka's
// ConsumerGroup.validateOffsetCommit). parts are the committed
// partitions that exist. A negative epoch with no member id is a
// commit from outside the group (admin, assign()), accepted while the
// group has no members.
func (g *ConsumerGroup) CheckCommit(memberID string, epoch int32, version int16, txn bool, parts []tpKey) int16 {
	if g.dead {
		return kerr.CoordinatorNotAvailable.Code
	}
	if epoch < 0 && len(g.members) == 0 {
		return 0
	}
	m := g.members[memberID]
	if m == nil {
		return kerr.UnknownMemberID.Code
	}
	if !txn && version < 9 {
		// Member epochs only mean something from OffsetCommit v9.
		return kerr.UnsupportedVersion.Code
	}
	switch {
	case epoch == m.Epoch:
		return 0
	case epoch > m.Epoch || epoch < 0:
		return kerr.StaleMemberEpoch.Code
	}
	for _, k := range parts {
		if e, ok := m.since[k]; !ok || e > epoch {
			return kerr.StaleMemberEpoch.Code
		}
	}
	return 0
}

// Describe fills a ConsumerGroupDescribe answer; name resolves topic ids.
func (g *ConsumerGroup) Describe(rg *kmsg.ConsumerGroupDescribeResponseGroup, name func(topicID) string) {
	rg.State = g.State()
	rg.Epoch = g.epoch
	rg.AssignmentEpoch = g.assignEpoch
	rg.AssignorName = g.assignor
	conv := func(a Assignment) kmsg.Assignment {
		var out kmsg.Assignment
		for _, id := range a.sortedIDs() {
			tp := kmsg.NewAssignmentTopicPartition()
			tp.TopicID, tp.Topic, tp.Partitions = id, name(id), slices.Clone(a[id])
			out.TopicPartitions = append(out.TopicPartitions, tp)
		}
		return out
	}
	for _, m := range g.Members() {
		rm := kmsg.NewConsumerGroupDescribeResponseGroupMember()
		rm.MemberID, rm.InstanceID, rm.RackID = m.ID, m.InstanceID, m.RackID
		rm.MemberEpoch = m.Epoch
		rm.ClientID, rm.ClientHost = m.ClientID, m.ClientHost
		rm.SubscribedTopics = slices.Clone(m.Topics)
		if rm.SubscribedTopics == nil {
			rm.SubscribedTopics = []string{}
		}
		rm.SubscribedTopicRegex = m.Regex
		rm.Assignment = conv(m.Assigned)
		rm.TargetAssignment = conv(m.Target)
		rm.MemberType = 1 // consumer
		rg.Members = append(rg.Members, rm)
	}
}
