package durability

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"strom/internal/node"
	"strom/internal/vfs"
	"strom/test/harness"
)

// TestFullDiskTakesOnlyThatPartitionOffline: once writes and syncs under
// one partition's directory fail with ENOSPC, produce to that partition
// gets KAFKA_STORAGE_ERROR, what it acknowledged before stays readable,
// and the topic's other partition and another topic keep accepting and
// serving records. After a restart with space again, nothing acknowledged
// is lost and the partition accepts writes.
func TestFullDiskTakesOnlyThatPartitionOffline(t *testing.T) {
	t.Run("write and sync fail", func(t *testing.T) { testFullDisk(t, false) })
	// The write reaches the page cache but its fsync fails: the batch
	// must not be acknowledged nor become visible.
	t.Run("sync fails", func(t *testing.T) { testFullDisk(t, true) })
}

func testFullDisk(t *testing.T, syncOnly bool) {
	var armed atomic.Bool
	var injected atomic.Int64
	inject := func(op vfs.Op, path string) error {
		if armed.Load() && (op == vfs.OpSync || op == vfs.OpWrite && !syncOnly) && filepath.Base(filepath.Dir(path)) == "full-0" {
			injected.Add(1)
			return syscall.ENOSPC
		}
		return nil
	}
	b := harness.StartWith(t, []node.Option{node.WithFS(vfs.NewFaulty(vfs.Default, inject))})
	createTopic(t, b.Addr, "full", 2, nil)
	createTopic(t, b.Addr, "other", 2, nil)
	cl := newClient(t, b.Addr)
	ts := time.Now().UnixMilli()

	parts := []struct {
		topic string
		p     int32
	}{{"full", 0}, {"full", 1}, {"other", 0}, {"other", 1}}
	want := map[string][]string{}
	key := func(topic string, p int32) string { return fmt.Sprintf("%s-%d", topic, p) }
	for round := 0; round < 3; round++ {
		for _, tp := range parts {
			vals := []string{fmt.Sprintf("%s-%d-%d-a", tp.topic, tp.p, round), fmt.Sprintf("%s-%d-%d-b", tp.topic, tp.p, round)}
			mustProduceRaw(t, cl, tp.topic, tp.p, valuesBatch(ts, vals...))
			want[key(tp.topic, tp.p)] = append(want[key(tp.topic, tp.p)], vals...)
		}
	}

	armed.Store(true)
	for i := 0; i < 2; i++ { // the failing write, then the offline partition
		r := produceRaw(t, cl, "full", 0, valuesBatch(ts, "lost"))
		if r.ErrorCode != kerr.KafkaStorageError.Code {
			t.Fatalf("produce %d to full-0 on a full disk: %v (offset %d), want KAFKA_STORAGE_ERROR", i, kerr.ErrorForCode(r.ErrorCode), r.BaseOffset)
		}
	}
	if injected.Load() == 0 {
		t.Fatal("no fault was injected: the test did not exercise the full disk")
	}
	if hwm := fetchRaw(t, cl, "full", 0, 0).HighWatermark; hwm != 6 {
		t.Fatalf("full-0 high watermark %d after the failure, want 6 (%v)", hwm, kerr.ErrorForCode(fetchRaw(t, cl, "full", 0, 0).ErrorCode))
	}
	if got := values(consumeRange(t, b.Addr, "full", 0, 0, 6)); !slices.Equal(got, want["full-0"]) {
		t.Fatalf("full-0 after the failure: %q, want %q", got, want["full-0"])
	}
	for _, tp := range parts[1:] {
		k := key(tp.topic, tp.p)
		v := k + "-after"
		if off := mustProduceRaw(t, cl, tp.topic, tp.p, valuesBatch(ts, v)); off != 6 {
			t.Fatalf("%s accepted a batch at %d, want 6", k, off)
		}
		want[k] = append(want[k], v)
		if got := values(consumeRange(t, b.Addr, tp.topic, tp.p, 0, 7)); !slices.Equal(got, want[k]) {
			t.Fatalf("%s while full-0 is offline: %q, want %q", k, got, want[k])
		}
	}

	armed.Store(false)
	cl.Close()
	b.Restart()
	for _, tp := range parts {
		k := key(tp.topic, tp.p)
		end := endOffsets(t, b.Addr, tp.topic)[tp.p]
		got := values(consumeRange(t, b.Addr, tp.topic, tp.p, 0, end))
		// A batch whose fsync failed was never acknowledged but may
		// have reached the disk anyway; nothing else may be added.
		extra := got[min(len(got), len(want[k])):]
		if !slices.Equal(got[:len(got)-len(extra)], want[k]) || len(extra) > 1 || len(extra) == 1 && (!syncOnly || k != "full-0" || extra[0] != "lost") {
			t.Fatalf("%s after restart: %q, want %q", k, got, want[k])
		}
	}
	cl = newClient(t, b.Addr)
	end := endOffsets(t, b.Addr, "full")[0]
	if off := mustProduceRaw(t, cl, "full", 0, valuesBatch(ts, "space again")); off != end {
		t.Fatalf("full-0 after restart accepted a batch at %d, want %d", off, end)
	}
}

// TestRelaxedFlushMode: with log.flush.interval.messages at its maximum
// (Kafka's default behaviour), produces are acknowledged without any
// fsync of the partition, records are readable at once, and a clean stop
// and restart keeps them all.
func TestRelaxedFlushMode(t *testing.T) {
	var logSyncs atomic.Int64
	count := func(op vfs.Op, path string) error {
		if op == vfs.OpSync && strings.HasSuffix(path, ".log") && strings.Contains(path, "relaxed-") {
			logSyncs.Add(1)
		}
		return nil
	}
	b := harness.StartWith(t, []node.Option{node.WithFS(vfs.NewFaulty(vfs.Default, count))},
		"log.flush.interval.messages=9223372036854775807",
		"log.flush.interval.ms=3600000")
	createTopic(t, b.Addr, "relaxed", 2, nil)
	cl := newClient(t, b.Addr)
	ts := time.Now().UnixMilli()
	var want [2][]string
	for i := 0; i < 50; i++ {
		p := int32(i % 2)
		vals := []string{fmt.Sprintf("v%d-0", i), fmt.Sprintf("v%d-1", i)}
		if off := mustProduceRaw(t, cl, "relaxed", p, valuesBatch(ts, vals...)); off != int64(len(want[p])) {
			t.Fatalf("batch %d at offset %d, want %d", i, off, len(want[p]))
		}
		want[p] = append(want[p], vals...)
	}
	if n := logSyncs.Load(); n != 0 {
		t.Errorf("relaxed mode fsynced segment files %d times while acknowledging produces", n)
	}
	for p := range want {
		if got := values(consumeRange(t, b.Addr, "relaxed", int32(p), 0, 50)); !slices.Equal(got, want[p]) {
			t.Fatalf("partition %d before restart: %q", p, got)
		}
	}
	cl.Close()
	b.Restart()
	for p := range want {
		if end := endOffsets(t, b.Addr, "relaxed")[int32(p)]; end != 50 {
			t.Fatalf("partition %d end offset %d after restart, want 50", p, end)
		}
		if got := values(consumeRange(t, b.Addr, "relaxed", int32(p), 0, 50)); !slices.Equal(got, want[p]) {
			t.Fatalf("partition %d after restart: %q", p, got)
		}
	}
}

// TestDefaultModeSyncsBeforeAck is the control for TestRelaxedFlushMode:
// in the default mode an acknowledged produce has been fsynced.
func TestDefaultModeSyncsBeforeAck(t *testing.T) {
	var logSyncs atomic.Int64
	count := func(op vfs.Op, path string) error {
		if op == vfs.OpSync && strings.HasSuffix(path, ".log") && strings.Contains(path, "strict-") {
			logSyncs.Add(1)
		}
		return nil
	}
	b := harness.StartWith(t, []node.Option{node.WithFS(vfs.NewFaulty(vfs.Default, count))})
	createTopic(t, b.Addr, "strict", 1, nil)
	cl := newClient(t, b.Addr)
	for i := int64(0); i < 5; i++ {
		before := logSyncs.Load()
		if off := mustProduceRaw(t, cl, "strict", 0, valuesBatch(time.Now().UnixMilli(), "x")); off != i {
			t.Fatalf("offset %d, want %d", off, i)
		}
		if logSyncs.Load() == before {
			t.Fatalf("produce %d acknowledged without an fsync of the segment", i)
		}
	}
}
