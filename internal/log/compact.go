package log

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"sync"
	"time"

	"strom/internal/record"
)

// Log compaction (Kafka's LogCleaner/Cleaner), one round at a time:
//
//  1. Under appendMu, snapshot the closed segments (taking a reference on
//     each), the cleaner checkpoint (first dirty offset) and the last
//     batch of every active producer. Appends continue during the rest.
//  2. Build an offset map (key -> latest offset) over the dirty section:
//     whole closed segments from the first dirty offset up to the first
//     uncleanable offset (the active segment, the high watermark, or the
//     first segment younger than min.compaction.lag.ms), stopping early
//     when the map is full.
//  3. Rewrite every closed segment below the map's end, from the start of
//     the log, grouped into runs of at most segment.bytes, each into one
//     new segment that keeps only the latest record per key (plus rules
//     for tombstones and producer state, see filterBatch). Offsets never
//     change.
//  4. Swap each rewritten group in (crash-safe, see swapIn) and finally
//     persist the new first dirty offset.
//
// Readers holding a replaced segment keep reading its old file: the
// handle stays open until their reference is released.

// File suffixes of an in-progress swap, appended to .log/.index/.timeindex.
const (
	cleanedSuffix = ".cleaned" // being written; discarded by recovery
	swapSuffix    = ".swap"    // complete and durable; recovery finishes the swap
)

// cleanerOffsetFile holds the first dirty offset (Kafka keeps one such
// checkpoint per log directory; Strom keeps it with the partition).
const cleanerOffsetFile = "cleaner-offset-checkpoint"

// DefaultMaxKeys bounds the offset map of one round when
// CompactConfig.MaxKeys is 0: about 50 MB of map, like Kafka's default
// 128 MB dedupe buffer at its load factor.
const DefaultMaxKeys = 1 << 20

// errSwapAborted: the segments being cleaned changed (retention,
// truncation) before the swap; the round stops and is retried later.
var errSwapAborted = errors.New("log: cleaned segments changed; swap aborted")

// CompactConfig holds the topic configs that drive compaction.
type CompactConfig struct {
	DeleteRetentionMs      int64   // delete.retention.ms: how long tombstones survive once cleaned
	MinCompactionLagMs     int64   // min.compaction.lag.ms
	MaxCompactionLagMs     int64   // max.compaction.lag.ms (<= 0 or MaxInt64: never forces)
	MinCleanableDirtyRatio float64 // min.cleanable.dirty.ratio
	// MaxKeys bounds the keys mapped per round, which bounds a round's
	// memory and work (Kafka: log.cleaner.dedupe.buffer.size). 0 means
	// DefaultMaxKeys.
	MaxKeys int
}

// Cleanable describes how much of the log a cleaning round could
// compact (Kafka's LogToClean).
type Cleanable struct {
	FirstDirty       int64 // first offset no round has mapped yet
	FirstUncleanable int64 // nothing at or after this is cleaned
	CleanBytes       int64 // bytes of the segments below FirstDirty
	CleanableBytes   int64 // bytes of whole segments in [FirstDirty, FirstUncleanable)
	NeedNow          bool  // the first dirty batch is older than max.compaction.lag.ms
}

// Ratio is the dirty ratio: cleanable bytes over clean plus cleanable.
func (c Cleanable) Ratio() float64 {
	if t := c.CleanBytes + c.CleanableBytes; t > 0 {
		return float64(c.CleanableBytes) / float64(t)
	}
	return 0
}

// Due is Kafka's test for picking a log to clean: the dirty ratio above
// min.cleanable.dirty.ratio, or max.compaction.lag.ms passed with
// something to clean.
func (c Cleanable) Due(minRatio float64) bool {
	return c.CleanableBytes > 0 && (c.NeedNow || c.Ratio() > minRatio)
}

// CompactResult reports one cleaning round.
type CompactResult struct {
	Groups            int   // replacement segments swapped in
	BytesBefore       int64 // size of the segments replaced
	BytesAfter        int64 // size of their replacements
	RecordsRead       int64
	RecordsKept       int64
	TombstonesDropped int64
	FirstDirty        int64 // the new cleaner checkpoint
}

// cleanState is the Log's compaction state.
type cleanState struct {
	mu sync.Mutex // one round at a time; taken before appendMu

	// Guarded by Log.appendMu.
	firstDirty int64
	truncs     uint64 // bumped by truncation, so a round never moves firstDirty past truncated data

	// hook, set by tests only, is called at each step of a swap with the
	// step's name, so a test can take a crash image there.
	hook func(step string)
}

func (l *Log) cleanHook(step string) {
	if l.clean.hook != nil {
		l.clean.hook(step)
	}
}

// cleanSnapshot is what a round copies under appendMu.
type cleanSnapshot struct {
	views          []segView // closed segments, a reference held on each
	start          int64
	firstDirty     int64
	activeBase     int64
	truncs         uint64
	lastOfProducer map[int64]int64 // producer id -> last offset of its last batch
	cfg            Config
}

func (s *cleanSnapshot) release() {
	for _, v := range s.views {
		v.s.release()
	}
	s.views = nil
}

func (l *Log) snapshotForClean() (cleanSnapshot, error) {
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	l.mu.RLock()
	if err := l.checkLocked(); err != nil {
		l.mu.RUnlock()
		return cleanSnapshot{}, err
	}
	n := len(l.segs) - 1
	snap := cleanSnapshot{
		views:      make([]segView, 0, n),
		start:      l.start,
		firstDirty: l.clean.firstDirty,
		activeBase: l.segs[n].base,
		truncs:     l.clean.truncs,
		cfg:        l.cfg,
	}
	for i := 0; i < n; i++ {
		snap.views = append(snap.views, l.viewLocked(i))
	}
	l.mu.RUnlock()
	snap.lastOfProducer = make(map[int64]int64, len(l.producers.m))
	for id, e := range l.producers.m {
		if k := len(e.batches); k > 0 {
			snap.lastOfProducer[id] = e.batches[k-1].lastOff
		}
	}
	return snap, nil
}

// Cleanable reports the log's compaction state at now for a high
// watermark of upTo (LogCleanerManager.cleanableOffsets).
func (l *Log) Cleanable(now time.Time, upTo int64, cc CompactConfig) (Cleanable, error) {
	snap, err := l.snapshotForClean()
	if err != nil {
		return Cleanable{}, err
	}
	defer snap.release()
	c, _, err := l.cleanable(&snap, now.UnixMilli(), l.stableUpTo(upTo), cc)
	return c, err
}

// stableUpTo bounds upTo by the first offset of an open transaction (the
// last stable offset): its outcome is unknown, so neither it nor what
// follows may be cleaned (Kafka cleans up to the last stable offset).
func (l *Log) stableUpTo(upTo int64) int64 {
	if first, ok := l.FirstUnstableOffset(); ok {
		return min(upTo, first)
	}
	return upTo
}

// abortedSet tells whether a transactional data batch belongs to an
// aborted transaction (Kafka's CleanedTransactionMetadata, reduced to
// what the aborted list answers).
type abortedSet map[int64][]AbortedTxn

func (a abortedSet) has(h record.Header) bool {
	if len(a) == 0 || !h.IsTransactional() || h.IsControl() {
		return false
	}
	for _, t := range a[h.ProducerID] {
		if t.FirstOffset <= h.BaseOffset && h.BaseOffset <= t.LastOffset {
			return true
		}
	}
	return false
}

// cleanable computes the dirty section and returns its segments.
func (l *Log) cleanable(snap *cleanSnapshot, nowMs, upTo int64, cc CompactConfig) (Cleanable, []segView, error) {
	c := Cleanable{FirstDirty: max(snap.firstDirty, snap.start), FirstUncleanable: min(snap.activeBase, upTo)}
	vs := snap.views
	for i := range vs {
		if err := l.ensureLoaded(&vs[i]); err != nil {
			return c, nil, err
		}
	}
	if cc.MinCompactionLagMs > 0 {
		// Kafka: the first segment holding a record younger than the lag
		// is uncleanable, and so is everything after it.
		for _, v := range vs {
			if v.next > c.FirstDirty && v.maxTs > nowMs-cc.MinCompactionLagMs {
				c.FirstUncleanable = min(c.FirstUncleanable, v.s.base)
				break
			}
		}
	}
	var dirty []segView
	for _, v := range vs {
		switch {
		case v.next <= c.FirstDirty:
			c.CleanBytes += v.size
		case v.next <= c.FirstUncleanable:
			c.CleanableBytes += v.size
			dirty = append(dirty, v)
		}
	}
	if len(dirty) > 0 && cc.MaxCompactionLagMs > 0 && cc.MaxCompactionLagMs < math.MaxInt64 {
		ts, ok, err := firstBatchTimestamp(dirty[0])
		if err != nil {
			return c, nil, err
		}
		c.NeedNow = ok && ts > 0 && nowMs-ts > cc.MaxCompactionLagMs
	}
	return c, dirty, nil
}

// firstBatchTimestamp is the max timestamp of a segment's first batch
// (Kafka's LogSegment.getFirstBatchTimestamp).
func firstBatchTimestamp(v segView) (int64, bool, error) {
	var (
		ts    int64
		found bool
	)
	_, _, err := scanBatchesChunk(v.s.f, 0, v.size, 4096, false, func(h record.Header, _ int64, _ []byte) error {
		ts, found = h.MaxTimestamp, true
		return errStop
	})
	return ts, found, err
}

// Compact runs one cleaning round at now, never touching the active
// segment nor anything at or above upTo (the high watermark). It cleans
// whatever is dirty; deciding whether a round is worth it (Cleanable.Due)
// is the caller's policy. A round that finds the segments changed under
// it (retention, truncation) stops early without error.
func (l *Log) Compact(now time.Time, upTo int64, cc CompactConfig) (CompactResult, error) {
	l.clean.mu.Lock()
	defer l.clean.mu.Unlock()
	snap, err := l.snapshotForClean()
	if err != nil {
		return CompactResult{}, err
	}
	defer snap.release()
	nowMs := now.UnixMilli()
	c, dirty, err := l.cleanable(&snap, nowMs, l.stableUpTo(upTo), cc)
	res := CompactResult{FirstDirty: c.FirstDirty}
	if err != nil || len(dirty) == 0 {
		return res, err
	}
	// Records of aborted transactions are neither mapped (they must not
	// supersede a committed value) nor kept. Markers stay untouched.
	aborted := abortedSet{}
	for _, t := range l.AbortedTxns(0, c.FirstUncleanable) {
		aborted[t.ProducerID] = append(aborted[t.ProducerID], t)
	}
	maxKeys := cc.MaxKeys
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	keys, mapEnd, err := buildOffsetMap(dirty, c.FirstDirty, maxKeys, aborted)
	if err != nil {
		return res, err
	}
	var todo []segView
	for _, v := range snap.views {
		if v.s.base < mapEnd {
			todo = append(todo, v)
		}
	}
	in := filterInput{keys: keys, mapEnd: mapEnd, nowMs: nowMs, deleteRetMs: cc.DeleteRetentionMs, aborted: aborted}
	for _, g := range groupSegments(todo, snap.cfg.SegmentBytes, snap.cfg.MaxIndexBytes) {
		st, after, err := l.cleanGroup(g, in, snap.lastOfProducer, c.FirstUncleanable, snap.cfg.IndexIntervalBytes)
		if errors.Is(err, errSwapAborted) {
			l.logger.Info("compaction round stopped: segments changed", "segment", g[0].s.base)
			return res, nil
		}
		if err != nil {
			return res, err
		}
		res.Groups++
		for _, v := range g {
			res.BytesBefore += v.size
		}
		res.BytesAfter += after
		res.RecordsRead += st.read
		res.RecordsKept += st.kept
		res.TombstonesDropped += st.tombstonesDropped
	}
	if err := l.advanceFirstDirty(mapEnd, snap.truncs); err != nil {
		return res, err
	}
	res.FirstDirty = mapEnd
	l.logger.Debug("compacted log", "groups", res.Groups, "bytes_before", res.BytesBefore, "bytes_after", res.BytesAfter,
		"records_read", res.RecordsRead, "records_kept", res.RecordsKept, "first_dirty", mapEnd)
	return res, nil
}

// buildOffsetMap maps each key in the dirty segments (from firstDirty on)
// to its latest offset. It stops before a batch that might overflow the
// map; mapEnd is the first offset not mapped.
func buildOffsetMap(dirty []segView, firstDirty int64, maxKeys int, aborted abortedSet) (*offsetMap, int64, error) {
	keys := newOffsetMap(maxKeys)
	mapEnd := dirty[len(dirty)-1].next
	for _, v := range dirty {
		full := false
		_, invalid, err := scanBatches(v.s.f, 0, v.size, true, func(h record.Header, _ int64, batch []byte) error {
			if h.LastOffset() < firstDirty || h.IsControl() || h.NumRecords == 0 || aborted.has(h) {
				return nil
			}
			if !keys.room(int(h.NumRecords)) && keys.len() > 0 {
				mapEnd, full = max(h.BaseOffset, firstDirty), true
				return errStop
			}
			recs, err := record.Records(batch)
			if err != nil {
				return fmt.Errorf("%w: batch at offset %d: %w", ErrCorrupt, h.BaseOffset, err)
			}
			for _, r := range recs {
				if off := h.BaseOffset + int64(r.OffsetDelta); off >= firstDirty && r.Key != nil {
					keys.put(r.Key, off)
				}
			}
			return nil
		})
		if err != nil {
			return nil, 0, fmt.Errorf("compaction: read segment %d: %w", v.s.base, err)
		}
		if invalid != nil {
			return nil, 0, fmt.Errorf("compaction: segment %d: %w", v.s.base, invalid)
		}
		if full {
			break
		}
	}
	return keys, mapEnd, nil
}

// groupSegments is Kafka's Cleaner.groupSegmentsBySize: consecutive
// segments whose total log and index sizes stay within one segment and
// whose offsets fit one segment's relative offsets become one group, so
// compaction also merges segments that shrank.
func groupSegments(vs []segView, maxSize int64, maxIndex int32) [][]segView {
	var groups [][]segView
	for len(vs) > 0 {
		g := vs[:1]
		size, isz, tsz := vs[0].size, int64(len(vs[0].idx))*offsetEntrySize, int64(len(vs[0].tidx))*timeEntrySize
		for len(vs) > len(g) {
			v := vs[len(g)]
			if size+v.size > maxSize ||
				isz+int64(len(v.idx))*offsetEntrySize > int64(maxIndex) ||
				tsz+int64(len(v.tidx))*timeEntrySize > int64(maxIndex) ||
				(v.size > 0 && v.next-1-g[0].s.base > math.MaxInt32) {
				break
			}
			size += v.size
			isz += int64(len(v.idx)) * offsetEntrySize
			tsz += int64(len(v.tidx)) * timeEntrySize
			g = vs[:len(g)+1]
		}
		groups = append(groups, g)
		vs = vs[len(g):]
	}
	return groups
}

// cleanGroup writes the cleaned copy of group g as one segment named
// after the group's first base offset, then swaps it in.
func (l *Log) cleanGroup(g []segView, in filterInput, lastOfProducer map[int64]int64, upperBound int64, interval int32) (filterStats, int64, error) {
	var st filterStats
	base := g[0].s.base
	names := swapNames(l.dir, base, cleanedSuffix)
	f, err := l.fs.OpenFile(names[0], os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o644)
	if err != nil {
		return st, 0, fmt.Errorf("compaction: create cleaned segment: %w", err)
	}
	discard := func(err error) (filterStats, int64, error) {
		f.Close()
		for _, n := range names {
			_ = l.fs.Remove(n)
		}
		return st, 0, err
	}
	seg := newSegment(base, f, 0)
	seg.loaded = true
	var (
		buf     []byte
		written int64
	)
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		if _, err := f.WriteAt(buf, written); err != nil {
			return err
		}
		written += int64(len(buf))
		buf = buf[:0]
		return nil
	}
	for _, v := range g {
		_, invalid, err := scanBatches(v.s.f, 0, v.size, true, func(h record.Header, _ int64, batch []byte) error {
			fi := in
			last, active := lastOfProducer[h.ProducerID]
			fi.retainEmpty = (h.ProducerID >= 0 && active && last == h.LastOffset()) || h.LastOffset()+1 == upperBound
			var out []byte
			var err error
			if in.aborted.has(h) {
				st.read += int64(h.NumRecords)
				if fi.retainEmpty {
					out = emptyBatch(h)
				}
			} else if out, err = filterBatch(h, batch, fi, &st); err != nil {
				return err
			}
			if out == nil {
				return nil
			}
			oh, err := record.ParseHeader(out)
			if err != nil {
				return err
			}
			if seg.size+int64(len(out)) > math.MaxUint32 {
				return fmt.Errorf("compaction: cleaned segment %d would exceed 4 GiB", base)
			}
			seg.track(oh, seg.size, interval)
			seg.size += int64(len(out))
			buf = append(buf, out...)
			if len(buf) >= scanChunk {
				return flush()
			}
			return nil
		})
		if err == nil && invalid != nil {
			err = fmt.Errorf("compaction: segment %d: %w", v.s.base, invalid)
		}
		if err != nil {
			return discard(err)
		}
	}
	if err := flush(); err != nil {
		return discard(fmt.Errorf("compaction: write cleaned segment: %w", err))
	}
	seg.appendTimeEntry()
	if err := f.Sync(); err != nil {
		return discard(fmt.Errorf("compaction: sync cleaned segment: %w", err))
	}
	if err := writeWhole(l.fs, names[1], encodeOffsetIndex(seg.idx)); err != nil {
		return discard(fmt.Errorf("compaction: write cleaned index: %w", err))
	}
	if err := writeWhole(l.fs, names[2], encodeTimeIndex(seg.tidx)); err != nil {
		return discard(fmt.Errorf("compaction: write cleaned time index: %w", err))
	}
	if err := l.swapIn(g, seg); err != nil {
		if errors.Is(err, errSwapAborted) || !errors.Is(err, errSwapCommitted) {
			return discard(err)
		}
		return st, 0, err
	}
	return st, seg.size, nil
}

// errSwapCommitted marks a failure after the swap's commit point: the
// cleaned files must stay, recovery finishes the swap.
var errSwapCommitted = errors.New("log: swap committed")

// swapNames are the .log, .index and .timeindex names of base with suffix.
func swapNames(dir string, base int64, suffix string) [3]string {
	return [3]string{
		fileName(dir, base, logSuffix+suffix),
		fileName(dir, base, indexSuffix+suffix),
		fileName(dir, base, timeIndexSuffix+suffix),
	}
}

// swapIn replaces the segments of g with seg, crash-safely (Kafka's
// LocalLog.replaceSegments):
//
//  1. the cleaned files are complete and fsynced (cleanGroup);
//  2. rename .index/.timeindex.cleaned to .swap, then .log.cleaned to
//     .log.swap, and fsync the directory: the .log.swap file is the
//     commit point, from here on recovery completes the swap;
//  3. under mu, replace the segments in the list (readers holding the
//     old ones keep their open files);
//  4. delete the old segments' files other than the first (whose names
//     the new files take), fsync the directory;
//  5. rename the .swap files to their final names, fsync the directory.
//
// It holds appendMu throughout so no roll, retention or truncation
// interleaves; appends wait for a few renames and fsyncs.
func (l *Log) swapIn(g []segView, seg *segment) error {
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	l.mu.RLock()
	err := l.checkLocked()
	i0 := l.segIndex(g[0].s.base)
	ok := i0+len(g) < len(l.segs) // never the active segment
	for k := 0; ok && k < len(g); k++ {
		s := l.segs[i0+k]
		ok = s == g[k].s && s.size == g[k].size
	}
	l.mu.RUnlock()
	if err != nil {
		return err
	}
	if !ok {
		return errSwapAborted
	}
	base := seg.base
	cleaned, swap, final := swapNames(l.dir, base, cleanedSuffix), swapNames(l.dir, base, swapSuffix), swapNames(l.dir, base, "")
	l.cleanHook("cleaned")
	for _, i := range []int{1, 2, 0} { // the .log last: it is the commit point
		if err := l.fs.Rename(cleaned[i], swap[i]); err != nil {
			for j := range swap {
				_ = l.fs.Remove(swap[j])
			}
			return fmt.Errorf("compaction: rename cleaned segment: %w", err)
		}
	}
	if err := l.fs.SyncDir(l.dir); err != nil {
		return fmt.Errorf("%w: %w", errSwapCommitted, l.fail("swap cleaned segment", err))
	}
	l.cleanHook("swap")

	l.mu.Lock()
	segs := make([]*segment, 0, len(l.segs)-len(g)+1)
	segs = append(segs, l.segs[:i0]...)
	segs = append(segs, seg)
	segs = append(segs, l.segs[i0+len(g):]...)
	for _, v := range g {
		l.size -= v.size
	}
	l.size += seg.size
	l.segs = segs
	l.mu.Unlock()

	var errs []error
	for _, v := range g[1:] {
		for _, n := range swapNames(l.dir, v.s.base, "") {
			if err := l.fs.Remove(n); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	if len(errs) == 0 {
		if err := l.fs.SyncDir(l.dir); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		l.cleanHook("deleted")
		for _, i := range []int{1, 2, 0} {
			if err := l.fs.Rename(swap[i], final[i]); err != nil {
				errs = append(errs, err)
				break
			}
		}
	}
	if len(errs) == 0 {
		if err := l.fs.SyncDir(l.dir); err != nil {
			errs = append(errs, err)
		}
	}
	for _, v := range g {
		v.s.release() // the list's reference; readers may still hold theirs
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", errSwapCommitted, l.fail("swap cleaned segment", err))
	}
	l.cleanHook("done")
	return nil
}

// advanceFirstDirty persists the new cleaner checkpoint unless a
// truncation happened during the round (it already lowered it).
func (l *Log) advanceFirstDirty(off int64, truncs uint64) error {
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	if l.clean.truncs != truncs || off <= l.clean.firstDirty {
		return nil
	}
	if err := writeCleanerOffset(l, off); err != nil {
		return fmt.Errorf("compaction: write cleaner checkpoint: %w", err)
	}
	l.clean.firstDirty = off
	return nil
}
