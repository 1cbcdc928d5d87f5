// Package robustness checks that no client can hurt the others: idle and
// stalled connections, clients that never read, malformed or oversized
// frames, and requests that must be refused with Kafka's error codes.
package robustness

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/test/clients/ktest"
)

// Shared with the other suites (test/clients/ktest).
var (
	ctxFor    = ktest.CtxFor
	newClient = ktest.Client
)

func createTopic(t *testing.T, addr, topic string, partitions int32, configs map[string]*string) {
	t.Helper()
	resp, err := kadm.NewClient(newClient(t, addr)).CreateTopic(ctxFor(t, 20*time.Second), partitions, 1, configs, topic)
	if err != nil || resp.Err != nil {
		t.Fatalf("create topic %s: %v %v", topic, err, resp.Err)
	}
}

// roundTrip checks that a fresh well-behaved client can produce n
// records to topic and read them all back.
func roundTrip(t *testing.T, addr, topic string, n int) {
	t.Helper()
	ctx := ctxFor(t, 30*time.Second)
	prod := newClient(t, addr, kgo.DefaultProduceTopic(topic))
	defer prod.Close()
	ends, err := kadm.NewClient(prod).ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	start := map[int32]kgo.Offset{}
	ends.Each(func(lo kadm.ListedOffset) { start[lo.Partition] = kgo.NewOffset().At(lo.Offset) })
	var want []string
	recs := make([]*kgo.Record, n)
	for i := range recs {
		v := fmt.Sprintf("rt-%d-%d", time.Now().UnixNano(), i)
		want = append(want, v)
		recs[i] = &kgo.Record{Value: []byte(v)}
	}
	if err := prod.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce while the broker is under stress: %v", err)
	}
	cons := newClient(t, addr, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: start}), kgo.FetchMaxWait(200*time.Millisecond))
	defer cons.Close()
	var got []string
	for polls := 0; len(got) < n && polls < 10000; polls++ {
		fs := cons.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of %d records before the deadline", len(got), n)
		}
		fs.EachError(func(_ string, _ int32, err error) { t.Fatalf("consume: %v", err) })
		fs.EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("consumed %d records, want the %d produced", len(got), n)
	}
}

// rawConn speaks the Kafka framing by hand so tests can send what no
// well-behaved client would.
type rawConn struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

func dial(t *testing.T, addr string) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	return &rawConn{t: t, nc: nc, br: bufio.NewReader(nc)}
}

func frame(req kmsg.Request, corr int32) []byte {
	return kmsg.NewRequestFormatter(kmsg.FormatterClientID("robustness")).AppendRequest(nil, req, corr)
}

func (c *rawConn) send(req kmsg.Request, corr int32) {
	c.t.Helper()
	if _, err := c.nc.Write(frame(req, corr)); err != nil {
		c.t.Fatal(err)
	}
}

// recv reads one response frame and returns its correlation id and the
// body after the correlation id (the caller skips a v1 header's tag byte).
func (c *rawConn) recv() (int32, []byte, error) {
	var size [4]byte
	if _, err := io.ReadFull(c.br, size[:]); err != nil {
		return 0, nil, err
	}
	body := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(c.br, body); err != nil {
		return 0, nil, err
	}
	return int32(binary.BigEndian.Uint32(body)), body[4:], nil
}

// roundTripRaw sends req and decodes the answer into resp.
func (c *rawConn) roundTripRaw(req kmsg.Request, corr int32) kmsg.Response {
	c.t.Helper()
	c.send(req, corr)
	got, body, err := c.recv()
	if err != nil {
		c.t.Fatalf("%s: %v", kmsg.NameForKey(req.Key()), err)
	}
	if got != corr {
		c.t.Fatalf("correlation id %d, want %d", got, corr)
	}
	resp := req.ResponseKind()
	if req.IsFlexible() && req.Key() != 18 {
		body = body[1:]
	}
	if err := resp.ReadFrom(body); err != nil {
		c.t.Fatalf("decoding %s response: %v", kmsg.NameForKey(req.Key()), err)
	}
	return resp
}

func newReader(nc net.Conn) *bufio.Reader { return bufio.NewReader(nc) }
