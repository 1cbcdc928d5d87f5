package vfs

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func writeFile(t *testing.T, fsys FS, name, data string, sync bool) File {
	t.Helper()
	f, err := fsys.OpenFile(name, os.O_CREATE|os.O_RDWR|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte(data)); err != nil {
		t.Fatal(err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func readFile(t *testing.T, fsys FS, name string) (string, error) {
	t.Helper()
	f, err := fsys.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	return string(b), err
}

// TestBasics runs the same checks on the OS filesystem and MemFS.
func TestBasics(t *testing.T) {
	for name, mk := range map[string]func(t *testing.T) (FS, string){
		"os":  func(t *testing.T) (FS, string) { return Default, t.TempDir() },
		"mem": func(t *testing.T) (FS, string) { return NewMem(), "/data" },
	} {
		t.Run(name, func(t *testing.T) {
			fsys, root := mk(t)
			dir := filepath.Join(root, "a", "b")
			if err := fsys.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			f := writeFile(t, fsys, filepath.Join(dir, "x"), "hello", false)
			if _, err := f.WriteAt([]byte("J"), 0); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 3)
			if n, err := f.ReadAt(buf, 3); n != 2 || err != io.EOF || string(buf[:n]) != "lo" {
				t.Fatalf("ReadAt = %d %v %q", n, err, buf[:n])
			}
			if err := f.Truncate(2); err != nil {
				t.Fatal(err)
			}
			if fi, err := f.Stat(); err != nil || fi.Size() != 2 {
				t.Fatalf("Stat = %v %v", fi, err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			if got, _ := readFile(t, fsys, filepath.Join(dir, "x")); got != "Je" {
				t.Fatalf("content %q", got)
			}
			if err := fsys.Rename(filepath.Join(dir, "x"), filepath.Join(dir, "y")); err != nil {
				t.Fatal(err)
			}
			ents, err := fsys.ReadDir(dir)
			if err != nil || len(ents) != 1 || ents[0].Name() != "y" {
				t.Fatalf("ReadDir = %v %v", ents, err)
			}
			if _, err := fsys.Stat(filepath.Join(dir, "x")); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("stat removed: %v", err)
			}
			if _, err := fsys.OpenFile(filepath.Join(dir, "y"), os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o644); !errors.Is(err, fs.ErrExist) {
				t.Fatalf("O_EXCL: %v", err)
			}
			if err := fsys.SyncDir(dir); err != nil {
				t.Fatal(err)
			}
			if err := fsys.Remove(filepath.Join(dir, "y")); err != nil {
				t.Fatal(err)
			}
			if err := fsys.RemoveAll(filepath.Join(root, "a")); err != nil {
				t.Fatal(err)
			}
			if _, err := fsys.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("stat after RemoveAll: %v", err)
			}
		})
	}
}

func TestMemCrashClone(t *testing.T) {
	m := NewMem()
	if err := m.MkdirAll("/d", 0o755); err != nil {
		t.Fatal(err)
	}
	// Synced data, synced entry: survives.
	f := writeFile(t, m, "/d/synced", "abc", true)
	if _, err := f.Write([]byte("def")); err != nil { // not synced: lost
		t.Fatal(err)
	}
	// Unsynced data, synced entry: file survives empty.
	writeFile(t, m, "/d/nodata", "xyz", false)
	if err := m.SyncDir("/d"); err != nil {
		t.Fatal(err)
	}
	// Synced data but entry never synced: vanishes.
	writeFile(t, m, "/d/noentry", "qqq", true)
	// Rename after SyncDir without another SyncDir: old name survives.
	if err := m.Rename("/d/nodata", "/d/renamed"); err != nil {
		t.Fatal(err)
	}

	c := m.CrashClone()
	if got, err := readFile(t, c, "/d/synced"); err != nil || got != "abc" {
		t.Fatalf("synced = %q %v", got, err)
	}
	if got, err := readFile(t, c, "/d/nodata"); err != nil || got != "" {
		t.Fatalf("nodata = %q %v", got, err)
	}
	for _, n := range []string{"/d/noentry", "/d/renamed"} {
		if _, err := c.Stat(n); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%s survived the crash: %v", n, err)
		}
	}
	// The original is unaffected.
	if got, _ := readFile(t, m, "/d/synced"); got != "abcdef" {
		t.Fatalf("original = %q", got)
	}

	// After SyncDir the rename and new file are durable.
	if err := m.SyncDir("/d"); err != nil {
		t.Fatal(err)
	}
	c = m.CrashClone()
	if got, err := readFile(t, c, "/d/noentry"); err != nil || got != "qqq" {
		t.Fatalf("noentry = %q %v", got, err)
	}
	if _, err := c.Stat("/d/nodata"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("old name survived a synced rename: %v", err)
	}
	// Truncation is only durable after Sync.
	f2, _ := m.OpenFile("/d/noentry", os.O_RDWR, 0)
	if err := f2.Truncate(1); err != nil {
		t.Fatal(err)
	}
	if got, _ := readFile(t, m.CrashClone(), "/d/noentry"); got != "qqq" {
		t.Fatalf("unsynced truncate durable: %q", got)
	}
	if err := f2.Sync(); err != nil {
		t.Fatal(err)
	}
	if got, _ := readFile(t, m.CrashClone(), "/d/noentry"); got != "q" {
		t.Fatalf("synced truncate lost: %q", got)
	}
}

func TestMemOpenHandleSurvivesRemove(t *testing.T) {
	m := NewMem()
	f := writeFile(t, m, "/f", "data", false)
	if err := m.Remove("/f"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := f.ReadAt(buf, 0); err != nil || string(buf) != "data" {
		t.Fatalf("read after remove: %q %v", buf, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReadAt(buf, 0); !errors.Is(err, fs.ErrClosed) {
		t.Fatalf("read after close: %v", err)
	}
}

func TestFaulty(t *testing.T) {
	var failWrites bool
	f := NewFaulty(NewMem(), func(op Op, path string) error {
		switch {
		case op == OpWrite && failWrites && path == "/x":
			return syscall.ENOSPC
		case op == OpSync && path == "/x":
			return syscall.EIO
		case op == OpRename:
			return syscall.EROFS
		}
		return nil
	})
	file, err := f.OpenFile("/x", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := file.Write([]byte("ok")); err != nil {
		t.Fatal(err)
	}
	failWrites = true
	if _, err := file.WriteAt([]byte("no"), 2); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("WriteAt err = %v", err)
	}
	if err := file.Sync(); !errors.Is(err, syscall.EIO) {
		t.Fatalf("Sync err = %v", err)
	}
	if err := f.Rename("/x", "/y"); !errors.Is(err, syscall.EROFS) {
		t.Fatalf("Rename err = %v", err)
	}
	buf := make([]byte, 4)
	n, _ := file.ReadAt(buf, 0)
	if string(buf[:n]) != "ok" {
		t.Fatalf("content after failed write = %q", buf[:n])
	}
}
