package txn

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/config"
	"strom/internal/controller"
	"strom/internal/coordinator/group"
	"strom/internal/coordinator/runtime"
	plog "strom/internal/log"
	"strom/internal/replica"
)

// Topics is the part of the metadata controller the coordinator needs.
type Topics = runtime.Topics

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
type Clock = runtime.Clock

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

	// rt runs the driver goroutine and __transaction_state (load,
	// writes, readiness).
	rt *runtime.Runtime

	// Owned by the driver goroutine.
	txns   map[string]*Txn
	nparts int32
}

// Start runs the driver; if __transaction_state exists it is loaded at
// once, otherwise the first transactional request creates it.
func Start(cfg Config) *Coordinator {
	if cfg.Clock == nil {
		cfg.Clock = runtime.WallClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	c := &Coordinator{
		cfg: cfg, clock: cfg.Clock, log: cfg.Logger,
		txns: map[string]*Txn{},
	}
	b := cfg.Broker
	c.rt = runtime.New(runtime.Config{
		Name: "transaction coordinator",
		Topic: controller.TopicSpec{
			Name:              StateTopic,
			NumPartitions:     b.TransactionStateLogNumPartitions,
			ReplicationFactor: b.TransactionStateLogReplicationFactor,
			Configs:           map[string]string{"cleanup.policy": "compact", "segment.bytes": "104857600", "compression.type": "uncompressed", "min.insync.replicas": "1"},
		},
		Topics: cfg.Topics, Replicas: cfg.Replicas, Logger: cfg.Logger, Clock: cfg.Clock,
		Load: c.load, NextDeadline: c.nextDeadline, Tick: c.tick,
	})
	c.rt.Start()
	return c
}

// Close stops the driver. Transactions being completed stay in their
// Prepare state on disk and are completed after the next start.
func (c *Coordinator) Close() { c.rt.Close() }

// Ready waits until __transaction_state is loaded; with create, a missing
// topic is created first.
func (c *Coordinator) Ready(ctx context.Context, create bool) error {
	switch err := c.rt.Ready(ctx, create); {
	case errors.Is(err, runtime.ErrNoTopic):
		return ErrNoStateTopic
	case errors.Is(err, runtime.ErrClosed):
		return ErrClosed
	default:
		return err
	}
}

// IsReady reports whether __transaction_state is loaded.
func (c *Coordinator) IsReady() bool { return c.rt.IsReady() }

// load rebuilds every transactional id from __transaction_state, then
// finishes what a stop interrupted: transactions left in a Prepare state
// get their markers (again) and complete. Open transactions stay open;
// their timeout still applies. Runs on the driver.
func (c *Coordinator) load(n int32) error {
	c.nparts = n
	recs, err := c.rt.Replay(n, func(part int32, r runtime.Record) {
		id, m, err := decodeState(r.Key, r.Value)
		if err != nil {
			c.log.Warn("skipping unreadable __transaction_state record", "partition", part, "err", err)
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
	}, nil)
	if err != nil {
		return err
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

// call runs fn on the driver and returns its response channel; a stopped
// coordinator answers with errResp.
func (c *Coordinator) call(errResp func() kmsg.Response, fn func(reply func(kmsg.Response))) <-chan kmsg.Response {
	ch := make(chan kmsg.Response, 1)
	once := func(r kmsg.Response) { ch <- r }
	if !c.rt.Post(func() { fn(once) }) {
		ch <- errResp()
	}
	return ch
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
		c.rt.Post(func() {
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
	batch := runtime.BuildBatch([]runtime.KV{{Key: stateKey(id), Value: value}}, now)
	_ = c.rt.Write(runtime.PartitionFor(id, c.nparts), batch, now, done) // done reports any failure
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
		c.rt.Post(func() {
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
		case <-c.rt.Stopping():
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
	return p.WaitCommitted(c.rt.Context(), last)
}
