// Command manyparts loads a broker with many partitions for bench/run.sh:
// it creates --topics topics of --partitions partitions each, then produces
// one record to every partition, and prints the two times as one JSON line:
//
//	go run ./bench/manyparts --addr 127.0.0.1:9092 --topics 100 --partitions 100
//	{"topics":100,"partitions":10000,"create_ms":...,"produce_ms":...}
//
// create_ms runs from the first CreateTopics request until every topic is
// reported created; produce_ms from the first record until the last is
// acknowledged (acks=all), which includes the client learning the leaders
// of every partition.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

type result struct {
	Topics     int     `json:"topics"`
	Partitions int     `json:"partitions"`
	CreateMs   float64 `json:"create_ms"`
	ProduceMs  float64 `json:"produce_ms"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "manyparts:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:9092", "broker host:port")
	topics := flag.Int("topics", 100, "number of topics")
	parts := flag.Int("partitions", 100, "partitions per topic")
	prefix := flag.String("prefix", "many", "topic name prefix")
	perRequest := flag.Int("topics-per-request", 10, "topics per CreateTopics request")
	timeout := flag.Duration("timeout", 10*time.Minute, "give up after this long")
	flag.Parse()
	if *topics <= 0 || *parts <= 0 || *perRequest <= 0 {
		return errors.New("--topics, --partitions and --topics-per-request must be positive")
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	names := make([]string, *topics)
	for i := range names {
		names[i] = fmt.Sprintf("%s-%04d", *prefix, i)
	}
	res := result{Topics: *topics, Partitions: *topics * *parts}

	created, err := create(ctx, *addr, names, int32(*parts), *perRequest)
	if err != nil {
		return err
	}
	res.CreateMs = ms(created)

	produced, err := produce(ctx, *addr, names, int32(*parts))
	if err != nil {
		return err
	}
	res.ProduceMs = ms(produced)
	return json.NewEncoder(os.Stdout).Encode(res)
}

func create(ctx context.Context, addr string, names []string, parts int32, perRequest int) (time.Duration, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ClientID("strom-manyparts"))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	adm.SetTimeoutMillis(int32((5 * time.Minute).Milliseconds()))
	start := time.Now()
	for i := 0; i < len(names); i += perRequest {
		chunk := names[i:min(i+perRequest, len(names))]
		resps, err := adm.CreateTopics(ctx, parts, 1, nil, chunk...)
		if err != nil {
			return 0, fmt.Errorf("creating topics: %w", err)
		}
		if err := resps.Error(); err != nil {
			return 0, fmt.Errorf("creating topics: %w", err)
		}
	}
	return time.Since(start), nil
}

func produce(ctx context.Context, addr string, names []string, parts int32) (time.Duration, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ClientID("strom-manyparts"),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(5*time.Millisecond),
		kgo.MaxBufferedRecords(1<<20))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	var (
		mu       sync.Mutex
		firstErr error
	)
	start := time.Now()
	for _, t := range names {
		for p := range parts {
			r := &kgo.Record{Topic: t, Partition: p, Value: []byte("one record per partition")}
			cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			})
		}
	}
	if err := cl.Flush(ctx); err != nil {
		return 0, fmt.Errorf("waiting for acknowledgements: %w", err)
	}
	d := time.Since(start)
	mu.Lock()
	defer mu.Unlock()
	if firstErr != nil {
		return 0, fmt.Errorf("producing: %w", firstErr)
	}
	return d, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
