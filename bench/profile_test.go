// Package bench holds in-process benchmarks that exist to be profiled:
// the broker (test/harness) and a franz-go producer and consumer share one
// process, so `go test -cpuprofile` sees the broker's side of scenario (a)
// of bench/run.sh:
//
//	go test ./bench -run '^$' -bench E2E -benchtime 200000x -cpuprofile /tmp/cpu.out
//	go tool pprof -top -focus 'strom/internal' bench.test /tmp/cpu.out
//
// Broker overrides come from STROM_BENCH_OVERRIDES (space-separated
// key=value), e.g. log.flush.interval.messages=9223372036854775807 for the
// relaxed flush mode. The profile includes the clients; -focus on
// strom/internal (or -ignore kgo) separates the broker's share.
package bench

import (
	"context"
	"math/rand/v2"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"strom/test/harness"
)

// BenchmarkE2E1KiB is scenario (a): 1 KiB records, 8 partitions, acks=all,
// one producer and one consumer, unlimited rate; b.N is the record count.
func BenchmarkE2E1KiB(b *testing.B) { benchE2E(b, 1024, kgo.AllISRAcks()) }

// BenchmarkE2E100B is (a) with the 100-byte records of scenario (c).
func BenchmarkE2E100B(b *testing.B) { benchE2E(b, 100, kgo.AllISRAcks()) }

func benchE2E(b *testing.B, size int, acks kgo.Acks) {
	br := harness.Start(b, strings.Fields(os.Getenv("STROM_BENCH_OVERRIDES"))...)
	const topic, partitions = "bench", 8
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	adm, err := kgo.NewClient(kgo.SeedBrokers(br.Addr))
	if err != nil {
		b.Fatal(err)
	}
	defer adm.Close()
	if _, err := kadm.NewClient(adm).CreateTopic(ctx, partitions, 1, nil, topic); err != nil {
		b.Fatal(err)
	}

	// The perf tool's settings (cmd/strom/perf.go): 1 MiB batches, 5 ms
	// linger, large fetches.
	prod, err := kgo.NewClient(kgo.SeedBrokers(br.Addr), kgo.DefaultProduceTopic(topic),
		kgo.RequiredAcks(acks), kgo.ProducerLinger(5*time.Millisecond),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.ProducerBatchMaxBytes(1<<20), kgo.MaxBufferedRecords(1<<20), kgo.MaxBufferedBytes(64<<20))
	if err != nil {
		b.Fatal(err)
	}
	defer prod.Close()
	starts := map[int32]kgo.Offset{}
	for p := range int32(partitions) {
		starts[p] = kgo.NewOffset().At(0)
	}
	cons, err := kgo.NewClient(kgo.SeedBrokers(br.Addr),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: starts}),
		kgo.FetchMaxBytes(64<<20), kgo.FetchMaxPartitionBytes(8<<20), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		b.Fatal(err)
	}
	defer cons.Close()

	n := int64(b.N)
	// Random letters, as strom perf sends (and uncompressed, as it sends).
	value := make([]byte, size)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range value {
		value[i] = byte('a' + rng.IntN(26))
	}
	var failed atomic.Int64
	done := make(chan int64, 1)
	go func() {
		var got int64
		for got < n && ctx.Err() == nil {
			fs := cons.PollFetches(ctx)
			fs.EachError(func(t string, p int32, err error) { b.Errorf("fetch %s/%d: %v", t, p, err) })
			got += int64(fs.NumRecords())
		}
		done <- got
	}()

	b.SetBytes(int64(size))
	b.ResetTimer()
	for range n {
		prod.Produce(ctx, &kgo.Record{Value: value}, func(_ *kgo.Record, err error) {
			if err != nil {
				failed.Add(1)
			}
		})
	}
	if err := prod.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	got := <-done
	b.StopTimer()
	if f := failed.Load(); f > 0 || got < n {
		b.Fatalf("%d of %d records consumed, %d produce errors", got, n, f)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}
