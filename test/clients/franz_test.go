package clients

import (
	"context"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"strom/test/clients/ktest"
	"strom/test/harness"
)

func kgoRecords(topic string, recs []ktest.Rec) []*kgo.Record {
	out := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		kr := &kgo.Record{Topic: topic, Partition: 0, Key: []byte(r.Key), Value: []byte(r.Value)}
		for _, h := range r.Headers {
			kr.Headers = append(kr.Headers, kgo.RecordHeader{Key: h[0], Value: []byte(h[1])})
		}
		out[i] = kr
	}
	return out
}

func newProducer(t testing.TB, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	opts = append([]kgo.Opt{
		kgo.SeedBrokers(addr),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
	}, opts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatalf("kgo.NewClient: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// TestFranzProduceSync: ProduceSync with the default (idempotent, acks=all)
// producer; every record is acknowledged at consecutive offsets from 0, is
// written with a producer ID, and reads back identically from the start.
func TestFranzProduceSync(t *testing.T) {
	t.Parallel()
	b := harness.Start(t)
	topic := ktest.CreateTopic(t, b.Addr, 1)
	want := ktest.MakeRecs("sync", 25, 0)
	cl := newProducer(t, b.Addr)
	res := cl.ProduceSync(ktest.Ctx(t), kgoRecords(topic, want)...)
	if err := res.FirstErr(); err != nil {
		t.Fatalf("ProduceSync: %v", err)
	}
	for i, r := range res {
		if r.Record.Offset != int64(i) {
			t.Errorf("ack %d: offset %d, want %d", i, r.Record.Offset, i)
		}
	}
	got := ktest.ConsumeKgo(t, b.Addr, topic, 0, 0, len(want))
	ktest.CheckKgoRecs(t, got, want)
	for i, r := range got {
		if r.ProducerID < 0 {
			t.Errorf("record %d: producer ID %d; the default kgo producer is idempotent and must get one", i, r.ProducerID)
		}
	}
	if hw := ktest.EndOffset(t, b.Addr, topic, 0); hw != int64(len(want)) {
		t.Errorf("high watermark %d, want %d", hw, len(want))
	}
}

// TestFranzProduceAsync: Produce with a per-record callback; every callback
// reports success, offsets are unique and cover 0..n-1; the data reads back.
func TestFranzProduceAsync(t *testing.T) {
	t.Parallel()
	b := harness.Start(t)
	topic := ktest.CreateTopic(t, b.Addr, 1)
	want := ktest.MakeRecs("async", 40, 0)
	cl := newProducer(t, b.Addr)
	var (
		mu      sync.Mutex
		offsets = map[int64]bool{}
		errs    []error
		wg      sync.WaitGroup
	)
	for _, r := range kgoRecords(topic, want) {
		wg.Add(1)
		cl.Produce(context.Background(), r, func(r *kgo.Record, err error) {
			defer wg.Done()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			offsets[r.Offset] = true
		})
	}
	if err := cl.Flush(ktest.Ctx(t)); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	wg.Wait() // Flush returned, so every promise has run.
	if len(errs) > 0 {
		t.Fatalf("produce errors: %v", errs)
	}
	for i := range want {
		if !offsets[int64(i)] {
			t.Errorf("no record acknowledged at offset %d", i)
		}
	}
	ktest.CheckKgoRecs(t, ktest.ConsumeKgo(t, b.Addr, topic, 0, 0, len(want)), want)
}

// TestFranzFireAndForget: acks=0 (no idempotence, which requires acks=all);
// after Flush every record is in the log in order.
func TestFranzFireAndForget(t *testing.T) {
	t.Parallel()
	b := harness.Start(t)
	topic := ktest.CreateTopic(t, b.Addr, 1)
	want := ktest.MakeRecs("acks0", 30, 0)
	cl := newProducer(t, b.Addr, kgo.RequiredAcks(kgo.NoAck()), kgo.DisableIdempotentWrite())
	for _, r := range kgoRecords(topic, want) {
		cl.Produce(context.Background(), r, func(_ *kgo.Record, err error) {
			if err != nil {
				t.Errorf("acks=0 produce: %v", err)
			}
		})
	}
	if err := cl.Flush(ktest.Ctx(t)); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	got := ktest.ConsumeKgo(t, b.Addr, topic, 0, 0, len(want))
	ktest.CheckKgoRecs(t, got, want)
	for i, r := range got {
		if r.ProducerID != -1 {
			t.Errorf("record %d: producer ID %d, want -1 for a non-idempotent producer", i, r.ProducerID)
		}
	}
}

// TestFranzConsumeFromOffset: records written in several produce calls are
// read from the start, from a middle offset and from the last offset.
func TestFranzConsumeFromOffset(t *testing.T) {
	t.Parallel()
	b := harness.Start(t)
	topic := ktest.CreateTopic(t, b.Addr, 1)
	want := ktest.MakeRecs("offset", 20, 0)
	cl := newProducer(t, b.Addr)
	all := kgoRecords(topic, want)
	for _, chunk := range [][]*kgo.Record{all[:7], all[7:13], all[13:]} {
		if err := cl.ProduceSync(ktest.Ctx(t), chunk...).FirstErr(); err != nil {
			t.Fatalf("ProduceSync: %v", err)
		}
	}
	for _, start := range []int64{0, 4, 7, 13, 19} {
		got := ktest.ConsumeKgo(t, b.Addr, topic, 0, start, len(want)-int(start))
		ktest.CheckKgoRecs(t, got, want[start:])
	}
}

// TestFranzMultiPartition: records routed to explicit partitions of a
// 3-partition topic land there with per-partition offsets from 0.
func TestFranzMultiPartition(t *testing.T) {
	t.Parallel()
	b := harness.Start(t)
	topic := ktest.CreateTopic(t, b.Addr, 3)
	cl := newProducer(t, b.Addr)
	per := map[int32][]ktest.Rec{}
	var recs []*kgo.Record
	for p := int32(0); p < 3; p++ {
		per[p] = ktest.MakeRecs("part"+string(rune('a'+p)), 5+int(p), 0)
		for _, r := range kgoRecords(topic, per[p]) {
			r.Partition = p
			recs = append(recs, r)
		}
	}
	if err := cl.ProduceSync(ktest.Ctx(t), recs...).FirstErr(); err != nil {
		t.Fatalf("ProduceSync: %v", err)
	}
	for p := int32(0); p < 3; p++ {
		ktest.CheckKgoRecs(t, ktest.ConsumeKgo(t, b.Addr, topic, p, 0, len(per[p])), per[p])
		if hw := ktest.EndOffset(t, b.Addr, topic, p); hw != int64(len(per[p])) {
			t.Errorf("partition %d high watermark %d, want %d", p, hw, len(per[p]))
		}
	}
}

// TestFranzCompression: each codec round-trips and the stored batch carries
// that codec in its attributes (the broker keeps batches as sent).
func TestFranzCompression(t *testing.T) {
	t.Parallel()
	b := harness.Start(t)
	codecs := []struct {
		name string
		c    kgo.CompressionCodec
		bits int8
	}{
		{"none", kgo.NoCompression(), 0},
		{"gzip", kgo.GzipCompression(), 1},
		{"snappy", kgo.SnappyCompression(), 2},
		{"lz4", kgo.Lz4Compression(), 3},
		{"zstd", kgo.ZstdCompression(), 4},
	}
	for _, c := range codecs {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			topic := ktest.CreateTopic(t, b.Addr, 1)
			want := ktest.MakeRecs(c.name, 50, 0)
			cl := newProducer(t, b.Addr, kgo.ProducerBatchCompression(c.c))
			if err := cl.ProduceSync(ktest.Ctx(t), kgoRecords(topic, want)...).FirstErr(); err != nil {
				t.Fatalf("ProduceSync: %v", err)
			}
			ktest.CheckKgoRecs(t, ktest.ConsumeKgo(t, b.Addr, topic, 0, 0, len(want)), want)
			got := ktest.FetchBatchCodecs(t, b.Addr, topic, 0)
			if len(got) == 0 {
				t.Fatalf("raw fetch returned no batches")
			}
			for i, g := range got {
				if g != c.bits {
					t.Errorf("batch %d codec bits %d, want %d (%s)", i, g, c.bits, c.name)
				}
			}
		})
	}
}
