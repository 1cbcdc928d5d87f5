package log

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"strom/internal/record"
	"strom/internal/record/recordtest"
	"strom/internal/vfs"
)

// mrec is one record as the naive reference model sees it.
type mrec struct {
	off      int64
	key, val []byte // nil key: keyless; nil val: tombstone
	ts       int64
	horizon  int64 // model only: when a kept tombstone may go (0: not yet cleaned)
}

func (r mrec) String() string {
	v := "<nil>"
	if r.val != nil {
		v = string(r.val)
	}
	return fmt.Sprintf("%d:%q=%s@%d", r.off, r.key, v, r.ts)
}

// modelCompact is the naive reference of one cleaning round whose map
// covered everything below mapEnd: below it, only the latest record of
// each key survives, keyless records go, and a tombstone goes once the
// horizon stamped by an earlier round has passed.
func modelCompact(m []mrec, mapEnd, nowMs, ret int64) []mrec {
	latest := map[string]int64{}
	for _, r := range m {
		if r.off < mapEnd && r.key != nil {
			latest[string(r.key)] = r.off
		}
	}
	var out []mrec
	for _, r := range m {
		if r.off >= mapEnd {
			out = append(out, r)
			continue
		}
		if r.key == nil || latest[string(r.key)] != r.off {
			continue
		}
		if r.val == nil {
			if r.horizon != 0 && nowMs >= r.horizon {
				continue
			}
			if r.horizon == 0 {
				r.horizon = nowMs + ret
			}
		}
		out = append(out, r)
	}
	return out
}

// readRecs reads the whole log through Read, checking every batch (CRC,
// framing, increasing offsets) and returning its records.
func readRecs(t testing.TB, l *Log) []mrec {
	t.Helper()
	var out []mrec
	off, end := l.StartOffset(), l.EndOffset()
	prevNext := int64(-1)
	for off < end {
		b, err := l.Read(off, 1<<12, end)
		if err != nil {
			t.Fatalf("read %d: %v", off, err)
		}
		if len(b) == 0 {
			break
		}
		for len(b) > 0 {
			h, err := record.ParseHeader(b)
			if err != nil || h.Size() > len(b) {
				t.Fatalf("read %d: bad batch: %v", off, err)
			}
			if _, err := validateStored(b[:h.Size()]); err != nil {
				t.Fatalf("read %d: %v", off, err)
			}
			if h.BaseOffset < prevNext {
				t.Fatalf("batch at %d overlaps previous ending at %d", h.BaseOffset, prevNext)
			}
			recs, err := record.Records(b[:h.Size()])
			if err != nil {
				t.Fatalf("records at %d: %v", h.BaseOffset, err)
			}
			for _, r := range recs {
				o := h.BaseOffset + int64(r.OffsetDelta)
				if o > h.LastOffset() || (len(out) > 0 && o <= out[len(out)-1].off) {
					t.Fatalf("record offset %d out of order in batch %d-%d", o, h.BaseOffset, h.LastOffset())
				}
				out = append(out, mrec{off: o, key: r.Key, val: r.Value, ts: recordTs(h, r)})
			}
			prevNext = h.LastOffset() + 1
			off = prevNext
			b = b[h.Size():]
		}
	}
	return out
}

func sameRecs(t testing.TB, what string, got, want []mrec) {
	t.Helper()
	eq := len(got) == len(want)
	for i := 0; eq && i < len(got); i++ {
		g, w := got[i], want[i]
		eq = g.off == w.off && g.ts == w.ts && bytes.Equal(g.key, w.key) && (g.key == nil) == (w.key == nil) &&
			bytes.Equal(g.val, w.val) && (g.val == nil) == (w.val == nil)
	}
	if !eq {
		t.Fatalf("%s:\n got %v\nwant %v", what, got, want)
	}
}

type codecCase struct {
	name   string
	codec  record.Codec
	xerial bool
}

var codecCases = []codecCase{
	{"none", record.None, false}, {"gzip", record.Gzip, false}, {"snappy", record.Snappy, false},
	{"snappy-xerial", record.Snappy, true}, {"lz4", record.LZ4, false}, {"zstd", record.Zstd, false},
}

// gen appends random keyed batches and mirrors them in a model.
type gen struct {
	rng   *rand.Rand
	keys  int
	codec codecCase
	seq   int32
	ts    int64
	model []mrec
}

func (g *gen) appendBatch(t testing.TB, l *Log) {
	t.Helper()
	n := 1 + g.rng.Intn(5)
	recs := make([]recordtest.Rec, n)
	var ms []mrec
	for i := range recs {
		var key, val []byte
		if g.rng.Intn(40) != 0 {
			key = fmt.Appendf(nil, "k%d", g.rng.Intn(g.keys))
		}
		if g.rng.Intn(5) != 0 {
			val = bytes.Repeat([]byte{byte('a' + g.rng.Intn(26))}, g.rng.Intn(30))
		}
		d := int64(g.rng.Intn(50))
		recs[i] = recordtest.Rec{Key: key, Value: val, TimestampDelta: d}
		ms = append(ms, mrec{key: key, val: val, ts: g.ts + d})
	}
	o := recordtest.Options{Codec: g.codec.codec, Xerial: g.codec.xerial, FirstTimestamp: g.ts}
	if g.rng.Intn(3) == 0 {
		o.Idempotent, o.ProducerID, o.ProducerEpoch, o.BaseSequence = true, 7, 0, g.seq
		g.seq += int32(n)
	}
	res, err := l.Append(recordtest.Batch(o, recs...), t0, AppendOptions{LeaderEpoch: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range ms {
		ms[i].off = res.FirstOffset + int64(i)
	}
	g.model = append(g.model, ms...)
	g.ts += 100
}

// TestCompactMatchesReference is the property test: random keys, values,
// tombstones and keyless records, in every codec, with compaction rounds
// and restarts at random points; after each round the log read back
// equals the reference (latest value per key, offset order, offsets and
// timestamps unchanged, tombstones gone after delete.retention.ms).
func TestCompactMatchesReference(t *testing.T) {
	const ret = 2500
	for _, cc := range codecCases {
		seeds := int64(4)
		if cc.codec == record.LZ4 || cc.codec == record.Zstd {
			seeds = 2 // recordtest's encoders are slow to create under -race
		}
		for seed := int64(1); seed <= seeds; seed++ {
			t.Run(fmt.Sprintf("%s/seed=%d", cc.name, seed), func(t *testing.T) {
				rng := rand.New(rand.NewSource(seed))
				fsys := vfs.NewMem()
				cfg := smallCfg()
				cfg.SegmentBytes = int64(300 + rng.Intn(2000))
				cfg.IndexIntervalBytes = 128
				l := mustOpen(t, fsys, "/d", cfg)
				defer func() { l.Close() }()
				g := &gen{rng: rng, keys: 1 + rng.Intn(20), codec: cc, ts: 1000}
				nowMs := int64(1_000_000)
				rounds := 0
				for step := 0; step < 200; step++ {
					g.appendBatch(t, l)
					switch r := rng.Intn(100); {
					case r < 10:
						nowMs += int64(rng.Intn(2000))
						res, err := l.Compact(time.UnixMilli(nowMs), l.EndOffset(), CompactConfig{DeleteRetentionMs: ret})
						if err != nil {
							t.Fatal(err)
						}
						if res.Groups > 0 {
							rounds++
							g.model = modelCompact(g.model, res.FirstDirty, nowMs, ret)
						}
						sameRecs(t, fmt.Sprintf("after round at step %d", step), readRecs(t, l), g.model)
						checkReadFrom(t, l, g.model, rng)
					case r < 14:
						if err := l.Close(); err != nil {
							t.Fatal(err)
						}
						l = mustOpen(t, fsys, "/d", cfg)
						sameRecs(t, "after restart", readRecs(t, l), g.model)
					}
				}
				if rounds == 0 {
					t.Fatal("no compaction round ran")
				}
				// The idempotent producer's state survived: its next
				// sequence is accepted.
				next := recordtest.Batch(recordtest.Options{Idempotent: true, ProducerID: 7, BaseSequence: g.seq}, recordtest.Rec{Key: []byte("x")})
				if _, err := l.Append(next, t0, AppendOptions{}); err != nil {
					t.Fatalf("next sequence after compaction: %v", err)
				}
			})
		}
	}
}

// checkReadFrom checks that reading from any offset, including one
// removed by compaction, starts at the first surviving record at or
// after it.
func checkReadFrom(t *testing.T, l *Log, model []mrec, rng *rand.Rand) {
	t.Helper()
	end := l.EndOffset()
	for i := 0; i < 10 && end > 0; i++ {
		x := rng.Int63n(end)
		b, err := l.Read(x, 1, end)
		if err != nil {
			t.Fatal(err)
		}
		var want *mrec
		for j := range model {
			if model[j].off >= x {
				want = &model[j]
				break
			}
		}
		var got *mrec
		for len(b) > 0 && got == nil {
			h, _ := record.ParseHeader(b)
			recs, err := record.Records(b[:h.Size()])
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				if o := h.BaseOffset + int64(r.OffsetDelta); o >= x {
					got = &mrec{off: o}
					break
				}
			}
			b = b[h.Size():]
		}
		if want == nil {
			continue
		}
		// A read returns at least one batch; if that batch's records are
		// all below x (or it is empty), the next read goes on from there.
		if got != nil && got.off != want.off {
			t.Fatalf("read from %d starts at %d, want %d", x, got.off, want.off)
		}
	}
}

// TestCompactSmallMapConverges bounds the offset map to a few keys: each
// round cleans part of the dirty section, and repeated rounds reach the
// same log as one round with a large map.
func TestCompactSmallMapConverges(t *testing.T) {
	rng := rand.New(rand.NewSource(42))
	cfg := smallCfg()
	cfg.SegmentBytes = 600
	l := mustOpen(t, vfs.NewMem(), "/d", cfg)
	defer l.Close()
	g := &gen{rng: rng, keys: 30, codec: codecCases[1], ts: 1000}
	for i := 0; i < 200; i++ {
		g.appendBatch(t, l)
	}
	// No tombstones or keyless records in the reference: horizons depend
	// on which round first saw a batch.
	for i := range g.model {
		if g.model[i].val == nil || g.model[i].key == nil {
			g.model[i].val = []byte{}
		}
	}
	l2 := mustOpen(t, vfs.NewMem(), "/e", cfg)
	defer l2.Close()
	for _, r := range g.model {
		if _, err := l2.Append(recordtest.Batch(recordtest.Options{Codec: record.Gzip, FirstTimestamp: r.ts}, recordtest.Rec{Key: r.key, Value: r.val}), t0, AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	prev := int64(-1)
	for round := 0; ; round++ {
		res, err := l2.Compact(t0, l2.EndOffset(), CompactConfig{MaxKeys: 5})
		if err != nil {
			t.Fatal(err)
		}
		if res.Groups == 0 {
			break
		}
		if res.FirstDirty <= prev || round > 1000 {
			t.Fatalf("round %d made no progress: first dirty %d", round, res.FirstDirty)
		}
		prev = res.FirstDirty
	}
	if prev <= 0 {
		t.Fatal("no round ran")
	}
	want := modelCompact(g.model, prev, t0.UnixMilli(), 0)
	sameRecs(t, "after bounded rounds", readRecs(t, l2), want)
}

// TestCompactKeepsProducerState: batches of an idempotent producer whose
// records are all superseded are removed, except its last one, kept
// empty, so that its sequence survives a restart without snapshots.
func TestCompactKeepsProducerState(t *testing.T) {
	fsys := vfs.NewMem()
	cfg := smallCfg()
	cfg.SegmentBytes = 200
	l := mustOpen(t, fsys, "/d", cfg)
	for seq := int32(0); seq < 4; seq++ {
		b := recordtest.Batch(recordtest.Options{Idempotent: true, ProducerID: 9, ProducerEpoch: 2, BaseSequence: seq * 2},
			recordtest.Rec{Key: []byte("a"), Value: []byte("old")}, recordtest.Rec{Key: []byte("b"), Value: []byte("old")})
		if _, err := l.Append(b, t0, AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 6; i++ {
		if _, err := l.Append(recordtest.Batch(recordtest.Options{}, recordtest.Rec{Key: []byte("a"), Value: []byte("new")}, recordtest.Rec{Key: []byte("b"), Value: []byte("new")}), t0, AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Compact(t0, l.EndOffset(), CompactConfig{}); err != nil {
		t.Fatal(err)
	}
	var kept []record.Header
	off := int64(0)
	for off < l.EndOffset() {
		b, err := l.Read(off, 1<<20, l.EndOffset())
		if err != nil || len(b) == 0 {
			break
		}
		for len(b) > 0 {
			h, _ := record.ParseHeader(b)
			if h.ProducerID == 9 {
				kept = append(kept, h)
			}
			off = h.LastOffset() + 1
			b = b[h.Size():]
		}
	}
	if len(kept) != 1 || kept[0].NumRecords != 0 || kept[0].BaseSequence != 6 || kept[0].LastOffset() != 7 || kept[0].ProducerEpoch != 2 {
		t.Fatalf("producer batches kept: %+v", kept)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	ents, _ := fsys.ReadDir("/d")
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), snapshotSuffix) {
			fsys.Remove(filepath.Join("/d", e.Name()))
		}
	}
	l = mustOpen(t, fsys, "/d", cfg)
	defer l.Close()
	b := recordtest.Batch(recordtest.Options{Idempotent: true, ProducerID: 9, ProducerEpoch: 2, BaseSequence: 8}, recordtest.Rec{Key: []byte("a")})
	if _, err := l.Append(b, t0, AppendOptions{}); err != nil {
		t.Fatalf("next sequence after compaction and replay: %v", err)
	}
}

// buildCompactable fills a log on fsys with several segments of keyed
// records and returns the model; everything is synced.
func buildCompactable(t *testing.T, fsys vfs.FS, dir string, cfg Config, seed int64) (*Log, []mrec) {
	t.Helper()
	rng := rand.New(rand.NewSource(seed))
	l := mustOpen(t, fsys, dir, cfg)
	g := &gen{rng: rng, keys: 8, codec: codecCases[2], ts: 1000}
	for i := 0; i < 120; i++ {
		g.appendBatch(t, l)
	}
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	return l, g.model
}

// TestCompactCrashAtEachStep takes a crash image at every step of every
// swap and recovers from it: the recovered log is a valid log holding
// every record the compacted log holds and only original records, no
// swap leftovers remain, and compacting it again gives the reference.
func TestCompactCrashAtEachStep(t *testing.T) {
	cfg := smallCfg()
	cfg.SegmentBytes = 700
	fsys := vfs.NewMem()
	l, model := buildCompactable(t, fsys, "/d", cfg, 3)
	type image struct {
		step string
		fs   *vfs.MemFS
	}
	var images []image
	l.clean.hook = func(step string) { images = append(images, image{step, fsys.CrashClone()}) }
	// Cleaning in groups of one segment each gives many swaps.
	l.SetConfig(func() Config { c := cfg; c.SegmentBytes = 701; return c }())
	res, err := l.Compact(t0, l.EndOffset(), CompactConfig{DeleteRetentionMs: 1})
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	want := modelCompact(model, res.FirstDirty, t0.UnixMilli(), 1)
	if res.Groups < 2 || len(images) != 4*res.Groups {
		t.Fatalf("groups %d, crash images %d", res.Groups, len(images))
	}
	// Also a crash between renaming the index and the log out of .swap.
	for _, im := range images {
		if im.step == "deleted" {
			c := im.fs.CrashClone()
			ents, _ := c.ReadDir("/d")
			for _, e := range ents {
				if n := e.Name(); strings.HasSuffix(n, indexSuffix+swapSuffix) {
					c.Rename(filepath.Join("/d", n), filepath.Join("/d", strings.TrimSuffix(n, swapSuffix)))
				}
			}
			c.SyncDir("/d")
			images = append(images, image{"index-renamed", c})
			break
		}
	}
	orig := map[int64]mrec{}
	for _, r := range model {
		orig[r.off] = r
	}
	for i, im := range images {
		t.Run(fmt.Sprintf("%d-%s", i, im.step), func(t *testing.T) {
			rl := mustOpen(t, im.fs, "/d", cfg)
			defer rl.Close()
			ents, _ := im.fs.ReadDir("/d")
			for _, e := range ents {
				if strings.HasSuffix(e.Name(), cleanedSuffix) || strings.HasSuffix(e.Name(), swapSuffix) {
					t.Fatalf("left over after recovery: %s", e.Name())
				}
			}
			got := readRecs(t, rl)
			have := map[int64]bool{}
			for _, r := range got {
				o, ok := orig[r.off]
				if !ok || !bytes.Equal(o.key, r.key) || !bytes.Equal(o.val, r.val) || o.ts != r.ts {
					t.Fatalf("record %v is not an original record", r)
				}
				have[r.off] = true
			}
			for _, r := range want {
				if !have[r.off] {
					t.Fatalf("record %v lost", r)
				}
			}
			if rl.EndOffset() != model[len(model)-1].off+1 {
				t.Fatalf("end offset %d", rl.EndOffset())
			}
			if _, err := rl.Compact(t0, rl.EndOffset(), CompactConfig{DeleteRetentionMs: 1}); err != nil {
				t.Fatal(err)
			}
			sameRecs(t, "recompacted", readRecs(t, rl), want)
		})
	}
}

// TestCompactConcurrentReads runs readers and an appender against
// repeated compaction rounds (run with -race): every read returns whole
// valid batches in offset order, and a reader that holds a replaced
// segment finishes reading it.
func TestCompactConcurrentReads(t *testing.T) {
	cfg := smallCfg()
	cfg.SegmentBytes = 800
	l := mustOpen(t, vfs.NewMem(), "/d", cfg)
	defer l.Close()
	g := &gen{rng: rand.New(rand.NewSource(5)), keys: 10, codec: codecCases[5], ts: 1000}
	for i := 0; i < 50; i++ {
		g.appendBatch(t, l)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func(seed int64) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(seed))
			for {
				select {
				case <-done:
					return
				default:
				}
				end := l.EndOffset()
				off := rng.Int63n(end)
				prev := int64(-1)
				for off < end {
					b, err := l.Read(off, 1000, end)
					if err != nil {
						t.Errorf("read %d: %v", off, err)
						return
					}
					if len(b) == 0 {
						break
					}
					for len(b) > 0 {
						h, err := record.ParseHeader(b)
						if err != nil || h.Size() > len(b) {
							t.Errorf("torn batch at %d", off)
							return
						}
						if _, err := validateStored(b[:h.Size()]); err != nil {
							t.Errorf("read %d: %v", off, err)
							return
						}
						if h.BaseOffset <= prev {
							t.Errorf("offsets went back: %d after %d", h.BaseOffset, prev)
							return
						}
						prev = h.LastOffset()
						off = h.LastOffset() + 1
						b = b[h.Size():]
					}
				}
			}
		}(int64(r))
	}
	var rounds int
	for i := 0; i < 150; i++ {
		g.appendBatch(t, l)
		if i%5 == 0 {
			res, err := l.Compact(t0, l.EndOffset(), CompactConfig{})
			if err != nil {
				t.Fatal(err)
			}
			rounds += res.Groups
		}
	}
	close(done)
	wg.Wait()
	if rounds == 0 {
		t.Fatal("no compaction happened")
	}
}

// TestCompactHeldSegmentStaysReadable: a reference taken on a segment
// before it is replaced still reads the old bytes afterwards.
func TestCompactHeldSegmentStaysReadable(t *testing.T) {
	for name, mk := range fsCases(t) {
		t.Run(name, func(t *testing.T) {
			fsys, dir := mk()
			cfg := smallCfg()
			cfg.SegmentBytes = 700
			l, _ := buildCompactable(t, fsys, dir, cfg, 8)
			defer l.Close()
			l.mu.RLock()
			v := l.viewLocked(0)
			l.mu.RUnlock()
			before := make([]byte, v.size)
			if _, err := v.s.f.ReadAt(before, 0); err != nil {
				t.Fatal(err)
			}
			res, err := l.Compact(t0, l.EndOffset(), CompactConfig{})
			if err != nil || res.Groups == 0 || res.BytesAfter >= res.BytesBefore {
				t.Fatalf("compact: %+v %v", res, err)
			}
			after := make([]byte, v.size)
			if _, err := v.s.f.ReadAt(after, 0); err != nil {
				t.Fatal(err)
			}
			v.s.release()
			if !bytes.Equal(before, after) {
				t.Fatal("held segment changed under its reader")
			}
			ents, _ := fsys.ReadDir(dir)
			logs := 0
			for _, e := range ents {
				if strings.HasSuffix(e.Name(), logSuffix) {
					logs++
				}
			}
			l.mu.RLock()
			n := len(l.segs)
			l.mu.RUnlock()
			if logs != n {
				t.Fatalf("%d .log files for %d segments", logs, n)
			}
		})
	}
}

// TestCompactBoundaries: nothing at or above the high watermark, in the
// active segment, or younger than min.compaction.lag.ms is cleaned, and
// the dirty ratio follows the checkpoint across a restart.
func TestCompactBoundaries(t *testing.T) {
	fsys := vfs.NewMem()
	cfg := smallCfg()
	cfg.SegmentBytes = 300
	l := mustOpen(t, fsys, "/d", cfg)
	val := func(i int) []byte { return fmt.Appendf(nil, "v%d", i) }
	for i := 0; i < 40; i++ {
		b := recordtest.Batch(recordtest.Options{FirstTimestamp: int64(i) * 1000}, recordtest.Rec{Key: []byte("k"), Value: val(i)})
		if _, err := l.Append(b, t0, AppendOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// High watermark 0: nothing cleanable.
	c, err := l.Cleanable(t0, 0, CompactConfig{})
	if err != nil || c.CleanableBytes != 0 || c.Due(0) {
		t.Fatalf("cleanable below hwm 0: %+v %v", c, err)
	}
	if res, _ := l.Compact(t0, 0, CompactConfig{}); res.Groups != 0 {
		t.Fatal("cleaned above the high watermark")
	}
	// min.compaction.lag.ms keeps records younger than 20s at now=40s.
	lag := CompactConfig{MinCompactionLagMs: 20_000}
	res, err := l.Compact(time.UnixMilli(40_000), l.EndOffset(), lag)
	if err != nil || res.Groups == 0 {
		t.Fatalf("compact with lag: %+v %v", res, err)
	}
	got := readRecs(t, l)
	for _, r := range got[1:] {
		if r.ts < 17_000 {
			t.Fatalf("record %v older than the lag kept twice: %v", r, got)
		}
	}
	if got[len(got)-1].off != 39 || res.FirstDirty > 21 {
		t.Fatalf("first dirty %d, records %v", res.FirstDirty, got)
	}
	c, _ = l.Cleanable(time.UnixMilli(1_000_000), l.EndOffset(), CompactConfig{})
	if c.FirstDirty != res.FirstDirty || c.CleanBytes == 0 || c.CleanableBytes == 0 || c.Ratio() <= 0 || c.Ratio() >= 1 {
		t.Fatalf("cleanable after a round: %+v", c)
	}
	l.Close()
	l = mustOpen(t, fsys, "/d", cfg)
	defer l.Close()
	c2, _ := l.Cleanable(time.UnixMilli(1_000_000), l.EndOffset(), CompactConfig{})
	if c2 != c {
		t.Fatalf("cleanable after restart %+v, before %+v", c2, c)
	}
	// max.compaction.lag.ms makes the log due whatever the ratio.
	c3, _ := l.Cleanable(time.UnixMilli(1_000_000), l.EndOffset(), CompactConfig{MaxCompactionLagMs: 1000})
	if !c3.NeedNow || !c3.Due(1) {
		t.Fatalf("max lag: %+v", c3)
	}
	// A truncation below the checkpoint lowers it.
	if err := l.Truncate(5); err != nil {
		t.Fatal(err)
	}
	c4, _ := l.Cleanable(t0, l.EndOffset(), CompactConfig{})
	if c4.FirstDirty > 5 {
		t.Fatalf("first dirty %d after truncating to 5", c4.FirstDirty)
	}
}

// TestRecoverSwapDiscardsUncommitted: .cleaned files and .swap index
// files without a .log.swap are discarded; the old segments stay.
func TestRecoverSwapDiscardsUncommitted(t *testing.T) {
	fsys := vfs.NewMem()
	cfg := smallCfg()
	cfg.SegmentBytes = 700
	l, model := buildCompactable(t, fsys, "/d", cfg, 11)
	l.Close()
	for _, n := range []string{"00000000000000000000.log.cleaned", "00000000000000000000.index.swap", "00000000000000000000.timeindex.cleaned"} {
		f, err := fsys.OpenFile(filepath.Join("/d", n), os.O_CREATE|os.O_RDWR, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte("garbage"))
		f.Close()
	}
	l = mustOpen(t, fsys, "/d", cfg)
	defer l.Close()
	sameRecs(t, "after discarding", readRecs(t, l), model)
	for _, n := range []string{"00000000000000000000.log.cleaned", "00000000000000000000.index.swap"} {
		if _, err := fsys.Stat(filepath.Join("/d", n)); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%s not removed: %v", n, err)
		}
	}
}

// FuzzCompactRecover feeds arbitrary bytes as a committed .log.swap:
// recovery never panics, and Open either fails cleanly or yields a log
// whose reads return valid batches.
func FuzzCompactRecover(f *testing.F) {
	f.Add(recordtest.Batch(recordtest.Options{}, recordtest.Rec{Key: []byte("k"), Value: []byte("v")}), int64(0))
	f.Add([]byte("short"), int64(3))
	f.Fuzz(func(t *testing.T, data []byte, base int64) {
		if base < 0 || base > 1<<40 {
			return
		}
		fsys := vfs.NewMem()
		fsys.MkdirAll("/d", 0o755)
		w, _ := fsys.OpenFile(fileName("/d", base, logSuffix+swapSuffix), os.O_CREATE|os.O_RDWR, 0o644)
		w.Write(data)
		w.Close()
		l, err := Open(fsys, "/d", smallCfg(), quiet)
		if err != nil {
			return
		}
		defer l.Close()
		off := l.StartOffset()
		for i := 0; i < 100 && off < l.EndOffset(); i++ {
			b, err := l.Read(off, 1<<16, l.EndOffset())
			if err != nil || len(b) == 0 {
				return
			}
			h, err := record.ParseHeader(b)
			if err != nil {
				t.Fatalf("read returned a bad batch: %v", err)
			}
			off = h.LastOffset() + 1
		}
	})
}

// TestCompactTransactions: records of an aborted transaction neither
// supersede the committed value of their key nor survive cleaning;
// markers stay; nothing from the first open transaction on is cleaned.
func TestCompactTransactions(t *testing.T) {
	cfg := smallCfg()
	cfg.SegmentBytes = 100 // every batch rolls
	l := mustOpen(t, vfs.NewMem(), "/d", cfg)
	defer l.Close()
	app := func(b []byte) int64 {
		t.Helper()
		r, err := l.Append(b, t0, AppendOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return r.FirstOffset
	}
	kv := func(k, v string) recordtest.Rec { return recordtest.Rec{Key: []byte(k), Value: []byte(v)} }
	app(recordtest.Batch(recordtest.Options{}, kv("k", "committed")))
	app(recordtest.Batch(recordtest.Options{Transactional: true, Idempotent: true, ProducerID: 5}, kv("k", "aborted")))
	marker := app(MarkerBatch(5, 0, false, 0, t0))
	app(recordtest.Batch(recordtest.Options{}, kv("j", "1")))
	open := app(recordtest.Batch(recordtest.Options{Transactional: true, Idempotent: true, ProducerID: 6}, kv("j", "open")))
	app(recordtest.Batch(recordtest.Options{}, kv("j", "2")))
	app(recordtest.Batch(recordtest.Options{}, kv("j", "3")))
	res, err := l.Compact(t0, l.EndOffset(), CompactConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if res.FirstDirty > open {
		t.Fatalf("cleaned past the open transaction at %d: first dirty %d", open, res.FirstDirty)
	}
	var got []string
	sawMarker := false
	for _, r := range readRecs(t, l) {
		if r.off == marker {
			sawMarker = true
			continue
		}
		got = append(got, fmt.Sprintf("%d:%s=%s", r.off, r.key, r.val))
	}
	want := []string{"0:k=committed", "3:j=1", "4:j=open", "5:j=2", "6:j=3"}
	if !sawMarker || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("marker kept %v, records %v, want %v", sawMarker, got, want)
	}
}
