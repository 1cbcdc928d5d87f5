package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"strom/internal/cli"
)

// e2eReport is perf e2e's result; --json prints it.
type e2eReport struct {
	Topic         string         `json:"topic"`
	Sent          int64          `json:"records_sent"`
	Received      int64          `json:"records_received"`
	Errors        int64          `json:"errors"`
	RecordSize    int            `json:"record_size"`
	Seconds       float64        `json:"seconds"`
	RecordsPerSec float64        `json:"records_per_sec"`
	MBPerSec      float64        `json:"mb_per_sec"`
	ProduceMs     latencySummary `json:"produce_latency_ms"`
	EndToEndMs    latencySummary `json:"e2e_latency_ms"`
}

type e2eOpts struct {
	loadOpts
	timeout time.Duration
}

func newPerfE2ECmd(g *globals) *cobra.Command {
	o := &e2eOpts{loadOpts: loadOpts{g: g}}
	cmd := &cobra.Command{
		Use:   "e2e --topic T --num-records N [--record-size B] [--throughput R] [--partitions P]",
		Short: "End-to-end latency: produce and consume at once, time each record from send to receipt",
		Long: `One producer and one consumer run together. Each record carries its send
time in the first 8 bytes of its value; the consumer, in the same process and
so on the same clock, computes send-to-receipt latency. The consumer starts
at the current end of every partition, so only this run's records count.`,
		Example: `  strom perf e2e --topic bench --num-records 1000000 --record-size 1024 --partitions 8 --acks all
  strom perf e2e --topic bench --num-records 100000 --throughput 20000 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	o.flags(cmd)
	cmd.Flags().DurationVar(&o.timeout, "timeout", 30*time.Second, "give up when the consumer receives nothing for this long")
	return cmd
}

func (o *e2eOpts) run(cmd *cobra.Command) error {
	if err := o.validate(8); err != nil {
		return err
	}
	popts, err := o.clientOpts()
	if err != nil {
		return err
	}
	human := cmd.OutOrStdout()
	if o.json {
		human = cmd.ErrOrStderr()
	}
	ctx := cmd.Context()
	_, created, err := ensureTopic(ctx, o.g, human, o.topic, o.partitions, o.rf)
	if err != nil {
		return err
	}
	starts, err := o.startOffsets(ctx, created)
	if err != nil {
		return err
	}
	cons, err := o.g.client(append(throughputConsumerOpts(),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{o.topic: starts}),
		kgo.FetchMaxWait(100*time.Millisecond))...)
	if err != nil {
		return err
	}
	defer cons.Close()
	prod, err := o.g.client(popts...)
	if err != nil {
		return err
	}
	defer prod.Close()

	p := newLoadProducer(prod, o.topic, o.recordSize, true)
	c := &e2eConsumer{cl: cons, idle: o.timeout}
	var received atomic.Int64
	c.received = &received
	prog := startProgress(human, func(d time.Duration) string {
		pw, cw := p.win.Take(), c.win.Take()
		return fmt.Sprintf("%d sent (%.1f records/sec, %.2f MB/sec), %d received, e2e latency %.1f ms avg %.1f ms max.",
			pw.Records, rate(pw.Records, d), rate(pw.Bytes, d)/mib, cw.Records, ms(cw.Mean), ms(cw.Max))
	})

	consErr := make(chan error, 1)
	prodCtx, producerDone := context.WithCancel(context.Background())
	defer producerDone()
	go func() { consErr <- c.run(ctx, o.numRecords, p, prodCtx) }()

	start := time.Now()
	_, prodErr := p.run(ctx, o.numRecords, o.throughput)
	producerDone()
	cErr := <-consErr
	elapsed := time.Since(start)
	prog.Stop()

	got := received.Load()
	rep := e2eReport{
		Topic: o.topic, Sent: p.acked.Load(), Received: got, Errors: p.errs.Load(), RecordSize: o.recordSize,
		Seconds: elapsed.Seconds(), RecordsPerSec: rate(got, elapsed),
		MBPerSec:  rate(got*int64(o.recordSize), elapsed) / mib,
		ProduceMs: summarize(&p.lat), EndToEndMs: summarize(&c.lat),
	}
	printE2EReport(human, rep)
	if o.json {
		if err := cli.WriteJSON(cmd.OutOrStdout(), rep); err != nil {
			return err
		}
	}
	if err := errors.Join(prodErr, p.err(), cErr); err != nil {
		return o.g.unreachable(err)
	}
	return nil
}

// startOffsets pins the consumer to the current end of every partition
// before the first record is sent, so there is no window in which a record
// is produced before the consumer decides where to start. A topic this run
// just created starts at zero without asking.
func (o *e2eOpts) startOffsets(ctx context.Context, created bool) (map[int32]kgo.Offset, error) {
	adm, cl, err := o.g.admin()
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, o.g.timeout)
	defer cancel()
	// Partitions of a new topic may briefly have no leader; retry for a
	// bounded time rather than fail the run.
	backoff := 50 * time.Millisecond
	for {
		var ends kadm.ListedOffsets
		ends, err = adm.ListEndOffsets(ctx, o.topic)
		if err == nil {
			err = ends.Error()
		}
		if err == nil && len(ends[o.topic]) > 0 {
			out := map[int32]kgo.Offset{}
			for p, lo := range ends[o.topic] {
				at := lo.Offset
				if created {
					at = 0
				}
				out[p] = kgo.NewOffset().At(at)
			}
			return out, nil
		}
		if err == nil {
			err = fmt.Errorf("no partitions reported")
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, o.g.unreachable(fmt.Errorf("listing end offsets of %q: %w", o.topic, err))
		case <-t.C:
		}
		backoff = min(2*backoff, time.Second)
	}
}

// e2eConsumer receives the run's records and times each one.
type e2eConsumer struct {
	cl       *kgo.Client
	idle     time.Duration
	lat      cli.Histogram
	win      cli.Window
	received *atomic.Int64
}

// run consumes until it has every record the producer got acknowledged
// (all n, or n minus failures once the producer is done), ctx ends, or
// nothing arrives for c.idle.
func (c *e2eConsumer) run(ctx context.Context, n int64, p *loadProducer, producerDone context.Context) error {
	for {
		got := c.received.Load()
		if got >= n || (producerDone.Err() != nil && got >= n-p.errs.Load()) {
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
		pctx, cancel := context.WithTimeout(ctx, c.idle)
		// Wake up as soon as the producer finishes, which matters when
		// some records failed: the consumer may already have all the
		// rest and would otherwise wait out the idle timeout.
		stop := func() bool { return false }
		if producerDone.Err() == nil {
			stop = context.AfterFunc(producerDone, cancel)
		}
		fetches := c.cl.PollFetches(pctx)
		stop()
		idle := errors.Is(pctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
		cancel()
		if fetches.IsClientClosed() {
			return nil
		}
		var k int64
		fetches.EachRecord(func(r *kgo.Record) {
			if len(r.Value) < 8 {
				return // not ours
			}
			sent := int64(binary.BigEndian.Uint64(r.Value))
			d := time.Duration(time.Now().UnixNano() - sent)
			c.lat.Record(d)
			c.win.Add(len(r.Value), d)
			k++
		})
		c.received.Add(k)
		if idle && k == 0 {
			return fmt.Errorf("received %d of %d records: nothing arrived for %v", c.received.Load(), n, c.idle)
		}
	}
}

func printE2EReport(w io.Writer, r e2eReport) {
	t := cli.NewTable(w)
	t.Row("records", fmt.Sprintf("%d sent, %d received, %d errors", r.Sent, r.Received, r.Errors))
	t.Row("elapsed", fmt.Sprintf("%.2f s", r.Seconds))
	t.Row("throughput", fmt.Sprintf("%.1f records/s  %.2f MB/s", r.RecordsPerSec, r.MBPerSec))
	t.Row("produce latency (ms)", r.ProduceMs.String())
	t.Row("end-to-end latency (ms)", r.EndToEndMs.String())
	_ = t.Flush()
}
