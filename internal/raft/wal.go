package raft

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"strom/internal/vfs"
)

// WAL record framing (all integers little-endian):
//
//	+-------------+---------------+-----------+-------------------+
//	| len uint32  | crc32c uint32 | type byte | payload (len B)   |
//	+-------------+---------------+-----------+-------------------+
//
// crc32c covers the type byte and the payload. len counts the payload only.
const (
	recordHeaderLen = 9
	maxRecordLen    = 64 << 20 // larger lengths can only be garbage
)

// Record types.
const (
	recEntry     byte = 1 // payload: protobuf raftpb.Entry
	recHardState byte = 2 // payload: protobuf raftpb.HardState
	recSnapshot  byte = 3 // payload: protobuf raftpb.SnapshotMetadata of a snapshot file that exists; resets the log
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

const (
	segPrefix  = "wal-"
	segSuffix  = ".log"
	snapPrefix = "snap-"
	snapSuffix = ".snap"
	tmpSuffix  = ".tmp"
)

func segName(seq uint64) string { return fmt.Sprintf("%s%016x%s", segPrefix, seq, segSuffix) }

func snapName(term, index uint64) string {
	return fmt.Sprintf("%s%016x-%016x%s", snapPrefix, term, index, snapSuffix)
}

func appendRecord(buf []byte, typ byte, payload []byte) []byte {
	var h [recordHeaderLen]byte
	binary.LittleEndian.PutUint32(h[0:4], uint32(len(payload)))
	crc := crc32.Update(0, crcTable, []byte{typ})
	crc = crc32.Update(crc, crcTable, payload)
	binary.LittleEndian.PutUint32(h[4:8], crc)
	h[8] = typ
	buf = append(buf, h[:]...)
	return append(buf, payload...)
}

// errTorn reports a record that is incomplete or fails its checksum.
var errTorn = errors.New("torn record")

// nextRecord parses the record at the start of b. It returns errTorn if
// b does not start with a complete, intact record.
func nextRecord(b []byte) (typ byte, payload []byte, n int, err error) {
	if len(b) < recordHeaderLen {
		return 0, nil, 0, errTorn
	}
	l := binary.LittleEndian.Uint32(b[0:4])
	if l > maxRecordLen || int(l) > len(b)-recordHeaderLen {
		return 0, nil, 0, errTorn
	}
	typ = b[8]
	payload = b[recordHeaderLen : recordHeaderLen+int(l)]
	crc := crc32.Update(0, crcTable, []byte{typ})
	crc = crc32.Update(crc, crcTable, payload)
	if crc != binary.LittleEndian.Uint32(b[4:8]) || typ < recEntry || typ > recSnapshot {
		return 0, nil, 0, errTorn
	}
	return typ, payload, recordHeaderLen + int(l), nil
}

// wal is the append-only log of raft entries and hard states plus the
// snapshot files beside it. It is owned by the driver goroutine.
type wal struct {
	fs     vfs.FS
	dir    string
	logger *slog.Logger

	f    vfs.File // active segment, positioned at its end
	seq  uint64   // sequence number of the active segment
	segs []uint64 // all live segment sequence numbers, ascending
	buf  []byte
}

// recovered is what openWAL found on disk.
type recovered struct {
	snap *pb.Snapshot // nil if there is none
	hs   *pb.HardState
	ents []*pb.Entry // contiguous, all after snap's index
}

// openWAL recovers the log in dir, truncating a torn tail of the last
// segment, and opens the last segment for appending.
func openWAL(fsys vfs.FS, dir string, logger *slog.Logger) (*wal, *recovered, error) {
	if err := fsys.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("raft wal: mkdir %s: %w", dir, err)
	}
	des, err := fsys.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("raft wal: read dir %s: %w", dir, err)
	}
	w := &wal{fs: fsys, dir: dir, logger: logger}
	var snaps []string
	for _, de := range des {
		name := de.Name()
		switch {
		case strings.HasSuffix(name, tmpSuffix):
			// An interrupted snapshot or segment rewrite: never renamed,
			// so never part of the state.
			if err := fsys.Remove(filepath.Join(dir, name)); err != nil {
				return nil, nil, fmt.Errorf("raft wal: remove %s: %w", name, err)
			}
		case strings.HasPrefix(name, segPrefix) && strings.HasSuffix(name, segSuffix):
			seq, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, segPrefix), segSuffix), 16, 64)
			if err != nil {
				return nil, nil, fmt.Errorf("raft wal: %w: bad segment name %s", ErrCorrupt, name)
			}
			w.segs = append(w.segs, seq)
		case strings.HasPrefix(name, snapPrefix) && strings.HasSuffix(name, snapSuffix):
			snaps = append(snaps, name)
		}
	}
	slices.Sort(w.segs)
	slices.Sort(snaps) // term then index, zero-padded hex: lexical order is log order

	rec := &recovered{}
	if len(snaps) > 0 {
		name := snaps[len(snaps)-1]
		snap, err := w.readSnapshot(name)
		if err != nil {
			return nil, nil, err
		}
		rec.snap = snap
	}
	snapIndex := rec.snap.GetMetadata().GetIndex()
	var markerIndex uint64

	for i, seq := range w.segs {
		last := i == len(w.segs)-1
		name := filepath.Join(dir, segName(seq))
		data, err := readAll(fsys, name)
		if err != nil {
			return nil, nil, err
		}
		off := 0
		for off < len(data) {
			typ, payload, n, err := nextRecord(data[off:])
			if err != nil {
				if !last {
					return nil, nil, fmt.Errorf("raft wal: %w: bad record in %s at offset %d", ErrCorrupt, name, off)
				}
				logger.Warn("raft wal: truncating torn tail", "segment", name, "offset", off, "dropped_bytes", len(data)-off)
				if err := truncate(fsys, name, int64(off)); err != nil {
					return nil, nil, err
				}
				break
			}
			off += n
			switch typ {
			case recEntry:
				e := &pb.Entry{}
				if err := proto.Unmarshal(payload, e); err != nil {
					return nil, nil, fmt.Errorf("raft wal: %w: entry in %s: %v", ErrCorrupt, name, err)
				}
				idx := e.GetIndex()
				if idx <= snapIndex {
					continue // covered by the snapshot
				}
				lastIdx := snapIndex
				if len(rec.ents) > 0 {
					lastIdx = rec.ents[len(rec.ents)-1].GetIndex()
				}
				if idx > lastIdx+1 {
					return nil, nil, fmt.Errorf("raft wal: %w: gap in %s: entry %d after %d", ErrCorrupt, name, idx, lastIdx)
				}
				// A rewrite by a new leader: entries from idx on are replaced.
				rec.ents = append(rec.ents[:idx-snapIndex-1], e)
			case recHardState:
				hs := &pb.HardState{}
				if err := proto.Unmarshal(payload, hs); err != nil {
					return nil, nil, fmt.Errorf("raft wal: %w: hard state in %s: %v", ErrCorrupt, name, err)
				}
				rec.hs = hs
			case recSnapshot:
				md := &pb.SnapshotMetadata{}
				if err := proto.Unmarshal(payload, md); err != nil {
					return nil, nil, fmt.Errorf("raft wal: %w: snapshot marker in %s: %v", ErrCorrupt, name, err)
				}
				markerIndex = max(markerIndex, md.GetIndex())
				// A marker resets the log to its snapshot: what follows
				// it is the whole log after the snapshot (a compacted
				// segment rewrites those entries; a snapshot received
				// from the leader discards the old log, as
				// MemoryStorage.ApplySnapshot does).
				rec.ents = nil
			}
		}
	}
	if markerIndex > snapIndex {
		return nil, nil, fmt.Errorf("raft wal: %w: log refers to snapshot %d but newest snapshot file is at %d", ErrCorrupt, markerIndex, snapIndex)
	}
	lastIdx := snapIndex
	if len(rec.ents) > 0 {
		lastIdx = rec.ents[len(rec.ents)-1].GetIndex()
	}
	if rec.hs.GetCommit() > lastIdx {
		return nil, nil, fmt.Errorf("raft wal: %w: commit %d beyond log end %d", ErrCorrupt, rec.hs.GetCommit(), lastIdx)
	}

	if len(w.segs) == 0 {
		if err := w.createSegment(1, nil); err != nil {
			return nil, nil, err
		}
	} else {
		w.seq = w.segs[len(w.segs)-1]
		f, err := fsys.OpenFile(filepath.Join(dir, segName(w.seq)), os.O_RDWR, 0)
		if err != nil {
			return nil, nil, fmt.Errorf("raft wal: open segment: %w", err)
		}
		if _, err := f.Seek(0, io.SeekEnd); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("raft wal: seek segment: %w", err)
		}
		w.f = f
	}
	// Old snapshot files are kept only until a newer one is durable.
	for _, name := range snaps[:max(0, len(snaps)-1)] {
		if err := fsys.Remove(filepath.Join(dir, name)); err != nil {
			logger.Warn("raft wal: remove old snapshot", "file", name, "err", err)
		}
	}
	return w, rec, nil
}

func readAll(fsys vfs.FS, name string) ([]byte, error) {
	f, err := fsys.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("raft wal: open %s: %w", name, err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("raft wal: read %s: %w", name, err)
	}
	return data, nil
}

func truncate(fsys vfs.FS, name string, size int64) error {
	f, err := fsys.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("raft wal: open %s: %w", name, err)
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return fmt.Errorf("raft wal: truncate %s: %w", name, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("raft wal: sync %s: %w", name, err)
	}
	return f.Close()
}

// createSegment durably creates segment seq holding content (a sequence
// of framed records) and makes it the active segment. The segment is
// written under a temporary name and renamed, so a crash leaves either
// no segment or the complete one.
func (w *wal) createSegment(seq uint64, content []byte) error {
	final := filepath.Join(w.dir, segName(seq))
	tmp := final + tmpSuffix
	f, err := w.fs.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("raft wal: create segment: %w", err)
	}
	if _, err := f.Write(content); err != nil {
		f.Close()
		return fmt.Errorf("raft wal: write segment: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("raft wal: sync segment: %w", err)
	}
	if err := w.fs.Rename(tmp, final); err != nil {
		f.Close()
		return fmt.Errorf("raft wal: rename segment: %w", err)
	}
	if err := w.fs.SyncDir(w.dir); err != nil {
		f.Close()
		return fmt.Errorf("raft wal: sync dir: %w", err)
	}
	if w.f != nil {
		w.f.Close()
	}
	w.f, w.seq = f, seq
	w.segs = append(w.segs, seq)
	return nil
}

// save appends entries then the hard state, and syncs if mustSync.
// Entries precede the hard state so that no prefix of a torn write holds
// a commit index beyond the entries it kept.
func (w *wal) save(hs *pb.HardState, ents []*pb.Entry, mustSync bool) error {
	w.buf = w.buf[:0]
	for _, e := range ents {
		b, err := proto.Marshal(e)
		if err != nil {
			return fmt.Errorf("raft wal: marshal entry: %w", err)
		}
		w.buf = appendRecord(w.buf, recEntry, b)
	}
	if hs != nil {
		b, err := proto.Marshal(hs)
		if err != nil {
			return fmt.Errorf("raft wal: marshal hard state: %w", err)
		}
		w.buf = appendRecord(w.buf, recHardState, b)
	}
	if len(w.buf) == 0 {
		return nil
	}
	if _, err := w.f.Write(w.buf); err != nil {
		return fmt.Errorf("raft wal: append: %w", err)
	}
	if mustSync {
		if err := w.f.Sync(); err != nil {
			return fmt.Errorf("raft wal: sync: %w", err)
		}
	}
	return nil
}

// saveSnapshot durably writes snap to its own file (temporary name,
// sync, rename, sync dir). With resetLog (a snapshot received from the
// leader) it then appends a marker that resets the log to the snapshot.
// A locally taken snapshot passes false: its marker is written by
// compact, at the head of the segment that rewrites the entries after
// it, so a crash in between cannot drop entries from the log.
func (w *wal) saveSnapshot(snap *pb.Snapshot, resetLog bool) error {
	md := snap.GetMetadata()
	b, err := proto.Marshal(snap)
	if err != nil {
		return fmt.Errorf("raft snapshot: marshal: %w", err)
	}
	final := filepath.Join(w.dir, snapName(md.GetTerm(), md.GetIndex()))
	tmp := final + tmpSuffix
	f, err := w.fs.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("raft snapshot: create: %w", err)
	}
	_, err = f.Write(appendRecord(nil, recSnapshot, b))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = w.fs.Rename(tmp, final)
	}
	if err == nil {
		err = w.fs.SyncDir(w.dir)
	}
	if err != nil {
		return fmt.Errorf("raft snapshot: write %s: %w", final, err)
	}
	if !resetLog {
		return nil
	}
	mb, err := proto.Marshal(md)
	if err != nil {
		return fmt.Errorf("raft snapshot: marshal metadata: %w", err)
	}
	if _, err := w.f.Write(appendRecord(nil, recSnapshot, mb)); err != nil {
		return fmt.Errorf("raft wal: append snapshot marker: %w", err)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("raft wal: sync: %w", err)
	}
	return nil
}

// readSnapshot reads a snapshot file: one framed record holding a
// protobuf raftpb.Snapshot.
func (w *wal) readSnapshot(name string) (*pb.Snapshot, error) {
	data, err := readAll(w.fs, filepath.Join(w.dir, name))
	if err != nil {
		return nil, err
	}
	typ, payload, n, err := nextRecord(data)
	if err != nil || typ != recSnapshot || n != len(data) {
		return nil, fmt.Errorf("raft snapshot: %w: %s is damaged", ErrCorrupt, name)
	}
	snap := &pb.Snapshot{}
	if err := proto.Unmarshal(payload, snap); err != nil {
		return nil, fmt.Errorf("raft snapshot: %w: %s: %v", ErrCorrupt, name, err)
	}
	return snap, nil
}

// compact starts a new segment holding the marker of the snapshot at
// md, the hard state and the entries after the snapshot, then deletes
// the older segments and snapshot files. After a crash at any point the
// directory recovers to the same log.
func (w *wal) compact(md *pb.SnapshotMetadata, hs *pb.HardState, ents []*pb.Entry) error {
	var content []byte
	mb, err := proto.Marshal(md)
	if err != nil {
		return fmt.Errorf("raft wal: marshal metadata: %w", err)
	}
	content = appendRecord(content, recSnapshot, mb)
	for _, e := range ents {
		b, err := proto.Marshal(e)
		if err != nil {
			return fmt.Errorf("raft wal: marshal entry: %w", err)
		}
		content = appendRecord(content, recEntry, b)
	}
	if hs != nil {
		b, err := proto.Marshal(hs)
		if err != nil {
			return fmt.Errorf("raft wal: marshal hard state: %w", err)
		}
		content = appendRecord(content, recHardState, b)
	}
	old := slices.Clone(w.segs)
	if err := w.createSegment(w.seq+1, content); err != nil {
		return err
	}
	w.segs = []uint64{w.seq}
	for _, seq := range old {
		if err := w.fs.Remove(filepath.Join(w.dir, segName(seq))); err != nil {
			return fmt.Errorf("raft wal: remove old segment: %w", err)
		}
	}
	des, err := w.fs.ReadDir(w.dir)
	if err != nil {
		return fmt.Errorf("raft wal: read dir: %w", err)
	}
	keep := snapName(md.GetTerm(), md.GetIndex())
	for _, de := range des {
		n := de.Name()
		if strings.HasPrefix(n, snapPrefix) && strings.HasSuffix(n, snapSuffix) && n != keep {
			if err := w.fs.Remove(filepath.Join(w.dir, n)); err != nil {
				return fmt.Errorf("raft wal: remove old snapshot: %w", err)
			}
		}
	}
	if err := w.fs.SyncDir(w.dir); err != nil {
		return fmt.Errorf("raft wal: sync dir: %w", err)
	}
	return nil
}

func (w *wal) close() error {
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}
