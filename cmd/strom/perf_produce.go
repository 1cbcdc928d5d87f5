package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"strom/internal/cli"
)

// produceReport is perf produce's result; --json prints it.
type produceReport struct {
	Topic         string         `json:"topic"`
	Records       int64          `json:"records"`
	Errors        int64          `json:"errors"`
	RecordSize    int            `json:"record_size"`
	Seconds       float64        `json:"seconds"`
	RecordsPerSec float64        `json:"records_per_sec"`
	MBPerSec      float64        `json:"mb_per_sec"`
	LatencyMs     latencySummary `json:"latency_ms"`
}

func newPerfProduceCmd(g *globals) *cobra.Command {
	o := &loadOpts{g: g}
	cmd := &cobra.Command{
		Use:   "produce --topic T --num-records N [--record-size B] [--throughput R]",
		Short: "Producer throughput and latency (kafka-producer-perf-test.sh)",
		Example: `  strom perf produce --topic bench --num-records 1000000 --record-size 1024 --throughput -1 --acks all --partitions 8
  strom perf produce --topic bench --num-records 100000 --throughput 10000 --producer-props acks=1 linger.ms=10`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.runProduce(cmd) },
	}
	o.flags(cmd)
	return cmd
}

func (o *loadOpts) runProduce(cmd *cobra.Command) error {
	if err := o.validate(1); err != nil {
		return err
	}
	opts, err := o.clientOpts()
	if err != nil {
		return err
	}
	human := cmd.OutOrStdout()
	if o.json {
		human = cmd.ErrOrStderr()
	}
	ctx := cmd.Context()
	if _, _, err := ensureTopic(ctx, o.g, human, o.topic, o.partitions, o.rf); err != nil {
		return err
	}
	cl, err := o.g.client(opts...)
	if err != nil {
		return err
	}
	defer cl.Close()

	p := newLoadProducer(cl, o.topic, o.recordSize, false)
	prog := startProgress(human, func(d time.Duration) string {
		w := p.win.Take()
		return fmt.Sprintf("%d records sent, %.1f records/sec (%.2f MB/sec), %.1f ms avg latency, %.1f ms max latency.",
			w.Records, rate(w.Records, d), rate(w.Bytes, d)/mib, ms(w.Mean), ms(w.Max))
	})
	elapsed, runErr := p.run(ctx, o.numRecords, o.throughput)
	prog.Stop()

	acked := p.acked.Load()
	rep := produceReport{
		Topic: o.topic, Records: acked, Errors: p.errs.Load(), RecordSize: o.recordSize,
		Seconds: elapsed.Seconds(), RecordsPerSec: rate(acked, elapsed),
		MBPerSec: rate(acked*int64(o.recordSize), elapsed) / mib, LatencyMs: summarize(&p.lat),
	}
	printProduceReport(human, rep)
	if o.json {
		if err := cli.WriteJSON(cmd.OutOrStdout(), rep); err != nil {
			return err
		}
	}
	if err := errors.Join(runErr, p.err()); err != nil {
		return o.g.unreachable(err)
	}
	if acked < o.numRecords && ctx.Err() != nil {
		return fmt.Errorf("interrupted after %d of %d records", acked, o.numRecords)
	}
	return nil
}

func printProduceReport(w io.Writer, r produceReport) {
	t := cli.NewTable(w)
	t.Row("records sent", fmt.Sprintf("%d (%d errors)", r.Records, r.Errors))
	t.Row("elapsed", fmt.Sprintf("%.2f s", r.Seconds))
	t.Row("throughput", fmt.Sprintf("%.1f records/s  %.2f MB/s", r.RecordsPerSec, r.MBPerSec))
	t.Row("latency (ms)", r.LatencyMs.String())
	_ = t.Flush()
}
