// Package compaction tests log compaction end to end: a broker with
// compacted topics, franz-go producing and consuming.
package compaction

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/record"
	"strom/internal/record/recordtest"
	"strom/test/clients/ktest"
	"strom/test/harness"
)

// rec is a record as the reference model sees it.
type rec struct {
	off      int64
	key, val []byte
	horizon  int64 // when a kept tombstone may be dropped; 0 until first cleaned
}

// compactModel is the naive reference of one cleaning round covering
// every offset below end: the latest record per key survives, and a
// tombstone survives until a round after its delete horizon.
func compactModel(m []rec, end, nowMs, retMs int64) []rec {
	latest := map[string]int64{}
	for _, r := range m {
		if r.off < end {
			latest[string(r.key)] = r.off
		}
	}
	var out []rec
	for _, r := range m {
		if r.off < end {
			if latest[string(r.key)] != r.off {
				continue
			}
			if r.val == nil {
				if r.horizon != 0 && nowMs >= r.horizon {
					continue
				}
				if r.horizon == 0 {
					r.horizon = nowMs + retMs
				}
			}
		}
		out = append(out, r)
	}
	return out
}

func createCompacted(t *testing.T, addr string, configs map[string]*string) string {
	t.Helper()
	topic := ktest.UniqueTopic(t)
	resp, err := ktest.Admin(t, addr).CreateTopic(ktest.Ctx(t), 1, 1, configs, topic)
	if err != nil || resp.Err != nil {
		t.Fatalf("create %s: %v %v %s", topic, err, resp.Err, resp.ErrMessage)
	}
	return topic
}

func producer(t *testing.T, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// consumeAll reads the partition from the beginning up to its high
// watermark with franz-go.
func consumeAll(t *testing.T, addr, topic string) []rec {
	t.Helper()
	end := ktest.EndOffset(t, addr, topic, 0)
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}),
		kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := ktest.Ctx(t)
	var out []rec
	for len(out) == 0 || out[len(out)-1].off < end-1 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consume %s: got %d records up to %v, want up to offset %d", topic, len(out), out, end-1)
		}
		if errs := fs.Errors(); len(errs) > 0 {
			t.Fatalf("fetch: %v", errs)
		}
		fs.EachRecord(func(r *kgo.Record) {
			out = append(out, rec{off: r.Offset, key: r.Key, val: r.Value})
		})
	}
	return out
}

func sameRecs(t *testing.T, what string, got, want []rec) {
	t.Helper()
	eq := len(got) == len(want)
	for i := 0; eq && i < len(got); i++ {
		eq = got[i].off == want[i].off && bytes.Equal(got[i].key, want[i].key) &&
			bytes.Equal(got[i].val, want[i].val) && (got[i].val == nil) == (want[i].val == nil)
	}
	if !eq {
		t.Fatalf("%s:\n got %s\nwant %s", what, show(got), show(want))
	}
}

func show(rs []rec) string {
	var b strings.Builder
	for _, r := range rs {
		v := "<tombstone>"
		if r.val != nil {
			v = string(r.val)
		}
		fmt.Fprintf(&b, "%d:%s=%s ", r.off, r.key, v)
	}
	return b.String()
}

func ptr(s string) *string { return &s }

// TestCompactedTopicKeepsLatestPerKey produces keyed records and
// tombstones (zstd batches, some with several records) to a compacted
// topic whose every batch rolls a segment, runs the cleaner, and checks
// that a consumer from the beginning sees the latest record per key in
// offset order with the original offsets; tombstones survive the first
// cleaning and go once delete.retention.ms has passed; everything holds
// across a restart.
func TestCompactedTopicKeepsLatestPerKey(t *testing.T) {
	// The background cleaner stays out of the way: the test runs passes
	// itself with chosen clocks.
	b := harness.Start(t, "log.cleaner.backoff.ms=3600000")
	const retMs = 60_000
	topic := createCompacted(t, b.Addr, map[string]*string{
		"cleanup.policy":            ptr("compact"),
		"segment.bytes":             ptr("100"), // every batch rolls: only the last batch stays active
		"min.cleanable.dirty.ratio": ptr("0.01"),
		"delete.retention.ms":       ptr(fmt.Sprint(retMs)),
	})
	cl := producer(t, b.Addr, kgo.ProducerBatchCompression(kgo.ZstdCompression()))
	var model []rec
	produce := func(recs ...*kgo.Record) {
		t.Helper()
		for _, r := range recs {
			r.Topic = topic
		}
		res := cl.ProduceSync(ktest.Ctx(t), recs...)
		if err := res.FirstErr(); err != nil {
			t.Fatalf("produce: %v", err)
		}
		for _, r := range res {
			model = append(model, rec{off: r.Record.Offset, key: r.Record.Key, val: r.Record.Value})
		}
	}
	val := func(k, i int) []byte { return fmt.Appendf(nil, "value-%d-%d-%s", k, i, strings.Repeat("x", 40)) }
	for i := 0; i < 60; i++ {
		k := i % 7
		if i%11 == 10 {
			produce(&kgo.Record{Key: fmt.Appendf(nil, "key-%d", k)}) // tombstone
			continue
		}
		produce(&kgo.Record{Key: fmt.Appendf(nil, "key-%d", k), Value: val(k, i)})
	}
	// One batch with several records, some superseded within it.
	produce(&kgo.Record{Key: []byte("key-1"), Value: val(1, 100)}, &kgo.Record{Key: []byte("key-2"), Value: val(2, 100)},
		&kgo.Record{Key: []byte("key-1"), Value: val(1, 101)})
	produce(&kgo.Record{Key: []byte("key-3"), Value: val(3, 102)})

	m := b.Node().Replicas()
	now := time.Now()
	if r := m.RunCleaner(now); r.Partitions != 1 || r.BytesFreed <= 0 {
		t.Fatalf("first cleaner pass: %+v", r)
	}
	end := model[len(model)-1].off // the active segment holds only the last batch
	model = compactModel(model, end, now.UnixMilli(), retMs)
	sameRecs(t, "after first cleaning", consumeAll(t, b.Addr, topic), model)
	if r := m.RunCleaner(now); r.Partitions != 0 {
		t.Fatalf("a clean log was cleaned again: %+v", r)
	}

	// New writes make the log dirty again; a pass after the delete
	// horizon drops the tombstones it stamped the first time.
	produce(&kgo.Record{Key: []byte("key-4"), Value: val(4, 200)})
	produce(&kgo.Record{Key: []byte("key-5")})
	produce(&kgo.Record{Key: []byte("key-6"), Value: val(6, 201)})
	later := now.Add(2 * retMs * time.Millisecond)
	if r := m.RunCleaner(later); r.Partitions != 1 {
		t.Fatalf("second cleaner pass: %+v", r)
	}
	model = compactModel(model, model[len(model)-1].off, later.UnixMilli(), retMs)
	got := consumeAll(t, b.Addr, topic)
	sameRecs(t, "after second cleaning", got, model)

	b.Restart()
	sameRecs(t, "after restart", consumeAll(t, b.Addr, topic), model)
}

// TestKeylessRecordRejected: a compacted topic refuses a record without
// a key with INVALID_RECORD and Kafka's message; keyed records and
// keyless records on a delete topic are still accepted.
func TestKeylessRecordRejected(t *testing.T) {
	b := harness.Start(t)
	topic := createCompacted(t, b.Addr, map[string]*string{"cleanup.policy": ptr("compact,delete")})
	cl := producer(t, b.Addr, kgo.DisableIdempotentWrite())
	err := cl.ProduceSync(ktest.Ctx(t), &kgo.Record{Topic: topic, Value: []byte("no key")}).FirstErr()
	if !errors.Is(err, kerr.InvalidRecord) {
		t.Fatalf("keyless produce to a compacted topic: %v, want INVALID_RECORD", err)
	}
	if err := cl.ProduceSync(ktest.Ctx(t), &kgo.Record{Topic: topic, Key: []byte("k"), Value: []byte("v")}).FirstErr(); err != nil {
		t.Fatalf("keyed produce: %v", err)
	}
	plain := ktest.CreateTopic(t, b.Addr, 1)
	if err := cl.ProduceSync(ktest.Ctx(t), &kgo.Record{Topic: plain, Value: []byte("no key")}).FirstErr(); err != nil {
		t.Fatalf("keyless produce to a delete topic: %v", err)
	}

	// The error message is Kafka's, as a raw Produce shows.
	req := kmsg.NewPtrProduceRequest()
	req.Acks, req.TimeoutMillis = -1, 10_000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Records = recordtest.Batch(recordtest.Options{Codec: record.Gzip}, recordtest.Rec{Key: []byte("k"), Value: []byte("v")}, recordtest.Rec{Value: []byte("no key")})
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ktest.Ctx(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	pr := resp.Topics[0].Partitions[0]
	want := "Compacted topic cannot accept message without key in topic partition " + topic + "-0."
	if pr.ErrorCode != kerr.InvalidRecord.Code || pr.ErrorMessage == nil || *pr.ErrorMessage != want {
		t.Fatalf("raw produce: code %d message %v, want %d %q", pr.ErrorCode, pr.ErrorMessage, kerr.InvalidRecord.Code, want)
	}
}

// TestBackgroundCleaner: with log.cleaner.backoff.ms short, the broker's
// own cleaner compacts the topic; the test reads until the log matches
// the reference (each read paces the loop) or the deadline passes.
func TestBackgroundCleaner(t *testing.T) {
	b := harness.Start(t, "log.cleaner.backoff.ms=50")
	topic := createCompacted(t, b.Addr, map[string]*string{
		"cleanup.policy":            ptr("compact,delete"),
		"segment.bytes":             ptr("100"),
		"min.cleanable.dirty.ratio": ptr("0.01"),
	})
	cl := producer(t, b.Addr, kgo.ProducerBatchCompression(kgo.Lz4Compression()))
	var model []rec
	for i := 0; i < 30; i++ {
		r := &kgo.Record{Topic: topic, Key: fmt.Appendf(nil, "key-%d", i%3), Value: fmt.Appendf(nil, "value-%d-%s", i, strings.Repeat("y", 50))}
		res := cl.ProduceSync(ktest.Ctx(t), r)
		if err := res.FirstErr(); err != nil {
			t.Fatal(err)
		}
		model = append(model, rec{off: res[0].Record.Offset, key: r.Key, val: r.Value})
	}
	want := compactModel(model, model[len(model)-1].off, 0, 0)
	ctx := ktest.Ctx(t)
	for {
		got := consumeAll(t, b.Addr, topic)
		if len(got) == len(want) {
			sameRecs(t, "after background cleaning", got, want)
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("background cleaner did not compact: %s", show(got))
		}
	}
}
