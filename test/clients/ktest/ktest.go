// Package ktest holds helpers shared by the client and interop test suites:
// unique topics created through kadm, exact record comparison, reading back
// with franz-go and inspecting raw record batches from a Fetch response.
package ktest

import (
	"context"
	"encoding/binary"
	"fmt"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// OpTimeout bounds every single client operation in this package.
const OpTimeout = 30 * time.Second

var topicSeq atomic.Int64

var badTopicChars = regexp.MustCompile(`[^a-zA-Z0-9._-]+`)

// UniqueTopic returns a valid topic name unique to this test run.
func UniqueTopic(t testing.TB) string {
	name := badTopicChars.ReplaceAllString(t.Name(), "-")
	if len(name) > 180 {
		name = name[:180]
	}
	return fmt.Sprintf("%s-%d-%d", name, time.Now().UnixNano(), topicSeq.Add(1))
}

func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), OpTimeout)
	t.Cleanup(cancel)
	return ctx
}

func Admin(t testing.TB, addr string) *kadm.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatalf("kgo.NewClient: %v", err)
	}
	t.Cleanup(cl.Close)
	return kadm.NewClient(cl)
}

// CreateTopic creates a topic with the given partition count (replication
// factor 1) and waits until its metadata shows every partition with a leader.
func CreateTopic(t testing.TB, addr string, partitions int32) string {
	t.Helper()
	topic := UniqueTopic(t)
	adm := Admin(t, addr)
	ctx := Ctx(t)
	resp, err := adm.CreateTopic(ctx, partitions, 1, nil, topic)
	if err != nil {
		t.Fatalf("CreateTopic(%s): %v", topic, err)
	}
	if resp.Err != nil {
		t.Fatalf("CreateTopic(%s): %v %s", topic, resp.Err, resp.ErrMessage)
	}
	deadline := time.Now().Add(OpTimeout)
	for attempt := 0; ; attempt++ {
		tds, err := adm.ListTopics(ctx, topic)
		if err == nil {
			if td, ok := tds[topic]; ok && td.Err == nil && len(td.Partitions) == int(partitions) {
				ready := true
				for _, p := range td.Partitions {
					if p.Leader < 0 || p.Err != nil {
						ready = false
					}
				}
				if ready {
					return topic
				}
			}
		}
		if time.Now().After(deadline) || attempt > 1000 {
			t.Fatalf("topic %s not ready after create: %v %+v", topic, err, tds)
		}
		// Metadata is refreshed by a new request; the admin call itself paces the loop.
		select {
		case <-ctx.Done():
			t.Fatalf("topic %s not ready: %v", topic, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// EndOffset returns the high watermark of topic/partition.
func EndOffset(t testing.TB, addr, topic string, partition int32) int64 {
	t.Helper()
	offs, err := Admin(t, addr).ListEndOffsets(Ctx(t), topic)
	if err != nil {
		t.Fatalf("ListEndOffsets(%s): %v", topic, err)
	}
	o, ok := offs.Lookup(topic, partition)
	if !ok || o.Err != nil {
		t.Fatalf("ListEndOffsets(%s,%d): ok=%v %v", topic, partition, ok, o.Err)
	}
	return o.Offset
}

// Rec is the expected shape of one record.
type Rec struct {
	Key, Value string
	Headers    [][2]string
	Offset     int64
}

// MakeRecs builds n distinct records whose offsets start at base.
func MakeRecs(prefix string, n int, base int64) []Rec {
	out := make([]Rec, n)
	for i := range out {
		out[i] = Rec{
			Key:     fmt.Sprintf("%s-key-%03d", prefix, i),
			Value:   fmt.Sprintf("%s-value-%03d-%s", prefix, i, "payload payload payload payload payload"),
			Headers: [][2]string{{"h-index", fmt.Sprint(i)}, {"h-prefix", prefix}},
			Offset:  base + int64(i),
		}
	}
	return out
}

// ConsumeKgo reads exactly n records of topic/partition starting at offset
// with franz-go and fails the test if they do not arrive in time.
func ConsumeKgo(t testing.TB, addr, topic string, partition int32, offset int64, n int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(addr),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {partition: kgo.NewOffset().At(offset)}}),
		kgo.FetchMaxWait(200*time.Millisecond),
	)
	if err != nil {
		t.Fatalf("kgo.NewClient: %v", err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), OpTimeout)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consume %s[%d]@%d: got %d of %d records before timeout", topic, partition, offset, len(out), n)
		}
		for _, fe := range fs.Errors() {
			t.Fatalf("fetch error %s[%d]: %v", fe.Topic, fe.Partition, fe.Err)
		}
		fs.EachRecord(func(r *kgo.Record) { out = append(out, r) })
	}
	if len(out) != n {
		t.Fatalf("consume %s[%d]@%d: got %d records, want %d", topic, partition, offset, len(out), n)
	}
	return out
}

// CheckKgoRecs compares consumed franz-go records with the expectation.
func CheckKgoRecs(t testing.TB, got []*kgo.Record, want []Rec) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d", len(got), len(want))
	}
	for i, r := range got {
		w := want[i]
		if string(r.Key) != w.Key || string(r.Value) != w.Value || r.Offset != w.Offset {
			t.Errorf("record %d: got key=%q value=%q offset=%d, want key=%q value=%q offset=%d",
				i, r.Key, r.Value, r.Offset, w.Key, w.Value, w.Offset)
			continue
		}
		var hs [][2]string
		for _, h := range r.Headers {
			hs = append(hs, [2]string{h.Key, string(h.Value)})
		}
		if fmt.Sprint(hs) != fmt.Sprint(w.Headers) {
			t.Errorf("record %d headers: got %v, want %v", i, hs, w.Headers)
		}
	}
}

// FetchBatchCodecs issues a raw Fetch for topic/partition from offset 0 and
// returns the compression codec (attributes & 0x7) of every record batch
// the broker returned, exactly as stored on the wire.
func FetchBatchCodecs(t testing.TB, addr, topic string, partition int32) []int8 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatalf("kgo.NewClient: %v", err)
	}
	defer cl.Close()
	ctx := Ctx(t)
	tds, err := kadm.NewClient(cl).ListTopics(ctx, topic)
	if err != nil {
		t.Fatalf("ListTopics: %v", err)
	}
	td, ok := tds[topic]
	if !ok {
		t.Fatalf("topic %s missing from metadata", topic)
	}
	req := kmsg.NewPtrFetchRequest()
	req.ReplicaID = -1
	req.MaxWaitMillis = 100
	req.MinBytes = 1
	req.MaxBytes = 50 << 20
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = topic
	rt.TopicID = td.ID
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.Partition = partition
	rp.FetchOffset = 0
	rp.LogStartOffset = -1
	rp.CurrentLeaderEpoch = -1
	rp.PartitionMaxBytes = 50 << 20
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatalf("raw fetch: %v", err)
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		t.Fatalf("raw fetch: unexpected response shape %+v", resp)
	}
	p := resp.Topics[0].Partitions[0]
	if p.ErrorCode != 0 {
		t.Fatalf("raw fetch: error code %d", p.ErrorCode)
	}
	return BatchCodecs(t, p.RecordBatches)
}

// BatchCodecs walks concatenated record batches (magic 2) and returns each
// batch's codec bits.
func BatchCodecs(t testing.TB, b []byte) []int8 {
	t.Helper()
	var codecs []int8
	for i := 0; len(b) >= 12 && i < 100000; i++ {
		length := int(int32(binary.BigEndian.Uint32(b[8:12])))
		if length <= 0 || 12+length > len(b) {
			break // a partial trailing batch is allowed in a fetch response
		}
		var rb kmsg.RecordBatch
		if err := rb.ReadFrom(b[:12+length]); err != nil {
			t.Fatalf("decode record batch: %v", err)
		}
		if rb.Magic != 2 {
			t.Fatalf("record batch magic %d, want 2", rb.Magic)
		}
		codecs = append(codecs, int8(rb.Attributes&0x7))
		b = b[12+length:]
	}
	return codecs
}

// CtxFor is a context that ends after d or with the test.
func CtxFor(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// Client is a franz-go client for addr, closed with the test.
func Client(t testing.TB, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}
