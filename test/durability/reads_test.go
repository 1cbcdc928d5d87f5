package durability

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/record/recordtest"
	"strom/test/harness"
)

// TestListOffsetsByTimestamp: ListOffsets resolves a timestamp to the
// first record at or after it, inside a batch too; MAX_TIMESTAMP finds the
// record with the largest timestamp; a time after every record gives -1.
func TestListOffsetsByTimestamp(t *testing.T) {
	b := harness.Start(t)
	createTopic(t, b.Addr, "ts", 1, nil)
	cl := newClient(t, b.Addr)
	base := time.Now().Add(-time.Hour).UnixMilli()
	// Batch i holds offsets 2i (base+1000i) and 2i+1 (base+1000i+500).
	for i := int64(0); i < 5; i++ {
		batch := recordtest.Batch(recordtest.Options{FirstTimestamp: base + 1000*i},
			recordtest.Rec{Value: []byte("x")}, recordtest.Rec{Value: []byte("y"), TimestampDelta: 500})
		mustProduceRaw(t, cl, "ts", 0, batch)
	}
	adm := kadm.NewClient(cl)
	for _, c := range []struct {
		ms   int64
		want int64
	}{
		{base - 1, 0}, {base, 0}, {base + 1, 1}, {base + 1200, 3}, {base + 1500, 3},
		{base + 1501, 4}, {base + 4500, 9},
		{base + 4501, 10}, // the broker answers -1; kadm reports the end offset
	} {
		los, err := adm.ListOffsetsAfterMilli(ctxFor(t, 10*time.Second), c.ms, "ts")
		if err != nil {
			t.Fatal(err)
		}
		lo, _ := los.Lookup("ts", 0)
		if lo.Err != nil || lo.Offset != c.want {
			t.Errorf("offset after base+%d ms: %d (%v), want %d", c.ms-base, lo.Offset, lo.Err, c.want)
		}
	}

	listRaw := func(ts int64) kmsg.ListOffsetsResponseTopicPartition {
		t.Helper()
		req := kmsg.NewPtrListOffsetsRequest()
		req.ReplicaID = -1
		rt := kmsg.NewListOffsetsRequestTopic()
		rt.Topic = "ts"
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Timestamp = ts
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctxFor(t, 10*time.Second), cl)
		if err != nil {
			t.Fatal(err)
		}
		return resp.Topics[0].Partitions[0]
	}
	if p := listRaw(-3); p.ErrorCode != 0 || p.Offset != 9 || p.Timestamp != base+4500 { // MAX_TIMESTAMP
		t.Fatalf("MAX_TIMESTAMP: offset %d timestamp base+%d error %v; want offset 9 at base+4500", p.Offset, p.Timestamp-base, kerr.ErrorForCode(p.ErrorCode))
	}
	if p := listRaw(base + 1200); p.ErrorCode != 0 || p.Offset != 3 || p.Timestamp != base+1500 {
		t.Fatalf("by time: offset %d timestamp base+%d error %v; want offset 3 at base+1500", p.Offset, p.Timestamp-base, kerr.ErrorForCode(p.ErrorCode))
	}
	if p := listRaw(base + 4501); p.ErrorCode != 0 || p.Offset != -1 || p.Timestamp != -1 {
		t.Fatalf("after every record: offset %d timestamp %d error %v; want -1, -1 as Kafka answers", p.Offset, p.Timestamp, kerr.ErrorForCode(p.ErrorCode))
	}
}

// TestFetchFromTheMiddleOfABatch: a fetch at an offset inside a batch
// returns the whole containing batch (as Kafka does), and a real consumer
// starting there sees exactly the records from that offset on.
func TestFetchFromTheMiddleOfABatch(t *testing.T) {
	b := harness.Start(t)
	createTopic(t, b.Addr, "mid", 1, nil)
	cl := newClient(t, b.Addr)
	var vals []string
	for i := 0; i < 10; i++ {
		vals = append(vals, fmt.Sprintf("m%d", i))
	}
	mustProduceRaw(t, cl, "mid", 0, valuesBatch(time.Now().UnixMilli(), vals[:3]...))
	mustProduceRaw(t, cl, "mid", 0, valuesBatch(time.Now().UnixMilli(), vals[3:]...)) // offsets 3-9

	for _, from := range []int64{4, 7, 9} {
		p := fetchRaw(t, cl, "mid", 0, from)
		if p.ErrorCode != 0 || len(p.RecordBatches) < 12 {
			t.Fatalf("fetch at %d: error %v, %d bytes", from, kerr.ErrorForCode(p.ErrorCode), len(p.RecordBatches))
		}
		var h kmsg.RecordBatch
		if err := h.ReadFrom(p.RecordBatches); err != nil {
			t.Fatal(err)
		}
		if h.FirstOffset != 3 || h.NumRecords != 7 {
			t.Fatalf("fetch at %d returned a batch at %d with %d records, want the containing batch at 3 with 7", from, h.FirstOffset, h.NumRecords)
		}
		if got := values(consumeRange(t, b.Addr, "mid", 0, from, 10)); !slices.Equal(got, vals[from:]) {
			t.Fatalf("consumer from %d saw %q, want %q", from, got, vals[from:])
		}
	}
}

// TestDeleteRecordsMovesLogStart: DeleteRecords moves the log start
// offset; a fetch below it gets OFFSET_OUT_OF_RANGE, earliest offsets and
// consumers from the start begin there, and the new start survives a
// restart.
func TestDeleteRecordsMovesLogStart(t *testing.T) {
	b := harness.Start(t)
	createTopic(t, b.Addr, "del", 1, nil)
	cl := newClient(t, b.Addr)
	var vals []string
	for i := 0; i < 5; i++ {
		v := []string{fmt.Sprintf("d%d", 2*i), fmt.Sprintf("d%d", 2*i+1)}
		mustProduceRaw(t, cl, "del", 0, valuesBatch(time.Now().UnixMilli(), v...))
		vals = append(vals, v...)
	}
	adm := kadm.NewClient(cl)
	res, err := adm.DeleteRecords(ctxFor(t, 10*time.Second), kadm.Offsets{"del": {0: {Topic: "del", Partition: 0, At: 5}}})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := res.Lookup("del", 0); r.Err != nil || r.LowWatermark != 5 {
		t.Fatalf("DeleteRecords: low watermark %d, %v; want 5", r.LowWatermark, r.Err)
	}
	check := func(when string) {
		t.Helper()
		starts, err := adm.ListStartOffsets(ctxFor(t, 10*time.Second), "del")
		if err != nil {
			t.Fatal(err)
		}
		if s, _ := starts.Lookup("del", 0); s.Err != nil || s.Offset != 5 {
			t.Fatalf("%s: log start %d (%v), want 5", when, s.Offset, s.Err)
		}
		for _, off := range []int64{0, 2, 4} {
			if p := fetchRaw(t, cl, "del", 0, off); p.ErrorCode != kerr.OffsetOutOfRange.Code {
				t.Fatalf("%s: fetch at %d below the log start: %v, want OFFSET_OUT_OF_RANGE", when, off, kerr.ErrorForCode(p.ErrorCode))
			}
		}
		if p := fetchRaw(t, cl, "del", 0, 5); p.ErrorCode != 0 || p.LogStartOffset != 5 {
			t.Fatalf("%s: fetch at the log start: %v, log start %d", when, kerr.ErrorForCode(p.ErrorCode), p.LogStartOffset)
		}
		if got := values(consumeRange(t, b.Addr, "del", 0, 5, 10)); !slices.Equal(got, vals[5:]) {
			t.Fatalf("%s: from the log start: %q", when, got)
		}
	}
	check("after DeleteRecords")
	cl.Close()
	b.Restart()
	cl = newClient(t, b.Addr)
	adm = kadm.NewClient(cl)
	check("after restart")
}

// TestRetentionDeletesOldSegments: with small segments, a retention pass
// at a time past retention.ms deletes every segment but the active one
// and the log start offset moves to the active segment's base; a pass at
// the present deletes nothing.
func TestRetentionDeletesOldSegments(t *testing.T) {
	b := harness.Start(t)
	createTopic(t, b.Addr, "ret", 1, map[string]*string{
		"retention.ms":  strp("60000"),
		"segment.bytes": strp("1024"),
	})
	cl := newClient(t, b.Addr)
	for i := 0; i < 20; i++ {
		mustProduceRaw(t, cl, "ret", 0, valuesBatch(time.Now().UnixMilli(), fmt.Sprintf("%03d-%0200d", i, 0)))
	}
	dir := filepath.Join(b.Dir, "ret-0")
	segs := func() []string {
		s, err := filepath.Glob(filepath.Join(dir, "*.log"))
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(s)
		return s
	}
	before := segs()
	if len(before) < 3 {
		t.Fatalf("%d segments; segment.bytes=1024 should have rolled", len(before))
	}
	start := func() int64 {
		starts, err := kadm.NewClient(cl).ListStartOffsets(ctxFor(t, 10*time.Second), "ret")
		if err != nil {
			t.Fatal(err)
		}
		s, _ := starts.Lookup("ret", 0)
		return s.Offset
	}

	b.Node().Replicas().ApplyRetention(time.Now())
	if n := len(segs()); n != len(before) || start() != 0 {
		t.Fatalf("retention at the present removed data: %d segments (was %d), log start %d", n, len(before), start())
	}

	b.Node().Replicas().ApplyRetention(time.Now().Add(10 * time.Minute))
	after := segs()
	if len(after) != 1 || after[0] != before[len(before)-1] {
		t.Fatalf("after retention: %v, want only the active segment %s", after, before[len(before)-1])
	}
	var activeBase int64
	fmt.Sscanf(filepath.Base(after[0]), "%d.log", &activeBase)
	if s := start(); s != activeBase || s == 0 {
		t.Fatalf("log start %d after retention, want the active segment's base %d", s, activeBase)
	}
	for _, ext := range []string{".index", ".timeindex"} {
		for _, old := range before[:len(before)-1] {
			if _, err := os.Stat(old[:len(old)-4] + ext); !os.IsNotExist(err) {
				t.Errorf("%s%s still there after retention (%v)", old[:len(old)-4], ext, err)
			}
		}
	}
	recs := consumeRange(t, b.Addr, "ret", 0, activeBase, 20)
	if len(recs) != int(20-activeBase) || string(recs[0].Value[:3]) != fmt.Sprintf("%03d", activeBase) {
		t.Fatalf("after retention read %d records starting %q", len(recs), recs[0].Value[:3])
	}
	if p := fetchRaw(t, cl, "ret", 0, 0); p.ErrorCode != kerr.OffsetOutOfRange.Code {
		t.Fatalf("fetch at 0 after retention: %v, want OFFSET_OUT_OF_RANGE", kerr.ErrorForCode(p.ErrorCode))
	}
}
