package durability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"strom/test/harness"
)

type ackedAt struct {
	partition int32
	offset    int64
}

// TestKill9UnderLoad: idempotent acks=all producers write to a
// 4-partition topic from several goroutines; the broker gets SIGKILL
// after a seeded number of acknowledgements and is restarted on the same
// directory. Every acknowledged record must then be at its acknowledged
// offset with its value, no value may appear twice, and every partition's
// offsets must be dense from 0. Rounds accumulate on the same data, so
// later rounds also re-check what earlier rounds acknowledged.
func TestKill9UnderLoad(t *testing.T) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	p := harness.StartProcess(t)
	const topic = "load"
	createTopic(t, p.Addr, topic, 4, nil)

	acked := map[string]ackedAt{}
	const rounds = 3
	for round := 0; round < rounds; round++ {
		killAfter := 300 + rng.IntN(1500)
		workers := 2 + rng.IntN(4)
		size := 10 + rng.IntN(500)
		t.Logf("round %d: %d workers, %d-byte values, SIGKILL after %d acks", round, workers, size, killAfter)
		n := produceUntilKilled(t, p, topic, round, workers, size, killAfter, acked)
		t.Logf("round %d: %d acknowledged before the kill (pid gone), %d acknowledged in total", round, n, len(acked))
		p.Restart()
		verifyAcked(t, p.Addr, topic, acked)
	}
}

// produceUntilKilled produces until killAfter records are acknowledged,
// SIGKILLs the broker, and returns how many acknowledgements this round
// saw. acked gains every acknowledged value.
func produceUntilKilled(t *testing.T, p *harness.Process, topic string, round, workers, size, killAfter int, acked map[string]ackedAt) int {
	t.Helper()
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(p.Addr),
		kgo.DefaultProduceTopic(topic),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.RecordPartitioner(kgo.RoundRobinPartitioner()),
		kgo.ProducerLinger(0),
		kgo.RecordDeliveryTimeout(20*time.Second),
	)
	if err != nil {
		t.Fatal(err)
	}
	closeClient := sync.OnceFunc(cl.Close)
	defer closeClient()

	var (
		mu       sync.Mutex
		n        int
		failed   int
		killNow  = make(chan struct{})
		killOnce sync.Once
		inflight sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pad := make([]byte, size)
	for i := range pad {
		pad[i] = 'x'
	}
	var workersDone sync.WaitGroup
	for w := 0; w < workers; w++ {
		workersDone.Add(1)
		go func() {
			defer workersDone.Done()
			for i := 0; i < 200000 && ctx.Err() == nil; i++ {
				v := fmt.Sprintf("r%d-w%d-%d-", round, w, i)
				rec := &kgo.Record{Value: append([]byte(v), pad...)}
				inflight.Add(1)
				cl.Produce(ctx, rec, func(r *kgo.Record, err error) {
					defer inflight.Done()
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						failed++
						return
					}
					if prev, dup := acked[string(r.Value)]; dup {
						t.Errorf("value %q acknowledged twice: %v and %d/%d", r.Value, prev, r.Partition, r.Offset)
					}
					acked[string(r.Value)] = ackedAt{r.Partition, r.Offset}
					n++
					if n >= killAfter {
						killOnce.Do(func() { close(killNow) })
					}
				})
			}
		}()
	}
	select {
	case <-killNow:
	case <-time.After(60 * time.Second):
		t.Fatalf("only %d acknowledgements within 60s (%d failed)", n, failed)
	}
	pid := p.Pid()
	p.Kill()
	cancel()
	workersDone.Wait()
	// Closing fails whatever is still buffered or in flight; every
	// promise has run once Close returns and inflight drains.
	closeClient()
	drained := make(chan struct{})
	go func() { inflight.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(30 * time.Second):
		t.Fatal("producer callbacks still pending 30s after close")
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("killed pid %d; %d records failed after the kill", pid, failed)
	return n
}

func verifyAcked(t *testing.T, addr, topic string, acked map[string]ackedAt) {
	t.Helper()
	all := consumeAll(t, addr, topic)
	if len(all) != 4 {
		t.Fatalf("%d partitions after restart, want 4", len(all))
	}
	where := map[string]ackedAt{}
	total := 0
	for p, recs := range all {
		for i, r := range recs {
			if r.Offset != int64(i) {
				t.Fatalf("partition %d: record %d has offset %d: offsets not dense", p, i, r.Offset)
			}
			if prev, dup := where[string(r.Value)]; dup {
				t.Fatalf("value %q stored twice: %v and %d/%d", r.Value, prev, p, r.Offset)
			}
			where[string(r.Value)] = ackedAt{p, r.Offset}
		}
		total += len(recs)
	}
	lost := 0
	for v, a := range acked {
		got, ok := where[v]
		if !ok || got != a {
			lost++
			if lost <= 10 {
				t.Errorf("acknowledged %q at %d/%d; after restart: present=%v at %d/%d", v, a.partition, a.offset, ok, got.partition, got.offset)
			}
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged records lost or moved", lost, len(acked))
	}
	t.Logf("after restart: %d records stored, all %d acknowledged present", total, len(acked))
}
