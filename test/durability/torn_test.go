package durability

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"strom/test/harness"
)

type batchPos struct {
	pos, size  int64
	baseOffset int64
}

// activeSegment returns the newest .log file of a partition directory and
// the positions of the batches in it.
func activeSegment(t *testing.T, dir string) (string, []batchPos) {
	t.Helper()
	logs, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil || len(logs) == 0 {
		t.Fatalf("no segment in %s: %v", dir, err)
	}
	slices.Sort(logs) // names are 20-digit base offsets
	path := logs[len(logs)-1]
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []batchPos
	for pos := int64(0); pos+12 <= int64(len(data)); {
		size := 12 + int64(binary.BigEndian.Uint32(data[pos+8:]))
		if pos+size > int64(len(data)) {
			t.Fatalf("%s: batch at %d runs past the end before any damage", path, pos)
		}
		out = append(out, batchPos{pos, size, int64(binary.BigEndian.Uint64(data[pos:]))})
		pos += size
	}
	if len(out) < 2 {
		t.Fatalf("%s holds %d batches; the test needs at least 2", path, len(out))
	}
	return path, out
}

// TestTornTail damages the last batch of the active segment while the
// broker is stopped, as a crash mid-write would, then restarts it:
// everything before the damage must be readable, the broker must log the
// truncation, and a new produce must land at the first offset after
// what survived.
func TestTornTail(t *testing.T) {
	seed := testSeed(t)
	const batches, perBatch = 20, 5
	for _, tc := range []struct {
		name string
		// damage changes the segment file and reports whether the last
		// batch is lost.
		damage func(t *testing.T, rng *rand.Rand, path string, last batchPos) (lostLast bool)
	}{
		{"garbage appended", func(t *testing.T, rng *rand.Rand, path string, last batchPos) bool {
			junk := make([]byte, 1+rng.IntN(200))
			for i := range junk {
				junk[i] = byte(rng.Uint32())
			}
			appendFile(t, path, junk)
			return false
		}},
		{"zeros appended", func(t *testing.T, rng *rand.Rand, path string, last batchPos) bool {
			appendFile(t, path, make([]byte, 4096)) // preallocated, never written
			return false
		}},
		{"truncated mid-batch", func(t *testing.T, rng *rand.Rand, path string, last batchPos) bool {
			cut := last.pos + 1 + rng.Int64N(last.size-1)
			if err := os.Truncate(path, cut); err != nil {
				t.Fatal(err)
			}
			return true
		}},
		{"byte flipped in last batch", func(t *testing.T, rng *rand.Rand, path string, last batchPos) bool {
			// Anywhere the CRC covers: attributes (offset 21) to the end.
			at := last.pos + 21 + rng.Int64N(last.size-21)
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			b := make([]byte, 1)
			if _, err := f.ReadAt(b, at); err != nil {
				t.Fatal(err)
			}
			b[0] ^= byte(1 + rng.IntN(255))
			if _, err := f.WriteAt(b, at); err != nil {
				t.Fatal(err)
			}
			return true
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, uint64(len(tc.name))))
			p := harness.StartProcess(t)
			const topic = "torn"
			// Small segments, so the active segment is not the first one.
			createTopic(t, p.Addr, topic, 1, map[string]*string{"segment.bytes": strp("2048")})
			cl := newClient(t, p.Addr)
			var want []string
			ts := time.Now().UnixMilli()
			for b := 0; b < batches; b++ {
				vals := make([]string, perBatch)
				for i := range vals {
					vals[i] = fmt.Sprintf("b%02d-r%d-%s", b, i, strings.Repeat("v", 40))
				}
				if off := mustProduceRaw(t, cl, topic, 0, valuesBatch(ts, vals...)); off != int64(b*perBatch) {
					t.Fatalf("batch %d at offset %d", b, off)
				}
				want = append(want, vals...)
			}
			cl.Close()
			p.Stop()

			path, pos := activeSegment(t, filepath.Join(p.Dir, topic+"-0"))
			last := pos[len(pos)-1]
			if last.baseOffset != int64((batches-1)*perBatch) {
				t.Fatalf("last batch of %s has base offset %d", path, last.baseOffset)
			}
			if !strings.HasSuffix(path, fmt.Sprintf("%020d.log", pos[0].baseOffset)) || pos[0].baseOffset == 0 {
				t.Fatalf("active segment %s (first batch %d): expected a rolled log", path, pos[0].baseOffset)
			}
			if tc.damage(t, rng, path, last) {
				want = want[:last.baseOffset]
			}

			p.Restart()
			end := endOffsets(t, p.Addr, topic)[0]
			if end != int64(len(want)) {
				t.Fatalf("end offset %d after restart, want %d", end, len(want))
			}
			got := values(consumeRange(t, p.Addr, topic, 0, 0, end))
			if !slices.Equal(got, want) {
				t.Fatalf("after restart read %d records, want %d\n got %q\nwant %q", len(got), len(want), got, want)
			}
			if !strings.Contains(p.Output(), "truncating torn or corrupt log tail") {
				t.Errorf("no truncation log line in the broker output")
			}

			cl = newClient(t, p.Addr)
			if off := mustProduceRaw(t, cl, topic, 0, valuesBatch(ts, "after", "restart")); off != end {
				t.Fatalf("new batch at offset %d, want %d", off, end)
			}
			got = values(consumeRange(t, p.Addr, topic, 0, end-1, end+2))
			if want := []string{want[len(want)-1], "after", "restart"}; !slices.Equal(got, want) {
				t.Fatalf("around the repaired tail: %q, want %q", got, want)
			}
		})
	}
}

func appendFile(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
