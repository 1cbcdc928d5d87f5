package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/cli"
)

// commitReport is perf commit's result; --json prints it.
type commitReport struct {
	Topic         string         `json:"topic"`
	Group         string         `json:"group"`
	Members       int            `json:"members"`
	Partitions    int            `json:"partitions"` // per commit, summed over members: each member commits what it owns
	JoinMs        float64        `json:"join_ms"`    // from the first member's start until the group is stable
	Commits       int64          `json:"commits"`    // OffsetCommit requests answered without error
	Errors        int64          `json:"errors"`
	Seconds       float64        `json:"seconds"`
	CommitsPerSec float64        `json:"commits_per_sec"`
	LatencyMs     latencySummary `json:"latency_ms"`
}

type perfCommitOpts struct {
	g          *globals
	topic      string
	group      string
	members    int
	partitions int32
	commits    int64
	duration   time.Duration
	joinWait   time.Duration
	json       bool
}

func newPerfCommitCmd(g *globals) *cobra.Command {
	o := &perfCommitOpts{g: g}
	cmd := &cobra.Command{
		Use:   "commit --topic T --group G [--members N] [--commits C]",
		Short: "Offset commit throughput and latency of a consumer group (OffsetCommit/s)",
		Long: `N members join one group on the topic (franz-go clients, default balancer,
autocommit off). Once the group is stable each member commits, one request
after another, a new offset for every partition it owns, until --commits
requests in total are answered or --duration passes. Each commit is one
OffsetCommit request carrying the member's generation; its latency runs from
sending to the answer. Concurrent members show how the coordinator shares
durable writes between groups of requests.`,
		Example: `  strom perf commit --topic commits --group bench --partitions 8 --commits 20000
  strom perf commit --topic commits --group bench --members 4 --duration 10s --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd) },
	}
	fs := cmd.Flags()
	fs.StringVar(&o.topic, "topic", "", "topic whose partitions are committed (required; created if missing)")
	fs.StringVar(&o.group, "group", "", "group to join (default: strom-perf-commit-<time>)")
	fs.IntVar(&o.members, "members", 1, "group members, each committing its own partitions")
	fs.Int32Var(&o.partitions, "partitions", 8, "partitions when the topic is created")
	fs.Int64Var(&o.commits, "commits", 10000, "OffsetCommit requests in total")
	fs.DurationVar(&o.duration, "duration", time.Minute, "stop committing after this long even if --commits are not done")
	fs.DurationVar(&o.joinWait, "join-timeout", time.Minute, "give up if the group is not stable after this long")
	fs.BoolVar(&o.json, "json", false, "print the result as one JSON line on stdout (the table goes to stderr)")
	_ = cmd.MarkFlagRequired("topic")
	return cmd
}

// ownership follows what each member owns through the kgo callbacks, to
// tell when the group is stable: every partition owned by exactly one
// member and every member assigned.
type ownership struct {
	mu       sync.Mutex
	owned    []map[int32]bool // per member
	assigned []bool           // had at least one OnPartitionsAssigned
	changed  chan struct{}    // closed and replaced on every change
}

func newOwnership(members int) *ownership {
	o := &ownership{owned: make([]map[int32]bool, members), assigned: make([]bool, members), changed: make(chan struct{})}
	for i := range o.owned {
		o.owned[i] = map[int32]bool{}
	}
	return o
}

func (o *ownership) update(member int, ps []int32, own, assign bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, p := range ps {
		if own {
			o.owned[member][p] = true
		} else {
			delete(o.owned[member], p)
		}
	}
	o.assigned[member] = o.assigned[member] || assign
	close(o.changed)
	o.changed = make(chan struct{})
}

// stable reports whether the group is stable and, if so, what each
// member owns; otherwise it returns a channel closed on the next change.
func (o *ownership) stable(partitions int) ([][]int32, <-chan struct{}) {
	o.mu.Lock()
	defer o.mu.Unlock()
	seen := map[int32]int{}
	for i, m := range o.owned {
		if !o.assigned[i] || len(m) == 0 && partitions >= len(o.owned) {
			return nil, o.changed
		}
		for p := range m {
			seen[p]++
		}
	}
	if len(seen) != partitions {
		return nil, o.changed
	}
	for _, n := range seen {
		if n != 1 {
			return nil, o.changed
		}
	}
	out := make([][]int32, len(o.owned))
	for i, m := range o.owned {
		out[i] = slices.Sorted(maps.Keys(m))
	}
	return out, nil
}

func (o *perfCommitOpts) run(cmd *cobra.Command) error {
	switch {
	case o.members < 1:
		return usagef("--members must be at least 1")
	case o.commits <= 0:
		return usagef("--commits must be positive")
	case o.duration <= 0:
		return usagef("--duration must be positive")
	}
	if o.group == "" {
		o.group = fmt.Sprintf("strom-perf-commit-%d", time.Now().UnixNano())
	}
	human := cmd.OutOrStdout()
	if o.json {
		human = cmd.ErrOrStderr()
	}
	ctx := cmd.Context()
	nparts, _, err := ensureTopic(ctx, o.g, human, o.topic, o.partitions, -1)
	if err != nil {
		return err
	}

	own := newOwnership(o.members)
	clients := make([]*kgo.Client, 0, o.members)
	defer func() {
		for _, cl := range clients {
			cl.Close()
		}
	}()
	start := time.Now()
	for i := range o.members {
		cl, err := o.g.client(
			kgo.ConsumeTopics(o.topic),
			kgo.ConsumerGroup(o.group),
			kgo.DisableAutoCommit(),
			kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
				own.update(i, m[o.topic], true, true)
			}),
			kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
				own.update(i, m[o.topic], false, false)
			}),
			kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
				own.update(i, m[o.topic], false, false)
			}),
		)
		if err != nil {
			return err
		}
		clients = append(clients, cl)
	}
	var assignment [][]int32
	joinDeadline := time.After(o.joinWait)
	for assignment == nil {
		var changed <-chan struct{}
		if assignment, changed = own.stable(int(nparts)); assignment != nil {
			break
		}
		select {
		case <-changed:
		case <-joinDeadline:
			return fmt.Errorf("group %s: not stable with %d members after %v", o.group, o.members, o.joinWait)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	joined := time.Since(start)
	fmt.Fprintf(human, "group %s stable with %d members after %.0f ms; committing\n", o.group, o.members, ms(joined))

	var (
		lat      cli.Histogram
		issued   atomic.Int64
		okN      atomic.Int64
		errN     atomic.Int64
		errMu    sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		errN.Add(1)
		errMu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		errMu.Unlock()
	}
	prog := startProgress(human, func(time.Duration) string {
		return fmt.Sprintf("%d commits, %d errors", okN.Load(), errN.Load())
	})
	runCtx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	var wg sync.WaitGroup
	t0 := time.Now()
	for i, cl := range clients {
		ps := assignment[i]
		if len(ps) == 0 {
			continue // more members than partitions: this one has nothing to commit
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := int64(1); runCtx.Err() == nil && issued.Add(1) <= o.commits; n++ {
				offs := map[int32]kgo.EpochOffset{}
				for _, p := range ps {
					offs[p] = kgo.EpochOffset{Epoch: -1, Offset: n}
				}
				sent := time.Now()
				cl.CommitOffsetsSync(runCtx, map[string]map[int32]kgo.EpochOffset{o.topic: offs},
					func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
						if err == nil {
							err = commitErr(resp)
						}
						switch {
						case err == nil:
							lat.Record(time.Since(sent))
							okN.Add(1)
						case runCtx.Err() == nil:
							fail(err)
						}
					})
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(t0)
	prog.Stop()

	total := 0
	for _, ps := range assignment {
		total += len(ps)
	}
	rep := commitReport{
		Topic: o.topic, Group: o.group, Members: o.members, Partitions: total, JoinMs: ms(joined),
		Commits: okN.Load(), Errors: errN.Load(), Seconds: elapsed.Seconds(),
		CommitsPerSec: rate(okN.Load(), elapsed), LatencyMs: summarize(&lat),
	}
	printCommitReport(human, rep)
	if o.json {
		if err := cli.WriteJSON(cmd.OutOrStdout(), rep); err != nil {
			return err
		}
	}
	if firstErr != nil {
		return fmt.Errorf("%d commits failed, the first: %w", rep.Errors, firstErr)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted after %d commits", rep.Commits)
	}
	return nil
}

// commitErr is the first partition error in an OffsetCommit response.
func commitErr(resp *kmsg.OffsetCommitResponse) error {
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return fmt.Errorf("%s[%d]: %w", t.Topic, p.Partition, err)
			}
		}
	}
	return nil
}

func printCommitReport(w io.Writer, r commitReport) {
	t := cli.NewTable(w)
	t.Row("group", fmt.Sprintf("%s, %d members committing %d partitions, stable after %.0f ms", r.Group, r.Members, r.Partitions, r.JoinMs))
	t.Row("commits", fmt.Sprintf("%d (%d errors) in %.2f s", r.Commits, r.Errors, r.Seconds))
	t.Row("throughput", fmt.Sprintf("%.1f OffsetCommit/s", r.CommitsPerSec))
	t.Row("latency (ms)", r.LatencyMs.String())
	_ = t.Flush()
}
