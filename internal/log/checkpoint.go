package log

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"strom/internal/vfs"
)

// File names of the per-partition checkpoints.
const (
	startOffsetFile = "log-start-offset-checkpoint"
	epochFile       = "leader-epoch-checkpoint"
)

// epochEntry says that leader epoch starts at offset start.
type epochEntry struct {
	epoch int32
	start int64
}

// Checkpoint files use Kafka's text layout: a version line (0), a count
// line, then one entry per line with fields separated by a space.
func encodeCheckpoint(lines []string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "0\n%d\n", len(lines))
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// readCheckpoint returns the entry lines, or nil if the file is missing.
func readCheckpoint(fsys vfs.FS, name string) ([][]string, error) {
	b, err := readWhole(fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) < 2 || lines[0] != "0" {
		return nil, fmt.Errorf("%w: checkpoint %s: bad header", ErrCorrupt, filepath.Base(name))
	}
	n, err := strconv.Atoi(lines[1])
	if err != nil || n != len(lines)-2 {
		return nil, fmt.Errorf("%w: checkpoint %s: bad count", ErrCorrupt, filepath.Base(name))
	}
	out := make([][]string, 0, n)
	for _, l := range lines[2:] {
		out = append(out, strings.Fields(l))
	}
	return out, nil
}

func writeStartOffset(fsys vfs.FS, dir string, off int64) error {
	return writeAtomic(fsys, dir, filepath.Join(dir, startOffsetFile), encodeCheckpoint([]string{strconv.FormatInt(off, 10)}))
}

func readStartOffset(fsys vfs.FS, dir string) (int64, error) {
	lines, err := readCheckpoint(fsys, filepath.Join(dir, startOffsetFile))
	if err != nil || len(lines) == 0 {
		return 0, err
	}
	if len(lines[0]) != 1 {
		return 0, fmt.Errorf("%w: start offset checkpoint", ErrCorrupt)
	}
	off, err := strconv.ParseInt(lines[0][0], 10, 64)
	if err != nil || off < 0 {
		return 0, fmt.Errorf("%w: start offset checkpoint", ErrCorrupt)
	}
	return off, nil
}

func writeEpochs(fsys vfs.FS, dir string, es []epochEntry) error {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = fmt.Sprintf("%d %d", e.epoch, e.start)
	}
	return writeAtomic(fsys, dir, filepath.Join(dir, epochFile), encodeCheckpoint(lines))
}

func readEpochs(fsys vfs.FS, dir string) ([]epochEntry, error) {
	lines, err := readCheckpoint(fsys, filepath.Join(dir, epochFile))
	if err != nil {
		return nil, err
	}
	es := make([]epochEntry, 0, len(lines))
	for _, l := range lines {
		if len(l) != 2 {
			return nil, fmt.Errorf("%w: leader epoch checkpoint", ErrCorrupt)
		}
		ep, err1 := strconv.ParseInt(l[0], 10, 32)
		st, err2 := strconv.ParseInt(l[1], 10, 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%w: leader epoch checkpoint", ErrCorrupt)
		}
		es = append(es, epochEntry{epoch: int32(ep), start: st})
	}
	sort.Slice(es, func(i, j int) bool { return es[i].epoch < es[j].epoch })
	return es, nil
}
