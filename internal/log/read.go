package log

import (
	"errors"
	"fmt"
	"io"

	"strom/internal/record"
)

// segView is what a reader copies out of a segment under mu.
type segView struct {
	s     *segment
	size  int64
	next  int64 // base of the following segment, or the log end offset
	idx   []offsetEntry
	tidx  []timeEntry
	maxTs int64
	maxTO int64
}

// viewLocked copies segment i and takes a reference. Caller holds mu and
// must release v.s.
func (l *Log) viewLocked(i int) segView {
	s := l.segs[i]
	s.acquire()
	next := l.leo
	if i+1 < len(l.segs) {
		next = l.segs[i+1].base
	}
	return segView{s: s, size: s.size, next: next, idx: s.idx, tidx: s.tidx, maxTs: s.maxTs, maxTO: s.maxTsOff}
}

// ensureLoaded loads an old segment's indexes on first use (reading the
// files or rebuilding them) and refreshes v. No lock is held on entry.
func (l *Log) ensureLoaded(v *segView) error {
	l.mu.RLock()
	loaded := v.s.loaded
	l.mu.RUnlock()
	if loaded {
		return nil
	}
	v.s.loadMu.Lock()
	defer v.s.loadMu.Unlock()
	l.mu.RLock()
	loaded = v.s.loaded
	l.mu.RUnlock()
	if !loaded {
		li, rebuilt, err := loadIndexes(l.fs, l.dir, v.s, v.size, v.next, l.indexInterval())
		if err != nil {
			return fmt.Errorf("load indexes of segment %d: %w", v.s.base, err)
		}
		if rebuilt {
			l.logger.Warn("rebuilt missing or damaged index", "segment", v.s.base)
		}
		l.mu.Lock()
		if !v.s.loaded {
			v.s.idx, v.s.tidx, v.s.maxTs, v.s.maxTsOff, v.s.loaded = li.idx, li.tidx, li.maxTs, li.maxTsOff, true
		}
		l.mu.Unlock()
	}
	l.mu.RLock()
	v.idx, v.tidx, v.maxTs, v.maxTO = v.s.idx, v.s.tidx, v.s.maxTs, v.s.maxTsOff
	l.mu.RUnlock()
	return nil
}

// indexInterval is read without appendMu; a stale value only changes how
// dense a rebuilt index is.
func (l *Log) indexInterval() int32 { return l.interval.Load() }

const lookupChunk = 16 << 10

// findBatch returns the position of the first batch in v whose last
// offset is >= off, and its header; found is false if there is none.
func findBatch(v segView, off int64) (pos int64, h record.Header, found bool, err error) {
	rel := uint32(max(off-v.s.base, 0))
	start := lookupPos(v.idx, rel)
	// The index entry is at most about one index interval before the
	// target, so a small first read usually finds it.
	p, invalid, err := scanBatchesChunk(v.s.f, start, v.size, lookupChunk, false, func(bh record.Header, _ int64, _ []byte) error {
		if bh.LastOffset() >= off {
			h, found = bh, true
			return errStop
		}
		return nil
	})
	if err != nil {
		return 0, h, false, err
	}
	if invalid != nil && !found {
		return 0, h, false, invalid
	}
	return p, h, found, nil
}

// Read returns whole batches starting with the one containing offset, up
// to maxBytes but at least one batch (KIP-74), never a batch whose base
// offset is >= upTo. It reads from one segment, as Kafka does; the caller
// fetches again for more.
func (l *Log) Read(offset int64, maxBytes int32, upTo int64) ([]byte, error) {
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return nil, ErrClosed
	}
	if offset < l.start || offset > l.leo {
		start, leo := l.start, l.leo
		l.mu.RUnlock()
		return nil, fmt.Errorf("%w: %d not in [%d, %d]", ErrOffsetOutOfRange, offset, start, leo)
	}
	if offset == l.leo || offset >= upTo {
		l.mu.RUnlock()
		return []byte{}, nil
	}
	v := l.viewLocked(l.segIndex(offset))
	l.mu.RUnlock()

	for {
		out, found, err := l.readSegment(v, offset, maxBytes, upTo)
		next := v.next
		v.s.release()
		if err != nil || found {
			return out, err
		}
		// No batch at or after offset in this segment (a gap, which
		// compaction leaves): go on with the segment holding the next
		// segment's base. Looked up by offset, not list position, since
		// compaction and retention change the list concurrently.
		l.mu.RLock()
		if next >= l.leo || next >= upTo || l.closed {
			l.mu.RUnlock()
			return []byte{}, nil
		}
		v = l.viewLocked(l.segIndex(next))
		l.mu.RUnlock()
	}
}

func (l *Log) readSegment(v segView, offset int64, maxBytes int32, upTo int64) ([]byte, bool, error) {
	if err := l.ensureLoaded(&v); err != nil {
		return nil, false, err
	}
	pos, h, found, err := findBatch(v, offset)
	if err != nil || !found {
		return nil, false, err
	}
	if h.BaseOffset >= upTo {
		return []byte{}, true, nil
	}
	want := min(max(int64(maxBytes), int64(h.Size())), v.size-pos)
	buf := make([]byte, want)
	if _, err := v.s.f.ReadAt(buf, pos); err != nil && !errors.Is(err, io.EOF) {
		return nil, false, fmt.Errorf("read segment %d: %w", v.s.base, err)
	}
	// Cut at the last whole batch that fits and is below upTo.
	cut := 0
	for cut+record.HeaderSize <= len(buf) {
		bh, err := record.ParseHeader(buf[cut:])
		if err != nil || cut+bh.Size() > len(buf) || bh.BaseOffset >= upTo {
			break
		}
		cut += bh.Size()
	}
	return buf[:cut], true, nil
}

// batchRecordTs returns the timestamp of record r in batch h.
func recordTs(h record.Header, r record.Record) int64 {
	if h.LogAppendTime() {
		return h.MaxTimestamp
	}
	return h.FirstTimestamp + r.TimestampDelta
}

// OffsetForTimestamp returns the earliest record at or after the log
// start whose timestamp is >= ts (ListOffsets semantics).
func (l *Log) OffsetForTimestamp(ts int64) (offset int64, timestamp int64, found bool) {
	l.mu.RLock()
	start, n := l.start, len(l.segs)
	l.mu.RUnlock()
	for i := 0; i < n; i++ {
		l.mu.RLock()
		if i >= len(l.segs) {
			l.mu.RUnlock()
			break
		}
		v := l.viewLocked(i)
		l.mu.RUnlock()
		off, t, ok, err := l.offsetForTimestampIn(v, ts, start)
		v.s.release()
		if err != nil {
			l.logger.Warn("offset for timestamp", "err", err)
			return -1, -1, false
		}
		if ok {
			return off, t, true
		}
	}
	return -1, -1, false
}

func (l *Log) offsetForTimestampIn(v segView, ts, start int64) (int64, int64, bool, error) {
	if v.next <= start {
		return 0, 0, false, nil
	}
	if err := l.ensureLoaded(&v); err != nil {
		return 0, 0, false, err
	}
	if v.maxTs < ts {
		return 0, 0, false, nil
	}
	pos := int64(0)
	if rel, ok := lookupTime(v.tidx, ts); ok {
		pos = lookupPos(v.idx, rel)
	}
	var (
		off, t int64
		found  bool
	)
	_, invalid, err := scanBatches(v.s.f, pos, v.size, true, func(h record.Header, _ int64, batch []byte) error {
		if h.MaxTimestamp < ts || h.LastOffset() < start {
			return nil
		}
		recs, err := record.Records(batch)
		if err != nil {
			return err
		}
		for _, r := range recs {
			o := h.BaseOffset + int64(r.OffsetDelta)
			if rt := recordTs(h, r); rt >= ts && o >= start {
				off, t, found = o, rt, true
				return errStop
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, false, err
	}
	if invalid != nil && !found {
		return 0, 0, false, invalid
	}
	return off, t, found, nil
}

// MaxTimestamp returns the record with the largest timestamp (the first
// such record if several share it), or -1, -1 if the log is empty.
func (l *Log) MaxTimestamp() (offset int64, timestamp int64) {
	l.mu.RLock()
	n := len(l.segs)
	l.mu.RUnlock()
	var best segView
	bestTs := int64(-1)
	for i := 0; i < n; i++ {
		l.mu.RLock()
		if i >= len(l.segs) {
			l.mu.RUnlock()
			break
		}
		v := l.viewLocked(i)
		start := l.start
		l.mu.RUnlock()
		if v.next <= start || l.ensureLoaded(&v) != nil || v.maxTs <= bestTs {
			v.s.release()
			continue
		}
		if best.s != nil {
			best.s.release()
		}
		best, bestTs = v, v.maxTs
	}
	if best.s == nil {
		return -1, -1
	}
	defer best.s.release()
	var off int64 = -1
	_, _, err := scanBatches(best.s.f, lookupPos(best.idx, uint32(best.maxTO-best.s.base)), best.size, true, func(h record.Header, _ int64, batch []byte) error {
		if h.BaseOffset != best.maxTO {
			return nil
		}
		recs, err := record.Records(batch)
		if err != nil {
			return err
		}
		off = h.LastOffset()
		for _, r := range recs {
			if recordTs(h, r) == h.MaxTimestamp {
				off = h.BaseOffset + int64(r.OffsetDelta)
				break
			}
		}
		return errStop
	})
	if err != nil || off < 0 {
		return -1, -1
	}
	return off, bestTs
}
