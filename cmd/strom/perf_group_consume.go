package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"

	"strom/internal/cli"
)

// memberCount is one group member's share of a perf consume --group run.
type memberCount struct {
	Member        int     `json:"member"`
	Records       int64   `json:"records"`
	FirstRecordMs float64 `json:"first_record_ms"` // -1: this member received nothing
	Assignments   int     `json:"assignments"`     // OnPartitionsAssigned calls: one per generation it took part in
}

// commitMode names how group mode commits, for the report. Only records
// counted by the run are marked, and kgo autocommits the marks every 5 s,
// on revoke and once more at the end, so a second run resumes exactly
// after the records the first one reported.
const commitMode = "autocommit of marked records (kgo AutoCommitMarks, 5 s interval, on revoke, and a final commit)"

// groupMember is one kgo group client and its counters.
type groupMember struct {
	cl          *kgo.Client
	records     atomic.Int64
	firstNs     atomic.Int64 // since start; 0 until the first record
	assignments atomic.Int64
}

// runGroup is perf consume --group: o.consumers members of one group in
// this process share o.messages records. Each member is its own client
// (its own connections, heartbeats and fetch sessions), as separate
// processes would be, with franz-go's default balancer (cooperative-sticky).
func (o *perfConsumeOpts) runGroup(cmd *cobra.Command) error {
	human := cmd.OutOrStdout()
	if o.json {
		human = cmd.ErrOrStderr()
	}
	nparts, err := o.partitionCount(cmd.Context())
	if err != nil {
		return err
	}
	members := make([]*groupMember, o.consumers)
	defer func() {
		for _, m := range members {
			if m != nil && m.cl != nil {
				m.cl.Close()
			}
		}
	}()
	own := newOwnership(o.consumers)
	start := time.Now()
	for i := range members {
		m := &groupMember{}
		opts := append(throughputConsumerOpts(),
			kgo.ConsumeTopics(o.topic),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), // with no committed offset
			kgo.ConsumerGroup(o.group),
			kgo.AutoCommitMarks(),
			kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, a map[string][]int32) {
				m.assignments.Add(1)
				own.update(i, a[o.topic], true, true)
			}),
			kgo.OnPartitionsRevoked(func(ctx context.Context, cl *kgo.Client, r map[string][]int32) {
				// Replacing kgo's default revoke also replaces its
				// commit on revoke, so commit here as it would.
				_ = cl.CommitMarkedOffsets(ctx)
				own.update(i, r[o.topic], false, false)
			}),
			kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, r map[string][]int32) {
				own.update(i, r[o.topic], false, false)
			}),
		)
		cl, err := o.g.client(opts...)
		if err != nil {
			return err
		}
		m.cl = cl
		members[i] = m
	}

	// Nobody polls until the group has settled (every member assigned,
	// every partition owned by one of them), so the throughput is that of
	// the whole group: on a broker without an initial rebalance delay the
	// first member would otherwise read alone while the others join.
	// Records a member's client fetched before that are counted too; that
	// is at most one fetch per member.
	if err := o.awaitSettled(cmd.Context(), own, int(nparts)); err != nil {
		return err
	}
	settled := time.Since(start)

	var (
		total     atomic.Int64 // records counted so far, never above o.messages
		bytes     atomic.Int64
		lastRecNs atomic.Int64 // since start, of the latest counted record
	)
	lastRecNs.Store(int64(settled)) // the idle timeout runs from settling until a record arrives
	// take reserves up to n of the records still wanted, so the members
	// together count exactly o.messages.
	take := func(n int64) int64 {
		for {
			cur := total.Load()
			k := min(n, o.messages-cur)
			if k <= 0 || total.CompareAndSwap(cur, cur+k) {
				return max(k, 0)
			}
		}
	}

	var lastRecs, lastBytes int64
	prog := startProgress(human, func(d time.Duration) string {
		r, b := total.Load(), bytes.Load()
		line := fmt.Sprintf("%d records consumed by %d members, %.1f records/sec (%.2f MB/sec)",
			r, len(members), rate(r-lastRecs, d), rate(b-lastBytes, d)/mib)
		lastRecs, lastBytes = r, b
		return line
	})

	ctx, cancel := context.WithCancel(cmd.Context())
	defer cancel()
	var wg sync.WaitGroup
	for _, m := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				fetches := m.cl.PollFetches(ctx)
				if fetches.IsClientClosed() {
					return
				}
				n := int64(fetches.NumRecords())
				if n == 0 {
					continue
				}
				k := take(n)
				if k == 0 {
					return
				}
				now := int64(time.Since(start))
				m.firstNs.CompareAndSwap(0, now)
				lastRecNs.Store(now)
				var b, i int64
				var counted []*kgo.Record
				fetches.EachRecord(func(rec *kgo.Record) {
					if i < k {
						i++
						b += int64(len(rec.Key) + len(rec.Value))
						counted = append(counted, rec)
					}
				})
				m.cl.MarkCommitRecords(counted...)
				m.records.Add(k)
				bytes.Add(b)
				if total.Load() >= o.messages {
					cancel()
				}
			}
		}()
	}

	// The watchdog ends the run when every record is counted, or when none
	// has arrived for o.timeout.
	timedOut := false
	tick := time.NewTicker(50 * time.Millisecond)
watch:
	for {
		select {
		case <-ctx.Done():
			break watch
		case <-tick.C:
			if time.Since(start)-time.Duration(lastRecNs.Load()) > o.timeout && total.Load() < o.messages {
				timedOut = true
				cancel()
				break watch
			}
		}
	}
	tick.Stop()
	wg.Wait()
	end := time.Now()
	prog.Stop()

	// The final commit is outside the timing: it is what a consumer does
	// once on the way out, not per record.
	var commitErr error
	cctx, ccancel := context.WithTimeout(context.Background(), o.g.timeout)
	for _, m := range members {
		if err := m.cl.CommitMarkedOffsets(cctx); err != nil && commitErr == nil {
			commitErr = err
		}
	}
	ccancel()

	rep := consumeReport{
		Topic: o.topic, Records: total.Load(), Bytes: bytes.Load(), Seconds: end.Sub(start).Seconds(), TimedOut: timedOut,
		Group: o.group, Consumers: len(members), Commit: commitMode, SettledMs: ms(settled),
	}
	firstNs := int64(0)
	for i, m := range members {
		f := m.firstNs.Load()
		mc := memberCount{Member: i, Records: m.records.Load(), FirstRecordMs: -1, Assignments: int(m.assignments.Load())}
		if f > 0 {
			mc.FirstRecordMs = ms(time.Duration(f))
			if firstNs == 0 || f < firstNs {
				firstNs = f
			}
		}
		rep.Members = append(rep.Members, mc)
	}
	fetchDur := end.Sub(start) - settled
	if firstNs > 0 {
		rep.FirstRecordMs = ms(time.Duration(firstNs))
	}
	rep.FetchSeconds = fetchDur.Seconds()
	rep.RecordsPerSec = rate(rep.Records, fetchDur)
	rep.MBPerSec = rate(rep.Bytes, fetchDur) / mib
	printGroupConsumeReport(human, rep)
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
	case commitErr != nil:
		return fmt.Errorf("committing the consumed offsets of group %s: %w", o.group, commitErr)
	}
	return nil
}

// partitionCount looks the topic up: the group has settled when its
// members own every partition.
func (o *perfConsumeOpts) partitionCount(ctx context.Context) (int32, error) {
	adm, cl, err := o.g.admin()
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, o.g.timeout)
	defer cancel()
	tds, err := adm.ListTopics(ctx, o.topic)
	if err != nil {
		return 0, o.g.unreachable(fmt.Errorf("looking up topic %q: %w", o.topic, err))
	}
	td, ok := tds[o.topic]
	switch {
	case !ok:
		return 0, fmt.Errorf("topic %s does not exist", o.topic)
	case td.Err != nil:
		return 0, cli.ResourceError("topic", o.topic, td.Err, "")
	}
	return int32(len(td.Partitions)), nil
}

// awaitSettled waits, at most o.timeout, until this process's members
// together own every partition of the topic.
func (o *perfConsumeOpts) awaitSettled(ctx context.Context, own *ownership, partitions int) error {
	deadline := time.After(o.timeout)
	for {
		got, changed := own.stable(partitions)
		if got != nil {
			return nil
		}
		select {
		case <-changed:
		case <-deadline:
			return fmt.Errorf("group %s: %d members did not come to own all %d partitions of %s within %v (other members in the group?)",
				o.group, o.consumers, partitions, o.topic, o.timeout)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func printGroupConsumeReport(w io.Writer, r consumeReport) {
	printConsumeReport(w, r)
	t := cli.NewTable(w)
	first := "no record arrived"
	if r.FirstRecordMs > 0 {
		first = fmt.Sprintf("first record after %.0f ms", r.FirstRecordMs)
	}
	t.Row("group", fmt.Sprintf("%s, %d members, settled after %.0f ms, %s", r.Group, r.Consumers, r.SettledMs, first))
	t.Row("commits", r.Commit)
	_ = t.Flush()
	t = cli.NewTable(w, "MEMBER", "RECORDS", "FIRST RECORD (ms)", "ASSIGNMENTS")
	for _, m := range r.Members {
		first := "-"
		if m.FirstRecordMs >= 0 {
			first = fmt.Sprintf("%.0f", m.FirstRecordMs)
		}
		t.Row(m.Member, m.Records, first, m.Assignments)
	}
	_ = t.Flush()
}
