package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"

	"strom/internal/cli"
)

type produceOpts struct {
	g           *globals
	topic       string
	keySep      string
	props       []string
	headers     []string
	partition   int32
	acks        string
	compression string
	linger      time.Duration
	sync        bool
}

func newProduceCmd(g *globals) *cobra.Command {
	o := &produceOpts{g: g}
	cmd := &cobra.Command{
		Use:     "produce TOPIC",
		Aliases: []string{"producer"},
		Short:   "Write stdin to a topic, one record per line (kafka-console-producer.sh)",
		Example: `  strom produce dataengineering
  echo 'user1:hello' | strom produce users --key-separator :
  strom produce users --property parse.key=true --property key.separator=: --header source=cli`,
		RunE: func(cmd *cobra.Command, args []string) error {
			topic, err := oneTopic(args, o.topic)
			if err != nil {
				return err
			}
			return o.run(cmd, topic)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.topic, "topic", "", "topic to write to (or give it as the argument)")
	fs.StringVar(&o.keySep, "key-separator", "", "split each line at the first SEP into key and value")
	fs.StringArrayVar(&o.props, "property", nil, "console-producer property: parse.key, key.separator, parse.headers, headers.delimiter, headers.separator, headers.key.separator, null.marker, ignore.error")
	fs.StringArrayVar(&o.headers, "header", nil, "header key=value added to every record (repeatable)")
	fs.Int32Var(&o.partition, "partition", -1, "write every record to this partition (-1: the partitioner chooses)")
	fs.StringVar(&o.acks, "acks", "all", "acknowledgement: all (-1), 1 or 0")
	fs.StringVar(&o.compression, "compression", "none", "batch compression: none, gzip, snappy, lz4, zstd")
	fs.DurationVar(&o.linger, "linger", 5*time.Millisecond, "how long to wait to fill a batch (ignored when stdin is a terminal: each line is sent at once)")
	fs.BoolVar(&o.sync, "sync", false, "wait for each record's acknowledgement before reading the next line")
	return cmd
}

// oneTopic takes the topic from the argument or --topic, not both.
func oneTopic(args []string, flag string) (string, error) {
	switch {
	case len(args) > 1:
		return "", usagef("one topic expected, got %d: %s", len(args), strings.Join(args, " "))
	case len(args) == 1 && flag != "" && args[0] != flag:
		return "", usagef("topic given twice: %q and --topic %q", args[0], flag)
	case len(args) == 1:
		return args[0], nil
	case flag != "":
		return flag, nil
	}
	return "", usagef("which topic? give it as an argument or with --topic")
}

// producerOpts translates the shared producer flags into client options.
func producerOpts(acks, compression string) ([]kgo.Opt, error) {
	var opts []kgo.Opt
	switch acks {
	case "all", "-1":
		opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	case "1":
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
	case "0":
		opts = append(opts, kgo.RequiredAcks(kgo.NoAck()), kgo.DisableIdempotentWrite())
	default:
		return nil, usagef("--acks %q: use all, 1 or 0", acks)
	}
	var codec kgo.CompressionCodec
	switch compression {
	case "none", "":
		codec = kgo.NoCompression()
	case "gzip":
		codec = kgo.GzipCompression()
	case "snappy":
		codec = kgo.SnappyCompression()
	case "lz4":
		codec = kgo.Lz4Compression()
	case "zstd":
		codec = kgo.ZstdCompression()
	default:
		return nil, usagef("--compression %q: use none, gzip, snappy, lz4 or zstd", compression)
	}
	return append(opts, kgo.ProducerBatchCompression(codec)), nil
}

// lineParser turns one input line into a record, following the console
// producer's parse.key / parse.headers properties.
type lineParser struct {
	parseKey, parseHeaders bool
	keySep, hdrDelim       string
	hdrSep, hdrKeySep      string
	nullMarker             string
	ignoreError            bool
	fixed                  []kgo.RecordHeader
}

func newLineParser(keySep string, props, headers []string) (*lineParser, error) {
	p := &lineParser{keySep: "\t", hdrDelim: "\t", hdrSep: ",", hdrKeySep: ":"}
	if keySep != "" {
		p.parseKey, p.keySep = true, cli.Unescape(keySep)
	}
	kv, err := cli.ParseKV(props)
	if err != nil {
		return nil, usageError{fmt.Errorf("--property: %w", err)}
	}
	for k, v := range kv {
		switch k {
		case "parse.key":
			p.parseKey, err = strconv.ParseBool(v)
		case "key.separator":
			p.keySep = cli.Unescape(v)
		case "parse.headers":
			p.parseHeaders, err = strconv.ParseBool(v)
		case "headers.delimiter":
			p.hdrDelim = cli.Unescape(v)
		case "headers.separator":
			p.hdrSep = cli.Unescape(v)
		case "headers.key.separator":
			p.hdrKeySep = cli.Unescape(v)
		case "null.marker":
			p.nullMarker = v
		case "ignore.error":
			p.ignoreError, err = strconv.ParseBool(v)
		default:
			return nil, usagef("unknown producer --property %q", k)
		}
		if err != nil {
			return nil, usageError{fmt.Errorf("--property %s=%s: %w", k, v, err)}
		}
	}
	if p.keySep == "" {
		return nil, usagef("key.separator must not be empty")
	}
	for _, h := range headers {
		k, v, ok := strings.Cut(h, "=")
		if !ok || k == "" {
			return nil, usagef("--header %q is not of the form key=value", h)
		}
		p.fixed = append(p.fixed, kgo.RecordHeader{Key: k, Value: []byte(v)})
	}
	return p, nil
}

func (p *lineParser) parse(line string) (*kgo.Record, error) {
	r := &kgo.Record{}
	if p.parseHeaders {
		hs, rest, ok := strings.Cut(line, p.hdrDelim)
		if !ok {
			if !p.ignoreError {
				return nil, fmt.Errorf("no headers delimiter %q found", p.hdrDelim)
			}
			rest = line
		} else if hs != "" && hs != p.nullMarker {
			for _, h := range strings.Split(hs, p.hdrSep) {
				k, v, ok := strings.Cut(h, p.hdrKeySep)
				if !ok {
					return nil, fmt.Errorf("header %q has no %q between key and value", h, p.hdrKeySep)
				}
				r.Headers = append(r.Headers, kgo.RecordHeader{Key: k, Value: p.nullable(v)})
			}
		}
		line = rest
	}
	r.Headers = append(r.Headers, p.fixed...)
	if p.parseKey {
		k, v, ok := strings.Cut(line, p.keySep)
		if !ok {
			if !p.ignoreError {
				return nil, fmt.Errorf("no key separator %q found", p.keySep)
			}
			r.Value = p.nullable(line)
			return r, nil
		}
		r.Key, r.Value = p.nullable(k), p.nullable(v)
		return r, nil
	}
	r.Value = p.nullable(line)
	return r, nil
}

// nullable maps null.marker to a nil slice, which Kafka stores as null
// (a tombstone, for a value), distinct from an empty string.
func (p *lineParser) nullable(s string) []byte {
	if p.nullMarker != "" && s == p.nullMarker {
		return nil
	}
	return []byte(s)
}

func (o *produceOpts) run(cmd *cobra.Command, topic string) error {
	parser, err := newLineParser(o.keySep, o.props, o.headers)
	if err != nil {
		return err
	}
	opts, err := producerOpts(o.acks, o.compression)
	if err != nil {
		return err
	}
	opts = append(opts, kgo.DefaultProduceTopic(topic), kgo.ProducerLinger(o.linger))
	if o.partition >= 0 {
		opts = append(opts, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	}
	cl, err := o.g.client(opts...)
	if err != nil {
		return err
	}
	defer cl.Close()

	stdin := cmd.InOrStdin()
	interactive := cli.IsTerminal(stdin)
	errOut := &lockedWriter{w: cmd.ErrOrStderr()}
	var (
		mu       sync.Mutex
		failed   int
		firstErr error
	)
	fail := func(lineNo int, err error) {
		mu.Lock()
		failed++
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		fmt.Fprintf(errOut, "Error: line %d: %v\n", lineNo, o.g.unreachable(err))
	}

	ctx := cmd.Context()
	lines := readLines(ctx, stdin)
	lineNo := 0
loop:
	for {
		var l line
		select {
		case <-ctx.Done():
			break loop
		case next, ok := <-lines:
			if !ok {
				break loop
			}
			l = next
		}
		lineNo++
		if l.err != nil {
			return fmt.Errorf("reading stdin: %w", l.err)
		}
		r, err := parser.parse(l.text)
		if err != nil {
			fail(lineNo, err)
			continue
		}
		if o.partition >= 0 {
			r.Partition = o.partition
		}
		if o.sync {
			if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
				fail(lineNo, err)
			}
			continue
		}
		n := lineNo
		cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
			if err != nil {
				fail(n, err)
			}
		})
		if interactive {
			// A person typing expects the line on the consumer's
			// screen now, not after a batch fills.
			if err := cl.Flush(ctx); err != nil {
				break loop
			}
		}
	}
	// Flush even when interrupted so typed lines are not lost, but do not
	// hang forever on a dead broker.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.g.timeout)
	defer cancel()
	if err := cl.Flush(fctx); err != nil {
		return o.g.unreachable(fmt.Errorf("flushing: %w", err))
	}
	mu.Lock()
	defer mu.Unlock()
	if failed > 0 {
		return fmt.Errorf("%d of %d records not delivered to %q (first error: %w)", failed, lineNo, topic, o.g.unreachable(firstErr))
	}
	return nil
}

type line struct {
	text string
	err  error
}

// readLines reads r on its own goroutine so the produce loop can stop on
// SIGINT even while a terminal read blocks. The channel closes at EOF, on a
// read error (sent first), or when ctx ends. A final line without a newline
// is still a record.
func readLines(ctx context.Context, r io.Reader) <-chan line {
	ch := make(chan line, 64)
	go func() {
		defer close(ch)
		br := bufio.NewReaderSize(r, 64<<10)
		for {
			s, err := br.ReadString('\n')
			if len(s) > 0 {
				s = strings.TrimSuffix(strings.TrimSuffix(s, "\n"), "\r")
				select {
				case ch <- line{text: s}:
				case <-ctx.Done():
					return
				}
			}
			if err != nil {
				if !errors.Is(err, io.EOF) {
					select {
					case ch <- line{err: err}:
					case <-ctx.Done():
					}
				}
				return
			}
		}
	}()
	return ch
}

// lockedWriter serialises writes from producer callbacks, which run on
// franz-go's goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
