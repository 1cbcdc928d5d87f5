package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"strom/internal/cli"
)

func newPerfCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "perf",
		Short: "Load tools: producer, consumer and end-to-end latency benchmarks",
		Long: `Load tools in the spirit of kafka-producer-perf-test.sh and
kafka-consumer-perf-test.sh, plus an end-to-end latency mode that produces
and consumes at once, and consumer-group offset commits (perf commit). They
work against any Kafka-compatible broker.`,
	}
	cmd.AddCommand(newPerfProduceCmd(g), newPerfConsumeCmd(g), newPerfE2ECmd(g), newPerfCommitCmd(g))
	return cmd
}

// loadOpts are the producer-side flags perf produce and perf e2e share.
type loadOpts struct {
	g           *globals
	topic       string
	numRecords  int64
	recordSize  int
	throughput  float64
	acks        string
	batchSize   int32
	lingerMs    int
	compression string
	partitions  int32
	rf          int16
	props       []string
	json        bool
}

func (o *loadOpts) flags(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&o.topic, "topic", "", "topic to write to (required)")
	fs.Int64Var(&o.numRecords, "num-records", 0, "how many records to send (required)")
	fs.IntVar(&o.recordSize, "record-size", 1024, "bytes per record value")
	fs.Float64Var(&o.throughput, "throughput", -1, "target records per second (-1: as fast as possible)")
	fs.StringVar(&o.acks, "acks", "all", "acknowledgement: all (-1), 1 or 0")
	fs.Int32Var(&o.batchSize, "batch-size", 1<<20, "maximum bytes per partition batch (Kafka batch.size)")
	fs.IntVar(&o.lingerMs, "linger-ms", 5, "how long a batch may wait to fill (Kafka linger.ms)")
	fs.StringVar(&o.compression, "compression", "none", "batch compression: none, gzip, snappy, lz4, zstd")
	fs.Int32Var(&o.partitions, "partitions", 0, "create the topic with this many partitions if it is missing (0: broker default)")
	fs.Int16Var(&o.rf, "replication-factor", -1, "replication factor when creating the topic (-1: broker default)")
	fs.StringArrayVar(&o.props, "producer-props", nil, "Kafka-style producer properties acks=, linger.ms=, batch.size=, compression.type= (override the flags)")
	fs.BoolVar(&o.json, "json", false, "print the final result as one JSON line on stdout (progress goes to stderr)")
	_ = cmd.MarkFlagRequired("topic")
	_ = cmd.MarkFlagRequired("num-records")
}

// applyProps folds kafka-producer-perf-test's --producer-props into flags.
func (o *loadOpts) applyProps() error {
	kv, err := cli.ParseKV(o.props)
	if err != nil {
		return usageError{fmt.Errorf("--producer-props: %w", err)}
	}
	for k, v := range kv {
		switch k {
		case "acks":
			o.acks = v
		case "compression.type":
			o.compression = v
		case "linger.ms":
			if o.lingerMs, err = strconv.Atoi(v); err != nil {
				return usagef("--producer-props linger.ms=%s: %v", v, err)
			}
		case "batch.size":
			n, err := strconv.ParseInt(v, 10, 32)
			if err != nil {
				return usagef("--producer-props batch.size=%s: %v", v, err)
			}
			o.batchSize = int32(n)
		case "bootstrap.servers":
			o.g.bootstrap = v
		default:
			// Kafka's perf tool passes anything through; say what is
			// ignored rather than silently pretending to honour it.
			return usagef("--producer-props %s is not supported (supported: acks, linger.ms, batch.size, compression.type, bootstrap.servers)", k)
		}
	}
	return nil
}

func (o *loadOpts) validate(minSize int) error {
	if err := o.applyProps(); err != nil {
		return err
	}
	if o.numRecords <= 0 {
		return usagef("--num-records must be positive")
	}
	if o.recordSize < minSize {
		return usagef("--record-size must be at least %d", minSize)
	}
	if o.throughput == 0 {
		return usagef("--throughput must be positive, or -1 for unlimited")
	}
	return nil
}

// clientOpts are the producer options for a load run: deep buffers so the
// tool, not the broker, is never what waits.
func (o *loadOpts) clientOpts() ([]kgo.Opt, error) {
	opts, err := producerOpts(o.acks, o.compression)
	if err != nil {
		return nil, err
	}
	return append(opts,
		kgo.DefaultProduceTopic(o.topic),
		kgo.ProducerLinger(time.Duration(o.lingerMs)*time.Millisecond),
		kgo.ProducerBatchMaxBytes(o.batchSize),
		kgo.MaxBufferedRecords(1<<20),
		// Bytes, not records, bound the queue: 64 MiB keeps a fast
		// broker busy, yet at "unlimited" throughput the latency
		// reported is not dominated by a huge client-side queue.
		kgo.MaxBufferedBytes(64<<20),
	), nil
}

// ensureTopic creates the topic if it is missing and returns its partition
// count and whether this call created it.
func ensureTopic(ctx context.Context, g *globals, w io.Writer, topic string, partitions int32, rf int16) (int32, bool, error) {
	adm, cl, err := g.admin()
	if err != nil {
		return 0, false, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	tds, err := adm.ListTopics(ctx, topic)
	if err != nil {
		return 0, false, g.unreachable(fmt.Errorf("looking up topic %q: %w", topic, err))
	}
	if td, ok := tds[topic]; ok && td.Err == nil {
		n := int32(len(td.Partitions))
		if partitions > 0 && n != partitions {
			fmt.Fprintf(w, "Note: topic %s exists with %d partitions (not %d); using it as it is.\n", topic, n, partitions)
		}
		return n, false, nil
	}
	if partitions <= 0 {
		partitions = -1
	}
	resp, err := adm.CreateTopic(ctx, partitions, rf, nil, topic)
	if err == nil {
		err = resp.Err
	}
	switch {
	case errors.Is(err, kerr.TopicAlreadyExists): // created concurrently
		return partitions, false, nil
	case err != nil:
		return 0, false, cli.ResourceError("topic", topic, err, resp.ErrMessage)
	}
	return resp.NumPartitions, true, nil
}

// latencySummary is the latency part of a perf report, in milliseconds.
type latencySummary struct {
	Avg  float64 `json:"avg"`
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99_9"`
	Max  float64 `json:"max"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func summarize(h *cli.Histogram) latencySummary {
	return latencySummary{
		Avg: ms(h.Mean()), P50: ms(h.Quantile(0.50)), P95: ms(h.Quantile(0.95)),
		P99: ms(h.Quantile(0.99)), P999: ms(h.Quantile(0.999)), Max: ms(h.Max()),
	}
}

func (l latencySummary) String() string {
	return fmt.Sprintf("avg %.2f  p50 %.2f  p95 %.2f  p99 %.2f  p99.9 %.2f  max %.2f",
		l.Avg, l.P50, l.P95, l.P99, l.P999, l.Max)
}

const mib = 1 << 20

// progress prints one status line per second until stop is called. On a
// terminal the line is rewritten in place; elsewhere (logs, pipes) it
// appends a line per second, as kafka-producer-perf-test does.
type progress struct {
	w       io.Writer
	inPlace bool
	stop    chan struct{}
	done    sync.WaitGroup
	width   int
}

func startProgress(w io.Writer, line func(elapsed time.Duration) string) *progress {
	p := &progress{w: w, inPlace: cli.IsTerminal(w), stop: make(chan struct{})}
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		last := time.Now()
		for {
			select {
			case <-p.stop:
				return
			case now := <-t.C:
				p.print(line(now.Sub(last)))
				last = now
			}
		}
	}()
	return p
}

func (p *progress) print(s string) {
	if !p.inPlace {
		fmt.Fprintln(p.w, s)
		return
	}
	pad := ""
	if n := p.width - len(s); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	p.width = len(s)
	fmt.Fprint(p.w, "\r"+s+pad)
}

// Stop ends the progress line so the summary starts on a fresh one.
func (p *progress) Stop() {
	close(p.stop)
	p.done.Wait()
	if p.inPlace && p.width > 0 {
		fmt.Fprintln(p.w)
	}
}

// rate is per-second throughput of n over d.
func rate(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}
