// Package harness starts Strom brokers for integration tests: in-process
// (fast, same address space, race detector coverage) or, for crash tests,
// as a separate strom process.
package harness

import (
	"context"
	"log/slog"
	"net"
	"os"
	"strconv"
	"testing"

	"strom/internal/config"
	"strom/internal/node"
)

// Broker is a running in-process broker.
type Broker struct {
	Addr string // host:port of the Kafka listener
	Dir  string // data directory

	t         testing.TB
	overrides []string
	opts      []node.Option
	node      *node.Node
}

// Start runs a broker on 127.0.0.1 with its data in a temporary directory;
// the test's cleanup stops it. overrides are server properties "key=value".
func Start(t testing.TB, overrides ...string) *Broker {
	t.Helper()
	return StartWith(t, nil, overrides...)
}

// StartWith is Start with node options (e.g. node.WithFS for fault injection).
func StartWith(t testing.TB, opts []node.Option, overrides ...string) *Broker {
	t.Helper()
	b := &Broker{Dir: t.TempDir(), t: t, overrides: overrides, opts: opts}
	b.start("127.0.0.1:0")
	t.Cleanup(func() { b.Stop() })
	return b
}

func (b *Broker) start(listen string) {
	b.t.Helper()
	props := []string{
		"listeners=PLAINTEXT://" + listen,
		"log.dirs=" + b.Dir,
		"strom.admin.listen=",
	}
	props = append(props, b.overrides...)
	cfg, _, err := config.Load("", props)
	if err != nil {
		b.t.Fatalf("harness: config: %v", err)
	}
	level := slog.LevelWarn
	if os.Getenv("STROM_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	n, err := node.Start(context.Background(), cfg, logger, b.opts...)
	if err != nil {
		b.t.Fatalf("harness: start broker: %v", err)
	}
	b.node = n
	b.Addr = n.Addr()
}

// Stop shuts the broker down cleanly; it is safe to call twice.
func (b *Broker) Stop() {
	if b.node == nil {
		return
	}
	if err := b.node.Close(); err != nil {
		b.t.Errorf("harness: stopping broker: %v", err)
	}
	b.node = nil
}

// Restart stops the broker and starts it again on the same directory and,
// so that clients can reconnect, the same port.
func (b *Broker) Restart() {
	b.t.Helper()
	b.Stop()
	_, port, _ := net.SplitHostPort(b.Addr)
	b.start(net.JoinHostPort("127.0.0.1", port))
	if p, _ := strconv.Atoi(port); p == 0 {
		b.t.Fatal("harness: lost the port")
	}
}

// Node exposes the running node for white-box checks.
func (b *Broker) Node() *node.Node { return b.node }
