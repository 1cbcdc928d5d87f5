package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"strom/internal/cli"
)

// sentRecord is a pooled record plus the time it was handed to the client.
// The record's Context points back at its sentRecord, which is how the
// promise finds the send time without a map or a per-record allocation
// (franz-go truncates Record.Timestamp to milliseconds, too coarse for
// latency). The embedded Background context has a nil Done channel, so
// franz-go never treats these records as cancellable.
type sentRecord struct {
	context.Context
	sent time.Time
	rec  kgo.Record
}

// loadProducer drives one perf producer: pooled records, pacing to a
// target rate, and latency from Produce to acknowledgement.
type loadProducer struct {
	cl      *kgo.Client
	topic   string
	size    int
	stamp   bool   // write the send time (Unix ns, big endian) into value[0:8]
	payload []byte // shared by every record when !stamp: values are never mutated

	pool  sync.Pool
	lat   cli.Histogram
	win   cli.Window
	acked atomic.Int64
	errs  atomic.Int64

	errMu    sync.Mutex
	firstErr error
}

func newLoadProducer(cl *kgo.Client, topic string, size int, stamp bool) *loadProducer {
	p := &loadProducer{cl: cl, topic: topic, size: size, stamp: stamp}
	// Random letters, generated once: like Kafka's perf tool, so
	// compression ratios are realistic-ish and generation costs nothing
	// per record.
	p.payload = make([]byte, size)
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	for i := range p.payload {
		p.payload[i] = byte('a' + r.IntN(26))
	}
	p.pool.New = func() any {
		sr := &sentRecord{Context: context.Background()}
		v := p.payload
		if p.stamp {
			v = append([]byte(nil), p.payload...)
		}
		sr.rec = kgo.Record{Topic: p.topic, Value: v, Context: sr}
		return sr
	}
	return p
}

func (p *loadProducer) promise(r *kgo.Record, err error) {
	sr := r.Context.(*sentRecord)
	if err != nil {
		p.errs.Add(1)
		p.errMu.Lock()
		if p.firstErr == nil {
			p.firstErr = err
		}
		p.errMu.Unlock()
	} else {
		d := time.Since(sr.sent)
		p.lat.Record(d)
		p.win.Add(len(r.Value), d)
		p.acked.Add(1)
	}
	// The client is done with the record once its promise runs.
	sr.rec = kgo.Record{Topic: p.topic, Value: sr.rec.Value, Context: sr}
	p.pool.Put(sr)
}

// run sends n records at up to throughput records per second (<= 0:
// unlimited) and waits for every acknowledgement. It returns the time from
// the first send to the last acknowledgement.
func (p *loadProducer) run(ctx context.Context, n int64, throughput float64) (time.Duration, error) {
	start := time.Now()
	var interval time.Duration
	if throughput > 0 {
		interval = time.Duration(float64(time.Second) / throughput)
	}
	pace := time.NewTimer(time.Hour)
	pace.Stop()
	defer pace.Stop()
	for i := int64(0); i < n; i++ {
		if interval > 0 {
			// Pace against the schedule from the start, not the
			// previous send, so brief stalls are caught up.
			if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
				pace.Reset(wait)
				select {
				case <-ctx.Done():
				case <-pace.C:
				}
			}
		}
		if ctx.Err() != nil {
			break
		}
		sr := p.pool.Get().(*sentRecord)
		sr.sent = time.Now()
		if p.stamp {
			binary.BigEndian.PutUint64(sr.rec.Value, uint64(sr.sent.UnixNano()))
		}
		p.cl.Produce(ctx, &sr.rec, p.promise)
	}
	// Flush with a context that survives Ctrl-C but not a dead broker, so
	// an interrupted run still reports what was acknowledged.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 60*time.Second)
	defer cancel()
	if err := p.cl.Flush(fctx); err != nil {
		return time.Since(start), fmt.Errorf("waiting for acknowledgements: %w", err)
	}
	return time.Since(start), nil
}

// err summarises delivery failures, nil if there were none.
func (p *loadProducer) err() error {
	n := p.errs.Load()
	if n == 0 {
		return nil
	}
	p.errMu.Lock()
	defer p.errMu.Unlock()
	return fmt.Errorf("%d records not delivered (first error: %w)", n, p.firstErr)
}
