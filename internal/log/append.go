package log

import (
	"fmt"
	"time"

	"strom/internal/record"
)

// AppendOptions control how Append rewrites a batch.
type AppendOptions struct {
	// LogAppendTime stamps the batch with the append time (topic config
	// message.timestamp.type=LogAppendTime).
	LogAppendTime bool
	// LeaderEpoch is written into the batch's partition leader epoch and,
	// when it is new, recorded in the leader epoch checkpoint.
	LeaderEpoch int32
}

// AppendResult describes an appended (or deduplicated) batch.
type AppendResult struct {
	FirstOffset, LastOffset int64
	LogAppendTime           int64 // -1 unless the batch was stamped
	Duplicate               bool  // an idempotent retry; nothing was written
}

// Append assigns offsets to one validated v2 batch and writes it with a
// single write call, rolling to a new segment first if needed. The batch
// is modified in place (base offset, leader epoch, maybe timestamps).
// Append does not fsync; see Sync.
func (l *Log) Append(batch []byte, now time.Time, opts AppendOptions) (AppendResult, error) {
	h, err := record.ParseHeader(batch)
	if err != nil {
		return AppendResult{}, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if h.Size() != len(batch) || h.LastOffsetDelta < 0 {
		return AppendResult{}, fmt.Errorf("%w: batch framing", ErrCorrupt)
	}
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	l.mu.RLock()
	err = l.checkLocked()
	l.mu.RUnlock()
	if err != nil {
		return AppendResult{}, err
	}

	typ := int16(-1)
	if h.IsControl() && h.IsTransactional() {
		if typ, err = markerType(batch); err != nil {
			return AppendResult{}, err
		}
	}
	if h.ProducerID >= 0 {
		dup, err := l.producers.check(h)
		if err != nil {
			return AppendResult{}, err
		}
		if dup != nil {
			return AppendResult{FirstOffset: dup.firstOff, LastOffset: dup.lastOff, LogAppendTime: -1, Duplicate: true}, nil
		}
	}

	nowMs := now.UnixMilli()
	// The appender is the only writer of segs and leo, so it reads them
	// without mu.
	s := l.segs[len(l.segs)-1]
	if l.shouldRoll(s, h, nowMs) {
		if err := l.roll(); err != nil {
			return AppendResult{}, err
		}
		s = l.segs[len(l.segs)-1]
	}

	base := l.leo
	record.SetBaseOffset(batch, base)
	record.SetPartitionLeaderEpoch(batch, opts.LeaderEpoch)
	h.BaseOffset, h.PartitionLeaderEpoch = base, opts.LeaderEpoch
	res := AppendResult{FirstOffset: base, LastOffset: h.LastOffset(), LogAppendTime: -1}
	if opts.LogAppendTime {
		record.SetLogAppendTime(batch, nowMs)
		h.FirstTimestamp, h.MaxTimestamp = nowMs, nowMs
		h.Attributes |= 0x08
		res.LogAppendTime = nowMs
	}

	pos := s.size
	if _, err := s.f.WriteAt(batch, pos); err != nil {
		return AppendResult{}, l.fail("write", err)
	}

	var newEpochs []epochEntry
	if n := len(l.epochs); opts.LeaderEpoch >= 0 && (n == 0 || opts.LeaderEpoch > l.epochs[n-1].epoch) {
		newEpochs = append(l.epochs[:n:n], epochEntry{epoch: opts.LeaderEpoch, start: base})
		if err := writeEpochs(l.fs, l.dir, newEpochs); err != nil {
			return AppendResult{}, l.fail("write leader epoch checkpoint", err)
		}
	}

	l.mu.Lock()
	s.track(h, pos, l.cfg.IndexIntervalBytes)
	s.size += int64(len(batch))
	if s.firstAppendMs < 0 {
		s.firstAppendMs = nowMs
	}
	l.size += int64(len(batch))
	l.leo = h.LastOffset() + 1
	if newEpochs != nil {
		l.epochs = newEpochs
	}
	// With leo, under the same lock: a reader never sees the records of a
	// transaction without the transaction being open (or closed).
	l.txns.apply(h, typ)
	l.mu.Unlock()

	if h.ProducerID >= 0 {
		l.producers.update(h, nowMs)
	}
	return res, nil
}

// shouldRoll applies Kafka's roll rules to the active segment before
// appending h: size, age, index capacity, and relative offsets that must
// fit in 32 bits.
func (l *Log) shouldRoll(s *segment, h record.Header, nowMs int64) bool {
	if s.size == 0 {
		return false
	}
	return s.size+int64(h.Size()) > l.cfg.SegmentBytes ||
		(s.firstAppendMs >= 0 && nowMs-s.firstAppendMs > l.cfg.SegmentMs) ||
		s.indexFull(l.cfg.MaxIndexBytes) ||
		l.leo+int64(h.LastOffsetDelta)-s.base > 1<<32-1
}

// roll finalises the active segment (its indexes written, everything
// fsynced, a producer snapshot taken) and starts a new one at the log end
// offset. Syncing here means Open only ever has to check the last
// segment. Caller holds appendMu.
func (l *Log) roll() error {
	old := l.segs[len(l.segs)-1]
	l.mu.Lock()
	old.appendTimeEntry()
	idx, tidx := old.idx, old.tidx
	l.mu.Unlock()
	if err := old.f.Sync(); err != nil {
		return l.fail("sync rolled segment", err)
	}
	if err := writeIndexFiles(l.fs, l.dir, old.base, idx, tidx); err != nil {
		return l.fail("write index", err)
	}
	if err := l.writeSnapshot(); err != nil {
		return l.fail("write producer snapshot", err)
	}
	s, err := l.createSegment(l.leo)
	if err != nil {
		return l.fail("create segment", err)
	}
	s.loaded = true
	l.mu.Lock()
	l.segs = append(l.segs, s)
	l.mu.Unlock()
	l.logger.Debug("rolled segment", "base", s.base, "previous", old.base, "previous_bytes", old.size)
	return nil
}

// AssignEpoch records that epoch starts at the current log end offset, as
// Kafka does when a replica becomes leader. Doing it here, when the
// partition is opened or its leader changes, keeps the checkpoint write
// (three fsyncs) off the produce path: Append then finds the epoch known.
// An epoch not above the latest known one is ignored.
func (l *Log) AssignEpoch(epoch int32) error {
	if epoch < 0 {
		return nil
	}
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	l.mu.RLock()
	err := l.checkLocked()
	n := len(l.epochs)
	known := n > 0 && epoch <= l.epochs[n-1].epoch
	es := append(l.epochs[:n:n], epochEntry{epoch: epoch, start: l.leo})
	l.mu.RUnlock()
	if err != nil || known {
		return err
	}
	if err := writeEpochs(l.fs, l.dir, es); err != nil {
		return l.fail("write leader epoch checkpoint", err)
	}
	l.mu.Lock()
	l.epochs = es
	l.mu.Unlock()
	return nil
}
