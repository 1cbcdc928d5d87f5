package log

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"strom/internal/record"
)

// recoverSwaps runs at Open before the segments are listed. It discards
// the files of a cleaning that had not reached its commit point
// (*.cleaned, and .index/.timeindex .swap files without a .log.swap) and
// completes every committed swap: the segments the cleaned one replaces
// (base offsets in [swap base, swap next offset)) are deleted and the
// .swap files renamed into place. As in Kafka, an old segment whose base
// lies beyond the cleaned segment's last batch may survive a crash; it
// holds only records not yet superseded by anything removed, so the log
// stays correct, merely less compacted until the next round.
func (l *Log) recoverSwaps() error {
	ents, err := l.fs.ReadDir(l.dir)
	if err != nil {
		return err
	}
	var (
		logSwaps []int64
		segBases = map[int64]bool{}
		idxSwaps = map[string]bool{}
	)
	for _, e := range ents {
		name := e.Name()
		switch {
		case strings.HasSuffix(name, cleanedSuffix):
			if err := l.fs.Remove(filepath.Join(l.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		case strings.HasSuffix(name, logSuffix+swapSuffix):
			if off, err := strconv.ParseInt(strings.TrimSuffix(name, logSuffix+swapSuffix), 10, 64); err == nil && off >= 0 {
				logSwaps = append(logSwaps, off)
			}
		case strings.HasSuffix(name, swapSuffix):
			idxSwaps[name] = true
		case strings.HasSuffix(name, logSuffix):
			if off, err := strconv.ParseInt(strings.TrimSuffix(name, logSuffix), 10, 64); err == nil && off >= 0 {
				segBases[off] = true
			}
		}
	}
	committed := map[int64]bool{}
	for _, b := range logSwaps {
		committed[b] = true
	}
	for name := range idxSwaps {
		b, err := strconv.ParseInt(name[:strings.IndexByte(name, '.')], 10, 64)
		if err != nil || !committed[b] {
			if err := l.fs.Remove(filepath.Join(l.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	if len(logSwaps) == 0 {
		return nil
	}
	sort.Slice(logSwaps, func(i, j int) bool { return logSwaps[i] < logSwaps[j] })
	for _, b := range logSwaps {
		swap, final := swapNames(l.dir, b, swapSuffix), swapNames(l.dir, b, "")
		next, err := segmentNextOffset(l, swap[0], b)
		if err != nil {
			return fmt.Errorf("recover swap %d: %w", b, err)
		}
		for old := range segBases {
			if old > b && old < next {
				for _, n := range swapNames(l.dir, old, "") {
					if err := l.fs.Remove(n); err != nil && !errors.Is(err, fs.ErrNotExist) {
						return err
					}
				}
				delete(segBases, old)
			}
		}
		for _, i := range []int{1, 2} {
			if idxSwaps[filepath.Base(swap[i])] {
				if err := l.fs.Rename(swap[i], final[i]); err != nil {
					return err
				}
			} else if err := l.fs.Remove(final[i]); err != nil && !errors.Is(err, fs.ErrNotExist) {
				// Without its .swap the index may belong to the old
				// segment; it is rebuilt from the log when first used.
				return err
			}
		}
		if err := l.fs.Rename(swap[0], final[0]); err != nil {
			return err
		}
		segBases[b] = true
		l.logger.Info("completed interrupted compaction swap", "segment", b, "next_offset", next)
	}
	return l.fs.SyncDir(l.dir)
}

// segmentNextOffset is the offset after the last batch of the segment
// file name, or base if it holds none.
func segmentNextOffset(l *Log, name string, base int64) (int64, error) {
	f, err := l.fs.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	next := base
	_, invalid, err := scanBatches(f, 0, fi.Size(), false, func(h record.Header, _ int64, _ []byte) error {
		next = h.LastOffset() + 1
		return nil
	})
	if err != nil {
		return 0, err
	}
	if invalid != nil {
		// The file was fsynced before the commit point, so this is
		// damage, not a torn write.
		return 0, invalid
	}
	return next, nil
}

// loadCleanerOffset reads the cleaner checkpoint at Open, clamped to the
// recovered log end: data beyond it was lost and what replaces it has
// never been mapped.
func (l *Log) loadCleanerOffset() error {
	lines, err := readCheckpoint(l.fs, filepath.Join(l.dir, cleanerOffsetFile))
	if err != nil {
		return err
	}
	var off int64
	if len(lines) > 0 {
		if len(lines[0]) != 1 {
			return fmt.Errorf("%w: cleaner offset checkpoint", ErrCorrupt)
		}
		if off, err = strconv.ParseInt(lines[0][0], 10, 64); err != nil || off < 0 {
			return fmt.Errorf("%w: cleaner offset checkpoint", ErrCorrupt)
		}
	}
	l.clean.firstDirty = off
	return l.clampCleanerOffset()
}

// clampCleanerOffset lowers the cleaner checkpoint to the log end after
// a truncation and persists it before anything is appended again: new
// data at those offsets must be mapped before it counts as clean, or a
// tombstone in it could be dropped while older values of its key stay.
// Caller holds appendMu (or owns l alone).
func (l *Log) clampCleanerOffset() error {
	l.clean.truncs++
	l.mu.RLock()
	leo := l.leo
	l.mu.RUnlock()
	if l.clean.firstDirty <= leo {
		return nil
	}
	l.clean.firstDirty = leo
	return writeCleanerOffset(l, leo)
}

func writeCleanerOffset(l *Log, off int64) error {
	return writeAtomic(l.fs, l.dir, filepath.Join(l.dir, cleanerOffsetFile), encodeCheckpoint([]string{strconv.FormatInt(off, 10)}))
}
