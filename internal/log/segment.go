package log

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"strom/internal/record"
	"strom/internal/vfs"
)

// File name suffixes in a partition directory.
const (
	logSuffix       = ".log"
	indexSuffix     = ".index"
	timeIndexSuffix = ".timeindex"
	snapshotSuffix  = ".snapshot"
	tmpSuffix       = ".tmp"
)

func fileName(dir string, off int64, suffix string) string {
	return filepath.Join(dir, fmt.Sprintf("%020d%s", off, suffix))
}

// segment is one log file and its indexes. Fields after refs are guarded
// by Log.mu: the appender changes them under the write lock, readers copy
// what they need under the read lock and then do I/O without it. Index
// slices are only ever appended to or replaced, never changed in place,
// so a copied slice header stays valid.
type segment struct {
	base int64
	f    vfs.File // the .log file, open read-write
	// refs counts users of f: one for the Log's list, one per in-flight
	// read or sync. The file is closed when it drops to zero.
	refs   atomic.Int32
	loadMu sync.Mutex // serialises lazy loading of old segments' indexes

	size            int64
	loaded          bool // idx, tidx, maxTs, maxTsOff are valid
	idx             []offsetEntry
	tidx            []timeEntry
	maxTs           int64 // largest batch max timestamp, -1 if none
	maxTsOff        int64 // base offset of the batch holding maxTs
	bytesSinceIndex int64
	firstAppendMs   int64 // when the first batch arrived, for segment.ms; -1 unknown
}

func newSegment(base int64, f vfs.File, size int64) *segment {
	s := &segment{base: base, f: f, size: size, maxTs: -1, maxTsOff: -1, firstAppendMs: -1}
	s.refs.Store(1)
	return s
}

// acquire takes a reference; callers hold Log.mu (read or write) so the
// list's reference cannot drop concurrently.
func (s *segment) acquire() { s.refs.Add(1) }

// release drops a reference and closes the file on the last one.
func (s *segment) release() {
	if s.refs.Add(-1) == 0 {
		s.f.Close()
	}
}

// track updates the in-memory indexes for a batch appended at pos, with
// Kafka's rules: an offset index entry (and a time index entry if the max
// timestamp grew) once more than the interval has been appended since the
// last entry. The caller holds Log.mu for writing (or owns s alone).
func (s *segment) track(h record.Header, pos int64, interval int32) {
	if h.MaxTimestamp > s.maxTs {
		s.maxTs, s.maxTsOff = h.MaxTimestamp, h.BaseOffset
	}
	if s.bytesSinceIndex >= int64(interval) {
		s.idx = append(s.idx, offsetEntry{rel: uint32(h.BaseOffset - s.base), pos: uint32(pos)})
		s.appendTimeEntry()
		s.bytesSinceIndex = 0
	}
	s.bytesSinceIndex += int64(h.Size())
}

// appendTimeEntry adds the running max timestamp to the time index if it
// grew past the last entry.
func (s *segment) appendTimeEntry() {
	if s.maxTs < 0 {
		return
	}
	if n := len(s.tidx); n > 0 && s.tidx[n-1].ts >= s.maxTs {
		return
	}
	s.tidx = append(s.tidx, timeEntry{ts: s.maxTs, rel: uint32(s.maxTsOff - s.base)})
}

// indexFull reports whether either index has reached maxBytes.
func (s *segment) indexFull(maxBytes int32) bool {
	return int64(len(s.idx)+1)*offsetEntrySize > int64(maxBytes) ||
		int64(len(s.tidx)+1)*timeEntrySize > int64(maxBytes)
}

// scanResult is what a full scan of a segment learns.
type scanResult struct {
	validEnd      int64
	next          int64 // offset after the last valid batch, base if none
	idx           []offsetEntry
	tidx          []timeEntry
	maxTs         int64
	maxTsOff      int64
	bytesSince    int64
	firstBatchTs  int64
	invalidReason error
}

// scanSegment rebuilds a segment's indexes by walking its batches from
// the start. With full it validates every batch and stops at the first
// bad one; batches must also have increasing offsets not below base.
func scanSegment(f vfs.File, base, end int64, full bool, interval int32) (scanResult, error) {
	tmp := newSegment(base, f, 0)
	next := base
	firstTs := int64(-1)
	validEnd, invalid, err := scanBatches(f, 0, end, full, func(h record.Header, pos int64, _ []byte) error {
		if h.BaseOffset < next || h.LastOffsetDelta < 0 || h.LastOffset()-base > 1<<32-1 {
			return fmt.Errorf("%w: batch at position %d has base offset %d, expected at least %d", ErrCorrupt, pos, h.BaseOffset, next)
		}
		if firstTs < 0 {
			firstTs = h.MaxTimestamp
		}
		tmp.track(h, pos, interval)
		next = h.LastOffset() + 1
		return nil
	})
	if err != nil {
		return scanResult{}, err
	}
	return scanResult{
		validEnd: validEnd, next: next, idx: tmp.idx, tidx: tmp.tidx,
		maxTs: tmp.maxTs, maxTsOff: tmp.maxTsOff, bytesSince: tmp.bytesSinceIndex,
		firstBatchTs: firstTs, invalidReason: invalid,
	}, nil
}

// loadedIndexes is an old segment's index state, loaded lazily.
type loadedIndexes struct {
	idx      []offsetEntry
	tidx     []timeEntry
	maxTs    int64
	maxTsOff int64
}

// loadIndexes reads an old segment's index files, trusting them unless
// they are missing or damaged, in which case it rebuilds them from the log
// and rewrites the files. limit is the next segment's base offset.
func loadIndexes(fsys vfs.FS, dir string, s *segment, size, limit int64, interval int32) (loadedIndexes, bool, error) {
	limitRel := uint64(limit - s.base)
	ib, ierr := readWhole(fsys, fileName(dir, s.base, indexSuffix))
	tb, terr := readWhole(fsys, fileName(dir, s.base, timeIndexSuffix))
	if ierr == nil && terr == nil {
		idx, ok1 := decodeOffsetIndex(ib, size, limitRel)
		tidx, ok2 := decodeTimeIndex(tb, limitRel)
		if ok1 && ok2 {
			li := loadedIndexes{idx: idx, tidx: tidx, maxTs: -1, maxTsOff: -1}
			if n := len(tidx); n > 0 {
				li.maxTs, li.maxTsOff = tidx[n-1].ts, s.base+int64(tidx[n-1].rel)
			}
			return li, false, nil
		}
	} else if !errors.Is(ierr, fs.ErrNotExist) && ierr != nil {
		return loadedIndexes{}, false, ierr
	} else if !errors.Is(terr, fs.ErrNotExist) && terr != nil {
		return loadedIndexes{}, false, terr
	}
	// Missing or damaged: rebuild from the log itself.
	r, err := scanSegment(s.f, s.base, size, false, interval)
	if err != nil {
		return loadedIndexes{}, false, err
	}
	tmp := &segment{base: s.base, tidx: r.tidx, maxTs: r.maxTs, maxTsOff: r.maxTsOff}
	tmp.appendTimeEntry()
	li := loadedIndexes{idx: r.idx, tidx: tmp.tidx, maxTs: r.maxTs, maxTsOff: r.maxTsOff}
	if err := writeIndexFiles(fsys, dir, s.base, li.idx, li.tidx); err != nil {
		return loadedIndexes{}, false, err
	}
	return li, true, nil
}

// writeIndexFiles replaces a segment's index files with the given
// entries and fsyncs them.
func writeIndexFiles(fsys vfs.FS, dir string, base int64, idx []offsetEntry, tidx []timeEntry) error {
	if err := writeWhole(fsys, fileName(dir, base, indexSuffix), encodeOffsetIndex(idx)); err != nil {
		return err
	}
	return writeWhole(fsys, fileName(dir, base, timeIndexSuffix), encodeTimeIndex(tidx))
}

func readWhole(fsys vfs.FS, name string) ([]byte, error) {
	f, err := fsys.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	b := make([]byte, fi.Size())
	if _, err := f.ReadAt(b, 0); err != nil && len(b) > 0 {
		return nil, err
	}
	return b, nil
}

// writeWhole writes b as the whole content of name and fsyncs it.
func writeWhole(fsys vfs.FS, name string, b []byte) error {
	f, err := fsys.OpenFile(name, os.O_CREATE|os.O_RDWR|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(b, 0); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeAtomic replaces name with b durably: temp file, fsync, rename,
// fsync of the directory.
func writeAtomic(fsys vfs.FS, dir, name string, b []byte) error {
	tmp := name + tmpSuffix
	if err := writeWhole(fsys, tmp, b); err != nil {
		return err
	}
	if err := fsys.Rename(tmp, name); err != nil {
		return err
	}
	return fsys.SyncDir(dir)
}
