// Package durability checks the Storage contract of README's Durability
// section against real brokers: killed with SIGKILL, restarted on damaged
// files, run on a filesystem that fails, and in the relaxed flush mode.
package durability

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/record/recordtest"
	"strom/test/clients/ktest"
	"strom/test/harness"
)

func TestMain(m *testing.M) {
	code := m.Run()
	harness.RemoveBinary()
	os.Exit(code)
}

// testSeed returns STROM_TEST_SEED if set, else a fresh seed; it is
// printed so a failing run can be replayed.
func testSeed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("STROM_TEST_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("STROM_TEST_SEED: %v", err)
		}
		seed = v
	}
	t.Logf("seed %d (replay with STROM_TEST_SEED=%d)", seed, seed)
	return seed
}

// Shared with the other suites (test/clients/ktest).
var (
	ctxFor    = ktest.CtxFor
	newClient = ktest.Client
)

func createTopic(t *testing.T, addr, topic string, partitions int32, configs map[string]*string) {
	t.Helper()
	adm := kadm.NewClient(newClient(t, addr))
	resp, err := adm.CreateTopic(ctxFor(t, 20*time.Second), partitions, 1, configs, topic)
	if err != nil || resp.Err != nil {
		t.Fatalf("create topic %s: %v %v", topic, err, resp.Err)
	}
}

func strp(s string) *string { return &s }

// produceRaw sends one batch to one partition with acks=all and returns
// the partition's answer.
func produceRaw(t *testing.T, cl *kgo.Client, topic string, partition int32, batch []byte) kmsg.ProduceResponseTopicPartition {
	t.Helper()
	req := kmsg.NewPtrProduceRequest()
	req.Acks = -1
	req.TimeoutMillis = 15000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Partition = partition
	rp.Records = batch
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctxFor(t, 20*time.Second), cl)
	if err != nil {
		t.Fatalf("produce to %s-%d: %v", topic, partition, err)
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		t.Fatalf("produce response shape: %+v", resp)
	}
	return resp.Topics[0].Partitions[0]
}

// mustProduceRaw is produceRaw for batches that must be accepted; it
// returns the base offset.
func mustProduceRaw(t *testing.T, cl *kgo.Client, topic string, partition int32, batch []byte) int64 {
	t.Helper()
	p := produceRaw(t, cl, topic, partition, batch)
	if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
		t.Fatalf("produce to %s-%d: %v", topic, partition, err)
	}
	return p.BaseOffset
}

// valuesBatch is a batch of values, one record each, with timestamps ts,
// ts+1, ...
func valuesBatch(ts int64, values ...string) []byte {
	recs := make([]recordtest.Rec, len(values))
	for i, v := range values {
		recs[i] = recordtest.Rec{Value: []byte(v), TimestampDelta: int64(i)}
	}
	return recordtest.Batch(recordtest.Options{FirstTimestamp: ts}, recs...)
}

// endOffsets returns each partition's log end offset (high watermark).
func endOffsets(t *testing.T, addr, topic string) map[int32]int64 {
	t.Helper()
	ends, err := kadm.NewClient(newClient(t, addr)).ListEndOffsets(ctxFor(t, 20*time.Second), topic)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	ends.Each(func(lo kadm.ListedOffset) {
		if lo.Err != nil {
			t.Fatalf("end offset of %s-%d: %v", topic, lo.Partition, lo.Err)
		}
		out[lo.Partition] = lo.Offset
	})
	return out
}

// consumeRange reads partition p of topic from offset from up to (not
// including) end with a real consumer and returns the records in order.
func consumeRange(t *testing.T, addr, topic string, p int32, from, end int64) []*kgo.Record {
	t.Helper()
	if from >= end {
		return nil
	}
	cl := newClient(t, addr, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{
		topic: {p: kgo.NewOffset().At(from)},
	}), kgo.FetchMaxWait(200*time.Millisecond))
	defer cl.Close()
	ctx := ctxFor(t, 30*time.Second)
	var out []*kgo.Record
	for polls := 0; polls < 100000; polls++ {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consuming %s-%d [%d,%d): got %d records before the deadline", topic, p, from, end, len(out))
		}
		fs.EachError(func(_ string, _ int32, err error) {
			t.Fatalf("consuming %s-%d: %v", topic, p, err)
		})
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset < end {
				out = append(out, r)
			}
		})
		if len(out) > 0 && out[len(out)-1].Offset >= end-1 {
			return out
		}
	}
	t.Fatalf("consuming %s-%d: poll limit reached", topic, p)
	return nil
}

// consumeAll reads every partition of topic from its start to its end.
func consumeAll(t *testing.T, addr, topic string) map[int32][]*kgo.Record {
	t.Helper()
	out := map[int32][]*kgo.Record{}
	for p, end := range endOffsets(t, addr, topic) {
		out[p] = consumeRange(t, addr, topic, p, 0, end)
	}
	return out
}

func values(rs []*kgo.Record) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r.Value)
	}
	return out
}

// fetchRaw sends one Fetch for one partition (no wait) and returns the
// partition's answer.
func fetchRaw(t *testing.T, cl *kgo.Client, topic string, partition int32, offset int64) kmsg.FetchResponseTopicPartition {
	t.Helper()
	req := kmsg.NewPtrFetchRequest()
	req.ReplicaID = -1
	req.MaxBytes = 1 << 20
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = topic // up to v12
	tds, err := kadm.NewClient(cl).ListTopics(ctxFor(t, 20*time.Second), topic)
	if err != nil || tds[topic].Err != nil {
		t.Fatalf("metadata for %s: %v %v", topic, err, tds[topic].Err)
	}
	rt.TopicID = tds[topic].ID // v13+; the client picks the version
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.Partition = partition
	rp.FetchOffset = offset
	rp.PartitionMaxBytes = 1 << 20
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctxFor(t, 20*time.Second), cl)
	if err != nil {
		t.Fatalf("fetch %s-%d@%d: %v", topic, partition, offset, err)
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		t.Fatalf("fetch response shape: %+v", resp)
	}
	return resp.Topics[0].Partitions[0]
}
