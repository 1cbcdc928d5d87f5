package log

import (
	"errors"
	"fmt"
	"io"

	"strom/internal/record"
	"strom/internal/vfs"
)

// scanChunk is how much a scan reads per call: large enough that small
// batches cost a fraction of a syscall each.
const scanChunk = 1 << 20

// errStop ends a scan early without being an error.
var errStop = errors.New("stop")

// scanBatches walks the batches of f between positions start and end.
// With full, each batch is read whole and validated (framing, CRC, record
// count); otherwise only headers are parsed. fn may return errStop to end
// the walk, or another error to mark the batch invalid.
//
// It returns the position after the last valid batch, a non-nil invalid
// describing why the walk stopped early at bad data (a torn or corrupt
// tail), and ioErr for read failures.
func scanBatches(f vfs.File, start, end int64, full bool, fn func(h record.Header, pos int64, batch []byte) error) (validEnd int64, invalid, ioErr error) {
	return scanBatchesChunk(f, start, end, scanChunk, full, fn)
}

// scanBatchesChunk is scanBatches reading chunk bytes at a time; lookups
// that expect to stop soon use a small chunk.
func scanBatchesChunk(f vfs.File, start, end, chunk int64, full bool, fn func(h record.Header, pos int64, batch []byte) error) (validEnd int64, invalid, ioErr error) {
	var (
		buf      []byte
		bufStart int64 // file position of buf[0]
	)
	// window returns the bytes [pos, pos+n), reading if needed.
	window := func(pos int64, n int) ([]byte, error) {
		if pos >= bufStart && pos+int64(n) <= bufStart+int64(len(buf)) {
			return buf[pos-bufStart : pos-bufStart+int64(n)], nil
		}
		want := min(max(int64(n), chunk), end-pos)
		if int64(cap(buf)) < want {
			buf = make([]byte, want)
		}
		buf = buf[:want]
		m, err := f.ReadAt(buf, pos)
		if err != nil && !(errors.Is(err, io.EOF) && m == len(buf)) {
			if errors.Is(err, io.EOF) {
				buf, bufStart = buf[:m], pos
				if m < n {
					return nil, io.ErrUnexpectedEOF
				}
				return buf[:n], nil
			}
			return nil, err
		}
		bufStart = pos
		return buf[:n], nil
	}
	pos := start
	for pos < end {
		if end-pos < record.HeaderSize {
			return pos, fmt.Errorf("%w: %d trailing bytes, less than a batch header", ErrCorrupt, end-pos), nil
		}
		hb, err := window(pos, record.HeaderSize)
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return pos, fmt.Errorf("%w: file shorter than expected", ErrCorrupt), nil
			}
			return pos, nil, err
		}
		h, err := record.ParseHeader(hb)
		if err != nil {
			return pos, fmt.Errorf("%w: at position %d: %w", ErrCorrupt, pos, err), nil
		}
		size := int64(h.Size())
		if pos+size > end {
			return pos, fmt.Errorf("%w: batch at position %d of %d bytes runs past the end", ErrCorrupt, pos, size), nil
		}
		var batch []byte
		if full {
			if batch, err = window(pos, int(size)); err != nil {
				if errors.Is(err, io.ErrUnexpectedEOF) {
					return pos, fmt.Errorf("%w: file shorter than expected", ErrCorrupt), nil
				}
				return pos, nil, err
			}
			// validateStored, not record.Validate: compacted batches hold
			// fewer records than their offset range (or none).
			if h, err = validateStored(batch); err != nil {
				return pos, fmt.Errorf("%w: at position %d: %w", ErrCorrupt, pos, err), nil
			}
		}
		if err := fn(h, pos, batch); err != nil {
			if errors.Is(err, errStop) {
				return pos, nil, nil
			}
			return pos, err, nil
		}
		pos += size
	}
	return pos, nil, nil
}
