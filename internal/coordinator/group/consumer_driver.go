package group

// The coordinator's side of KIP-848 consumer groups: requests are
// served on the driver goroutine like the classic ones; a change to a
// group is stored (consumer_record.go) before its answer is sent.
//
// A group id is either a classic group or a consumer group. The classic
// Group value under the same id, if any, keeps holding the committed
// offsets (so OffsetFetch, TxnOffsetCommit staging and offset deletion
// work unchanged); it has no members while the consumer group exists.

import (
	"fmt"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/config"
	"strom/internal/coordinator/runtime"
	"strom/internal/metadata"
)

// consumerRulesFrom reads the group.consumer.* settings. They are not
// typed config fields: they are read from the raw properties, with
// Kafka's defaults.
func consumerRulesFrom(b *config.Broker) ConsumerRules {
	ms := func(key string, def int64) time.Duration {
		if v, err := strconv.ParseInt(b.Raw[key], 10, 64); err == nil && v > 0 {
			return time.Duration(v) * time.Millisecond
		}
		return time.Duration(def) * time.Millisecond
	}
	r := ConsumerRules{
		HeartbeatInterval: ms("group.consumer.heartbeat.interval.ms", 5000),
		SessionTimeout:    ms("group.consumer.session.timeout.ms", 45000),
		NewMemberID:       newMemberID,
	}
	if v, err := strconv.Atoi(b.Raw["group.consumer.max.size"]); err == nil && v > 0 {
		r.MaxSize = v
	}
	return r
}

// imageTopics adapts the metadata image to TopicView.
type imageTopics struct{ img *metadata.Image }

func (t imageTopics) TopicByName(name string) (topicID, int32, bool) {
	tp := t.img.Topic(name)
	if tp == nil {
		return topicID{}, 0, false
	}
	return topicID(tp.ID), int32(len(tp.Partitions)), true
}

func (t imageTopics) TopicNames() []string { return t.img.TopicNames() }

func (c *Coordinator) topicView() imageTopics { return imageTopics{c.cfg.Topics.Image()} }

// isClassicInUse reports whether a classic group with members (or a
// rebalance under way) holds the id.
func isClassicInUse(g *Group) bool {
	return g != nil && (len(g.members) > 0 || len(g.pending) > 0 || (g.state != Empty && g.state != Dead))
}

func (c *Coordinator) consumerHeartbeat(now time.Time, client Client, req *kmsg.ConsumerGroupHeartbeatRequest, tok Token) {
	resp := req.ResponseKind().(*kmsg.ConsumerGroupHeartbeatResponse)
	fail := func(code int16, msg string) {
		resp.ErrorCode = code
		if msg != "" {
			resp.ErrorMessage = &msg
		}
		c.deliver(tok, resp)
	}
	if code, msg := ValidateHeartbeat(req); code != 0 {
		fail(code, msg)
		return
	}
	cg := c.consumer[req.Group]
	if cg == nil {
		if isClassicInUse(c.groups[req.Group]) {
			// No online upgrade of a classic group.
			fail(kerr.GroupIDNotFound.Code, fmt.Sprintf("Group %s is not a consumer group.", req.Group))
			return
		}
		if req.MemberEpoch != 0 {
			fail(kerr.GroupIDNotFound.Code, fmt.Sprintf("Consumer group %s not found.", req.Group))
			return
		}
		cg = NewConsumerGroup(req.Group, &c.crules)
		c.consumer[req.Group] = cg
	}
	resp, store := cg.Heartbeat(now, req, client, c.topicView())
	if cg.NumMembers() == 0 && cg.Epoch() == 0 {
		delete(c.consumer, req.Group) // a first join that failed
		store = false
	}
	if !store {
		c.deliver(tok, resp)
		return
	}
	ch := c.take(tok)
	c.storeConsumer(cg, func(err error) {
		if err != nil {
			resp.ErrorCode = writeErrCode(err)
			resp.Assignment = nil
		}
		ch <- resp
	})
}

// storeConsumer writes the group's record; done runs off the driver once
// it is durable (or failed).
func (c *Coordinator) storeConsumer(cg *ConsumerGroup, done func(error)) {
	c.write(cg.ID, []runtime.KV{{Key: consumerKey(cg.ID), Value: cg.Snapshot()}}, func(err error) {
		if err != nil {
			c.log.Warn("storing consumer group failed", "group", cg.ID, "err", err)
		}
		if done != nil {
			done(err)
		}
	})
}

// dropConsumer forgets an empty consumer group (a classic join takes the
// id over, or the group is deleted) and writes its tombstone.
func (c *Coordinator) dropConsumer(cg *ConsumerGroup) {
	cg.MarkDead()
	delete(c.consumer, cg.ID)
	c.write(cg.ID, []runtime.KV{{Key: consumerKey(cg.ID), Value: nil}}, func(err error) {
		if err != nil {
			c.log.Warn("deleting consumer group record failed", "group", cg.ID, "err", err)
		}
	})
}

func (c *Coordinator) consumerDescribe(req *kmsg.ConsumerGroupDescribeRequest) *kmsg.ConsumerGroupDescribeResponse {
	resp := req.ResponseKind().(*kmsg.ConsumerGroupDescribeResponse)
	img := c.cfg.Topics.Image()
	name := func(id topicID) string {
		if t := img.TopicByID(metadata.TopicID(id)); t != nil {
			return t.Name
		}
		return ""
	}
	for _, id := range req.Groups {
		rg := kmsg.NewConsumerGroupDescribeResponseGroup()
		rg.Group = id
		cg := c.consumer[id]
		switch {
		case id == "":
			rg.ErrorCode = kerr.InvalidGroupID.Code
		case cg == nil && c.groups[id] != nil && c.groups[id].state != Dead:
			rg.ErrorCode = kerr.GroupIDNotFound.Code
			msg := fmt.Sprintf("Group %s is not a consumer group.", id)
			rg.ErrorMessage = &msg
		case cg == nil:
			rg.ErrorCode = kerr.GroupIDNotFound.Code
			msg := fmt.Sprintf("Group %s not found.", id)
			rg.ErrorMessage = &msg
		default:
			cg.Describe(&rg, name)
		}
		resp.Groups = append(resp.Groups, rg)
	}
	return resp
}

// consumerCommitCheck validates an OffsetCommit (or TxnOffsetCommit)
// against a consumer group.
func (c *Coordinator) consumerCommitCheck(cg *ConsumerGroup, memberID string, epoch int32, version int16, txn bool, topics map[string][]int32) int16 {
	img := c.cfg.Topics.Image()
	var parts []tpKey
	for t, ps := range topics {
		tp := img.Topic(t)
		if tp == nil {
			continue
		}
		for _, p := range ps {
			parts = append(parts, tpKey{topicID(tp.ID), p})
		}
	}
	return cg.CheckCommit(memberID, epoch, version, txn, parts)
}

func (c *Coordinator) consumerTick(now time.Time) {
	for _, cg := range c.consumer {
		if t, ok := cg.Deadline(); ok && !now.Before(t) {
			if cg.Tick(now, c.topicView()) {
				c.storeConsumer(cg, nil)
			}
		}
	}
}

func (c *Coordinator) consumerDeadline(d time.Time) time.Time {
	for _, cg := range c.consumer {
		if t, ok := cg.Deadline(); ok && (d.IsZero() || t.Before(d)) {
			d = t
		}
	}
	return d
}
