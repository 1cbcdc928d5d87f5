package main

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"

	"strom/internal/cli"
)

// consumeReport is perf consume's result; --json prints it.
type consumeReport struct {
	Topic         string  `json:"topic"`
	Records       int64   `json:"records"`
	Bytes         int64   `json:"bytes"`
	Seconds       float64 `json:"seconds"`
	FetchSeconds  float64 `json:"fetch_seconds"` // from the first record on (group mode: from settling on): excludes connecting and group join
	RecordsPerSec float64 `json:"records_per_sec"`
	MBPerSec      float64 `json:"mb_per_sec"`
	TimedOut      bool    `json:"timed_out"`

	// Group mode only (--group): see perf_group_consume.go.
	Group         string        `json:"group,omitempty"`
	Consumers     int           `json:"consumers,omitempty"`
	SettledMs     float64       `json:"settled_ms,omitempty"`      // from start until the members own every partition; fetch_seconds starts here
	FirstRecordMs float64       `json:"first_record_ms,omitempty"` // from start to the group's first record: connecting plus join
	Commit        string        `json:"commit,omitempty"`
	Members       []memberCount `json:"members,omitempty"`
}

type perfConsumeOpts struct {
	g         *globals
	topic     string
	messages  int64
	group     string
	consumers int
	threads   int
	timeout   time.Duration
	json      bool
}

func newPerfConsumeCmd(g *globals) *cobra.Command {
	o := &perfConsumeOpts{g: g}
	cmd := &cobra.Command{
		Use:   "consume --topic T --messages N",
		Short: "Consumer throughput from the beginning of a topic (kafka-consumer-perf-test.sh)",
		Example: `  strom perf consume --topic bench --messages 1000000
  strom perf consume --topic bench --messages 1000000 --group readers --consumers 4`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	fs := cmd.Flags()
	fs.StringVar(&o.topic, "topic", "", "topic to read (required)")
	fs.Int64Var(&o.messages, "messages", 0, "how many records to consume (required)")
	fs.StringVar(&o.group, "group", "", "consume as members of this group, from its committed offsets (default: no group, all partitions directly)")
	fs.IntVar(&o.consumers, "consumers", 1, "group members in this process sharing --messages (needs --group)")
	fs.IntVar(&o.threads, "threads", 0, "kafka-consumer-perf-test's name for --consumers")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "give up when no record arrives for this long")
	fs.BoolVar(&o.json, "json", false, "print the result as one JSON line on stdout (the table goes to stderr)")
	_ = cmd.MarkFlagRequired("topic")
	_ = cmd.MarkFlagRequired("messages")
	_ = fs.MarkHidden("threads")
	return cmd
}

func (o *perfConsumeOpts) run(cmd *cobra.Command) error {
	if o.messages <= 0 {
		return usagef("--messages must be positive")
	}
	fs := cmd.Flags()
	if fs.Changed("threads") && !fs.Changed("consumers") {
		o.consumers = o.threads
	}
	switch {
	case o.consumers < 1:
		return usagef("--consumers must be at least 1")
	case o.group != "":
		return o.runGroup(cmd)
	case o.consumers > 1:
		// Without a group every consumer would read every partition:
		// the records would be counted N times, not shared.
		return usagef("--consumers %d needs --group", o.consumers)
	}
	opts := append(throughputConsumerOpts(),
		kgo.ConsumeTopics(o.topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	cl, err := o.g.client(opts...)
	if err != nil {
		return err
	}
	defer cl.Close()
	human := cmd.OutOrStdout()
	if o.json {
		human = cmd.ErrOrStderr()
	}

	var recs, bytes atomic.Int64
	var lastRecs, lastBytes int64
	prog := startProgress(human, func(d time.Duration) string {
		r, b := recs.Load(), bytes.Load()
		line := fmt.Sprintf("%d records consumed, %.1f records/sec (%.2f MB/sec)", r, rate(r-lastRecs, d), rate(b-lastBytes, d)/mib)
		lastRecs, lastBytes = r, b
		return line
	})
	start := time.Now()
	var first time.Time
	timedOut := false
	ctx := cmd.Context()
	for recs.Load() < o.messages && ctx.Err() == nil {
		pctx, cancel := context.WithTimeout(ctx, o.timeout)
		fetches := cl.PollFetches(pctx)
		idle := pctx.Err() != nil && ctx.Err() == nil
		cancel()
		if fetches.IsClientClosed() {
			break
		}
		if first.IsZero() && fetches.NumRecords() > 0 {
			first = time.Now()
		}
		var r, b int64
		want := o.messages - recs.Load()
		fetches.EachRecord(func(rec *kgo.Record) {
			if r < want { // the last poll may overshoot; count exactly N
				r++
				b += int64(len(rec.Key) + len(rec.Value))
			}
		})
		recs.Add(r)
		bytes.Add(b)
		if idle && r == 0 {
			timedOut = true
			break
		}
	}
	end := time.Now()
	prog.Stop()

	rep := consumeReport{Topic: o.topic, Records: recs.Load(), Bytes: bytes.Load(), Seconds: end.Sub(start).Seconds(), TimedOut: timedOut}
	fetchDur := end.Sub(start)
	if !first.IsZero() {
		fetchDur = end.Sub(first)
	}
	rep.FetchSeconds = fetchDur.Seconds()
	rep.RecordsPerSec = rate(rep.Records, fetchDur)
	rep.MBPerSec = rate(rep.Bytes, fetchDur) / mib
	printConsumeReport(human, rep)
	if o.json {
		if err := cli.WriteJSON(cmd.OutOrStdout(), rep); err != nil {
			return err
		}
	}
	switch {
	case timedOut:
		return fmt.Errorf("consumed %d of %d records: none arrived for %v", rep.Records, o.messages, o.timeout)
	case rep.Records < o.messages:
		return fmt.Errorf("interrupted after %d of %d records", rep.Records, o.messages)
	}
	return nil
}

// throughputConsumerOpts favour large fetches: perf consume measures how
// fast a broker can serve a backlog.
func throughputConsumerOpts() []kgo.Opt {
	return []kgo.Opt{
		kgo.FetchMaxBytes(64 << 20),
		kgo.FetchMaxPartitionBytes(8 << 20),
		kgo.FetchMaxWait(500 * time.Millisecond),
	}
}

func printConsumeReport(w io.Writer, r consumeReport) {
	t := cli.NewTable(w)
	t.Row("records consumed", r.Records)
	t.Row("data consumed", fmt.Sprintf("%.2f MB", float64(r.Bytes)/mib))
	from := "the first record"
	if r.Group != "" {
		from = "the group settling"
	}
	t.Row("elapsed", fmt.Sprintf("%.2f s (%.2f s from %s)", r.Seconds, r.FetchSeconds, from))
	t.Row("throughput", fmt.Sprintf("%.1f records/s  %.2f MB/s", r.RecordsPerSec, r.MBPerSec))
	_ = t.Flush()
}
