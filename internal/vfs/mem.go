package vfs

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// MemFS is an in-memory FS that tracks durability so tests can simulate a
// power loss with CrashClone.
//
// The model: every file is a node holding its current data and the data as
// of its last Sync. The namespace exists twice: the current one (what
// OpenFile/ReadDir see) and the durable one (as of each directory's last
// SyncDir). Directories are durable when created.
type MemFS struct {
	mu      sync.Mutex
	dirs    map[string]time.Time // directory -> mod time
	files   map[string]*memNode  // current namespace
	durable map[string]*memNode  // namespace as of the last SyncDir per directory
}

type memNode struct {
	mu      sync.RWMutex
	data    []byte
	synced  []byte
	modTime time.Time
}

// NewMem returns an empty in-memory filesystem holding only the root "/"
// and the current directory ".".
func NewMem() *MemFS {
	now := time.Now()
	return &MemFS{
		dirs:    map[string]time.Time{"/": now, ".": now},
		files:   map[string]*memNode{},
		durable: map[string]*memNode{},
	}
}

// CrashClone returns a new MemFS holding only what was durable in m: files
// whose directory entry was synced with SyncDir, each with the contents of
// its last File.Sync. It simulates a power loss; m is left unchanged.
func (m *MemFS) CrashClone() *MemFS {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := &MemFS{
		dirs:    make(map[string]time.Time, len(m.dirs)),
		files:   make(map[string]*memNode, len(m.durable)),
		durable: make(map[string]*memNode, len(m.durable)),
	}
	for d, t := range m.dirs {
		c.dirs[d] = t
	}
	for p, n := range m.durable {
		n.mu.RLock()
		data := append([]byte(nil), n.synced...)
		mt := n.modTime
		n.mu.RUnlock()
		nn := &memNode{data: data, synced: append([]byte(nil), data...), modTime: mt}
		c.files[p] = nn
		c.durable[p] = nn
	}
	return c
}

func pathErr(op, name string, err error) error { return &os.PathError{Op: op, Path: name, Err: err} }

// parentExistsLocked reports whether the parent directory of p exists.
func (m *MemFS) parentExistsLocked(p string) bool {
	_, ok := m.dirs[filepath.Dir(p)]
	return ok
}

// OpenFile implements FS.
func (m *MemFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	name = filepath.Clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.dirs[name]; ok {
		return nil, pathErr("open", name, syscall.EISDIR)
	}
	n, ok := m.files[name]
	switch {
	case ok && flag&os.O_CREATE != 0 && flag&os.O_EXCL != 0:
		return nil, pathErr("open", name, fs.ErrExist)
	case !ok && flag&os.O_CREATE == 0:
		return nil, pathErr("open", name, fs.ErrNotExist)
	case !ok:
		if !m.parentExistsLocked(name) {
			return nil, pathErr("open", name, fs.ErrNotExist)
		}
		n = &memNode{modTime: time.Now()}
		m.files[name] = n
	}
	acc := flag & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR)
	f := &memFile{
		name:     name,
		node:     n,
		readable: acc == os.O_RDONLY || acc == os.O_RDWR,
		writable: acc == os.O_WRONLY || acc == os.O_RDWR,
		append:   flag&os.O_APPEND != 0,
	}
	if flag&os.O_TRUNC != 0 && f.writable {
		n.mu.Lock()
		n.data = n.data[:0:0]
		n.modTime = time.Now()
		n.mu.Unlock()
	}
	return f, nil
}

// Remove implements FS. Removing a directory that has entries fails.
func (m *MemFS) Remove(name string) error {
	name = filepath.Clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.files[name]; ok {
		delete(m.files, name)
		return nil
	}
	if _, ok := m.dirs[name]; ok {
		if m.hasChildrenLocked(name) {
			return pathErr("remove", name, syscall.ENOTEMPTY)
		}
		delete(m.dirs, name)
		return nil
	}
	return pathErr("remove", name, fs.ErrNotExist)
}

func isUnder(p, dir string) bool {
	if dir == "/" {
		return strings.HasPrefix(p, "/") && p != "/"
	}
	return strings.HasPrefix(p, dir+string(filepath.Separator))
}

func (m *MemFS) hasChildrenLocked(dir string) bool {
	for p := range m.files {
		if isUnder(p, dir) {
			return true
		}
	}
	for p := range m.dirs {
		if isUnder(p, dir) {
			return true
		}
	}
	return false
}

// RemoveAll implements FS. Removing directories is durable at once, like
// creating them; removing files needs SyncDir.
func (m *MemFS) RemoveAll(path string) error {
	path = filepath.Clean(path)
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.files, path)
	delete(m.dirs, path)
	for p := range m.files {
		if isUnder(p, path) {
			delete(m.files, p)
		}
	}
	for p := range m.durable {
		if isUnder(p, path) {
			delete(m.durable, p)
		}
	}
	for p := range m.dirs {
		if isUnder(p, path) {
			delete(m.dirs, p)
		}
	}
	return nil
}

// Rename implements FS for files and directories.
func (m *MemFS) Rename(oldpath, newpath string) error {
	oldpath, newpath = filepath.Clean(oldpath), filepath.Clean(newpath)
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.parentExistsLocked(newpath) {
		return pathErr("rename", newpath, fs.ErrNotExist)
	}
	if n, ok := m.files[oldpath]; ok {
		if _, isDir := m.dirs[newpath]; isDir {
			return pathErr("rename", newpath, syscall.EISDIR)
		}
		delete(m.files, oldpath)
		m.files[newpath] = n
		return nil
	}
	if _, ok := m.dirs[oldpath]; !ok {
		return pathErr("rename", oldpath, fs.ErrNotExist)
	}
	if _, ok := m.files[newpath]; ok {
		return pathErr("rename", newpath, syscall.ENOTDIR)
	}
	move := func(p string) string { return newpath + strings.TrimPrefix(p, oldpath) }
	for p, n := range m.files {
		if isUnder(p, oldpath) {
			delete(m.files, p)
			m.files[move(p)] = n
		}
	}
	for p, t := range m.dirs {
		if p == oldpath || isUnder(p, oldpath) {
			delete(m.dirs, p)
			m.dirs[move(p)] = t
		}
	}
	return nil
}

// MkdirAll implements FS.
func (m *MemFS) MkdirAll(path string, perm os.FileMode) error {
	path = filepath.Clean(path)
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	for p := path; ; p = filepath.Dir(p) {
		if _, ok := m.files[p]; ok {
			return pathErr("mkdir", p, syscall.ENOTDIR)
		}
		if _, ok := m.dirs[p]; ok {
			break
		}
		m.dirs[p] = now
		if p == filepath.Dir(p) {
			break
		}
	}
	return nil
}

// ReadDir implements FS.
func (m *MemFS) ReadDir(name string) ([]os.DirEntry, error) {
	name = filepath.Clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.dirs[name]; !ok {
		return nil, pathErr("readdir", name, fs.ErrNotExist)
	}
	var out []os.DirEntry
	for p, n := range m.files {
		if filepath.Dir(p) == name && p != name {
			out = append(out, memEntry{info: n.info(filepath.Base(p))})
		}
	}
	for p, t := range m.dirs {
		if filepath.Dir(p) == name && p != name {
			out = append(out, memEntry{info: memInfo{name: filepath.Base(p), dir: true, mod: t}})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

// Stat implements FS.
func (m *MemFS) Stat(name string) (os.FileInfo, error) {
	name = filepath.Clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if n, ok := m.files[name]; ok {
		return n.info(filepath.Base(name)), nil
	}
	if t, ok := m.dirs[name]; ok {
		return memInfo{name: filepath.Base(name), dir: true, mod: t}, nil
	}
	return nil, pathErr("stat", name, fs.ErrNotExist)
}

// SyncDir implements FS: the directory's durable entries become its
// current entries.
func (m *MemFS) SyncDir(dir string) error {
	dir = filepath.Clean(dir)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.dirs[dir]; !ok {
		return pathErr("syncdir", dir, fs.ErrNotExist)
	}
	for p := range m.durable {
		if filepath.Dir(p) == dir {
			delete(m.durable, p)
		}
	}
	for p, n := range m.files {
		if filepath.Dir(p) == dir {
			m.durable[p] = n
		}
	}
	return nil
}

func (n *memNode) info(name string) memInfo {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return memInfo{name: name, size: int64(len(n.data)), mod: n.modTime}
}

type memInfo struct {
	name string
	size int64
	dir  bool
	mod  time.Time
}

func (i memInfo) Name() string       { return i.name }
func (i memInfo) Size() int64        { return i.size }
func (i memInfo) ModTime() time.Time { return i.mod }
func (i memInfo) IsDir() bool        { return i.dir }
func (i memInfo) Sys() any           { return nil }
func (i memInfo) Mode() os.FileMode {
	if i.dir {
		return os.ModeDir | 0o755
	}
	return 0o644
}

type memEntry struct{ info memInfo }

func (e memEntry) Name() string               { return e.info.name }
func (e memEntry) IsDir() bool                { return e.info.dir }
func (e memEntry) Type() os.FileMode          { return e.info.Mode().Type() }
func (e memEntry) Info() (os.FileInfo, error) { return e.info, nil }

// memFile is an open handle. It keeps its node after the name is removed,
// like an open file descriptor on Unix.
type memFile struct {
	name     string
	node     *memNode
	readable bool
	writable bool
	append   bool

	mu     sync.Mutex // guards pos and closed
	pos    int64
	closed bool
}

func (f *memFile) check(op string, write bool) error {
	f.mu.Lock()
	closed := f.closed
	f.mu.Unlock()
	if closed {
		return pathErr(op, f.name, fs.ErrClosed)
	}
	if write && !f.writable || !write && !f.readable {
		return pathErr(op, f.name, syscall.EBADF)
	}
	return nil
}

func (f *memFile) Read(p []byte) (int, error) {
	if err := f.check("read", false); err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.node.readAt(p, f.pos)
	f.pos += int64(n)
	return n, err
}

func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.check("read", false); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, pathErr("readat", f.name, syscall.EINVAL)
	}
	n, err := f.node.readAt(p, off)
	if err == nil && n < len(p) {
		err = io.EOF
	}
	return n, err
}

func (n *memNode) readAt(p []byte, off int64) (int, error) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	if off >= int64(len(n.data)) {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	return copy(p, n.data[off:]), nil
}

func (n *memNode) writeAt(p []byte, off int64, appendMode bool) int64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	if appendMode {
		off = int64(len(n.data))
	}
	end := off + int64(len(p))
	if end > int64(len(n.data)) {
		if end > int64(cap(n.data)) {
			grown := make([]byte, end, max(end, 2*int64(cap(n.data))))
			copy(grown, n.data)
			n.data = grown
		} else {
			n.data = n.data[:end]
		}
	}
	copy(n.data[off:], p)
	n.modTime = time.Now()
	return end
}

func (f *memFile) Write(p []byte) (int, error) {
	if err := f.check("write", true); err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pos = f.node.writeAt(p, f.pos, f.append)
	return len(p), nil
}

func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	if err := f.check("write", true); err != nil {
		return 0, err
	}
	if f.append {
		return 0, pathErr("writeat", f.name, syscall.EINVAL)
	}
	if off < 0 {
		return 0, pathErr("writeat", f.name, syscall.EINVAL)
	}
	f.node.writeAt(p, off, false)
	return len(p), nil
}

func (f *memFile) Seek(offset int64, whence int) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0, pathErr("seek", f.name, fs.ErrClosed)
	}
	var base int64
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		base = f.pos
	case io.SeekEnd:
		f.node.mu.RLock()
		base = int64(len(f.node.data))
		f.node.mu.RUnlock()
	default:
		return 0, pathErr("seek", f.name, syscall.EINVAL)
	}
	if base+offset < 0 {
		return 0, pathErr("seek", f.name, syscall.EINVAL)
	}
	f.pos = base + offset
	return f.pos, nil
}

func (f *memFile) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return pathErr("close", f.name, fs.ErrClosed)
	}
	f.closed = true
	return nil
}

func (f *memFile) Sync() error {
	f.mu.Lock()
	closed := f.closed
	f.mu.Unlock()
	if closed {
		return pathErr("sync", f.name, fs.ErrClosed)
	}
	n := f.node
	n.mu.Lock()
	n.synced = append(n.synced[:0:0], n.data...)
	n.mu.Unlock()
	return nil
}

func (f *memFile) Truncate(size int64) error {
	if err := f.check("truncate", true); err != nil {
		return err
	}
	if size < 0 {
		return pathErr("truncate", f.name, syscall.EINVAL)
	}
	n := f.node
	n.mu.Lock()
	defer n.mu.Unlock()
	if size <= int64(len(n.data)) {
		// Copy so that bytes beyond size never reappear through a later
		// extension of the same backing array.
		n.data = append([]byte(nil), n.data[:size]...)
	} else {
		n.data = append(n.data, make([]byte, size-int64(len(n.data)))...)
	}
	n.modTime = time.Now()
	return nil
}

func (f *memFile) Stat() (os.FileInfo, error) {
	f.mu.Lock()
	closed := f.closed
	f.mu.Unlock()
	if closed {
		return nil, pathErr("stat", f.name, fs.ErrClosed)
	}
	return f.node.info(filepath.Base(f.name)), nil
}
