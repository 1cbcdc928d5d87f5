package group

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/config"
	"strom/internal/controller"
	"strom/internal/coordinator/runtime"
	"strom/internal/replica"
)

// Topics is the part of the metadata controller the coordinator needs:
// the image (to validate commits and find __consumer_offsets) and topic
// creation (to create __consumer_offsets on first use).
type Topics = runtime.Topics

// Clock is the driver's time source; tests may substitute one they move.
type Clock = runtime.Clock

// Config wires a coordinator to the broker.
type Config struct {
	Broker   *config.Broker
	Topics   Topics
	Replicas *replica.Manager
	Logger   *slog.Logger
	Clock    Clock // nil: wall clock
}

// Client describes the connection a request came from.
type Client struct {
	ID   string // client.id
	Host string // remote address
}

var (
	// ErrNoOffsetsTopic: __consumer_offsets does not exist yet, so there
	// are no groups (returned by Ready when asked not to create it).
	ErrNoOffsetsTopic = errors.New("__consumer_offsets does not exist")
	// ErrClosed: the coordinator is stopping.
	ErrClosed = errors.New("group coordinator closed")
)

// offsetMetadataMaxBytes is Kafka's offset.metadata.max.bytes default.
const offsetMetadataMaxBytes = 4096

// Coordinator serves the classic group protocol and committed offsets
// for every group. See doc.go for ownership and concurrency.
type Coordinator struct {
	cfg    Config
	rules  Rules
	crules ConsumerRules // KIP-848 groups (consumer_driver.go)
	clock  Clock
	log    *slog.Logger

	// rt runs the driver goroutine and __consumer_offsets (load, writes,
	// readiness).
	rt *runtime.Runtime

	// Owned by the driver goroutine.
	groups   map[string]*Group
	consumer map[string]*ConsumerGroup // KIP-848 groups; see consumer_driver.go
	pending  pendingTxn                // transactional offsets awaiting their marker (txn.go)
	waiters  map[Token]chan kmsg.Response
	nextTok  Token
	nparts   int32
}

// Start runs the coordinator's driver. If __consumer_offsets exists, it
// starts loading it at once; otherwise the first group request creates it.
func Start(cfg Config) *Coordinator {
	if cfg.Clock == nil {
		cfg.Clock = runtime.WallClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	b := cfg.Broker
	c := &Coordinator{
		cfg: cfg, clock: cfg.Clock, log: cfg.Logger,
		rules: Rules{
			MinSessionTimeout: time.Duration(b.GroupMinSessionTimeoutMs) * time.Millisecond,
			MaxSessionTimeout: time.Duration(b.GroupMaxSessionTimeoutMs) * time.Millisecond,
			InitialRebalance:  time.Duration(b.GroupInitialRebalanceDelayMs) * time.Millisecond,
			NewMemberID:       newMemberID,
		},
		crules:   consumerRulesFrom(b),
		consumer: map[string]*ConsumerGroup{},
		groups:   map[string]*Group{},
		pending:  pendingTxn{},
		waiters:  map[Token]chan kmsg.Response{},
	}
	c.rt = runtime.New(runtime.Config{
		Name: "group coordinator",
		Topic: controller.TopicSpec{
			Name:              OffsetsTopic,
			NumPartitions:     b.OffsetsTopicNumPartitions,
			ReplicationFactor: b.OffsetsTopicReplicationFactor,
			Configs:           map[string]string{"cleanup.policy": "compact", "segment.bytes": "104857600", "compression.type": "producer"},
		},
		Topics: cfg.Topics, Replicas: cfg.Replicas, Logger: cfg.Logger, Clock: cfg.Clock,
		Load: c.load, NextDeadline: c.nextDeadline, Tick: c.tick,
	})
	c.rt.Start()
	return c
}

// newMemberID is Kafka's form: the client id (or group.instance.id)
// followed by a random UUID.
func newMemberID(prefix string) string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return prefix + "-" + h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Close stops the driver. Parked requests are abandoned; their
// connections are closing too.
func (c *Coordinator) Close() { c.rt.Close() }

// Ready waits until __consumer_offsets is loaded. With create, a missing
// topic is created first; without, a missing topic is ErrNoOffsetsTopic.
func (c *Coordinator) Ready(ctx context.Context, create bool) error {
	switch err := c.rt.Ready(ctx, create); {
	case errors.Is(err, runtime.ErrNoTopic):
		return ErrNoOffsetsTopic
	case errors.Is(err, runtime.ErrClosed):
		return ErrClosed
	default:
		return err
	}
}

// IsReady reports whether __consumer_offsets is loaded.
func (c *Coordinator) IsReady() bool { return c.rt.IsReady() }

// Do submits a group request. The response arrives on the returned
// channel (buffered: the driver never waits for the reader). Requests
// are handled in submission order; call Do on the connection's read path
// and wait in the deferred part of the handler.
func (c *Coordinator) Do(client Client, req kmsg.Request) <-chan kmsg.Response {
	ch := make(chan kmsg.Response, 1)
	if !c.rt.Post(func() {
		c.nextTok++
		tok := c.nextTok
		c.waiters[tok] = ch
		c.handle(client, req, tok)
	}) {
		ch <- ErrorResponse(req, kerr.CoordinatorNotAvailable.Code)
	}
	return ch
}

// Query runs fn on the driver with read access to the groups (used by
// tests and introspection); fn must not keep references.
func (c *Coordinator) Query(fn func(groups map[string]*Group)) {
	c.rt.Call(func() { fn(c.groups) })
}

// nextDeadline scans every group: simple, and cheap next to the network
// round trips that cause each loop iteration. A heap would replace it if
// a broker ever held very many groups.
func (c *Coordinator) nextDeadline() (time.Time, bool) {
	var d time.Time
	for _, g := range c.groups {
		if t, ok := g.Deadline(); ok && (d.IsZero() || t.Before(d)) {
			d = t
		}
	}
	d = c.consumerDeadline(d)
	return d, !d.IsZero()
}

func (c *Coordinator) tick() {
	now := c.clock.Now()
	for _, g := range c.groups {
		if t, ok := g.Deadline(); ok && !now.Before(t) {
			c.apply(g, g.Tick(now))
		}
	}
	c.consumerTick(now)
}

func (c *Coordinator) deliver(tok Token, resp kmsg.Response) {
	if ch, ok := c.waiters[tok]; ok {
		delete(c.waiters, tok)
		ch <- resp
	}
}

// take removes a waiter so that a goroutine can answer it later.
func (c *Coordinator) take(tok Token) chan kmsg.Response {
	ch := c.waiters[tok]
	delete(c.waiters, tok)
	return ch
}

func (c *Coordinator) apply(g *Group, fx Effects) {
	for _, r := range fx.Replies {
		c.deliver(r.Token, r.Resp)
	}
	if !fx.Store {
		for _, r := range fx.AfterStore {
			c.deliver(r.Token, r.Resp)
		}
		return
	}
	type later struct {
		ch   chan kmsg.Response
		resp kmsg.Response
	}
	var ls []later
	for _, r := range fx.AfterStore {
		if ch := c.take(r.Token); ch != nil {
			ls = append(ls, later{ch, r.Resp})
		}
	}
	now := c.clock.Now()
	c.write(g.ID, []runtime.KV{{Key: groupKey(g.ID), Value: groupValue(g.Snapshot(now))}}, func(err error) {
		for _, l := range ls {
			if err != nil {
				if sr, ok := l.resp.(*kmsg.SyncGroupResponse); ok {
					sr.ErrorCode = writeErrCode(err)
					sr.MemberAssignment = nil
				}
			}
			l.ch <- l.resp
		}
	})
}

// write appends records to the group's __consumer_offsets partition and
// calls done once they are durable (or failed). done always runs on
// another goroutine, so it may post back to the driver.
func (c *Coordinator) write(groupID string, recs []runtime.KV, done func(error)) {
	c.writeBatch(groupID, runtime.BuildBatch(recs, c.clock.Now()), done)
}

// writeBatch appends an encoded batch to the group's partition; see write.
func (c *Coordinator) writeBatch(groupID string, batch []byte, done func(error)) {
	if err := c.rt.Write(PartitionFor(groupID, c.nparts), batch, c.clock.Now(), done); err != nil {
		c.log.Warn("writing group state failed", "group", groupID, "err", err)
	}
}

// writeErrCode is what Kafka's GroupMetadataManager answers when the
// write to __consumer_offsets fails.
func writeErrCode(err error) int16 {
	switch {
	case errors.Is(err, replica.ErrNotLeader):
		return kerr.NotCoordinator.Code
	case errors.Is(err, replica.ErrMessageTooLarge):
		return kerr.InvalidCommitOffsetSize.Code
	default:
		return kerr.CoordinatorNotAvailable.Code
	}
}

// load rebuilds groups and offsets from __consumer_offsets; runs on the driver.
func (c *Coordinator) load(n int32) error {
	now := c.clock.Now()
	c.nparts = n
	// Records of transactional batches (TxnOffsetCommit) are staged;
	// transaction markers settle them.
	recs, err := c.rt.Replay(n, func(part int32, r runtime.Record) {
		e, err := decodeEntry(r.Key, r.Value)
		if err != nil {
			c.log.Warn("skipping unreadable __consumer_offsets record", "partition", part, "err", err)
			return
		}
		if r.Transactional {
			// Staged until its marker (later in this partition, or
			// from the transaction coordinator) settles it.
			if !e.isMeta && e.offset != nil {
				c.pending.stage(r.ProducerID, e.group, e.tp, *e.offset)
			}
			return
		}
		c.applyEntry(now, e)
	}, func(part int32, pid int64, commit bool) {
		c.settle(now, pid, part, commit)
	})
	if err != nil {
		return err
	}
	c.log.Info("group coordinator loaded", "partitions", n, "records", recs, "groups", len(c.groups))
	return nil
}

func (c *Coordinator) applyEntry(now time.Time, e entry) {
	if e.isConsumer {
		if e.consumer == nil {
			delete(c.consumer, e.group)
			return
		}
		cg, err := RestoreConsumerGroup(e.group, e.consumer, &c.crules, now)
		if err != nil {
			c.log.Warn("skipping unreadable consumer group record", "group", e.group, "err", err)
			return
		}
		c.consumer[e.group] = cg
		return
	}
	g := c.groups[e.group]
	if e.isMeta {
		if e.meta == nil {
			delete(c.groups, e.group)
			return
		}
		if g == nil {
			g = NewGroup(e.group, &c.rules, now)
			c.groups[e.group] = g
		}
		g.Restore(now, e.meta)
		return
	}
	if e.offset == nil {
		if g != nil {
			delete(g.Offsets, e.tp)
		}
		return
	}
	if g == nil {
		g = NewGroup(e.group, &c.rules, now)
		c.groups[e.group] = g
	}
	g.Offsets[e.tp] = *e.offset
}
