package log

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"strom/internal/record"
	"strom/internal/vfs"
)

// Log is one partition's log. See the package comment for the lock order.
type Log struct {
	fs     vfs.FS
	dir    string
	logger *slog.Logger

	// appendMu serialises everything that changes the log: Append, roll,
	// retention, truncation, SetStartOffset, SetConfig, Close.
	appendMu  sync.Mutex
	cfg       Config     // guarded by appendMu
	producers *producers // guarded by appendMu

	syncMu sync.Mutex // serialises Sync

	interval atomic.Int32 // cfg.IndexIntervalBytes, for lazy index rebuilds

	// mu guards the fields below and the mutable fields of each segment.
	// It is never held during I/O.
	mu     sync.RWMutex
	segs   []*segment // by base offset; the last one is active
	start  int64
	leo    int64
	size   int64
	epochs []epochEntry
	closed bool
	failed error // first write/sync error; the log takes no more writes

	clean cleanState // compaction (compact.go)

	txns txnIndex // open and aborted transactions (txn.go)
}

// Open opens (creating if needed) the log in dir and recovers it: the
// active segment is validated batch by batch and a torn or corrupt tail
// is truncated; older segments are trusted and their indexes loaded only
// when first needed.
func Open(fsys vfs.FS, dir string, cfg Config, logger *slog.Logger) (*Log, error) {
	if logger == nil {
		logger = slog.Default()
	}
	l := &Log{fs: fsys, dir: dir, logger: logger.With("dir", dir), cfg: cfg.normalized()}
	l.interval.Store(l.cfg.IndexIntervalBytes)
	if err := l.open(); err != nil {
		for _, s := range l.segs {
			s.release()
		}
		return nil, fmt.Errorf("open log %s: %w", dir, err)
	}
	return l, nil
}

func (l *Log) open() error {
	began := time.Now()
	if err := l.fs.MkdirAll(l.dir, 0o755); err != nil {
		return err
	}
	// Finish or discard a compaction swap a crash interrupted, before the
	// segments are listed.
	if err := l.recoverSwaps(); err != nil {
		return err
	}
	ents, err := l.fs.ReadDir(l.dir)
	if err != nil {
		return err
	}
	var bases []int64
	for _, e := range ents {
		name := e.Name()
		switch {
		case strings.HasSuffix(name, tmpSuffix):
			// A checkpoint or snapshot that was never renamed into place.
			_ = l.fs.Remove(filepath.Join(l.dir, name))
		case strings.HasSuffix(name, logSuffix):
			off, err := strconv.ParseInt(strings.TrimSuffix(name, logSuffix), 10, 64)
			if err == nil && off >= 0 {
				bases = append(bases, off)
			}
		}
	}
	sort.Slice(bases, func(i, j int) bool { return bases[i] < bases[j] })

	if l.start, err = readStartOffset(l.fs, l.dir); err != nil {
		return err
	}
	if len(bases) == 0 {
		s, err := l.createSegment(l.start)
		if err != nil {
			return err
		}
		l.segs = []*segment{s}
	}
	for _, b := range bases {
		f, err := l.fs.OpenFile(fileName(l.dir, b, logSuffix), os.O_RDWR, 0)
		if err != nil {
			return err
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return err
		}
		l.segs = append(l.segs, newSegment(b, f, fi.Size()))
		l.size += fi.Size()
	}
	if err := l.recoverActive(); err != nil {
		return err
	}
	l.start = max(l.start, l.segs[0].base)
	if l.start > l.leo {
		// The start checkpoint is durable but the data it pointed into was
		// not; keep the offsets monotonic from what survived.
		l.logger.Warn("log start offset beyond recovered end; clamping", "start", l.start, "end", l.leo)
		l.start = l.leo
	}
	if l.epochs, err = readEpochs(l.fs, l.dir); err != nil {
		return err
	}
	if l.truncateEpochsFromEnd(l.leo) {
		if err := writeEpochs(l.fs, l.dir, l.epochs); err != nil {
			return err
		}
	}
	if err := l.loadProducers(); err != nil {
		return err
	}
	if err := l.loadCleanerOffset(); err != nil {
		return err
	}
	l.logger.Debug("log opened", "segments", len(l.segs), "start", l.start, "end", l.leo, "took", time.Since(began))
	return nil
}

// createSegment creates an empty .log file at base and makes its
// directory entry durable.
func (l *Log) createSegment(base int64) (*segment, error) {
	f, err := l.fs.OpenFile(fileName(l.dir, base, logSuffix), os.O_CREATE|os.O_RDWR|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	if err := l.fs.SyncDir(l.dir); err != nil {
		f.Close()
		return nil, err
	}
	return newSegment(base, f, 0), nil
}

// recoverActive validates the active segment and truncates a bad tail.
func (l *Log) recoverActive() error {
	s := l.segs[len(l.segs)-1]
	r, err := scanSegment(s.f, s.base, s.size, true, l.cfg.IndexIntervalBytes)
	if err != nil {
		return err
	}
	if r.validEnd < s.size {
		l.logger.Warn("truncating torn or corrupt log tail",
			"segment", s.base, "position", r.validEnd, "dropped_bytes", s.size-r.validEnd, "reason", r.invalidReason)
		if err := s.f.Truncate(r.validEnd); err != nil {
			return err
		}
		if err := s.f.Sync(); err != nil {
			return err
		}
		l.size -= s.size - r.validEnd
		s.size = r.validEnd
	}
	l.installScan(s, r)
	l.leo = r.next
	if r.firstBatchTs >= 0 {
		s.firstAppendMs = r.firstBatchTs
	}
	return nil
}

func (l *Log) installScan(s *segment, r scanResult) {
	s.idx, s.tidx, s.maxTs, s.maxTsOff = r.idx, r.tidx, r.maxTs, r.maxTsOff
	s.bytesSinceIndex = r.bytesSince
	s.loaded = true
}

// snapshotOffsets lists the offsets of producer snapshot files, ascending.
func (l *Log) snapshotOffsets() ([]int64, error) {
	ents, err := l.fs.ReadDir(l.dir)
	if err != nil {
		return nil, err
	}
	var offs []int64
	for _, e := range ents {
		if name := e.Name(); strings.HasSuffix(name, snapshotSuffix) {
			if off, err := strconv.ParseInt(strings.TrimSuffix(name, snapshotSuffix), 10, 64); err == nil {
				offs = append(offs, off)
			}
		}
	}
	sort.Slice(offs, func(i, j int) bool { return offs[i] < offs[j] })
	return offs, nil
}

// loadProducers rebuilds producer state: the newest valid snapshot at or
// below the log end, then the batch headers after it. Snapshots beyond
// the end (from truncated data) are deleted. Transaction state (open
// transactions, the aborted list) is rebuilt the same way: the snapshot
// and the aborted checkpoint describe the log up to the snapshot offset,
// and the batches after it are replayed; markers need their control
// record read to tell COMMIT from ABORT.
func (l *Log) loadProducers() error {
	offs, err := l.snapshotOffsets()
	if err != nil {
		return err
	}
	p, from := newProducers(), l.segs[0].base
	ongoing := map[int64]int64{}
	for i := len(offs) - 1; i >= 0; i-- {
		name := fileName(l.dir, offs[i], snapshotSuffix)
		if offs[i] > l.leo {
			_ = l.fs.Remove(name)
			continue
		}
		b, err := readWhole(l.fs, name)
		if err != nil {
			return err
		}
		if sp, og, err := decodeProducers(b); err == nil {
			p, ongoing, from = sp, og, offs[i]
			break
		}
		l.logger.Warn("ignoring damaged producer snapshot", "file", name)
	}
	aborted, err := readAbortedTxns(l, from)
	if err != nil {
		return err
	}
	txns := txnIndex{ongoing: ongoing, aborted: aborted}
	for _, s := range l.segs {
		next := l.leo
		if i := l.segIndex(s.base); i+1 < len(l.segs) {
			next = l.segs[i+1].base
		}
		if next <= from || s.size == 0 {
			continue
		}
		_, invalid, err := scanBatches(s.f, 0, s.size, false, func(h record.Header, pos int64, _ []byte) error {
			if h.BaseOffset < from {
				return nil
			}
			p.update(h, h.MaxTimestamp)
			typ := int16(-1)
			if h.IsControl() && h.IsTransactional() {
				b := make([]byte, h.Size())
				if _, err := s.f.ReadAt(b, pos); err != nil {
					return err
				}
				if typ, err = markerType(b); err != nil {
					return err
				}
			}
			txns.apply(h, typ)
			return nil
		})
		if err != nil {
			return err
		}
		if invalid != nil {
			return invalid
		}
	}
	l.producers = p
	l.mu.Lock()
	l.txns = txns
	l.mu.Unlock()
	return nil
}

// segIndex returns the index of the segment holding off: the last one
// whose base is <= off (0 if off is below every base). Caller holds mu or
// appendMu.
func (l *Log) segIndex(off int64) int {
	i := sort.Search(len(l.segs), func(i int) bool { return l.segs[i].base > off })
	return max(i-1, 0)
}

// check returns ErrClosed or the sticky storage error. Caller holds mu.
func (l *Log) checkLocked() error {
	if l.closed {
		return ErrClosed
	}
	if l.failed != nil {
		return fmt.Errorf("%w: %w", ErrStorage, l.failed)
	}
	return nil
}

// fail marks the log failed with the first error and returns ErrStorage.
func (l *Log) fail(op string, err error) error {
	l.mu.Lock()
	if l.failed == nil {
		l.failed = fmt.Errorf("%s: %w", op, err)
		l.logger.Error("log storage failure; refusing further writes", "op", op, "err", err)
	}
	f := l.failed
	l.mu.Unlock()
	return fmt.Errorf("%w: %w", ErrStorage, f)
}

// Sync makes every batch appended before the call durable. It may run
// concurrently with Append; rolled segments were synced when rolled, so
// only the active segment needs an fsync.
func (l *Log) Sync() error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	l.mu.RLock()
	if err := l.checkLocked(); err != nil {
		l.mu.RUnlock()
		return err
	}
	s := l.segs[len(l.segs)-1]
	s.acquire()
	l.mu.RUnlock()
	defer s.release()
	if err := s.f.Sync(); err != nil {
		return l.fail("sync", err)
	}
	return nil
}

// StartOffset returns the log start offset.
func (l *Log) StartOffset() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.start
}

// EndOffset returns the log end offset, the next offset to assign.
func (l *Log) EndOffset() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.leo
}

// Size returns the total size of the segment files in bytes.
func (l *Log) Size() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.size
}

// SetConfig changes the configuration; it applies from the next append
// or retention pass.
func (l *Log) SetConfig(cfg Config) {
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	l.cfg = cfg.normalized()
	l.interval.Store(l.cfg.IndexIntervalBytes)
}

// Close syncs the active segment, writes its indexes and a producer
// snapshot, and closes every file. Reads after Close fail with ErrClosed.
func (l *Log) Close() error {
	l.appendMu.Lock()
	defer l.appendMu.Unlock()
	l.mu.RLock()
	closed, failed := l.closed, l.failed
	l.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	var errs []error
	if failed == nil {
		s := l.segs[len(l.segs)-1]
		l.mu.Lock()
		s.appendTimeEntry()
		idx, tidx := s.idx, s.tidx
		l.mu.Unlock()
		if err := s.f.Sync(); err != nil {
			errs = append(errs, err)
		} else if err := writeIndexFiles(l.fs, l.dir, s.base, idx, tidx); err != nil {
			errs = append(errs, err)
		} else if err := l.writeSnapshot(); err != nil {
			errs = append(errs, err)
		}
	}
	l.mu.Lock()
	l.closed = true
	segs := l.segs
	l.mu.Unlock()
	for _, s := range segs {
		s.release()
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: close: %w", ErrStorage, err)
	}
	return nil
}

// Delete closes the log and removes its directory.
func (l *Log) Delete() error {
	if err := l.Close(); err != nil && !errors.Is(err, ErrClosed) && !errors.Is(err, ErrStorage) {
		return err
	}
	return l.fs.RemoveAll(l.dir)
}

// writeSnapshot writes the producer state at the log end offset and
// keeps only the two newest snapshots. Caller holds appendMu.
func (l *Log) writeSnapshot() error {
	l.mu.RLock()
	leo := l.leo
	l.mu.RUnlock()
	// The aborted list first: a crash between the two leaves a snapshot
	// older than the list, and replaying from it re-adds nothing twice.
	if err := l.writeAbortedTxns(); err != nil {
		return err
	}
	if err := writeAtomic(l.fs, l.dir, fileName(l.dir, leo, snapshotSuffix), l.producers.encode(l.OpenTransactions())); err != nil {
		return err
	}
	offs, err := l.snapshotOffsets()
	if err != nil {
		return err
	}
	for i := 0; i < len(offs)-2; i++ {
		if err := l.fs.Remove(fileName(l.dir, offs[i], snapshotSuffix)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// truncateEpochsFromEnd drops epochs starting at or after end. Caller
// holds mu for writing or owns l alone.
func (l *Log) truncateEpochsFromEnd(end int64) bool {
	n := len(l.epochs)
	for n > 0 && l.epochs[n-1].start >= end {
		n--
	}
	changed := n != len(l.epochs)
	l.epochs = l.epochs[:n:n]
	return changed
}

// EndOffsetForEpoch answers OffsetForLeaderEpoch with Kafka's semantics:
// the largest known epoch <= epoch and the start offset of the next
// higher epoch (the log end offset for the latest epoch); -1, -1 if the
// requested epoch is above every known epoch or none is known.
func (l *Log) EndOffsetForEpoch(epoch int32) (endOffset int64, foundEpoch int32) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	es := l.epochs
	if len(es) == 0 || epoch < 0 {
		return -1, -1
	}
	if last := es[len(es)-1]; epoch == last.epoch {
		return l.leo, last.epoch
	}
	hi := sort.Search(len(es), func(i int) bool { return es[i].epoch > epoch })
	if hi == len(es) {
		return -1, -1
	}
	if hi == 0 {
		// Older than any known epoch: Kafka answers with the requested
		// epoch and the start of the first higher one.
		return es[0].start, epoch
	}
	return es[hi].start, es[hi-1].epoch
}
