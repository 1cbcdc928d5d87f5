package robustness

import (
	"errors"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/test/harness"
)

// TestClientThatNeverReads: a client pipelines large Fetch requests for
// data that is available and never reads a response. The broker must stop
// reading from it (its writes eventually block) instead of buffering
// responses without bound, the heap must stay bounded, and other clients
// must keep producing and consuming meanwhile.
func TestClientThatNeverReads(t *testing.T) {
	b := harness.Start(t)
	const topic = "big"
	const partitions = 4
	createTopic(t, b.Addr, topic, partitions, nil)

	// About 200 MB, 50 MB per partition, in 512 KiB records.
	prod := newClient(t, b.Addr, kgo.DefaultProduceTopic(topic), kgo.ProducerBatchMaxBytes(1<<20),
		kgo.RecordPartitioner(kgo.RoundRobinPartitioner()), kgo.ProducerBatchCompression(kgo.NoCompression()))
	value := []byte(strings.Repeat("z", 512<<10))
	const records = 400
	ctx := ctxFor(t, 60*time.Second)
	for i := 0; i < records; i += 40 {
		batch := make([]*kgo.Record, 40)
		for j := range batch {
			batch[j] = &kgo.Record{Value: value}
		}
		if err := prod.ProduceSync(ctx, batch...).FirstErr(); err != nil {
			t.Fatalf("seeding 200 MB: %v", err)
		}
	}
	prod.Close()

	// Each Fetch asks for everything (up to 64 MB per partition, 256 MB
	// in all) and carries a 32 KiB rack id so that the socket buffers
	// fill after a few hundred requests.
	req := kmsg.NewPtrFetchRequest()
	req.Version = 12
	req.ReplicaID = -1
	req.MaxWaitMillis = 10000
	req.MinBytes = 1
	req.MaxBytes = 256 << 20
	req.Rack = strings.Repeat("r", 32<<10)
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = topic
	for p := int32(0); p < partitions; p++ {
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition = p
		rp.PartitionMaxBytes = 64 << 20
		rp.CurrentLeaderEpoch = -1
		rp.LogStartOffset = -1
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)

	hog := dial(t, b.Addr)
	// A client that never reads: keep writing until a write blocks for
	// 3 s, which means the broker has stopped reading. 2000 requests
	// (64 MB of requests, 500 GB of responses) would mean it never did.
	const maxRequests = 2000
	sent := 0
	var blocked bool
	for ; sent < maxRequests; sent++ {
		hog.nc.SetWriteDeadline(time.Now().Add(3 * time.Second))
		if _, err := hog.nc.Write(frame(req, int32(sent))); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				blocked = true
				break
			}
			t.Fatalf("write %d: broker closed the connection: %v", sent, err)
		}
	}
	if !blocked {
		t.Fatalf("broker read all %d pipelined fetches from a client that never reads", maxRequests)
	}
	t.Logf("broker stopped reading after about %d pipelined fetches", sent)

	// Others are unaffected while the hog is stuck.
	createTopic(t, b.Addr, "other", 2, nil)
	roundTrip(t, b.Addr, "other", 500)

	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	t.Logf("heap in use with the stalled client: %d MiB", ms.HeapInuse>>20)
	if ms.HeapInuse > 1<<30 {
		t.Fatalf("heap in use %d MiB with one stalled client: responses are buffered without a byte bound", ms.HeapInuse>>20)
	}

	// Once the hog goes away the broker releases what it held.
	hog.nc.Close()
	roundTrip(t, b.Addr, "other", 100)
}
