// Command waitready waits until a Kafka-compatible broker is ready and
// prints how long that took, in milliseconds, on stdout. bench/run.sh uses
// it to time broker start-up:
//
//	t0=$(date +%s%N); strom server ... & waitready --addr 127.0.0.1:9092 --since-ns "$t0"
//
// Ready means: the port accepts a TCP connection and a Metadata request for
// all topics succeeds; with --min-partitions N, also that the response lists
// at least N partitions that have a leader and no error (a broker that
// answers before it has loaded its logs is not ready for clients).
//
// Without --since-ns the clock starts when waitready starts. It gives up
// after --timeout and exits 1.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "waitready:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:9092", "broker host:port")
	sinceNs := flag.Int64("since-ns", 0, "start of the clock, Unix nanoseconds (0: when waitready starts)")
	timeout := flag.Duration("timeout", 2*time.Minute, "give up after this long")
	minParts := flag.Int("min-partitions", 0, "also wait until Metadata lists this many partitions with a leader")
	pid := flag.Int("pid", 0, "give up at once if this process (the broker) exits")
	flag.Parse()

	start := time.Now()
	if *sinceNs > 0 {
		start = time.Unix(0, *sinceNs)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if *pid > 0 {
		ctx = watchPid(ctx, *pid)
	}
	if err := waitDial(ctx, *addr); err != nil {
		return err
	}
	if err := waitMetadata(ctx, *addr, *minParts); err != nil {
		return err
	}
	fmt.Printf("%.1f\n", float64(time.Since(start))/float64(time.Millisecond))
	return nil
}

// poll is how often waitready retries: fine enough that it adds little to
// the start-up time it measures.
const poll = 5 * time.Millisecond

// waitDial returns once addr accepts a TCP connection. It polls with its
// own dialer rather than the Kafka client, whose reconnect back-off would
// add tens of milliseconds to the measurement.
func waitDial(ctx context.Context, addr string) error {
	var d net.Dialer
	for {
		dctx, cancel := context.WithTimeout(ctx, time.Second)
		c, err := d.DialContext(dctx, "tcp", addr)
		cancel()
		if err == nil {
			return c.Close()
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s never accepted a connection: %w (%v)", addr, context.Cause(ctx), err)
		}
		if err := sleep(ctx, poll); err != nil {
			return fmt.Errorf("%s never accepted a connection: %w", addr, err)
		}
	}
}

// waitMetadata returns once a Metadata request succeeds and lists at least
// minParts led partitions.
func waitMetadata(ctx context.Context, addr string, minParts int) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ClientID("strom-waitready"),
		kgo.RetryBackoffFn(func(int) time.Duration { return poll }))
	if err != nil {
		return err
	}
	defer cl.Close()
	var last error
	for {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		req := kmsg.NewPtrMetadataRequest() // nil Topics: all topics
		resp, err := req.RequestWith(rctx, cl)
		cancel()
		if err == nil {
			n := ledPartitions(resp)
			if n >= minParts {
				return nil
			}
			err = fmt.Errorf("%d of %d partitions have a leader", n, minParts)
		}
		last = err
		if err := sleep(ctx, poll); err != nil {
			return fmt.Errorf("metadata from %s: %w (last: %v)", addr, err, last)
		}
	}
}

func ledPartitions(resp *kmsg.MetadataResponse) int {
	n := 0
	for _, t := range resp.Topics {
		if t.ErrorCode != 0 {
			continue
		}
		for _, p := range t.Partitions {
			if p.ErrorCode == 0 && p.Leader >= 0 {
				n++
			}
		}
	}
	return n
}

// errExited is the cause of the context watchPid returns.
var errExited = errors.New("broker process exited")

// watchPid returns a context that is cancelled when process pid is gone,
// so a broker that fails to start is reported at once, not at --timeout.
func watchPid(ctx context.Context, pid int) context.Context {
	ctx, cancel := context.WithCancelCause(ctx)
	go func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				// Signal 0 checks existence. An exited child that
				// is not yet reaped (a zombie) still exists; the
				// status file says so.
				st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
				if err != nil || syscall.Kill(pid, 0) != nil || zombie(st) {
					cancel(errExited)
					return
				}
			}
		}
	}()
	return ctx
}

// zombie reports whether a /proc/PID/stat line has state Z.
func zombie(stat []byte) bool {
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}
