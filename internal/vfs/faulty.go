package vfs

import (
	"os"
	"path/filepath"
)

// Op names a filesystem operation for fault injection.
type Op int

// Operations seen by the inject function of NewFaulty.
const (
	OpOpen Op = iota
	OpRead
	OpWrite
	OpSync
	OpTruncate
	OpClose
	OpStat
	OpRemove
	OpRemoveAll
	OpRename
	OpMkdirAll
	OpReadDir
	OpSyncDir
)

var opNames = [...]string{
	OpOpen: "open", OpRead: "read", OpWrite: "write", OpSync: "sync",
	OpTruncate: "truncate", OpClose: "close", OpStat: "stat", OpRemove: "remove",
	OpRemoveAll: "removeall", OpRename: "rename", OpMkdirAll: "mkdirall",
	OpReadDir: "readdir", OpSyncDir: "syncdir",
}

func (o Op) String() string {
	if o >= 0 && int(o) < len(opNames) {
		return opNames[o]
	}
	return "unknown"
}

// NewFaulty returns an FS that calls inject before every operation on inner
// (or on a file opened through it) and fails the operation with the
// returned error, wrapped in an *os.PathError, when it is non-nil. For
// Rename the path is the old path. inject may be called concurrently.
func NewFaulty(inner FS, inject func(op Op, path string) error) FS {
	return &faultyFS{inner: inner, inject: inject}
}

type faultyFS struct {
	inner  FS
	inject func(op Op, path string) error
}

func (f *faultyFS) fail(op Op, path string) error {
	if err := f.inject(op, filepath.Clean(path)); err != nil {
		return pathErr(op.String(), path, err)
	}
	return nil
}

func (f *faultyFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	if err := f.fail(OpOpen, name); err != nil {
		return nil, err
	}
	file, err := f.inner.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &faultyFile{File: file, fs: f, name: filepath.Clean(name)}, nil
}

func (f *faultyFS) Remove(name string) error {
	if err := f.fail(OpRemove, name); err != nil {
		return err
	}
	return f.inner.Remove(name)
}

func (f *faultyFS) RemoveAll(path string) error {
	if err := f.fail(OpRemoveAll, path); err != nil {
		return err
	}
	return f.inner.RemoveAll(path)
}

func (f *faultyFS) Rename(oldpath, newpath string) error {
	if err := f.fail(OpRename, oldpath); err != nil {
		return err
	}
	return f.inner.Rename(oldpath, newpath)
}

func (f *faultyFS) MkdirAll(path string, perm os.FileMode) error {
	if err := f.fail(OpMkdirAll, path); err != nil {
		return err
	}
	return f.inner.MkdirAll(path, perm)
}

func (f *faultyFS) ReadDir(name string) ([]os.DirEntry, error) {
	if err := f.fail(OpReadDir, name); err != nil {
		return nil, err
	}
	return f.inner.ReadDir(name)
}

func (f *faultyFS) Stat(name string) (os.FileInfo, error) {
	if err := f.fail(OpStat, name); err != nil {
		return nil, err
	}
	return f.inner.Stat(name)
}

func (f *faultyFS) SyncDir(dir string) error {
	if err := f.fail(OpSyncDir, dir); err != nil {
		return err
	}
	return f.inner.SyncDir(dir)
}

type faultyFile struct {
	File
	fs   *faultyFS
	name string
}

func (f *faultyFile) Read(p []byte) (int, error) {
	if err := f.fs.fail(OpRead, f.name); err != nil {
		return 0, err
	}
	return f.File.Read(p)
}

func (f *faultyFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.fs.fail(OpRead, f.name); err != nil {
		return 0, err
	}
	return f.File.ReadAt(p, off)
}

func (f *faultyFile) Write(p []byte) (int, error) {
	if err := f.fs.fail(OpWrite, f.name); err != nil {
		return 0, err
	}
	return f.File.Write(p)
}

func (f *faultyFile) WriteAt(p []byte, off int64) (int, error) {
	if err := f.fs.fail(OpWrite, f.name); err != nil {
		return 0, err
	}
	return f.File.WriteAt(p, off)
}

func (f *faultyFile) Sync() error {
	if err := f.fs.fail(OpSync, f.name); err != nil {
		return err
	}
	return f.File.Sync()
}

func (f *faultyFile) Truncate(size int64) error {
	if err := f.fs.fail(OpTruncate, f.name); err != nil {
		return err
	}
	return f.File.Truncate(size)
}

func (f *faultyFile) Stat() (os.FileInfo, error) {
	if err := f.fs.fail(OpStat, f.name); err != nil {
		return nil, err
	}
	return f.File.Stat()
}

func (f *faultyFile) Close() error {
	// The inner file is closed even when a fault is injected, so tests do
	// not leak descriptors.
	cerr := f.File.Close()
	if err := f.fs.fail(OpClose, f.name); err != nil {
		return err
	}
	return cerr
}
