package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"strom/internal/cli"
)

type consumeOpts struct {
	g             *globals
	topic         string
	fromBeginning bool
	offset        string
	partition     int32
	maxMessages   int64
	group         string
	timeoutMs     int64
	format        string
	json          bool
	props         []string
}

func newConsumeCmd(g *globals) *cobra.Command {
	o := &consumeOpts{g: g}
	cmd := &cobra.Command{
		Use:     "consume TOPIC",
		Aliases: []string{"consumer"},
		Short:   "Print a topic's records as they arrive (kafka-console-consumer.sh)",
		Example: `  strom consume dataengineering --from-beginning
  strom consume users --offset 42 --partition 0 --max-messages 10
  strom consume users --format '%k:%v'         # or: --property print.key=true
  strom consume users --format verbose          # partition, offset, time, key, headers
  strom consume users --format json --timeout-ms 5000`,
		RunE: func(cmd *cobra.Command, args []string) error {
			topic, err := oneTopic(args, o.topic)
			if err != nil {
				return err
			}
			return o.run(cmd, topic)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.topic, "topic", "", "topic to read (or give it as the argument)")
	fs.BoolVar(&o.fromBeginning, "from-beginning", false, "start at the earliest record instead of the end of the log")
	fs.StringVar(&o.offset, "offset", "", "where to start: earliest, latest, an offset N, or -N for N records before the end")
	fs.Int32Var(&o.partition, "partition", -1, "read only this partition (-1: all)")
	fs.Int64Var(&o.maxMessages, "max-messages", 0, "exit after printing this many records (0: no limit)")
	fs.StringVar(&o.group, "group", "", "join this consumer group and commit what was printed")
	fs.Int64Var(&o.timeoutMs, "timeout-ms", 0, "exit when no record arrived for this many milliseconds (0: wait forever)")
	fs.StringVar(&o.format, "format", "", "value (default), verbose, json, or a template: %t %p %o %k %v %T %d %h %K %V")
	fs.BoolVar(&o.json, "json", false, "same as --format json")
	fs.StringArrayVar(&o.props, "property", nil, "console-consumer formatter property, e.g. print.key=true, key.separator=:")
	return cmd
}

// startOffset resolves --from-beginning and --offset into a franz-go offset
// and whether it is a position (N or -N) rather than earliest/latest.
func (o *consumeOpts) startOffset() (kgo.Offset, bool, error) {
	if o.fromBeginning && o.offset != "" && o.offset != "earliest" {
		return kgo.Offset{}, false, usagef("--from-beginning and --offset %s contradict each other", o.offset)
	}
	switch o.offset {
	case "":
		if o.fromBeginning {
			return kgo.NewOffset().AtStart(), false, nil
		}
		return kgo.NewOffset().AtEnd(), false, nil
	case "earliest", "beginning":
		return kgo.NewOffset().AtStart(), false, nil
	case "latest", "end":
		return kgo.NewOffset().AtEnd(), false, nil
	}
	n, err := strconv.ParseInt(o.offset, 10, 64)
	if err != nil {
		return kgo.Offset{}, false, usagef("--offset %q: use earliest, latest, N or -N", o.offset)
	}
	if n < 0 {
		return kgo.NewOffset().AtEnd().Relative(n), true, nil
	}
	return kgo.NewOffset().At(n), true, nil
}

func (o *consumeOpts) run(cmd *cobra.Command, topic string) error {
	if o.json {
		o.format = "json"
	}
	props, err := cli.ParseKV(o.props)
	if err != nil {
		return usageError{fmt.Errorf("--property: %w", err)}
	}
	formatter, err := cli.NewFormatter(o.format, props)
	if err != nil {
		return usageError{err}
	}
	start, exact, err := o.startOffset()
	if err != nil {
		return err
	}
	if o.group != "" && (o.partition >= 0 || exact) {
		return usagef("--group cannot be combined with --partition or a numeric --offset: the group decides partitions and resumes from its committed offsets")
	}

	opts := []kgo.Opt{kgo.FetchMaxWait(500 * time.Millisecond)}
	ctx := cmd.Context()
	switch {
	case o.group != "":
		opts = append(opts, kgo.ConsumerGroup(o.group), kgo.ConsumeTopics(topic),
			kgo.ConsumeResetOffset(start), kgo.AutoCommitMarks())
	case o.partition >= 0 || exact:
		parts, err := o.partitions(ctx, topic)
		if err != nil {
			return err
		}
		assign := map[int32]kgo.Offset{}
		for _, p := range parts {
			assign[p] = start
		}
		// An offset past the end waits for new records rather than
		// silently rewinding to the start.
		opts = append(opts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: assign}),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()))
	default:
		o.warnIfMissing(cmd, topic)
		opts = append(opts, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(start))
	}
	cl, err := o.g.client(opts...)
	if err != nil {
		return err
	}
	defer cl.Close()

	n, err := o.loop(ctx, cmd, cl, formatter)
	if o.group != "" {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.g.timeout)
		if cerr := cl.CommitMarkedOffsets(cctx); cerr != nil && err == nil {
			err = fmt.Errorf("committing offsets of group %q: %w", o.group, cerr)
		}
		cancel()
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "Processed a total of %d messages\n", n)
	return err
}

// loop prints records until --max-messages, --timeout-ms or ctx ends. Output
// is buffered within one poll and flushed after it, so records appear as
// soon as they arrive without a write system call per record.
func (o *consumeOpts) loop(ctx context.Context, cmd *cobra.Command, cl *kgo.Client, f cli.Formatter) (int64, error) {
	out := bufio.NewWriterSize(cmd.OutOrStdout(), 64<<10)
	defer out.Flush()
	var (
		n   int64
		buf []byte
	)
	idle := time.Duration(o.timeoutMs) * time.Millisecond
	for ctx.Err() == nil {
		pctx, cancel := ctx, context.CancelFunc(func() {})
		if idle > 0 {
			pctx, cancel = context.WithTimeout(ctx, idle)
		}
		fetches := cl.PollFetches(pctx)
		timedOut := idle > 0 && pctx.Err() != nil && ctx.Err() == nil
		cancel()
		if fetches.IsClientClosed() {
			return n, nil
		}
		var ferr error
		fetches.EachError(func(t string, p int32, err error) {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return
			}
			if ferr == nil {
				ferr = cli.ResourceError("topic", t, fmt.Errorf("partition %d: %w", p, err), "")
			}
		})
		if ferr != nil {
			if errors.Is(ferr, kerr.UnknownTopicOrPartition) || errors.Is(ferr, kerr.TopicAuthorizationFailed) || errors.Is(ferr, kerr.GroupAuthorizationFailed) {
				return n, ferr
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "Warning:", ferr)
		}
		stop := false
		fetches.EachRecord(func(r *kgo.Record) {
			if stop {
				return
			}
			buf = f.Append(buf[:0], r)
			out.Write(buf)
			if o.group != "" {
				cl.MarkCommitRecords(r)
			}
			n++
			if o.maxMessages > 0 && n >= o.maxMessages {
				stop = true
			}
		})
		if err := out.Flush(); err != nil {
			return n, fmt.Errorf("writing output: %w", err)
		}
		if stop || (timedOut && fetches.NumRecords() == 0) {
			return n, nil
		}
	}
	return n, nil
}

// partitions lists the partitions to assign for --partition or --offset N,
// checking that the topic and partition exist so a typo fails fast.
func (o *consumeOpts) partitions(ctx context.Context, topic string) ([]int32, error) {
	adm, cl, err := o.g.admin()
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, o.g.timeout)
	defer cancel()
	tds, err := adm.ListTopics(ctx, topic)
	if err != nil {
		return nil, o.g.unreachable(fmt.Errorf("looking up topic %q: %w", topic, err))
	}
	td, ok := tds[topic]
	if !ok || td.Err != nil {
		err := error(kerr.UnknownTopicOrPartition)
		if ok {
			err = td.Err
		}
		return nil, cli.ResourceError("topic", topic, err, "")
	}
	if o.partition >= 0 {
		if _, ok := td.Partitions[o.partition]; !ok {
			return nil, fmt.Errorf("topic %q has no partition %d (it has %d)", topic, o.partition, len(td.Partitions))
		}
		return []int32{o.partition}, nil
	}
	var ps []int32
	for _, p := range td.Partitions.Sorted() {
		ps = append(ps, p.Partition)
	}
	return ps, nil
}

// warnIfMissing tells the user when the topic does not exist yet: the
// consumer will wait for it (a producer may create it), but a typo should
// not look like an idle topic.
func (o *consumeOpts) warnIfMissing(cmd *cobra.Command, topic string) {
	adm, cl, err := o.g.admin()
	if err != nil {
		return
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(cmd.Context(), o.g.timeout)
	defer cancel()
	tds, err := adm.ListTopics(ctx, topic)
	if err != nil {
		return
	}
	if td, ok := tds[topic]; ok && errors.Is(td.Err, kerr.UnknownTopicOrPartition) {
		fmt.Fprintf(cmd.ErrOrStderr(), "Warning: topic %q does not exist (yet); waiting for it\n", topic)
	}
}
