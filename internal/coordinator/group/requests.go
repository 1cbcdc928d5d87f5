package group

import (
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	"strom/internal/coordinator/runtime"
	"strom/internal/metadata"
)

// handle serves one request on the driver. tok is answered exactly once,
// now or when the group's rebalance gets there.
func (c *Coordinator) handle(client Client, kreq kmsg.Request, tok Token) {
	now := c.clock.Now()
	switch req := kreq.(type) {
	case *kmsg.JoinGroupRequest:
		if req.Group == "" {
			c.deliver(tok, ErrorResponse(req, kerr.InvalidGroupID.Code))
			return
		}
		if cg := c.consumer[req.Group]; cg != nil {
			if cg.NumMembers() > 0 {
				// A consumer group (KIP-848) holds the id; no mixed groups.
				c.deliver(tok, ErrorResponse(req, kerr.InconsistentGroupProtocol.Code))
				return
			}
			c.dropConsumer(cg) // an empty consumer group becomes classic
		}
		g := c.groups[req.Group]
		if g == nil {
			if req.MemberID != "" {
				c.deliver(tok, ErrorResponse(req, kerr.UnknownMemberID.Code))
				return
			}
			g = NewGroup(req.Group, &c.rules, now)
			c.groups[req.Group] = g
		}
		c.apply(g, g.Join(now, req, client.ID, client.Host, tok))
		c.dropIfUnused(g)

	case *kmsg.SyncGroupRequest:
		g := c.groups[req.Group]
		if g == nil {
			code := kerr.UnknownMemberID.Code
			if req.Group == "" {
				code = kerr.InvalidGroupID.Code
			}
			c.deliver(tok, ErrorResponse(req, code))
			return
		}
		c.apply(g, g.Sync(now, req, tok))

	case *kmsg.HeartbeatRequest:
		g := c.groups[req.Group]
		if g == nil {
			code := kerr.UnknownMemberID.Code
			if req.Group == "" {
				code = kerr.InvalidGroupID.Code
			}
			c.deliver(tok, ErrorResponse(req, code))
			return
		}
		c.deliver(tok, g.Heartbeat(now, req))

	case *kmsg.LeaveGroupRequest:
		g := c.groups[req.Group]
		if g == nil {
			g = NewGroup(req.Group, &c.rules, now) // answers UNKNOWN_MEMBER_ID per member
			resp, _ := g.Leave(now, req)
			c.deliver(tok, resp)
			return
		}
		resp, fx := g.Leave(now, req)
		c.apply(g, fx)
		c.deliver(tok, resp)

	case *kmsg.OffsetCommitRequest:
		c.commit(now, req, tok)
	case *kmsg.TxnOffsetCommitRequest:
		if cg := c.consumer[req.Group]; cg != nil {
			// Checked against the consumer group here; the classic
			// checks in txnCommit then see a commit from outside.
			topics := map[string][]int32{}
			for _, t := range req.Topics {
				for _, p := range t.Partitions {
					topics[t.Topic] = append(topics[t.Topic], p.Partition)
				}
			}
			if code := c.consumerCommitCheck(cg, req.MemberID, req.Generation, req.Version, true, topics); code != 0 {
				r := req.ResponseKind().(*kmsg.TxnOffsetCommitResponse)
				fillTxnCommit(req, r, code)
				c.deliver(tok, r)
				return
			}
			cp := *req
			cp.MemberID, cp.Generation, cp.InstanceID = "", -1, nil
			req = &cp
		}
		c.txnCommit(now, req, tok)
	case *kmsg.ConsumerGroupHeartbeatRequest:
		c.consumerHeartbeat(now, client, req, tok)
	case *kmsg.ConsumerGroupDescribeRequest:
		c.deliver(tok, c.consumerDescribe(req))
	case *kmsg.OffsetFetchRequest:
		c.deliver(tok, c.offsetFetch(req))
	case *kmsg.DescribeGroupsRequest:
		c.deliver(tok, c.describe(req))
	case *kmsg.ListGroupsRequest:
		c.deliver(tok, c.list(req))
	case *kmsg.DeleteGroupsRequest:
		c.deleteGroups(now, req, tok)
	case *kmsg.OffsetDeleteRequest:
		c.offsetDelete(now, req, tok)
	default:
		c.deliver(tok, ErrorResponse(kreq, kerr.InvalidRequest.Code))
	}
}

// dropIfUnused forgets a group that a failed first JoinGroup created.
func (c *Coordinator) dropIfUnused(g *Group) {
	if g.state == Empty && g.generation == 0 && len(g.members) == 0 && len(g.pending) == 0 && len(g.Offsets) == 0 {
		delete(c.groups, g.ID)
	}
}

func (c *Coordinator) commit(now time.Time, req *kmsg.OffsetCommitRequest, tok Token) {
	resp := req.ResponseKind().(*kmsg.OffsetCommitResponse)
	fillCommit(req, resp, 0)
	failAll := func(code int16) {
		resp.Topics = nil
		fillCommit(req, resp, code)
		c.deliver(tok, resp)
	}
	if req.Group == "" {
		failAll(kerr.InvalidGroupID.Code)
		return
	}
	g := c.groups[req.Group]
	if cg := c.consumer[req.Group]; cg != nil {
		// A KIP-848 group: the generation is the member epoch.
		topics := map[string][]int32{}
		for _, t := range req.Topics {
			for _, p := range t.Partitions {
				topics[t.Topic] = append(topics[t.Topic], p.Partition)
			}
		}
		if code := c.consumerCommitCheck(cg, req.MemberID, req.Generation, req.Version, false, topics); code != 0 {
			failAll(code)
			return
		}
		if g == nil {
			g = NewGroup(req.Group, &c.rules, now) // holds the offsets
		}
	} else {
		if g == nil {
			if req.Generation >= 0 {
				// A generation from a group this coordinator never had.
				failAll(kerr.IllegalGeneration.Code)
				return
			}
			g = NewGroup(req.Group, &c.rules, now)
		}
		if code := g.CheckCommit(now, req.MemberID, req.InstanceID, req.Generation); code != 0 {
			failAll(code)
			return
		}
	}
	img := c.cfg.Topics.Image()
	type pending struct {
		ti, pi int
		tp     TopicPartition
		o      Offset
	}
	var todo []pending
	var recs []runtime.KV
	for ti, t := range req.Topics {
		topic := img.Topic(t.Topic)
		for pi, p := range t.Partitions {
			epoch := int32(-1)
			if req.Version >= 6 {
				epoch = p.LeaderEpoch
			}
			o, code := newOffset(topic, p.Partition, p.Offset, epoch, p.Metadata, now)
			if code != 0 {
				resp.Topics[ti].Partitions[pi].ErrorCode = code
				continue
			}
			tp := TopicPartition{t.Topic, p.Partition}
			todo = append(todo, pending{ti, pi, tp, o})
			recs = append(recs, runtime.KV{Key: offsetKey(req.Group, tp), Value: offsetValue(o)})
		}
	}
	if len(todo) == 0 {
		c.deliver(tok, resp)
		return
	}
	if c.groups[g.ID] == nil {
		c.groups[g.ID] = g // a simple consumer's first commit creates its group
	}
	ch := c.take(tok)
	// The answer waits until the records are durable; the offsets become
	// visible to OffsetFetch at the same moment, on the driver.
	c.write(g.ID, recs, func(err error) {
		c.rt.Post(func() {
			for _, p := range todo {
				if err != nil {
					resp.Topics[p.ti].Partitions[p.pi].ErrorCode = writeErrCode(err)
				} else if c.groups[g.ID] == g {
					g.Offsets[p.tp] = p.o
				}
			}
			ch <- resp
		})
	})
}

// newOffset checks one partition of an OffsetCommit or TxnOffsetCommit,
// as Kafka checks both (the partition exists, the metadata fits
// offset.metadata.max.bytes), and builds the Offset to store; a non-zero
// code rejects the partition. leaderEpoch is -1 where the request
// version does not carry one.
func newOffset(topic *metadata.Topic, partition int32, offset int64, leaderEpoch int32, md *string, now time.Time) (Offset, int16) {
	switch {
	case topic == nil || partition < 0 || int(partition) >= len(topic.Partitions):
		return Offset{}, kerr.UnknownTopicOrPartition.Code
	case md != nil && len(*md) > offsetMetadataMaxBytes:
		return Offset{}, kerr.OffsetMetadataTooLarge.Code
	}
	o := Offset{Offset: offset, LeaderEpoch: leaderEpoch, CommitTime: now.UnixMilli()}
	if md != nil {
		o.Metadata = *md
	}
	return o, 0
}

func fillCommit(req *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, code int16) {
	for _, t := range req.Topics {
		rt := kmsg.NewOffsetCommitResponseTopic()
		rt.Topic = t.Topic
		rt.TopicID = t.TopicID
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetCommitResponseTopicPartition()
			rp.Partition = p.Partition
			rp.ErrorCode = code
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
}

// fetched is one partition's committed offset as OffsetFetch reports it:
// -1 with no error when nothing is committed, for any group, known or not.
type fetched struct {
	topic     string
	partition int32
	o         Offset
	unstable  bool // a transaction has offsets staged for it
}

func (c *Coordinator) fetchOffsets(group string, topics map[string][]int32, all bool) []fetched {
	g := c.groups[group]
	var out []fetched
	if all {
		if g == nil {
			return nil
		}
		for tp, o := range g.Offsets {
			out = append(out, fetched{tp.Topic, tp.Partition, o, c.pending.unstable(group, tp)})
		}
		sort.Slice(out, func(i, j int) bool {
			if out[i].topic != out[j].topic {
				return out[i].topic < out[j].topic
			}
			return out[i].partition < out[j].partition
		})
		return out
	}
	for t, ps := range topics {
		for _, p := range ps {
			o := Offset{Offset: -1, LeaderEpoch: -1}
			if g != nil {
				if got, ok := g.Offsets[TopicPartition{t, p}]; ok {
					o = got
				}
			}
			out = append(out, fetched{t, p, o, c.pending.unstable(group, TopicPartition{t, p})})
		}
	}
	return out
}

func (c *Coordinator) offsetFetch(req *kmsg.OffsetFetchRequest) *kmsg.OffsetFetchResponse {
	resp := req.ResponseKind().(*kmsg.OffsetFetchResponse)
	// With RequireStable (v7+, KIP-447), a partition with transactional
	// offsets awaiting their marker answers UNSTABLE_OFFSET_COMMIT, which
	// clients retry; without it the last committed offset is returned.
	stableCode := func(f fetched) int16 {
		if req.RequireStable && f.unstable {
			return kerr.UnstableOffsetCommit.Code
		}
		return 0
	}
	if req.Version >= 8 {
		for _, rg := range req.Groups {
			topics := make([]offsetFetchTopic, len(rg.Topics))
			for i, t := range rg.Topics {
				topics[i] = offsetFetchTopic{t.Topic, t.Partitions}
			}
			resp.Groups = append(resp.Groups, c.groupOffsets(rg.Group, topics, rg.Topics == nil, stableCode))
		}
		return resp
	}
	// Before v8 a request names one group; answer it the v8 way and copy
	// the result into the older response shape.
	topics := make([]offsetFetchTopic, len(req.Topics))
	for i, t := range req.Topics {
		topics[i] = offsetFetchTopic{t.Topic, t.Partitions}
	}
	gr := c.groupOffsets(req.Group, topics, req.Topics == nil, stableCode)
	for _, gt := range gr.Topics {
		rt := kmsg.NewOffsetFetchResponseTopic()
		rt.Topic = gt.Topic
		for _, gp := range gt.Partitions {
			rp := kmsg.NewOffsetFetchResponseTopicPartition()
			rp.Partition, rp.Offset, rp.LeaderEpoch = gp.Partition, gp.Offset, gp.LeaderEpoch
			rp.Metadata, rp.ErrorCode = gp.Metadata, gp.ErrorCode
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

// offsetFetchTopic is one topic of an OffsetFetch request, in either shape.
type offsetFetchTopic struct {
	topic      string
	partitions []int32
}

// groupOffsets answers OffsetFetch for one group: the requested topics in
// request order (all committed ones when all is set), then any others.
func (c *Coordinator) groupOffsets(group string, req []offsetFetchTopic, all bool, stableCode func(fetched) int16) kmsg.OffsetFetchResponseGroup {
	gr := kmsg.NewOffsetFetchResponseGroup()
	gr.Group = group
	topics := map[string][]int32{}
	byTopic := map[string]int{}
	for _, t := range req {
		if _, ok := topics[t.topic]; !ok {
			byTopic[t.topic] = len(gr.Topics)
			rt := kmsg.NewOffsetFetchResponseGroupTopic()
			rt.Topic = t.topic
			gr.Topics = append(gr.Topics, rt)
		}
		topics[t.topic] = append(topics[t.topic], t.partitions...)
	}
	for _, f := range c.fetchOffsets(group, topics, all) {
		i, ok := byTopic[f.topic]
		if !ok {
			i = len(gr.Topics)
			byTopic[f.topic] = i
			rt := kmsg.NewOffsetFetchResponseGroupTopic()
			rt.Topic = f.topic
			gr.Topics = append(gr.Topics, rt)
		}
		rp := kmsg.NewOffsetFetchResponseGroupTopicPartition()
		rp.Partition, rp.Offset, rp.LeaderEpoch = f.partition, f.o.Offset, f.o.LeaderEpoch
		rp.ErrorCode = stableCode(f)
		md := f.o.Metadata
		rp.Metadata = &md
		gr.Topics[i].Partitions = append(gr.Topics[i].Partitions, rp)
	}
	return gr
}

func (c *Coordinator) describe(req *kmsg.DescribeGroupsRequest) *kmsg.DescribeGroupsResponse {
	resp := req.ResponseKind().(*kmsg.DescribeGroupsResponse)
	for _, id := range req.Groups {
		rg := kmsg.NewDescribeGroupsResponseGroup()
		rg.Group = id
		rg.AuthorizedOperations = -2147483648 // not computed (no ACLs)
		g := c.groups[id]
		if c.consumer[id] != nil {
			// Kafka answers "Dead" for a group that is not classic (with
			// GROUP_ID_NOT_FOUND only from v6, not offered); clients
			// describe consumer groups with ConsumerGroupDescribe.
			g = nil
		}
		if g == nil {
			// Kafka describes an unknown group as Dead with no error.
			rg.State = Dead.String()
			resp.Groups = append(resp.Groups, rg)
			continue
		}
		rg.State = g.state.String()
		rg.ProtocolType = g.protocolType
		rg.Protocol = g.protocol
		for _, m := range g.Members() {
			rm := kmsg.NewDescribeGroupsResponseGroupMember()
			rm.MemberID, rm.InstanceID, rm.ClientID, rm.ClientHost = m.ID, m.InstanceID, m.ClientID, m.ClientHost
			if g.state == Stable || g.state == CompletingRebalance {
				rm.ProtocolMetadata = m.metadataFor(g.protocol)
				rm.MemberAssignment = m.Assignment
			}
			rg.Members = append(rg.Members, rm)
		}
		resp.Groups = append(resp.Groups, rg)
	}
	return resp
}

func (c *Coordinator) list(req *kmsg.ListGroupsRequest) *kmsg.ListGroupsResponse {
	resp := req.ResponseKind().(*kmsg.ListGroupsResponse)
	states := map[string]bool{}
	for _, s := range req.StatesFilter {
		states[s] = true
	}
	for _, lg := range c.listed() {
		if len(states) > 0 && !matchState(states, lg.GroupState) {
			continue
		}
		if len(req.TypesFilter) > 0 && !matchState(toSet(req.TypesFilter), lg.GroupType) {
			continue
		}
		resp.Groups = append(resp.Groups, lg)
	}
	return resp
}

// listed is every group as ListGroups shows it, sorted by id: classic
// groups, and consumer groups (KIP-848) with type "consumer".
func (c *Coordinator) listed() []kmsg.ListGroupsResponseGroup {
	var out []kmsg.ListGroupsResponseGroup
	for _, g := range c.sortedGroups() {
		if c.consumer[g.ID] != nil {
			continue
		}
		lg := kmsg.NewListGroupsResponseGroup()
		lg.Group, lg.ProtocolType, lg.GroupState, lg.GroupType = g.ID, g.protocolType, g.state.String(), "classic"
		out = append(out, lg)
	}
	for id, cg := range c.consumer {
		lg := kmsg.NewListGroupsResponseGroup()
		lg.Group, lg.ProtocolType, lg.GroupState, lg.GroupType = id, "consumer", cg.State(), "consumer"
		out = append(out, lg)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Group < out[j].Group })
	return out
}

func toSet(ss []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range ss {
		m[s] = true
	}
	return m
}

// matchState compares case-insensitively, as Kafka parses the filter.
func matchState(set map[string]bool, s string) bool {
	for k := range set {
		if equalFold(k, s) {
			return true
		}
	}
	return false
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func (c *Coordinator) sortedGroups() []*Group {
	out := make([]*Group, 0, len(c.groups))
	for _, g := range c.groups {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// deleteGroups removes empty groups: tombstones for every offset and the
// group metadata, answered once durable.
func (c *Coordinator) deleteGroups(now time.Time, req *kmsg.DeleteGroupsRequest, tok Token) {
	resp := req.ResponseKind().(*kmsg.DeleteGroupsResponse)
	type del struct {
		i    int
		recs []runtime.KV
	}
	var dels []del
	for _, id := range req.Groups {
		rg := kmsg.NewDeleteGroupsResponseGroup()
		rg.Group = id
		g := c.groups[id]
		cg := c.consumer[id]
		switch {
		case id == "":
			rg.ErrorCode = kerr.InvalidGroupID.Code
		case cg != nil && cg.NumMembers() > 0:
			rg.ErrorCode = kerr.NonEmptyGroup.Code
		case cg != nil:
			var recs []runtime.KV
			if g != nil {
				for tp := range g.Offsets {
					recs = append(recs, runtime.KV{Key: offsetKey(id, tp), Value: nil})
				}
				recs = append(recs, runtime.KV{Key: groupKey(id), Value: nil})
				c.apply(g, g.MarkDead(now))
				delete(c.groups, id)
			}
			recs = append(recs, runtime.KV{Key: consumerKey(id), Value: nil})
			cg.MarkDead()
			delete(c.consumer, id)
			dels = append(dels, del{len(resp.Groups), recs})
		case g == nil || g.state == Dead:
			rg.ErrorCode = kerr.GroupIDNotFound.Code
		case g.state != Empty:
			rg.ErrorCode = kerr.NonEmptyGroup.Code
		default:
			var recs []runtime.KV
			for tp := range g.Offsets {
				recs = append(recs, runtime.KV{Key: offsetKey(id, tp), Value: nil})
			}
			recs = append(recs, runtime.KV{Key: groupKey(id), Value: nil})
			c.apply(g, g.MarkDead(now))
			delete(c.groups, id)
			dels = append(dels, del{len(resp.Groups), recs})
		}
		resp.Groups = append(resp.Groups, rg)
	}
	if len(dels) == 0 {
		c.deliver(tok, resp)
		return
	}
	ch := c.take(tok)
	remaining := len(dels)
	for _, d := range dels {
		c.write(resp.Groups[d.i].Group, d.recs, func(err error) {
			c.rt.Post(func() {
				if err != nil {
					resp.Groups[d.i].ErrorCode = writeErrCode(err)
				}
				remaining--
				if remaining == 0 {
					ch <- resp
				}
			})
		})
	}
}

// offsetDelete removes committed offsets of topics the group does not
// consume (Kafka refuses those it is subscribed to).
func (c *Coordinator) offsetDelete(now time.Time, req *kmsg.OffsetDeleteRequest, tok Token) {
	resp := req.ResponseKind().(*kmsg.OffsetDeleteResponse)
	g := c.groups[req.Group]
	switch {
	case req.Group == "":
		resp.ErrorCode = kerr.InvalidGroupID.Code
	case g == nil || g.state == Dead:
		resp.ErrorCode = kerr.GroupIDNotFound.Code
	case g.state != Empty && g.protocolType != "consumer":
		resp.ErrorCode = kerr.NonEmptyGroup.Code
	}
	if resp.ErrorCode != 0 {
		c.deliver(tok, resp)
		return
	}
	subscribed := g.subscribedTopics()
	if cg := c.consumer[g.ID]; cg != nil {
		for t := range cg.SubscribedTopics(c.topicView()) {
			subscribed[t] = true
		}
	}
	var recs []runtime.KV
	var gone []TopicPartition
	for _, t := range req.Topics {
		rt := kmsg.NewOffsetDeleteResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewOffsetDeleteResponseTopicPartition()
			rp.Partition = p.Partition
			tp := TopicPartition{t.Topic, p.Partition}
			if subscribed[t.Topic] {
				rp.ErrorCode = kerr.GroupSubscribedToTopic.Code
			} else if _, ok := g.Offsets[tp]; ok {
				recs = append(recs, runtime.KV{Key: offsetKey(g.ID, tp), Value: nil})
				gone = append(gone, tp)
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	if len(recs) == 0 {
		c.deliver(tok, resp)
		return
	}
	ch := c.take(tok)
	c.write(g.ID, recs, func(err error) {
		c.rt.Post(func() {
			if err != nil {
				resp.ErrorCode = writeErrCode(err)
			} else {
				for _, tp := range gone {
					delete(g.Offsets, tp)
				}
			}
			ch <- resp
		})
	})
}

// subscribedTopics decodes the members' consumer-protocol subscriptions.
func (g *Group) subscribedTopics() map[string]bool {
	out := map[string]bool{}
	if g.protocolType != "consumer" {
		return out
	}
	for _, m := range g.members {
		var meta kmsg.ConsumerMemberMetadata
		if err := meta.ReadFrom(m.metadataFor(g.protocol)); err == nil {
			for _, t := range meta.Topics {
				out[t] = true
			}
		}
	}
	return out
}

// ErrorResponse answers a group request with code everywhere it can carry
// one (per partition for commits and fetches, per member for v3+ leaves).
func ErrorResponse(kreq kmsg.Request, code int16) kmsg.Response {
	switch req := kreq.(type) {
	case *kmsg.JoinGroupRequest:
		r := req.ResponseKind().(*kmsg.JoinGroupResponse)
		r.ErrorCode, r.MemberID = code, req.MemberID
		return r
	case *kmsg.SyncGroupRequest:
		r := req.ResponseKind().(*kmsg.SyncGroupResponse)
		r.ErrorCode = code
		return r
	case *kmsg.HeartbeatRequest:
		r := req.ResponseKind().(*kmsg.HeartbeatResponse)
		r.ErrorCode = code
		return r
	case *kmsg.LeaveGroupRequest:
		r := req.ResponseKind().(*kmsg.LeaveGroupResponse)
		r.ErrorCode = code
		return r
	case *kmsg.OffsetCommitRequest:
		r := req.ResponseKind().(*kmsg.OffsetCommitResponse)
		fillCommit(req, r, code)
		return r
	case *kmsg.TxnOffsetCommitRequest:
		r := req.ResponseKind().(*kmsg.TxnOffsetCommitResponse)
		fillTxnCommit(req, r, code)
		return r
	case *kmsg.OffsetFetchRequest:
		r := req.ResponseKind().(*kmsg.OffsetFetchResponse)
		r.ErrorCode = code
		for _, rg := range req.Groups {
			g := kmsg.NewOffsetFetchResponseGroup()
			g.Group, g.ErrorCode = rg.Group, code
			r.Groups = append(r.Groups, g)
		}
		if req.Version < 2 {
			// v0-1 have no top-level error: report it per partition.
			for _, t := range req.Topics {
				rt := kmsg.NewOffsetFetchResponseTopic()
				rt.Topic = t.Topic
				for _, p := range t.Partitions {
					rp := kmsg.NewOffsetFetchResponseTopicPartition()
					rp.Partition, rp.Offset, rp.ErrorCode = p, -1, code
					rt.Partitions = append(rt.Partitions, rp)
				}
				r.Topics = append(r.Topics, rt)
			}
		}
		return r
	case *kmsg.DescribeGroupsRequest:
		r := req.ResponseKind().(*kmsg.DescribeGroupsResponse)
		for _, id := range req.Groups {
			g := kmsg.NewDescribeGroupsResponseGroup()
			g.Group, g.ErrorCode = id, code
			r.Groups = append(r.Groups, g)
		}
		return r
	case *kmsg.ListGroupsRequest:
		r := req.ResponseKind().(*kmsg.ListGroupsResponse)
		r.ErrorCode = code
		return r
	case *kmsg.DeleteGroupsRequest:
		r := req.ResponseKind().(*kmsg.DeleteGroupsResponse)
		for _, id := range req.Groups {
			g := kmsg.NewDeleteGroupsResponseGroup()
			g.Group, g.ErrorCode = id, code
			r.Groups = append(r.Groups, g)
		}
		return r
	case *kmsg.OffsetDeleteRequest:
		r := req.ResponseKind().(*kmsg.OffsetDeleteResponse)
		r.ErrorCode = code
		return r
	case *kmsg.ConsumerGroupHeartbeatRequest:
		r := req.ResponseKind().(*kmsg.ConsumerGroupHeartbeatResponse)
		r.ErrorCode = code
		return r
	case *kmsg.ConsumerGroupDescribeRequest:
		r := req.ResponseKind().(*kmsg.ConsumerGroupDescribeResponse)
		for _, id := range req.Groups {
			g := kmsg.NewConsumerGroupDescribeResponseGroup()
			g.Group, g.ErrorCode = id, code
			r.Groups = append(r.Groups, g)
		}
		return r
	}
	return kreq.ResponseKind()
}
