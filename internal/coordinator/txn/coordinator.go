package txn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/config"
	"strom/internal/controller"
	"strom/internal/coordinator/group"
	plog "strom/internal/log"
	"strom/internal/metadata"
	"strom/internal/replica"
)

// Topics is the part of the metadata controller the coordinator needs.
type Topics interface {
	Image() *metadata.Image
	CreateTopics(ctx context.Context, specs []controller.TopicSpec, validateOnly bool) []controller.TopicResult
}

// ProducerIDs hands out producer ids unique across restarts.
type ProducerIDs interface {
	Next() (int64, error)
}

// Offsets is the group coordinator's side of transactional offset
// commits: once the marker is durable in a __consumer_offsets partition,
// the offsets the producer staged there become committed (or are
// dropped).
type Offsets interface {
	CompleteTxn(producerID int64, partition int32, commit bool)
}

// Clock is the driver's time source; tests substitute one they move.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type wallClock struct{}

func (wallClock) Now() time.Time                         { return time.Now() }
func (wallClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Config wires a coordinator to the broker.
type Config struct {
	Broker      *config.Broker
	Topics      Topics
	Replicas    *replica.Manager
	ProducerIDs ProducerIDs
	Offsets     Offsets // nil: no group coordinator (TxnOffsetCommit unavailable)
	Logger      *slog.Logger
	Clock       Clock // nil: wall clock
}

var (
	// ErrNoStateTopic: __transaction_state does not exist yet, so there
	// are no transactional ids (Ready without create).
	ErrNoStateTopic = errors.New("__transaction_state does not exist")
	// ErrClosed: the coordinator is stopping.
	ErrClosed = errors.New("transaction coordinator closed")
)

// Coordinator is the transaction coordinator for every transactional id.
// See doc.go for ownership and concurrency.
type Coordinator struct {
	cfg   Config
	clock Clock
	log   *slog.Logger

	inbox chan func()
	stop  chan struct{}
	done  chan struct{}
	ctx   context.Context
	cncl  context.CancelFunc

	ready    chan struct{}
	mu       sync.Mutex // guards ensuring
	ensuring bool

	// Owned by the driver goroutine.
	txns   map[string]*Txn
	nparts int32
}

// Start runs the driver; if __transaction_state exists it is loaded at
// once, otherwise the first transactional request creates it.
func Start(cfg Config) *Coordinator {
	if cfg.Clock == nil {
		cfg.Clock = wallClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	c := &Coordinator{
		cfg: cfg, clock: cfg.Clock, log: cfg.Logger,
		inbox: make(chan func(), 256),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
		ready: make(chan struct{}),
		txns:  map[string]*Txn{},
	}
	c.ctx, c.cncl = context.WithCancel(context.Background())
	go c.run()
	if cfg.Topics.Image().Topic(StateTopic) != nil {
		c.mu.Lock()
		c.ensuring = true
		c.mu.Unlock()
		go c.ensure()
	}
	return c
}

// Close stops the driver. Transactions being completed stay in their
// Prepare state on disk and are completed after the next start.
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

// Ready waits until __transaction_state is loaded; with create, a missing
// topic is created first.
func (c *Coordinator) Ready(ctx context.Context, create bool) error {
	select {
	case <-c.ready:
		return nil
	default:
	}
	c.mu.Lock()
	if !c.ensuring {
		if !create && c.cfg.Topics.Image().Topic(StateTopic) == nil {
			c.mu.Unlock()
			return ErrNoStateTopic
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

// IsReady reports whether __transaction_state is loaded.
func (c *Coordinator) IsReady() bool {
	select {
	case <-c.ready:
		return true
	default:
		return false
	}
}

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
		c.log.Warn("transaction coordinator not ready yet", "attempt", attempt, "err", err)
		select {
		case <-c.stop:
			return
		case <-time.After(time.Second): // retry backoff
		}
	}
}

func (c *Coordinator) ensureOnce() error {
	b := c.cfg.Broker
	if c.cfg.Topics.Image().Topic(StateTopic) == nil {
		ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
		res := c.cfg.Topics.CreateTopics(ctx, []controller.TopicSpec{{
			Name:              StateTopic,
			NumPartitions:     b.TransactionStateLogNumPartitions,
			ReplicationFactor: b.TransactionStateLogReplicationFactor,
			Configs:           map[string]string{"cleanup.policy": "compact", "segment.bytes": "104857600", "compression.type": "uncompressed", "min.insync.replicas": "1"},
		}}, false)
		cancel()
		if err := res[0].Err; err != nil && !errors.Is(err, controller.ErrTopicExists) {
			return fmt.Errorf("creating %s: %w", StateTopic, err)
		}
		c.log.Info("created internal topic", "topic", StateTopic, "partitions", b.TransactionStateLogNumPartitions)
	}
	deadline := time.After(30 * time.Second)
	var n int32
	for {
		sig := c.cfg.Replicas.Signal()
		if t := c.cfg.Topics.Image().Topic(StateTopic); t != nil {
			n = int32(len(t.Partitions))
			open := int32(0)
			for i := int32(0); i < n; i++ {
				if _, err := c.cfg.Replicas.Partition(StateTopic, i); err == nil {
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
			return fmt.Errorf("%s partitions did not open", StateTopic)
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

// load rebuilds every transactional id from __transaction_state, then
// finishes what a stop interrupted: transactions left in a Prepare state
// get their markers (again) and complete. Open transactions stay open;
// their timeout still applies. Runs on the driver.
func (c *Coordinator) load(n int32) error {
	c.nparts = n
	recs := 0
	for i := int32(0); i < n; i++ {
		p, err := c.cfg.Replicas.Partition(StateTopic, i)
		if err != nil {
			return err
		}
		k, err := readPartition(p, func(key, value []byte) {
			id, m, err := decodeState(key, value)
			if err != nil {
				c.log.Warn("skipping unreadable __transaction_state record", "partition", i, "err", err)
				return
			}
			if m == nil {
				delete(c.txns, id)
				return
			}
			t := c.txns[id]
			if t == nil {
				t = NewTxn(id)
				c.txns[id] = t
			}
			t.Apply(*m)
		})
		if err != nil {
			return fmt.Errorf("loading %s-%d: %w", StateTopic, i, err)
		}
		recs += k
	}
	resumed := 0
	for _, t := range c.txns {
		if t.State == PrepareCommit || t.State == PrepareAbort {
			c.complete(t, nil)
			resumed++
		}
	}
	c.log.Info("transaction coordinator loaded", "partitions", n, "records", recs, "transactional_ids", len(c.txns), "resumed", resumed)
	return nil
}

func (c *Coordinator) post(fn func()) bool {
	select {
	case c.inbox <- fn:
		return true
	case <-c.stop:
		return false
	}
}

// call runs fn on the driver and returns its response channel; a stopped
// coordinator answers with errResp.
func (c *Coordinator) call(errResp func() kmsg.Response, fn func(reply func(kmsg.Response))) <-chan kmsg.Response {
	ch := make(chan kmsg.Response, 1)
	once := func(r kmsg.Response) { ch <- r }
	if !c.post(func() { fn(once) }) {
		ch <- errResp()
	}
	return ch
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

func (c *Coordinator) nextDeadline() (time.Time, bool) {
	var d time.Time
	for _, t := range c.txns {
		if at, ok := t.Deadline(); ok && (d.IsZero() || at.Before(d)) {
			d = at
		}
	}
	return d, !d.IsZero()
}

// tick aborts transactions open past their timeout.
func (c *Coordinator) tick() {
	now := c.clock.Now()
	for _, t := range c.txns {
		next, ok := t.Expire(now)
		if !ok {
			continue
		}
		c.log.Info("aborting timed out transaction", "transactional_id", t.ID, "producer_id", t.ProducerID, "epoch", t.Epoch)
		c.store(t, next, func(err error) {
			if err == nil {
				c.complete(t, nil)
			}
		})
	}
}

// store writes next for t and, once it is durable, applies it and calls
// done on the driver. While the write is in flight t.Pending is set.
func (c *Coordinator) store(t *Txn, next Meta, done func(error)) {
	t.Pending = &next
	c.write(t.ID, stateValue(next), func(err error) {
		c.post(func() {
			t.Pending = nil
			if err == nil {
				t.Apply(next)
			} else {
				c.log.Warn("writing transaction state failed", "transactional_id", t.ID, "err", err)
			}
			done(err)
		})
	})
}

// write appends one record to the id's __transaction_state partition
// and calls done (on another goroutine) once it is durable or failed.
func (c *Coordinator) write(id string, value []byte, done func(error)) {
	now := c.clock.Now()
	p, err := c.cfg.Replicas.Partition(StateTopic, group.PartitionFor(id, c.nparts))
	if err != nil {
		go done(err)
		return
	}
	res, err := p.Append(buildBatch(stateKey(id), value, now), now)
	if err != nil {
		go done(err)
		return
	}
	go func() { done(p.WaitCommitted(c.ctx, res.LastOffset)) }()
}

// complete writes the markers of t's Prepare state to every partition in
// the transaction, then stores the Complete state and answers waiters
// (nil for timeouts and recovery). The markers are written off the
// driver; until the Complete state is stored, requests for the id get
// CONCURRENT_TRANSACTIONS.
func (c *Coordinator) complete(t *Txn, reply func(code int16)) {
	t.completing = true
	commit := t.State == PrepareCommit
	pid, epoch := t.ProducerID, t.Epoch
	parts := t.SortedPartitions()
	go func() {
		for _, tp := range parts {
			if err := c.writeMarker(tp, pid, epoch, commit); err != nil {
				// Only a stopping coordinator gets here: the Prepare
				// state is durable and the next start completes it.
				return
			}
		}
		c.post(func() {
			c.store(t, t.Complete(c.clock.Now()), func(err error) {
				t.completing = false
				if err != nil {
					// Retry the whole completion: markers are idempotent
					// for readers (a second marker closes nothing).
					c.complete(t, reply)
					return
				}
				if reply != nil {
					reply(0)
				}
			})
		})
	}()
}

// writeMarker appends one marker and waits until it is durable, retrying
// storage hiccups until the coordinator stops. A partition that no longer
// exists (its topic was deleted) is skipped, as Kafka does. Markers in
// __consumer_offsets also settle the offsets staged by TxnOffsetCommit.
func (c *Coordinator) writeMarker(tp TP, pid int64, epoch int16, commit bool) error {
	for attempt := 0; ; attempt++ {
		err := c.writeMarkerOnce(tp, pid, epoch, commit)
		switch {
		case err == nil:
			if tp.Topic == group.OffsetsTopic && c.cfg.Offsets != nil {
				c.cfg.Offsets.CompleteTxn(pid, tp.Partition, commit)
			}
			return nil
		case errors.Is(err, replica.ErrUnknownTopicOrPartition):
			c.log.Warn("skipping transaction marker for a partition that no longer exists", "topic", tp.Topic, "partition", tp.Partition)
			return nil
		case errors.Is(err, plog.ErrInvalidProducerEpoch):
			// A newer epoch of this producer already wrote there, which
			// only a marker of ours can have done: nothing left to close.
			c.log.Warn("skipping stale transaction marker", "topic", tp.Topic, "partition", tp.Partition, "err", err)
			return nil
		}
		c.log.Warn("writing transaction marker failed; retrying", "topic", tp.Topic, "partition", tp.Partition, "attempt", attempt, "err", err)
		select {
		case <-c.stop:
			return ErrClosed
		case <-time.After(200 * time.Millisecond): // retry backoff
		}
	}
}

func (c *Coordinator) writeMarkerOnce(tp TP, pid int64, epoch int16, commit bool) error {
	p, err := c.cfg.Replicas.Partition(tp.Topic, tp.Partition)
	if err != nil {
		return err
	}
	last, err := p.AppendControl(pid, epoch, commit, c.clock.Now())
	if err != nil {
		return err
	}
	return p.WaitCommitted(c.ctx, last)
}
