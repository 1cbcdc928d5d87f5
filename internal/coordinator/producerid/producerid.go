package producerid

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sync"

	"strom/internal/vfs"
)

// BlockSize is how many ids one durable reservation covers, as in Kafka.
const BlockSize = 1000

// FileName is the allocator's state file inside its directory.
const FileName = "producer-ids"

const (
	magic      = "SPID"
	version    = 0
	recordSize = 4 + 1 + 8 + 4
)

var (
	// ErrCorrupt means the state file exists but cannot be trusted.
	ErrCorrupt = errors.New("producerid: corrupt state file")
	// ErrExhausted means the int64 id space is used up.
	ErrExhausted = errors.New("producerid: producer ids exhausted")
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Allocator hands out producer ids. See the package comment.
type Allocator struct {
	fs  vfs.FS
	dir string

	mu    sync.Mutex
	next  int64 // next id to hand out; guarded by mu
	limit int64 // first id not covered by the durable reservation; guarded by mu
	err   error // sticky reservation failure; guarded by mu
}

// Open loads the allocator state kept in dir, creating dir if needed. The
// first id handed out is the start of a fresh block past everything a
// previous run could have used.
func Open(fsys vfs.FS, dir string) (*Allocator, error) {
	if err := fsys.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("producerid: %w", err)
	}
	start, err := readState(fsys, filepath.Join(dir, FileName))
	if err != nil {
		return nil, err
	}
	return &Allocator{fs: fsys, dir: dir, next: start, limit: start}, nil
}

// Next returns a producer id never returned before by any Allocator on
// the same directory.
func (a *Allocator) Next() (int64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.next == a.limit {
		if err := a.reserveLocked(); err != nil {
			return -1, err
		}
	}
	id := a.next
	a.next++
	return id, nil
}

// reserveLocked makes the next block durable before any of its ids is
// used. A failed write is sticky: the file may now hold either value, and
// retrying on a disk that just failed an fsync is not trustworthy (the
// same reasoning as the raft driver stopping on a failed log write).
func (a *Allocator) reserveLocked() error {
	if a.err != nil {
		return a.err
	}
	if a.limit > math.MaxInt64-BlockSize {
		return ErrExhausted
	}
	limit := a.limit + BlockSize
	if err := writeState(a.fs, a.dir, limit); err != nil {
		a.err = fmt.Errorf("producerid: reserving ids up to %d: %w", limit, err)
		return a.err
	}
	a.limit = limit
	return nil
}

func readState(fsys vfs.FS, path string) (int64, error) {
	f, err := fsys.OpenFile(path, os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("producerid: %w", err)
	}
	defer f.Close()
	var buf [recordSize + 1]byte
	n, err := io.ReadFull(f, buf[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return 0, fmt.Errorf("producerid: reading %s: %w", path, err)
	}
	if n != recordSize {
		return 0, fmt.Errorf("%w: %s is %d bytes, want %d", ErrCorrupt, path, n, recordSize)
	}
	b := buf[:recordSize]
	if string(b[:4]) != magic || b[4] != version {
		return 0, fmt.Errorf("%w: %s: bad magic or version", ErrCorrupt, path)
	}
	if crc32.Checksum(b[:recordSize-4], castagnoli) != binary.LittleEndian.Uint32(b[recordSize-4:]) {
		return 0, fmt.Errorf("%w: %s: checksum mismatch", ErrCorrupt, path)
	}
	next := int64(binary.LittleEndian.Uint64(b[5:13]))
	if next < 0 {
		return 0, fmt.Errorf("%w: %s: negative block start %d", ErrCorrupt, path, next)
	}
	return next, nil
}

// writeState replaces the state file atomically: readers see either the
// old or the new reservation, never a torn one.
func writeState(fsys vfs.FS, dir string, next int64) error {
	var b [recordSize]byte
	copy(b[:4], magic)
	b[4] = version
	binary.LittleEndian.PutUint64(b[5:13], uint64(next))
	binary.LittleEndian.PutUint32(b[13:], crc32.Checksum(b[:13], castagnoli))

	tmp := filepath.Join(dir, FileName+".tmp")
	f, err := fsys.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b[:]); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := fsys.Rename(tmp, filepath.Join(dir, FileName)); err != nil {
		return err
	}
	return fsys.SyncDir(dir)
}
