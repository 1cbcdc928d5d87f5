package log

import (
	"errors"
	"fmt"
	"io/fs"
	"time"
)

// removeSegments takes the first n segments out of the list and deletes
// their files. Open readers keep a reference and finish; the file closes
// with the last one. Caller holds appendMu and never removes the active
// segment this way.
func (l *Log) removeSegments(n int) error {
	if n <= 0 {
		return nil
	}
	l.mu.Lock()
	gone := append([]*segment(nil), l.segs[:n]...)
	l.segs = append([]*segment(nil), l.segs[n:]...)
	for _, s := range gone {
		l.size -= s.size
	}
	l.mu.Unlock()
	return l.deleteFiles(gone)
}

func (l *Log) deleteFiles(gone []*segment) error {
	var errs []error
	for _, s := range gone {
		for _, suf := range []string{logSuffix, indexSuffix, timeIndexSuffix} {
			if err := l.fs.Remove(fileName(l.dir, s.base, suf)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
		s.release()
	}
	if err := l.fs.SyncDir(l.dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// largestTimestamp is a segment's largest record timestamp, or its file's
// modification time if it has no timestamps (as Kafka does).
func (l *Log) largestTimestamp(i int) (int64, error) {
	l.mu.RLock()
	v := l.viewLocked(i)
	l.mu.RUnlock()
	defer v.s.release()
	if err := l.ensureLoaded(&v); err != nil {
		return 0, err
	}
	if v.maxTs >= 0 {
		return v.maxTs, nil
	}
	fi, err := v.s.f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.ModTime().UnixMilli(), nil
}

// ApplyRetention deletes old segments (never the active one) whose
// largest timestamp is older than RetentionMs, and the oldest segments
// while the log is bigger than RetentionBytes. It advances the log start
// offset and returns how many segments were deleted. It also expires idle
// producer state.
func (l *Log) ApplyRetention(now time.Time) (int, error) {
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	l.mu.RLock()
	err := l.checkLocked()
	nold, size := len(l.segs)-1, l.size
	l.mu.RUnlock()
	if err != nil {
		return 0, err
	}
	nowMs := now.UnixMilli()
	n := 0
	if l.cfg.RetentionMs >= 0 {
		for n < nold {
			ts, err := l.largestTimestamp(n)
			if err != nil {
				return 0, err
			}
			if nowMs-ts <= l.cfg.RetentionMs {
				break
			}
			n++
		}
	}
	if l.cfg.RetentionBytes >= 0 {
		diff := size - l.cfg.RetentionBytes
		l.mu.RLock()
		for i := 0; i < nold && diff-l.segs[i].size >= 0; i++ {
			diff -= l.segs[i].size
			n = max(n, i+1)
		}
		l.mu.RUnlock()
	}
	if l.cfg.ProducerIDExpirationMs > 0 {
		open := l.OpenTransactions()
		l.producers.expire(nowMs-l.cfg.ProducerIDExpirationMs, func(id int64) bool { _, ok := open[id]; return ok })
	}
	if n == 0 {
		return 0, nil
	}
	l.mu.RLock()
	newStart := max(l.start, l.segs[n].base)
	l.mu.RUnlock()
	if err := l.advanceStart(newStart); err != nil {
		return 0, err
	}
	if err := l.removeSegments(n); err != nil {
		return n, fmt.Errorf("%w: delete segments: %w", ErrStorage, err)
	}
	l.logger.Info("retention deleted segments", "count", n, "start", newStart)
	return n, nil
}

// advanceStart persists and publishes a new log start offset, and trims
// the leader epoch cache below it. Caller holds appendMu.
func (l *Log) advanceStart(off int64) error {
	l.mu.RLock()
	cur := l.start
	l.mu.RUnlock()
	if off <= cur {
		return nil
	}
	if err := writeStartOffset(l.fs, l.dir, off); err != nil {
		return l.fail("write start offset", err)
	}
	// Kafka's truncateFromStart: the epoch in force at off now starts at off.
	es := l.epochs
	keep := 0
	for keep+1 < len(es) && es[keep+1].start <= off {
		keep++
	}
	var newEs []epochEntry
	if len(es) > 0 {
		newEs = append([]epochEntry(nil), es[keep:]...)
		if newEs[0].start < off {
			newEs[0].start = off
		}
	}
	l.mu.Lock()
	l.start = off
	l.epochs = newEs
	l.mu.Unlock()
	if len(es) > 0 {
		if err := writeEpochs(l.fs, l.dir, newEs); err != nil {
			return l.fail("write leader epoch checkpoint", err)
		}
	}
	return nil
}

// SetStartOffset moves the log start offset forward (DeleteRecords),
// persists it, and deletes segments wholly below it. Moving it back is a
// no-op; beyond the end is ErrOffsetOutOfRange.
func (l *Log) SetStartOffset(off int64) error {
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	l.mu.RLock()
	err := l.checkLocked()
	start, leo := l.start, l.leo
	l.mu.RUnlock()
	if err != nil {
		return err
	}
	if off > leo {
		return fmt.Errorf("%w: %d beyond end %d", ErrOffsetOutOfRange, off, leo)
	}
	if off <= start {
		return nil
	}
	if err := l.advanceStart(off); err != nil {
		return err
	}
	active := l.segs[len(l.segs)-1]
	if off == leo && active.size > 0 {
		// Everything is below the start: roll so the old active segment
		// can go too.
		if err := l.roll(); err != nil {
			return err
		}
	}
	n := 0
	for n+1 < len(l.segs) && l.segs[n+1].base <= off {
		n++
	}
	if err := l.removeSegments(n); err != nil {
		return fmt.Errorf("%w: delete segments: %w", ErrStorage, err)
	}
	return nil
}

// Truncate removes every batch at and after offset (the whole batch
// containing offset), as a follower does when it diverged from the
// leader. The new end offset is the end of the last batch kept. Offsets
// at or below the log start empty the log and restart it at offset.
func (l *Log) Truncate(offset int64) error {
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	l.mu.RLock()
	err := l.checkLocked()
	start, leo := l.start, l.leo
	l.mu.RUnlock()
	if err != nil {
		return err
	}
	if offset >= leo {
		return nil
	}
	if offset <= start {
		return l.truncateFully(max(offset, 0))
	}
	i := l.segIndex(offset)
	// Later segments go first, so a crash in between leaves a prefix.
	l.mu.Lock()
	later := append([]*segment(nil), l.segs[i+1:]...)
	l.segs = l.segs[: i+1 : i+1]
	for _, s := range later {
		l.size -= s.size
	}
	l.mu.Unlock()
	if err := l.deleteFiles(later); err != nil {
		return l.fail("truncate", err)
	}
	s := l.segs[i]
	l.mu.RLock()
	v := l.viewLocked(i)
	l.mu.RUnlock()
	defer v.s.release()
	if err := l.ensureLoaded(&v); err != nil {
		return l.fail("truncate", err)
	}
	pos, _, found, err := findBatch(v, offset)
	if err != nil {
		return l.fail("truncate", err)
	}
	if !found {
		pos = v.size
	}
	if err := s.f.Truncate(pos); err != nil {
		return l.fail("truncate", err)
	}
	if err := s.f.Sync(); err != nil {
		return l.fail("truncate", err)
	}
	r, err := scanSegment(s.f, s.base, pos, false, l.cfg.IndexIntervalBytes)
	if err != nil {
		return l.fail("truncate", err)
	}
	l.mu.Lock()
	l.size -= s.size - pos
	s.size = pos
	l.installScan(s, r)
	l.leo = r.next
	l.truncateEpochsFromEnd(l.leo)
	epochs := l.epochs
	l.mu.Unlock()
	return l.afterTruncate(epochs)
}

// truncateFully deletes every segment and restarts the log at offset.
func (l *Log) truncateFully(offset int64) error {
	l.mu.Lock()
	gone := l.segs
	l.segs = nil
	l.size = 0
	l.mu.Unlock()
	if err := l.deleteFiles(gone); err != nil {
		return l.fail("truncate", err)
	}
	if err := writeStartOffset(l.fs, l.dir, offset); err != nil {
		return l.fail("truncate", err)
	}
	s, err := l.createSegment(offset)
	if err != nil {
		return l.fail("truncate", err)
	}
	s.loaded = true
	l.mu.Lock()
	l.segs = []*segment{s}
	l.start, l.leo = offset, offset
	l.truncateEpochsFromEnd(offset)
	epochs := l.epochs
	l.mu.Unlock()
	return l.afterTruncate(epochs)
}

// afterTruncate persists the trimmed epoch cache and rebuilds producer
// state from the snapshots that are still valid.
func (l *Log) afterTruncate(epochs []epochEntry) error {
	if err := writeEpochs(l.fs, l.dir, epochs); err != nil {
		return l.fail("write leader epoch checkpoint", err)
	}
	if err := l.clampCleanerOffset(); err != nil {
		return l.fail("write cleaner checkpoint", err)
	}
	if err := l.loadProducers(); err != nil {
		return l.fail("reload producer state", err)
	}
	return nil
}
