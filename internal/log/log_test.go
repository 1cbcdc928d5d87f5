package log

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"math/rand"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"strom/internal/record"
	"strom/internal/record/recordtest"
	"strom/internal/vfs"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var t0 = time.UnixMilli(1_700_000_000_000)

func smallCfg() Config {
	c := DefaultConfig()
	c.SegmentBytes = 4096
	c.IndexIntervalBytes = 256
	c.RetentionMs = -1
	return c
}

func mustOpen(t testing.TB, fsys vfs.FS, dir string, cfg Config) *Log {
	t.Helper()
	l, err := Open(fsys, dir, cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// appendN appends n batches of recs records each with timestamps ts0+i.
func appendN(t testing.TB, l *Log, n, recs, size int, ts0 int64) []AppendResult {
	t.Helper()
	var out []AppendResult
	for i := 0; i < n; i++ {
		res, err := l.Append(recordtest.Values(recs, size, ts0+int64(i)), t0, AppendOptions{LeaderEpoch: 1})
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		out = append(out, res)
	}
	return out
}

// readAll reads every batch from the start with small fetches and
// returns the headers, checking offsets are contiguous.
func readAll(t testing.TB, l *Log) []record.Header {
	t.Helper()
	var hs []record.Header
	off := l.StartOffset()
	for i := 0; i < 100000 && off < l.EndOffset(); i++ {
		b, err := l.Read(off, 1, l.EndOffset())
		if err != nil {
			t.Fatalf("read %d: %v", off, err)
		}
		bhs, _, err := record.Batches(b)
		if err != nil {
			t.Fatalf("read %d returned bad batches: %v", off, err)
		}
		hs = append(hs, bhs...)
		off = bhs[len(bhs)-1].LastOffset() + 1
	}
	return hs
}

func fsCases(t *testing.T) map[string]func() (vfs.FS, string) {
	return map[string]func() (vfs.FS, string){
		"mem": func() (vfs.FS, string) { return vfs.NewMem(), "/data/t-0" },
		"os":  func() (vfs.FS, string) { return vfs.Default, filepath.Join(t.TempDir(), "t-0") },
	}
}

func TestAppendReadRoundTrip(t *testing.T) {
	for name, mk := range fsCases(t) {
		t.Run(name, func(t *testing.T) {
			fsys, dir := mk()
			l := mustOpen(t, fsys, dir, smallCfg())
			defer l.Close()
			var sent [][]byte
			for i := 0; i < 20; i++ {
				b := recordtest.Batch(recordtest.Options{Codec: record.Codec(i % 5), FirstTimestamp: int64(i)},
					recordtest.Rec{Value: []byte("a")}, recordtest.Rec{Value: []byte("b")}, recordtest.Rec{Value: []byte("c")})
				res, err := l.Append(b, t0, AppendOptions{LeaderEpoch: 3})
				if err != nil {
					t.Fatal(err)
				}
				if res.FirstOffset != int64(i*3) || res.LastOffset != int64(i*3+2) || res.LogAppendTime != -1 {
					t.Fatalf("result %+v", res)
				}
				sent = append(sent, b) // rewritten in place
			}
			if l.EndOffset() != 60 {
				t.Fatalf("LEO %d", l.EndOffset())
			}
			// From the middle of batch 4: that whole batch first.
			got, err := l.Read(13, 1, 60)
			if err != nil || !bytes.Equal(got, sent[4]) {
				t.Fatalf("read mid batch: %v", err)
			}
			h, _ := record.ParseHeader(got)
			if h.BaseOffset != 12 || h.PartitionLeaderEpoch != 3 {
				t.Fatalf("header %+v", h)
			}
			recs, err := record.Records(got)
			if err != nil || string(recs[1].Value) != "b" {
				t.Fatalf("records %v %v", recs, err)
			}
			// maxBytes exactly two batches.
			got, _ = l.Read(0, int32(len(sent[0])+len(sent[1])), 60)
			if !bytes.Equal(got, append(append([]byte(nil), sent[0]...), sent[1]...)) {
				t.Fatal("two-batch read mismatch")
			}
			// upTo (high watermark) stops before batch base >= 9.
			got, _ = l.Read(0, 1<<20, 9)
			if hs, _, _ := record.Batches(got); len(hs) != 3 {
				t.Fatalf("upTo: %d batches", len(hs))
			}
			if got, err := l.Read(60, 100, 60); err != nil || len(got) != 0 {
				t.Fatalf("read at LEO: %v %d", err, len(got))
			}
			if _, err := l.Read(61, 100, 61); !errors.Is(err, ErrOffsetOutOfRange) {
				t.Fatalf("beyond LEO: %v", err)
			}
			if len(readAll(t, l)) != 20 {
				t.Fatal("readAll")
			}
		})
	}
}

func TestRollBySizeAndIndexAgainstScan(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	fsys := vfs.NewMem()
	l := mustOpen(t, fsys, "/d", smallCfg())
	type ref struct {
		first, last int64
		data        []byte
	}
	var refs []ref
	for i := 0; i < 300; i++ {
		b := recordtest.Values(1+rng.Intn(5), rng.Intn(300), int64(i))
		res, err := l.Append(b, t0, AppendOptions{})
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, ref{res.FirstOffset, res.LastOffset, b})
	}
	if len(l.segs) < 5 {
		t.Fatalf("expected several segments, got %d", len(l.segs))
	}
	check := func(l *Log) {
		for i := 0; i < 500; i++ {
			off := rng.Int63n(l.EndOffset())
			got, err := l.Read(off, 1, l.EndOffset())
			if err != nil {
				t.Fatal(err)
			}
			// Naive reference: linear scan for the batch containing off.
			var want []byte
			for _, r := range refs {
				if r.first <= off && off <= r.last {
					want = r.data
					break
				}
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("offset %d: got %d bytes want %d", off, len(got), len(want))
			}
		}
	}
	check(l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = mustOpen(t, fsys, "/d", smallCfg())
	defer l.Close()
	check(l)
}

func TestRollByTime(t *testing.T) {
	cfg := smallCfg()
	cfg.SegmentBytes = 1 << 20
	cfg.SegmentMs = 1000
	l := mustOpen(t, vfs.NewMem(), "/d", cfg)
	defer l.Close()
	l.Append(recordtest.Values(1, 10, 0), t0, AppendOptions{})
	l.Append(recordtest.Values(1, 10, 0), t0.Add(time.Second), AppendOptions{})
	if len(l.segs) != 1 {
		t.Fatalf("rolled too early: %d", len(l.segs))
	}
	l.Append(recordtest.Values(1, 10, 0), t0.Add(1001*time.Millisecond), AppendOptions{})
	if len(l.segs) != 2 || l.segs[1].base != 2 {
		t.Fatalf("segments %d", len(l.segs))
	}
}

func TestRestartKeepsSyncedAndCrash(t *testing.T) {
	m := vfs.NewMem()
	l := mustOpen(t, m, "/d", smallCfg())
	appendN(t, l, 40, 2, 100, 0)
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	synced := l.EndOffset()
	appendN(t, l, 3, 2, 100, 100) // not synced
	crashed := m.CrashClone()
	l2 := mustOpen(t, crashed, "/d", smallCfg())
	defer l2.Close()
	if l2.EndOffset() < synced || l2.EndOffset() > l.EndOffset() {
		t.Fatalf("recovered LEO %d, synced %d, had %d", l2.EndOffset(), synced, l.EndOffset())
	}
	hs := readAll(t, l2)
	if int64(len(hs)*2) != l2.EndOffset() {
		t.Fatalf("%d batches for LEO %d", len(hs), l2.EndOffset())
	}
	// New appends continue from the recovered end.
	res := appendN(t, l2, 1, 1, 10, 0)
	if res[0].FirstOffset != hs[len(hs)-1].LastOffset()+1 {
		t.Fatalf("append after recovery at %d", res[0].FirstOffset)
	}
	l.Close()
}

func TestTornTail(t *testing.T) {
	cases := map[string]func(f vfs.File, size int64, lastSize int64){
		"garbage appended": func(f vfs.File, size, _ int64) {
			f.WriteAt([]byte("\x00\x00\x00\x00garbage-bytes-here-and-more"), size)
		},
		"truncated mid batch": func(f vfs.File, size, last int64) {
			f.Truncate(size - last/2)
		},
		"flipped byte": func(f vfs.File, size, _ int64) {
			b := make([]byte, 1)
			f.ReadAt(b, size-5)
			b[0] ^= 0xff
			f.WriteAt(b, size-5)
		},
	}
	for name, damage := range cases {
		t.Run(name, func(t *testing.T) {
			m := vfs.NewMem()
			l := mustOpen(t, m, "/d", smallCfg())
			appendN(t, l, 30, 1, 50, 0)
			lastLen := int64(len(recordtest.Values(1, 50, 0)))
			leo := l.EndOffset()
			l.Close()
			// Damage the active segment.
			ents, _ := m.ReadDir("/d")
			var last string
			for _, e := range ents {
				if filepath.Ext(e.Name()) == ".log" {
					last = e.Name()
				}
			}
			f, _ := m.OpenFile("/d/"+last, os.O_RDWR, 0)
			fi, _ := f.Stat()
			damage(f, fi.Size(), lastLen)
			f.Close()
			l = mustOpen(t, m, "/d", smallCfg())
			defer l.Close()
			want := leo
			if name != "garbage appended" {
				want = leo - 1
			}
			if l.EndOffset() != want {
				t.Fatalf("LEO %d want %d", l.EndOffset(), want)
			}
			if hs := readAll(t, l); int64(len(hs)) != want {
				t.Fatalf("%d batches", len(hs))
			}
		})
	}
}

func TestDamagedIndexRebuilt(t *testing.T) {
	m := vfs.NewMem()
	l := mustOpen(t, m, "/d", smallCfg())
	appendN(t, l, 100, 1, 100, 0)
	l.Close()
	// Damage the first segment's index: odd size, then garbage entries.
	f, _ := m.OpenFile(fileName("/d", 0, indexSuffix), os.O_RDWR, 0)
	f.WriteAt([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0, 1}, 0)
	f.Close()
	m.Remove(fileName("/d", 0, timeIndexSuffix))
	l = mustOpen(t, m, "/d", smallCfg())
	defer l.Close()
	for off := int64(0); off < 100; off++ {
		b, err := l.Read(off, 1, 100)
		if err != nil {
			t.Fatal(err)
		}
		h, _ := record.ParseHeader(b)
		if h.BaseOffset != off {
			t.Fatalf("read %d got %d", off, h.BaseOffset)
		}
	}
	b, _ := readWhole(m, fileName("/d", 0, indexSuffix))
	if len(b)%offsetEntrySize != 0 || len(b) == 0 {
		t.Fatalf("index not rewritten: %d bytes", len(b))
	}
}

func idem(pid int64, epoch int16, seq int32, n int) []byte {
	recs := make([]recordtest.Rec, n)
	return recordtest.Batch(recordtest.Options{Idempotent: true, ProducerID: pid, ProducerEpoch: epoch, BaseSequence: seq}, recs...)
}

func TestIdempotentProducer(t *testing.T) {
	m := vfs.NewMem()
	l := mustOpen(t, m, "/d", smallCfg())
	app := func(b []byte) (AppendResult, error) { return l.Append(b, t0, AppendOptions{}) }
	if _, err := app(idem(7, 0, 1, 1)); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("unknown producer seq 1: %v", err)
	}
	r1, err := app(idem(7, 0, 0, 3))
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := app(idem(7, 0, 3, 2))
	dup, err := app(idem(7, 0, 0, 3))
	if err != nil || !dup.Duplicate || dup.FirstOffset != r1.FirstOffset || dup.LastOffset != r1.LastOffset {
		t.Fatalf("duplicate: %+v %v", dup, err)
	}
	if _, err := app(idem(7, 0, 9, 1)); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("gap: %v", err)
	}
	if l.EndOffset() != 5 {
		t.Fatalf("LEO %d", l.EndOffset())
	}
	// Duplicate detection survives a restart (snapshot at Close).
	l.Close()
	l = mustOpen(t, m, "/d", smallCfg())
	if dup, err := app(idem(7, 0, 3, 2)); err != nil || !dup.Duplicate || dup.FirstOffset != r2.FirstOffset {
		t.Fatalf("duplicate after restart: %+v %v", dup, err)
	}
	// And a crash (no snapshot after these batches): replay of headers.
	app(idem(7, 0, 5, 1))
	l.Sync()
	crashed := m.CrashClone()
	l.Close()
	l = mustOpen(t, crashed, "/d", smallCfg())
	defer l.Close()
	if dup, err := app(idem(7, 0, 5, 1)); err != nil || !dup.Duplicate {
		t.Fatalf("duplicate after crash: %+v %v", dup, err)
	}
	// Epoch rules.
	if _, err := app(idem(7, 1, 4, 1)); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("new epoch non-zero seq: %v", err)
	}
	if _, err := app(idem(7, 1, 0, 1)); err != nil {
		t.Fatalf("new epoch: %v", err)
	}
	if _, err := app(idem(7, 0, 6, 1)); !errors.Is(err, ErrInvalidProducerEpoch) {
		t.Fatalf("fenced epoch: %v", err)
	}
	// Wraparound.
	if _, err := app(idem(8, 0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	l.producers.m[8].batches[0].lastSeq = 1<<31 - 1
	if _, err := app(idem(8, 0, 0, 1)); err != nil {
		t.Fatalf("wraparound: %v", err)
	}
}

func TestFaultyENOSPC(t *testing.T) {
	var full bool
	fsys := vfs.NewFaulty(vfs.NewMem(), func(op vfs.Op, path string) error {
		if full && op == vfs.OpWrite && filepath.Ext(path) == ".log" {
			return syscall.ENOSPC
		}
		return nil
	})
	l := mustOpen(t, fsys, "/d", smallCfg())
	defer l.Close()
	appendN(t, l, 5, 1, 10, 0)
	full = true
	if _, err := l.Append(recordtest.Values(1, 10, 0), t0, AppendOptions{}); !errors.Is(err, ErrStorage) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("append on full disk: %v", err)
	}
	full = false
	if _, err := l.Append(recordtest.Values(1, 10, 0), t0, AppendOptions{}); !errors.Is(err, ErrStorage) {
		t.Fatalf("append after failure: %v", err)
	}
	if err := l.Sync(); !errors.Is(err, ErrStorage) {
		t.Fatalf("sync after failure: %v", err)
	}
	if hs := readAll(t, l); len(hs) != 5 {
		t.Fatalf("earlier data: %d batches", len(hs))
	}
}

func TestRetentionAndStartOffset(t *testing.T) {
	cfg := smallCfg()
	m := vfs.NewMem()
	l := mustOpen(t, m, "/d", cfg)
	defer l.Close()
	// Timestamps: batch i has ts i*1000.
	for i := 0; i < 100; i++ {
		if _, err := l.Append(recordtest.Values(1, 200, int64(i)*1000), t0, AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	nsegs := len(l.segs)
	// Time: keep records newer than 50s before now=100s.
	cfg.RetentionMs = 50_000
	l.SetConfig(cfg)
	n, err := l.ApplyRetention(time.UnixMilli(100_000))
	if err != nil || n == 0 {
		t.Fatalf("time retention: %d %v", n, err)
	}
	if l.StartOffset() != l.segs[0].base || l.StartOffset() > 50 {
		t.Fatalf("start %d", l.StartOffset())
	}
	if _, err := l.Read(l.StartOffset()-1, 1, 100); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("read below start: %v", err)
	}
	// Size.
	cfg.RetentionMs = -1
	cfg.RetentionBytes = 5000
	l.SetConfig(cfg)
	if _, err := l.ApplyRetention(t0); err != nil {
		t.Fatal(err)
	}
	if l.Size() < 5000-cfg.SegmentBytes || len(l.segs) >= nsegs-n {
		t.Fatalf("size %d, %d segments", l.Size(), len(l.segs))
	}
	// DeleteRecords.
	if err := l.SetStartOffset(101); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("beyond end: %v", err)
	}
	if err := l.SetStartOffset(95); err != nil {
		t.Fatal(err)
	}
	if l.StartOffset() != 95 || l.segs[0].base > 95 {
		t.Fatalf("start %d first seg %d", l.StartOffset(), l.segs[0].base)
	}
	if b, err := l.Read(95, 1, 100); err != nil || len(b) == 0 {
		t.Fatalf("read at start: %v", err)
	}
	if err := l.SetStartOffset(100); err != nil || len(l.segs) != 1 || l.Size() != 0 {
		t.Fatalf("delete all: %v segs=%d", err, len(l.segs))
	}
	l.Close()
	l2 := mustOpen(t, m, "/d", cfg)
	defer l2.Close()
	if l2.StartOffset() != 100 || l2.EndOffset() != 100 {
		t.Fatalf("after restart start %d end %d", l2.StartOffset(), l2.EndOffset())
	}
}

func TestTimestampsAndEpochsAndTruncate(t *testing.T) {
	m := vfs.NewMem()
	l := mustOpen(t, m, "/d", smallCfg())
	defer l.Close()
	for i := 0; i < 60; i++ {
		recs := []recordtest.Rec{{TimestampDelta: 0}, {TimestampDelta: 5}}
		b := recordtest.Batch(recordtest.Options{FirstTimestamp: int64(i) * 10}, recs...)
		if _, err := l.Append(b, t0, AppendOptions{LeaderEpoch: int32(i / 20)}); err != nil {
			t.Fatal(err)
		}
	}
	// Batch i: offsets 2i (ts 10i), 2i+1 (ts 10i+5).
	for _, c := range []struct{ ts, off, got int64 }{{0, 0, 0}, {3, 1, 5}, {5, 1, 5}, {6, 2, 10}, {255, 51, 255}, {256, 52, 260}, {595, 119, 595}} {
		off, ts, ok := l.OffsetForTimestamp(c.ts)
		if !ok || off != c.off || ts != c.got {
			t.Fatalf("OffsetForTimestamp(%d) = %d %d %v", c.ts, off, ts, ok)
		}
	}
	if _, _, ok := l.OffsetForTimestamp(596); ok {
		t.Fatal("found beyond max")
	}
	if off, ts := l.MaxTimestamp(); off != 119 || ts != 595 {
		t.Fatalf("MaxTimestamp %d %d", off, ts)
	}
	for _, c := range []struct {
		epoch     int32
		end       int64
		foundEpch int32
	}{{0, 40, 0}, {1, 80, 1}, {2, 120, 2}, {3, -1, -1}} {
		end, fe := l.EndOffsetForEpoch(c.epoch)
		if end != c.end || fe != c.foundEpch {
			t.Fatalf("EndOffsetForEpoch(%d) = %d %d", c.epoch, end, fe)
		}
	}
	// Truncate into the middle of batch 35 (offsets 70,71): it goes.
	if err := l.Truncate(71); err != nil {
		t.Fatal(err)
	}
	if l.EndOffset() != 70 {
		t.Fatalf("LEO after truncate %d", l.EndOffset())
	}
	if end, fe := l.EndOffsetForEpoch(1); end != 70 || fe != 1 {
		t.Fatalf("epoch after truncate %d %d", end, fe)
	}
	if end, _ := l.EndOffsetForEpoch(2); end != -1 {
		t.Fatalf("epoch 2 survived truncate")
	}
	if hs := readAll(t, l); len(hs) != 35 {
		t.Fatalf("%d batches after truncate", len(hs))
	}
	res := appendN(t, l, 1, 1, 1, 0)
	if res[0].FirstOffset != 70 {
		t.Fatalf("append after truncate at %d", res[0].FirstOffset)
	}
}

func TestLogAppendTime(t *testing.T) {
	l := mustOpen(t, vfs.NewMem(), "/d", smallCfg())
	defer l.Close()
	res, err := l.Append(recordtest.Values(2, 1, 5), t0, AppendOptions{LogAppendTime: true})
	if err != nil || res.LogAppendTime != t0.UnixMilli() {
		t.Fatalf("%+v %v", res, err)
	}
	b, _ := l.Read(0, 100, 10)
	h, err := record.Validate(b)
	if err != nil || !h.LogAppendTime() || h.MaxTimestamp != t0.UnixMilli() {
		t.Fatalf("%+v %v", h, err)
	}
}

func FuzzRecovery(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("garbage"))
	f.Add(recordtest.Values(1, 10, 0)[:30])
	f.Fuzz(func(t *testing.T, tail []byte) {
		m := vfs.NewMem()
		l := mustOpen(t, m, "/d", smallCfg())
		appendN(t, l, 3, 1, 10, 0)
		leo := l.EndOffset()
		l.Close()
		file, _ := m.OpenFile(fileName("/d", 0, logSuffix), os.O_RDWR, 0)
		fi, _ := file.Stat()
		file.WriteAt(tail, fi.Size())
		file.Close()
		l, err := Open(m, "/d", smallCfg(), quiet)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		if l.EndOffset() < leo {
			t.Fatalf("lost valid prefix: LEO %d < %d", l.EndOffset(), leo)
		}
		readAll(t, l)
	})
}

func BenchmarkAppend(b *testing.B) {
	l := mustOpen(b, vfs.Default, b.TempDir(), DefaultConfig())
	defer l.Close()
	batch := recordtest.Values(1, 1024-70-record.HeaderSize, 0)
	b.SetBytes(int64(len(batch)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Append(batch, t0, AppendOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRead(b *testing.B) {
	l := mustOpen(b, vfs.Default, b.TempDir(), DefaultConfig())
	defer l.Close()
	batch := recordtest.Values(1, 1024-70-record.HeaderSize, 0)
	for i := 0; i < 10000; i++ {
		l.Append(batch, t0, AppendOptions{})
	}
	rng := rand.New(rand.NewSource(1))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Read(rng.Int63n(10000), 64<<10, 10000); err != nil {
			b.Fatal(err)
		}
	}
}
