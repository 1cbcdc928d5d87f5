package group

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/config"
	"strom/internal/controller"
	"strom/internal/metadata"
	"strom/internal/replica"
)

// Topics is the part of the metadata controller the coordinator needs:
// the image (to validate commits and find __consumer_offsets) and topic
// creation (to create __consumer_offsets on first use).
type Topics interface {
	Image() *metadata.Image
	CreateTopics(ctx context.Context, specs []controller.TopicSpec, validateOnly bool) []controller.TopicResult
}

// Clock is the driver's time source; tests may substitute one they move.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type wallClock struct{}

func (wallClock) Now() time.Time                         { return time.Now() }
func (wallClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

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

	inbox chan func()
	stop  chan struct{}
	done  chan struct{}
	ctx   context.Context // cancelled by Close; bounds durability waits
	cncl  context.CancelFunc

	ready    chan struct{} // closed once __consumer_offsets is loaded
	mu       sync.Mutex    // guards ensuring
	ensuring bool

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
		cfg.Clock = wallClock{}
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
		inbox:    make(chan func(), 256),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
		ready:    make(chan struct{}),
		groups:   map[string]*Group{},
		pending:  pendingTxn{},
		waiters:  map[Token]chan kmsg.Response{},
	}
	c.ctx, c.cncl = context.WithCancel(context.Background())
	go c.run()
	if cfg.Topics.Image().Topic(OffsetsTopic) != nil {
		c.mu.Lock()
		c.ensuring = true
		c.mu.Unlock()
		go c.ensure()
	}
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
func (c *Coordinator) Close() {
	select {
	case <-c.stop:
		return
	default:
	}
	close(c.stop)
	c.cncl()
	<-c.done
}

// Ready waits until __consumer_offsets is loaded. With create, a missing
// topic is created first; without, a missing topic is ErrNoOffsetsTopic.
func (c *Coordinator) Ready(ctx context.Context, create bool) error {
	select {
	case <-c.ready:
		return nil
	default:
	}
	c.mu.Lock()
	if !c.ensuring {
		if !create && c.cfg.Topics.Image().Topic(OffsetsTopic) == nil {
			c.mu.Unlock()
			return ErrNoOffsetsTopic
		}
		c.ensuring = true
		go c.ensure()
	}
	c.mu.Unlock()
	select {
	case <-c.ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-c.stop:
		return ErrClosed
	}
}

// IsReady reports whether __consumer_offsets is loaded.
func (c *Coordinator) IsReady() bool {
	select {
	case <-c.ready:
		return true
	default:
		return false
	}
}

// ensure creates __consumer_offsets if needed, waits for its partitions
// to open here and has the driver load them. It retries until it
// succeeds or the coordinator stops.
func (c *Coordinator) ensure() {
	for attempt := 0; ; attempt++ {
		err := c.ensureOnce()
		if err == nil {
			close(c.ready)
			return
		}
		if errors.Is(err, ErrClosed) {
			return
		}
		c.log.Warn("group coordinator not ready yet", "attempt", attempt, "err", err)
		select {
		case <-c.stop:
			return
		case <-time.After(time.Second): // retry backoff
		}
	}
}

func (c *Coordinator) ensureOnce() error {
	b := c.cfg.Broker
	if c.cfg.Topics.Image().Topic(OffsetsTopic) == nil {
		ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
		res := c.cfg.Topics.CreateTopics(ctx, []controller.TopicSpec{{
			Name:              OffsetsTopic,
			NumPartitions:     b.OffsetsTopicNumPartitions,
			ReplicationFactor: b.OffsetsTopicReplicationFactor,
			Configs:           map[string]string{"cleanup.policy": "compact", "segment.bytes": "104857600", "compression.type": "producer"},
		}}, false)
		cancel()
		if err := res[0].Err; err != nil && !errors.Is(err, controller.ErrTopicExists) {
			return fmt.Errorf("creating %s: %w", OffsetsTopic, err)
		}
		c.log.Info("created internal topic", "topic", OffsetsTopic, "partitions", b.OffsetsTopicNumPartitions)
	}
	deadline := time.After(30 * time.Second)
	var n int32
	for {
		sig := c.cfg.Replicas.Signal()
		t := c.cfg.Topics.Image().Topic(OffsetsTopic)
		if t != nil {
			n = int32(len(t.Partitions))
			open := int32(0)
			for i := int32(0); i < n; i++ {
				if _, err := c.cfg.Replicas.Partition(OffsetsTopic, i); err == nil {
					open++
				}
			}
			if open == n {
				break
			}
		}
		select {
		case <-sig:
		case <-deadline:
			return fmt.Errorf("%s partitions did not open", OffsetsTopic)
		case <-c.stop:
			return ErrClosed
		}
	}
	errc := make(chan error, 1)
	if !c.post(func() { errc <- c.load(n) }) {
		return ErrClosed
	}
	return <-errc
}

// post hands fn to the driver; false if the coordinator stopped.
func (c *Coordinator) post(fn func()) bool {
	select {
	case c.inbox <- fn:
		return true
	case <-c.stop:
		return false
	}
}

// Do submits a group request. The response arrives on the returned
// channel (buffered: the driver never waits for the reader). Requests
// are handled in submission order; call Do on the connection's read path
// and wait in the deferred part of the handler.
func (c *Coordinator) Do(client Client, req kmsg.Request) <-chan kmsg.Response {
	ch := make(chan kmsg.Response, 1)
	if !c.post(func() {
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
	done := make(chan struct{})
	if c.post(func() { fn(c.groups); close(done) }) {
		<-done
	}
}

func (c *Coordinator) run() {
	defer close(c.done)
	for {
		var timer <-chan time.Time
		if d, ok := c.nextDeadline(); ok {
			timer = c.clock.After(max(d.Sub(c.clock.Now()), 0))
		}
		select {
		case fn := <-c.inbox:
			fn()
		case <-timer:
			c.tick()
		case <-c.stop:
			return
		}
	}
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
	c.write(g.ID, []kv{{groupKey(g.ID), groupValue(g.Snapshot(now))}}, func(err error) {
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
func (c *Coordinator) write(groupID string, recs []kv, done func(error)) {
	c.writeBatch(groupID, buildBatch(recs, c.clock.Now()), done)
}

// writeBatch appends an encoded batch to the group's partition; see write.
func (c *Coordinator) writeBatch(groupID string, batch []byte, done func(error)) {
	now := c.clock.Now()
	p, err := c.cfg.Replicas.Partition(OffsetsTopic, PartitionFor(groupID, c.nparts))
	if err != nil {
		go done(err)
		return
	}
	res, err := p.Append(batch, now)
	if err != nil {
		c.log.Warn("writing group state failed", "group", groupID, "err", err)
		go done(err)
		return
	}
	go func() { done(p.WaitCommitted(c.ctx, res.LastOffset)) }()
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
	var recs int
	for i := int32(0); i < n; i++ {
		p, err := c.cfg.Replicas.Partition(OffsetsTopic, i)
		if err != nil {
			return err
		}
		k, err := loadPartition(p, func(key, value []byte, pid int64, txn bool) {
			e, err := decodeEntry(key, value)
			if err != nil {
				c.log.Warn("skipping unreadable __consumer_offsets record", "partition", i, "err", err)
				return
			}
			if txn {
				// Staged until its marker (later in this partition, or
				// from the transaction coordinator) settles it.
				if !e.isMeta && e.offset != nil {
					c.pending.stage(pid, e.group, e.tp, *e.offset)
				}
				return
			}
			c.applyEntry(now, e)
		}, func(pid int64, commit bool) {
			c.settle(now, pid, i, commit)
		})
		if err != nil {
			return fmt.Errorf("loading %s-%d: %w", OffsetsTopic, i, err)
		}
		recs += k
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
