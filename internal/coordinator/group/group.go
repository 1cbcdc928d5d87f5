package group

import (
	"bytes"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// State is a classic group's state, named as Kafka names it in
// DescribeGroups and ListGroups.
type State int8

const (
	Empty State = iota
	PreparingRebalance
	CompletingRebalance
	Stable
	Dead
)

func (s State) String() string {
	switch s {
	case Empty:
		return "Empty"
	case PreparingRebalance:
		return "PreparingRebalance"
	case CompletingRebalance:
		return "CompletingRebalance"
	case Stable:
		return "Stable"
	default:
		return "Dead"
	}
}

// Token names a parked request (a JoinGroup or SyncGroup waiting for the
// rebalance). The core never sees the connection: it hands back replies
// addressed to tokens and the driver delivers them. Zero means none.
type Token uint64

// Reply is a response for a parked request.
type Reply struct {
	Token Token
	Resp  kmsg.Response
}

// Effects are what one step of the state machine asks the driver to do.
type Effects struct {
	Replies []Reply // deliver now
	// Store asks for a snapshot of the group's metadata to be written;
	// AfterStore are delivered once that write is durable (SyncGroup
	// answers, as in Kafka, wait for the assignment to be stored).
	Store      bool
	AfterStore []Reply
}

func (e *Effects) reply(tok Token, r kmsg.Response) {
	if tok != 0 {
		e.Replies = append(e.Replies, Reply{tok, r})
	}
}

// Rules are the broker settings a group obeys.
type Rules struct {
	MinSessionTimeout time.Duration
	MaxSessionTimeout time.Duration
	InitialRebalance  time.Duration // group.initial.rebalance.delay.ms
	MaxSize           int           // 0 = unlimited
	NewMemberID       func(prefix string) string
}

// Protocol is one assignor a member supports, with its metadata.
type Protocol struct {
	Name     string
	Metadata []byte
}

// Member is one member of a classic group.
type Member struct {
	ID               string
	InstanceID       *string
	ClientID         string
	ClientHost       string
	SessionTimeout   time.Duration
	RebalanceTimeout time.Duration
	Protocols        []Protocol
	Assignment       []byte

	seq      uint64    // join order, for picking a leader
	deadline time.Time // session expiry

	join    *kmsg.JoinGroupRequest // parked JoinGroup, if any
	joinTok Token
	sync    *kmsg.SyncGroupRequest // parked SyncGroup, if any
	syncTok Token
	synced  bool // sent SyncGroup in this generation
}

func (m *Member) metadataFor(protocol string) []byte {
	for _, p := range m.Protocols {
		if p.Name == protocol {
			return p.Metadata
		}
	}
	return nil
}

// TopicPartition names a committed offset.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// Offset is one committed offset.
type Offset struct {
	Offset      int64
	LeaderEpoch int32
	Metadata    string
	CommitTime  int64 // unix millis
}

// Group is the pure state machine of one classic group: no goroutines,
// no clock, no I/O. Every method takes the current time and returns what
// must be sent or stored. The coordinator's driver is its only caller.
type Group struct {
	ID           string
	state        State
	protocolType string
	protocol     string
	generation   int32
	leader       string
	stateSince   time.Time

	members map[string]*Member
	pending map[string]time.Time // member ids handed out with MEMBER_ID_REQUIRED, until their deadline
	static  map[string]string    // group.instance.id -> member id
	seq     uint64

	// PreparingRebalance: the join phase ends at joinDeadline. In the
	// initial delay (the group was Empty), each new member pushes it by
	// the initial delay, up to joinLimit.
	joinDeadline time.Time
	initial      bool
	joinLimit    time.Time
	newJoined    bool
	// CompletingRebalance: members that have not synced by syncDeadline
	// are removed.
	syncDeadline time.Time

	// Offsets are the committed offsets, including those of groups that
	// only commit (simple consumers).
	Offsets map[TopicPartition]Offset

	rules *Rules
}

// NewGroup returns an Empty group.
func NewGroup(id string, rules *Rules, now time.Time) *Group {
	return &Group{
		ID: id, rules: rules, stateSince: now,
		members: map[string]*Member{}, pending: map[string]time.Time{}, static: map[string]string{},
		Offsets: map[TopicPartition]Offset{},
	}
}

func (g *Group) State() State             { return g.state }
func (g *Group) Generation() int32        { return g.generation }
func (g *Group) ProtocolType() string     { return g.protocolType }
func (g *Group) Protocol() string         { return g.protocol }
func (g *Group) Leader() string           { return g.leader }
func (g *Group) NumMembers() int          { return len(g.members) }
func (g *Group) Member(id string) *Member { return g.members[id] }

// Members returns the members in join order.
func (g *Group) Members() []*Member {
	out := make([]*Member, 0, len(g.members))
	for _, m := range g.members {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

func (g *Group) setState(s State, now time.Time) {
	g.state = s
	g.stateSince = now
}

// MarkDead is used when the group is deleted; parked requests are told
// to find the coordinator again.
func (g *Group) MarkDead(now time.Time) Effects {
	var fx Effects
	for _, m := range g.members {
		g.failParked(m, kerr.CoordinatorNotAvailable.Code, &fx)
	}
	g.setState(Dead, now)
	return fx
}

// Deadline is the earliest time Tick has something to do.
func (g *Group) Deadline() (time.Time, bool) {
	var d time.Time
	earlier := func(t time.Time) {
		if !t.IsZero() && (d.IsZero() || t.Before(d)) {
			d = t
		}
	}
	for _, t := range g.pending {
		earlier(t)
	}
	for _, m := range g.members {
		if m.join == nil && m.sync == nil {
			earlier(m.deadline)
		}
	}
	switch g.state {
	case PreparingRebalance:
		earlier(g.joinDeadline)
	case CompletingRebalance:
		earlier(g.syncDeadline)
	}
	return d, !d.IsZero()
}

// Tick expires sessions, pending member ids and rebalance phases due at now.
func (g *Group) Tick(now time.Time) Effects {
	var fx Effects
	for id, t := range g.pending {
		if !now.Before(t) {
			delete(g.pending, id)
		}
	}
	// A member parked in JoinGroup or SyncGroup is alive by definition;
	// Kafka does not expire it either.
	for _, m := range g.Members() {
		if m.join == nil && m.sync == nil && !now.Before(m.deadline) {
			g.removeMember(m, now, &fx)
		}
	}
	switch g.state {
	case PreparingRebalance:
		if !now.Before(g.joinDeadline) {
			if g.initial && g.newJoined && now.Before(g.joinLimit) {
				// Kafka's InitialDelayedJoin: keep waiting while members
				// keep arriving, but never past the rebalance timeout.
				g.newJoined = false
				g.joinDeadline = minTime(now.Add(g.rules.InitialRebalance), g.joinLimit)
			} else {
				g.completeJoin(now, &fx)
			}
		} else {
			g.maybeCompleteJoin(now, &fx)
		}
	case CompletingRebalance:
		if !now.Before(g.syncDeadline) {
			var late []*Member
			for _, m := range g.Members() {
				if !m.synced {
					late = append(late, m)
				}
			}
			for _, m := range late {
				g.removeMember(m, now, &fx)
			}
		}
	}
	return fx
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// supports reports whether a member with these protocols may join:
// the protocol type must match and at least one protocol must be
// supported by every current member (Kafka's supportsProtocols).
func (g *Group) supports(protocolType string, protocols []Protocol) bool {
	if len(g.members) == 0 {
		return protocolType != "" && len(protocols) > 0
	}
	if protocolType != g.protocolType {
		return false
	}
	cands := g.candidates()
	for _, p := range protocols {
		if cands[p.Name] {
			return true
		}
	}
	return false
}

// candidates are the protocols every member supports.
func (g *Group) candidates() map[string]bool {
	count := map[string]int{}
	for _, m := range g.members {
		seen := map[string]bool{}
		for _, p := range m.Protocols {
			if !seen[p.Name] {
				seen[p.Name] = true
				count[p.Name]++
			}
		}
	}
	out := map[string]bool{}
	for n, c := range count {
		if c == len(g.members) {
			out[n] = true
		}
	}
	return out
}

// selectProtocol has every member vote for its most preferred candidate.
func (g *Group) selectProtocol() string {
	cands := g.candidates()
	votes := map[string]int{}
	var order []string
	for _, m := range g.Members() {
		for _, p := range m.Protocols {
			if cands[p.Name] {
				if votes[p.Name] == 0 {
					order = append(order, p.Name)
				}
				votes[p.Name]++
				break
			}
		}
	}
	best := ""
	for _, n := range order {
		if best == "" || votes[n] > votes[best] {
			best = n
		}
	}
	return best
}

func protocolsOf(req *kmsg.JoinGroupRequest) []Protocol {
	out := make([]Protocol, len(req.Protocols))
	for i, p := range req.Protocols {
		out[i] = Protocol{p.Name, p.Metadata}
	}
	return out
}

func sameProtocols(a, b []Protocol) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || !bytes.Equal(a[i].Metadata, b[i].Metadata) {
			return false
		}
	}
	return true
}

// checkInstance is Kafka's static member fencing: an instance id that is
// known must come with the member id it was last given.
func (g *Group) checkInstance(instanceID *string, memberID string) int16 {
	if instanceID == nil {
		return 0
	}
	if id, ok := g.static[*instanceID]; ok && id != memberID {
		return kerr.FencedInstanceID.Code
	}
	return 0
}

// Join handles a JoinGroup. The reply is either among the returned
// effects (addressed to tok) or comes later, when the rebalance completes.
func (g *Group) Join(now time.Time, req *kmsg.JoinGroupRequest, clientID, clientHost string, tok Token) Effects {
	var fx Effects
	resp := req.ResponseKind().(*kmsg.JoinGroupResponse)
	fail := func(code int16) Effects {
		resp.ErrorCode = code
		resp.MemberID = req.MemberID
		fx.reply(tok, resp)
		return fx
	}
	session := time.Duration(req.SessionTimeoutMillis) * time.Millisecond
	if session < g.rules.MinSessionTimeout || session > g.rules.MaxSessionTimeout {
		return fail(kerr.InvalidSessionTimeout.Code)
	}
	rebalance := session // v0 has no rebalance timeout: Kafka uses the session timeout
	if req.Version >= 1 {
		rebalance = time.Duration(req.RebalanceTimeoutMillis) * time.Millisecond
	}
	protocols := protocolsOf(req)
	if g.state == Dead {
		return fail(kerr.CoordinatorNotAvailable.Code)
	}

	if req.MemberID == "" {
		if !g.supports(req.ProtocolType, protocols) {
			return fail(kerr.InconsistentGroupProtocol.Code)
		}
		if req.InstanceID != nil {
			if old, ok := g.static[*req.InstanceID]; ok && g.members[old] != nil {
				return g.replaceStatic(now, g.members[old], req, protocols, clientID, clientHost, tok)
			}
		}
		if g.rules.MaxSize > 0 && len(g.members)+len(g.pending) >= g.rules.MaxSize {
			return fail(kerr.GroupMaxSizeReached.Code)
		}
		prefix := clientID
		if req.InstanceID != nil {
			prefix = *req.InstanceID
		}
		id := g.rules.NewMemberID(prefix)
		// KIP-394: from v4 a dynamic member first gets its id and must
		// rejoin with it, so an id is never lost to a retried request.
		// Older clients (kafka-go, kafka-python, librdkafka's v0-3) join
		// in one step.
		if req.Version >= 4 && req.InstanceID == nil {
			g.pending[id] = now.Add(session)
			resp.MemberID = id
			resp.ErrorCode = kerr.MemberIDRequired.Code
			fx.reply(tok, resp)
			return fx
		}
		m := &Member{ID: id, InstanceID: req.InstanceID}
		if req.InstanceID != nil {
			g.static[*req.InstanceID] = id
		}
		g.addMember(now, m, req, protocols, session, rebalance, clientID, clientHost, tok, &fx)
		return fx
	}

	if code := g.checkInstance(req.InstanceID, req.MemberID); code != 0 {
		return fail(code)
	}
	if _, ok := g.pending[req.MemberID]; ok {
		if !g.supports(req.ProtocolType, protocols) {
			return fail(kerr.InconsistentGroupProtocol.Code)
		}
		delete(g.pending, req.MemberID)
		m := &Member{ID: req.MemberID, InstanceID: req.InstanceID}
		g.addMember(now, m, req, protocols, session, rebalance, clientID, clientHost, tok, &fx)
		return fx
	}
	m := g.members[req.MemberID]
	if m == nil {
		return fail(kerr.UnknownMemberID.Code)
	}
	// The member's own protocols do not count against it.
	saved := m.Protocols
	m.Protocols = protocols
	ok := req.ProtocolType == g.protocolType && len(g.candidates()) > 0
	m.Protocols = saved
	if !ok {
		return fail(kerr.InconsistentGroupProtocol.Code)
	}
	m.deadline = now.Add(session)
	switch g.state {
	case PreparingRebalance:
		g.updateMember(now, m, req, protocols, session, rebalance, tok, &fx)
	case CompletingRebalance:
		if sameProtocols(m.Protocols, protocols) {
			// A retried join: answer with the current generation.
			g.fillJoin(m, resp)
			fx.reply(tok, resp)
			return fx
		}
		g.updateMember(now, m, req, protocols, session, rebalance, tok, &fx)
	case Stable:
		if m.ID != g.leader && sameProtocols(m.Protocols, protocols) {
			g.fillJoin(m, resp)
			fx.reply(tok, resp)
			return fx
		}
		// The leader rejoining, or a changed subscription, means a new
		// assignment is wanted.
		g.updateMember(now, m, req, protocols, session, rebalance, tok, &fx)
	default:
		return fail(kerr.UnknownMemberID.Code)
	}
	return fx
}

func (g *Group) addMember(now time.Time, m *Member, req *kmsg.JoinGroupRequest, protocols []Protocol, session, rebalance time.Duration, clientID, clientHost string, tok Token, fx *Effects) {
	if len(g.members) == 0 {
		g.protocolType = req.ProtocolType
	}
	g.seq++
	m.seq = g.seq
	m.ClientID, m.ClientHost = clientID, clientHost
	g.members[m.ID] = m
	g.newJoined = true
	g.updateMember(now, m, req, protocols, session, rebalance, tok, fx)
}

func (g *Group) updateMember(now time.Time, m *Member, req *kmsg.JoinGroupRequest, protocols []Protocol, session, rebalance time.Duration, tok Token, fx *Effects) {
	if m.join != nil && m.joinTok != tok {
		// A second join from the same member replaces the first; the
		// first is answered now so that no request is left unanswered.
		r := m.join.ResponseKind().(*kmsg.JoinGroupResponse)
		r.ErrorCode = kerr.RebalanceInProgress.Code
		r.MemberID = m.ID
		fx.reply(m.joinTok, r)
	}
	m.Protocols = protocols
	m.SessionTimeout, m.RebalanceTimeout = session, rebalance
	m.join, m.joinTok = req, tok
	m.deadline = now.Add(session)
	switch g.state {
	case PreparingRebalance:
		g.maybeCompleteJoin(now, fx)
	default:
		g.prepareRebalance(now, fx)
	}
}

// replaceStatic handles a static member coming back with no member id
// (KIP-345): it takes over the old member's place; the old incarnation
// is fenced. If nothing changed and the group is Stable, no rebalance.
func (g *Group) replaceStatic(now time.Time, old *Member, req *kmsg.JoinGroupRequest, protocols []Protocol, clientID, clientHost string, tok Token) Effects {
	var fx Effects
	g.failParked(old, kerr.FencedInstanceID.Code, &fx)
	id := g.rules.NewMemberID(*req.InstanceID)
	delete(g.members, old.ID)
	m := *old
	m.ID = id
	m.ClientID, m.ClientHost = clientID, clientHost
	m.join, m.joinTok, m.sync, m.syncTok = nil, 0, nil, 0
	g.members[id] = &m
	g.static[*req.InstanceID] = id
	wasLeader := g.leader == old.ID
	if wasLeader {
		g.leader = id
	}
	session := time.Duration(req.SessionTimeoutMillis) * time.Millisecond
	rebalance := time.Duration(req.RebalanceTimeoutMillis) * time.Millisecond
	if req.Version == 0 {
		rebalance = session
	}
	m.deadline = now.Add(session)
	// As in Kafka, the returning member's protocols replace the old
	// ones and only a change of the group's selected protocol forces a
	// rebalance: the metadata bytes differ on every restart of a client
	// that reports the partitions it owns (KIP-429 consumer protocol v1+),
	// so comparing them would make every static restart a rebalance.
	if g.state == Stable && (!wasLeader || req.Version >= 9) {
		m.Protocols = protocols
		if g.selectProtocol() == g.protocol {
			resp := req.ResponseKind().(*kmsg.JoinGroupResponse)
			g.fillJoin(&m, resp)
			// KIP-814: a static leader that comes back keeps the current
			// assignment and is told so.
			resp.SkipAssignment = wasLeader
			// The new member id is stored before the answer, so that a
			// reloaded group does not fence the new incarnation.
			fx.Store = true
			fx.AfterStore = append(fx.AfterStore, Reply{tok, resp})
			return fx
		}
	}
	g.updateMember(now, &m, req, protocols, session, rebalance, tok, &fx)
	return fx
}

// failParked answers a member's parked requests with code.
func (g *Group) failParked(m *Member, code int16, fx *Effects) {
	if m.join != nil {
		r := m.join.ResponseKind().(*kmsg.JoinGroupResponse)
		r.ErrorCode = code
		r.MemberID = m.ID
		fx.reply(m.joinTok, r)
		m.join, m.joinTok = nil, 0
	}
	if m.sync != nil {
		r := m.sync.ResponseKind().(*kmsg.SyncGroupResponse)
		r.ErrorCode = code
		fx.reply(m.syncTok, r)
		m.sync, m.syncTok = nil, 0
	}
}

func (g *Group) maxRebalanceTimeout() time.Duration {
	var d time.Duration
	for _, m := range g.members {
		d = max(d, m.RebalanceTimeout)
	}
	return d
}

func (g *Group) prepareRebalance(now time.Time, fx *Effects) {
	if g.state == CompletingRebalance {
		for _, m := range g.members {
			m.Assignment = nil
			if m.sync != nil {
				r := m.sync.ResponseKind().(*kmsg.SyncGroupResponse)
				r.ErrorCode = kerr.RebalanceInProgress.Code
				fx.reply(m.syncTok, r)
				m.sync, m.syncTok = nil, 0
			}
		}
	}
	wasEmpty := g.state == Empty
	g.setState(PreparingRebalance, now)
	if wasEmpty && g.rules.InitialRebalance > 0 {
		// A new group waits a little so that members starting together
		// land in one generation instead of a storm of rebalances.
		g.initial = true
		g.newJoined = false
		g.joinLimit = now.Add(g.maxRebalanceTimeout())
		g.joinDeadline = minTime(now.Add(g.rules.InitialRebalance), g.joinLimit)
		return
	}
	g.initial = false
	g.joinDeadline = now.Add(g.maxRebalanceTimeout())
	g.maybeCompleteJoin(now, fx)
}

func (g *Group) maybeCompleteJoin(now time.Time, fx *Effects) {
	if g.state != PreparingRebalance || g.initial {
		return
	}
	if len(g.pending) > 0 {
		return
	}
	for _, m := range g.members {
		if m.join == nil {
			return
		}
	}
	g.completeJoin(now, fx)
}

func (g *Group) completeJoin(now time.Time, fx *Effects) {
	for _, m := range g.Members() {
		if m.join == nil {
			g.dropMember(m)
		}
	}
	g.initial = false
	g.generation++
	if len(g.members) == 0 {
		g.protocol, g.leader = "", ""
		if len(g.static) == 0 {
			g.protocolType = ""
		}
		g.setState(Empty, now)
		fx.Store = true
		return
	}
	g.protocol = g.selectProtocol()
	if g.members[g.leader] == nil {
		g.leader = g.Members()[0].ID
	}
	g.setState(CompletingRebalance, now)
	g.syncDeadline = now.Add(g.maxRebalanceTimeout())
	for _, m := range g.Members() {
		resp := m.join.ResponseKind().(*kmsg.JoinGroupResponse)
		g.fillJoin(m, resp)
		fx.reply(m.joinTok, resp)
		m.join, m.joinTok = nil, 0
		m.synced = false
		m.Assignment = nil
		m.deadline = now.Add(m.SessionTimeout)
	}
}

func (g *Group) fillJoin(m *Member, resp *kmsg.JoinGroupResponse) {
	resp.Generation = g.generation
	pt, p := g.protocolType, g.protocol
	resp.ProtocolType = &pt
	resp.Protocol = &p
	resp.LeaderID = g.leader
	resp.MemberID = m.ID
	if m.ID == g.leader {
		for _, o := range g.Members() {
			rm := kmsg.NewJoinGroupResponseMember()
			rm.MemberID = o.ID
			rm.InstanceID = o.InstanceID
			rm.ProtocolMetadata = o.metadataFor(g.protocol)
			resp.Members = append(resp.Members, rm)
		}
	}
}

// dropMember forgets a member without triggering anything.
func (g *Group) dropMember(m *Member) {
	delete(g.members, m.ID)
	if m.InstanceID != nil && g.static[*m.InstanceID] == m.ID {
		delete(g.static, *m.InstanceID)
	}
}

// removeMember takes a member out (left or expired) and rebalances.
func (g *Group) removeMember(m *Member, now time.Time, fx *Effects) {
	g.failParked(m, kerr.UnknownMemberID.Code, fx)
	g.dropMember(m)
	switch g.state {
	case Stable, CompletingRebalance:
		g.prepareRebalance(now, fx)
	case PreparingRebalance:
		g.maybeCompleteJoin(now, fx)
	}
}

// Sync handles a SyncGroup; the leader's carries the assignment.
func (g *Group) Sync(now time.Time, req *kmsg.SyncGroupRequest, tok Token) Effects {
	var fx Effects
	resp := req.ResponseKind().(*kmsg.SyncGroupResponse)
	fail := func(code int16) Effects {
		resp.ErrorCode = code
		fx.reply(tok, resp)
		return fx
	}
	if g.state == Dead {
		return fail(kerr.CoordinatorNotAvailable.Code)
	}
	if code := g.checkInstance(req.InstanceID, req.MemberID); code != 0 {
		return fail(code)
	}
	m := g.members[req.MemberID]
	if m == nil {
		return fail(kerr.UnknownMemberID.Code)
	}
	if req.Generation != g.generation {
		return fail(kerr.IllegalGeneration.Code)
	}
	if (req.ProtocolType != nil && *req.ProtocolType != g.protocolType) || (req.Protocol != nil && *req.Protocol != g.protocol) {
		return fail(kerr.InconsistentGroupProtocol.Code)
	}
	m.deadline = now.Add(m.SessionTimeout)
	switch g.state {
	case Empty:
		return fail(kerr.UnknownMemberID.Code)
	case PreparingRebalance:
		return fail(kerr.RebalanceInProgress.Code)
	case Stable:
		g.fillSync(m, resp)
		fx.reply(tok, resp)
		return fx
	}
	// CompletingRebalance.
	m.synced = true
	m.sync, m.syncTok = req, tok
	if m.ID != g.leader {
		return fx
	}
	given := map[string][]byte{}
	for _, a := range req.GroupAssignment {
		given[a.MemberID] = a.MemberAssignment
	}
	for _, o := range g.members {
		o.Assignment = given[o.ID]
		if o.Assignment == nil {
			o.Assignment = []byte{}
		}
	}
	g.setState(Stable, now)
	fx.Store = true
	for _, o := range g.Members() {
		if o.sync != nil {
			r := o.sync.ResponseKind().(*kmsg.SyncGroupResponse)
			g.fillSync(o, r)
			fx.AfterStore = append(fx.AfterStore, Reply{o.syncTok, r})
			o.sync, o.syncTok = nil, 0
		}
	}
	return fx
}

func (g *Group) fillSync(m *Member, resp *kmsg.SyncGroupResponse) {
	pt, p := g.protocolType, g.protocol
	resp.ProtocolType, resp.Protocol = &pt, &p
	resp.MemberAssignment = m.Assignment
	if resp.MemberAssignment == nil {
		resp.MemberAssignment = []byte{}
	}
}

// Heartbeat keeps a member's session alive and tells it of rebalances.
func (g *Group) Heartbeat(now time.Time, req *kmsg.HeartbeatRequest) *kmsg.HeartbeatResponse {
	resp := req.ResponseKind().(*kmsg.HeartbeatResponse)
	if g.state == Dead {
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return resp
	}
	if code := g.checkInstance(req.InstanceID, req.MemberID); code != 0 {
		resp.ErrorCode = code
		return resp
	}
	m := g.members[req.MemberID]
	if m == nil || g.state == Empty {
		resp.ErrorCode = kerr.UnknownMemberID.Code
		return resp
	}
	if req.Generation != g.generation {
		resp.ErrorCode = kerr.IllegalGeneration.Code
		return resp
	}
	m.deadline = now.Add(m.SessionTimeout)
	if g.state == PreparingRebalance {
		resp.ErrorCode = kerr.RebalanceInProgress.Code
	}
	return resp
}

// Leave removes the named members (v3+ batches them; older versions name
// one member). The group rebalances once for the whole batch.
func (g *Group) Leave(now time.Time, req *kmsg.LeaveGroupRequest) (*kmsg.LeaveGroupResponse, Effects) {
	var fx Effects
	resp := req.ResponseKind().(*kmsg.LeaveGroupResponse)
	members := req.Members
	if req.Version < 3 {
		members = []kmsg.LeaveGroupRequestMember{{MemberID: req.MemberID}}
	}
	var leaving []*Member
	for _, rm := range members {
		out := kmsg.NewLeaveGroupResponseMember()
		out.MemberID, out.InstanceID = rm.MemberID, rm.InstanceID
		id := rm.MemberID
		if rm.InstanceID != nil {
			sid, ok := g.static[*rm.InstanceID]
			switch {
			case !ok:
				out.ErrorCode = kerr.UnknownMemberID.Code
			case id != "" && id != sid:
				out.ErrorCode = kerr.FencedInstanceID.Code
			}
			id = sid
		}
		if out.ErrorCode == 0 {
			if _, ok := g.pending[id]; ok {
				delete(g.pending, id)
			} else if m := g.members[id]; m != nil {
				leaving = append(leaving, m)
			} else {
				out.ErrorCode = kerr.UnknownMemberID.Code
			}
		}
		resp.Members = append(resp.Members, out)
	}
	if g.state == Dead {
		for i := range resp.Members {
			resp.Members[i].ErrorCode = kerr.CoordinatorNotAvailable.Code
		}
		leaving = nil
	}
	for _, m := range leaving {
		g.failParked(m, kerr.UnknownMemberID.Code, &fx)
		g.dropMember(m)
	}
	if len(leaving) > 0 {
		switch g.state {
		case Stable, CompletingRebalance:
			g.prepareRebalance(now, &fx)
		case PreparingRebalance:
			g.maybeCompleteJoin(now, &fx)
		}
	} else if g.state == PreparingRebalance {
		g.maybeCompleteJoin(now, &fx)
	}
	if req.Version < 3 {
		resp.ErrorCode = resp.Members[0].ErrorCode
		resp.Members = nil
	}
	return resp, fx
}

// CheckCommit decides whether an OffsetCommit from this member and
// generation is accepted (0) or answered with an error code. A commit
// with a negative generation comes from a consumer that manages its own
// partitions (assign()), accepted while the group has no members.
func (g *Group) CheckCommit(now time.Time, memberID string, instanceID *string, generation int32) int16 {
	if g.state == Dead {
		return kerr.CoordinatorNotAvailable.Code
	}
	if code := g.checkInstance(instanceID, memberID); code != 0 {
		return code
	}
	if generation < 0 && g.state == Empty {
		return 0
	}
	if g.state == CompletingRebalance {
		return kerr.RebalanceInProgress.Code
	}
	m := g.members[memberID]
	if m == nil {
		return kerr.UnknownMemberID.Code
	}
	if generation != g.generation {
		return kerr.IllegalGeneration.Code
	}
	m.deadline = now.Add(m.SessionTimeout)
	return 0
}

// Snapshot is the group's metadata record value (Kafka's
// GroupMetadataValue v3), written after every rebalance.
func (g *Group) Snapshot(now time.Time) kmsg.GroupMetadataValue {
	v := kmsg.NewGroupMetadataValue()
	v.Version = 3
	v.ProtocolType = g.protocolType
	v.Generation = g.generation
	if g.protocol != "" {
		p := g.protocol
		v.Protocol = &p
	}
	if g.leader != "" {
		l := g.leader
		v.Leader = &l
	}
	v.CurrentStateTimestamp = now.UnixMilli()
	if g.state == Stable || g.state == CompletingRebalance {
		for _, m := range g.Members() {
			vm := kmsg.NewGroupMetadataValueMember()
			vm.MemberID = m.ID
			vm.InstanceID = m.InstanceID
			vm.ClientID, vm.ClientHost = m.ClientID, m.ClientHost
			vm.RebalanceTimeoutMillis = int32(m.RebalanceTimeout / time.Millisecond)
			vm.SessionTimeoutMillis = int32(m.SessionTimeout / time.Millisecond)
			vm.Subscription = m.metadataFor(g.protocol)
			vm.Assignment = m.Assignment
			v.Members = append(v.Members, vm)
		}
	}
	return v
}

// Restore rebuilds a group from its last metadata record when
// __consumer_offsets is loaded. Restored members get a fresh session:
// those whose clients are gone expire as usual.
func (g *Group) Restore(now time.Time, v *kmsg.GroupMetadataValue) {
	g.protocolType = v.ProtocolType
	g.generation = v.Generation
	g.protocol, g.leader = "", ""
	if v.Protocol != nil {
		g.protocol = *v.Protocol
	}
	if v.Leader != nil {
		g.leader = *v.Leader
	}
	g.members = map[string]*Member{}
	g.static = map[string]string{}
	for _, vm := range v.Members {
		g.seq++
		m := &Member{
			ID: vm.MemberID, InstanceID: vm.InstanceID, ClientID: vm.ClientID, ClientHost: vm.ClientHost,
			SessionTimeout:   time.Duration(vm.SessionTimeoutMillis) * time.Millisecond,
			RebalanceTimeout: time.Duration(vm.RebalanceTimeoutMillis) * time.Millisecond,
			Protocols:        []Protocol{{g.protocol, vm.Subscription}},
			Assignment:       vm.Assignment,
			seq:              g.seq,
			synced:           true,
		}
		if m.RebalanceTimeout <= 0 {
			m.RebalanceTimeout = m.SessionTimeout
		}
		m.deadline = now.Add(m.SessionTimeout)
		g.members[m.ID] = m
		if m.InstanceID != nil {
			g.static[*m.InstanceID] = m.ID
		}
	}
	if len(g.members) > 0 {
		g.setState(Stable, now)
	} else {
		g.setState(Empty, now)
	}
}
