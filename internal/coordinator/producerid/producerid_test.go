package producerid

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"strom/internal/vfs"
)

func mustNext(t *testing.T, a *Allocator) int64 {
	t.Helper()
	id, err := a.Next()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestUniqueAcrossRestarts(t *testing.T) {
	for _, tc := range []struct {
		name string
		fs   func(t *testing.T) (vfs.FS, string)
	}{
		{"os", func(t *testing.T) (vfs.FS, string) { return vfs.Default, t.TempDir() }},
		{"mem", func(t *testing.T) (vfs.FS, string) { return vfs.NewMem(), "/data" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys, dir := tc.fs(t)
			seen := map[int64]bool{}
			for run := 0; run < 3; run++ {
				a, err := Open(fsys, dir)
				if err != nil {
					t.Fatal(err)
				}
				// Cross a block boundary in some runs but not others.
				n := 10 + run*BlockSize
				for i := 0; i < n; i++ {
					id := mustNext(t, a)
					if seen[id] {
						t.Fatalf("run %d: id %d handed out twice", run, id)
					}
					if id < 0 {
						t.Fatalf("negative id %d", id)
					}
					seen[id] = true
				}
			}
		})
	}
}

func TestFirstIDsAreSequential(t *testing.T) {
	a, err := Open(vfs.NewMem(), "/d")
	if err != nil {
		t.Fatal(err)
	}
	for want := int64(0); want < 3; want++ {
		if got := mustNext(t, a); got != want {
			t.Fatalf("got %d, want %d", got, want)
		}
	}
}

// A power loss right after Next returned must not lead to the same id
// being handed out again: the reservation was synced first.
func TestCrashKeepsReservation(t *testing.T) {
	mem := vfs.NewMem()
	a, err := Open(mem, "/d")
	if err != nil {
		t.Fatal(err)
	}
	last := int64(-1)
	for i := 0; i < BlockSize+5; i++ {
		last = mustNext(t, a)
	}
	crashed := mem.CrashClone()
	b, err := Open(crashed, "/d")
	if err != nil {
		t.Fatal(err)
	}
	if id := mustNext(t, b); id <= last {
		t.Fatalf("after crash got id %d, last before crash %d", id, last)
	}
}

func TestSyncFailureIsSticky(t *testing.T) {
	var mu sync.Mutex
	fail := false
	fsys := vfs.NewFaulty(vfs.NewMem(), func(op vfs.Op, path string) error {
		mu.Lock()
		defer mu.Unlock()
		if fail && op == vfs.OpSync {
			return syscall.EIO
		}
		return nil
	})
	a, err := Open(fsys, "/d")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < BlockSize; i++ {
		mustNext(t, a)
	}
	mu.Lock()
	fail = true
	mu.Unlock()
	if _, err := a.Next(); !errors.Is(err, syscall.EIO) {
		t.Fatalf("got %v, want EIO", err)
	}
	mu.Lock()
	fail = false
	mu.Unlock()
	if _, err := a.Next(); !errors.Is(err, syscall.EIO) {
		t.Fatalf("failure not sticky: %v", err)
	}
}

func TestCorruptFileRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"short", []byte("SPID")},
		{"bad magic", []byte("XXXX\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")},
		{"bad crc", []byte("SPID\x00\xe8\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")},
		{"too long", make([]byte, recordSize+3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, FileName), tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := Open(vfs.Default, dir); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("got %v, want ErrCorrupt", err)
			}
		})
	}
}

func TestConcurrentNextUnique(t *testing.T) {
	a, err := Open(vfs.NewMem(), "/d")
	if err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 600
	ids := make(chan int64, workers*each)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				id, err := a.Next()
				if err != nil {
					t.Error(err)
					return
				}
				ids <- id
			}
		}()
	}
	wg.Wait()
	close(ids)
	seen := map[int64]bool{}
	for id := range ids {
		if seen[id] {
			t.Fatalf("duplicate id %d", id)
		}
		seen[id] = true
	}
	if len(seen) != workers*each {
		t.Fatalf("got %d ids", len(seen))
	}
}
