package raft

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"strom/internal/vfs"
)

// listSM is a state machine that records every applied command.
type listSM struct {
	mu       sync.Mutex
	cmds     []string
	last     uint64
	restores int
	reject   string // commands equal to this are rejected
}

func (s *listSM) Apply(index uint64, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if index <= s.last {
		return fmt.Errorf("apply %d after %d", index, s.last)
	}
	s.last = index
	if string(data) == s.reject {
		return errors.New("rejected")
	}
	s.cmds = append(s.cmds, string(data))
	return nil
}

func (s *listSM) Snapshot() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return json.Marshal(s.cmds)
}

func (s *listSM) Restore(data []byte, index uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.restores++
	s.last = index
	s.cmds = nil
	return json.Unmarshal(data, &s.cmds)
}

func (s *listSM) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.cmds)
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func startNode(t *testing.T, fsys vfs.FS, dir string, every uint64) (*Node, *listSM) {
	t.Helper()
	sm := &listSM{}
	n, err := Start(Config{ID: 1, Dir: dir, FS: fsys, Logger: quietLogger(), TickInterval: 10 * time.Millisecond, SnapshotEvery: every}, sm)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if err := n.WaitReady(ctxT(t)); err != nil {
		t.Fatalf("WaitReady: %v", err)
	}
	return n, sm
}

func propose(t *testing.T, n *Node, cmds ...string) {
	t.Helper()
	for _, c := range cmds {
		if _, err := n.Propose(ctxT(t), []byte(c)); err != nil {
			t.Fatalf("Propose(%s): %v", c, err)
		}
	}
}

func cmds(prefix string, k int) []string {
	out := make([]string, k)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return out
}

func TestSingleNodeProposeApply(t *testing.T) {
	n, sm := startNode(t, vfs.NewMem(), "/meta", 0)
	defer n.Stop()
	if !n.IsLeader() || n.Leader() != 1 {
		t.Fatalf("single node is not leader: leader=%d", n.Leader())
	}
	var prev uint64
	for _, c := range cmds("c", 50) {
		idx, err := n.Propose(ctxT(t), []byte(c))
		if err != nil {
			t.Fatal(err)
		}
		if idx <= prev {
			t.Fatalf("index %d after %d", idx, prev)
		}
		prev = idx
		// Returned means applied.
		if got := sm.list(); got[len(got)-1] != c {
			t.Fatalf("after Propose(%s) last applied is %s", c, got[len(got)-1])
		}
	}
	if n.Applied() < prev {
		t.Fatalf("Applied %d < %d", n.Applied(), prev)
	}
	// A state machine rejection reaches the proposer and the log moves on.
	sm.mu.Lock()
	sm.reject = "bad"
	sm.mu.Unlock()
	if _, err := n.Propose(ctxT(t), []byte("bad")); err == nil || err.Error() != "rejected" {
		t.Fatalf("rejected proposal: %v", err)
	}
	propose(t, n, "after")
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Propose(ctxT(t), []byte("x")); !errors.Is(err, ErrStopped) {
		t.Fatalf("Propose after Stop: %v", err)
	}
}

func TestConcurrentProposals(t *testing.T) {
	n, sm := startNode(t, vfs.NewMem(), "/meta", 0)
	defer n.Stop()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 25 {
				if _, err := n.Propose(context.Background(), fmt.Appendf(nil, "g%d-%d", g, i)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if got := len(sm.list()); got != 200 {
		t.Fatalf("applied %d commands, want 200", got)
	}
}

func TestRestartReplays(t *testing.T) {
	fsys := vfs.NewMem()
	n, sm := startNode(t, fsys, "/meta", 0)
	propose(t, n, cmds("a", 30)...)
	want := sm.list()
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	n2, sm2 := startNode(t, fsys, "/meta", 0)
	defer n2.Stop()
	if got := sm2.list(); !slices.Equal(got, want) {
		t.Fatalf("after restart: %v, want %v", got, want)
	}
	propose(t, n2, "more")
	if got := sm2.list(); len(got) != 31 || got[30] != "more" {
		t.Fatalf("after restart and propose: %v", got)
	}
}

func TestRestartOnOSFilesystem(t *testing.T) {
	dir := t.TempDir()
	n, sm := startNode(t, vfs.Default, dir, 0)
	propose(t, n, cmds("o", 5)...)
	want := sm.list()
	n.Stop()
	n2, sm2 := startNode(t, vfs.Default, dir, 0)
	defer n2.Stop()
	if got := sm2.list(); !slices.Equal(got, want) {
		t.Fatalf("after restart: %v, want %v", got, want)
	}
}

func files(t *testing.T, fsys vfs.FS, dir, prefix string) []string {
	t.Helper()
	des, err := fsys.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, de := range des {
		if strings.HasPrefix(de.Name(), prefix) {
			out = append(out, de.Name())
		}
	}
	return out
}

func TestSnapshotCompactionRestart(t *testing.T) {
	fsys := vfs.NewMem()
	n, sm := startNode(t, fsys, "/meta", 10)
	propose(t, n, cmds("s", 55)...)
	want := sm.list()
	n.Stop()
	if snaps := files(t, fsys, "/meta", snapPrefix); len(snaps) != 1 {
		t.Fatalf("snapshot files %v, want exactly 1", snaps)
	}
	if segs := files(t, fsys, "/meta", segPrefix); len(segs) != 1 {
		t.Fatalf("segments %v, want 1 after compaction", segs)
	}
	n2, sm2 := startNode(t, fsys, "/meta", 10)
	defer n2.Stop()
	if sm2.restores != 1 {
		t.Fatalf("restores = %d, want 1", sm2.restores)
	}
	if got := sm2.list(); !slices.Equal(got, want) {
		t.Fatalf("after restart: %v, want %v", got, want)
	}
	propose(t, n2, cmds("t", 12)...)
	if got := sm2.list(); len(got) != 67 {
		t.Fatalf("len %d", len(got))
	}
}

func TestTornWALTail(t *testing.T) {
	fsys := vfs.NewMem()
	n, sm := startNode(t, fsys, "/meta", 0)
	propose(t, n, cmds("w", 10)...)
	want := sm.list()
	n.Stop()
	segs := files(t, fsys, "/meta", segPrefix)
	name := filepath.Join("/meta", segs[len(segs)-1])
	f, err := fsys.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := f.Stat()
	// A half-written record: a header promising more than is there.
	if _, err := f.WriteAt([]byte{200, 0, 0, 0, 1, 2, 3, 4, 1, 9, 9}, st.Size()); err != nil {
		t.Fatal(err)
	}
	f.Sync()
	f.Close()

	n2, sm2 := startNode(t, fsys, "/meta", 0)
	if got := sm2.list(); !slices.Equal(got, want) {
		t.Fatalf("after torn tail: %v, want %v", got, want)
	}
	if fi, _ := fsys.Stat(name); fi.Size() < st.Size() {
		t.Fatalf("recovery cut valid records: %d < %d", fi.Size(), st.Size())
	}
	propose(t, n2, "x")
	n2.Stop()
	n3, sm3 := startNode(t, fsys, "/meta", 0)
	defer n3.Stop()
	if got := sm3.list(); len(got) != 11 || got[10] != "x" {
		t.Fatalf("after second restart: %v", got)
	}
}

func TestCorruptMiddleSegmentRefused(t *testing.T) {
	fsys := vfs.NewMem()
	n, _ := startNode(t, fsys, "/meta", 0)
	propose(t, n, cmds("w", 3)...)
	n.Stop()
	segs := files(t, fsys, "/meta", segPrefix)
	// An older segment with damage is not a torn tail.
	data, _ := readAll(fsys, filepath.Join("/meta", segs[0]))
	data[len(data)-1] ^= 0xff
	f, _ := fsys.OpenFile(filepath.Join("/meta", segName(0)), os.O_RDWR|os.O_CREATE, 0o644)
	f.Write(data)
	f.Sync()
	f.Close()
	fsys.SyncDir("/meta")
	_, err := Start(Config{ID: 1, Dir: "/meta", FS: fsys, Logger: quietLogger()}, &listSM{})
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Start on damaged middle segment: %v, want ErrCorrupt", err)
	}
}

// TestCrashKeepsAcknowledged simulates power loss while proposals are in
// flight: every proposal that returned before the crash must be there.
func TestCrashKeepsAcknowledged(t *testing.T) {
	for _, every := range []uint64{0, 7} {
		t.Run(fmt.Sprintf("snapshotEvery=%d", every), func(t *testing.T) {
			fsys := vfs.NewMem()
			n, _ := startNode(t, fsys, "/meta", every)
			var acked sync.Map
			var count atomic.Int64
			var wg sync.WaitGroup
			stop := make(chan struct{})
			reached := make(chan struct{})
			var once sync.Once
			for g := range 4 {
				wg.Go(func() {
					for i := 0; i < 500; i++ {
						select {
						case <-stop:
							return
						default:
						}
						c := fmt.Sprintf("g%d-%d", g, i)
						if _, err := n.Propose(context.Background(), []byte(c)); err != nil {
							return
						}
						acked.Store(c, true)
						if count.Add(1) == 100 {
							once.Do(func() { close(reached) })
						}
					}
				})
			}
			// Crash once a good number of proposals were acknowledged.
			select {
			case <-reached:
			case <-time.After(20 * time.Second):
				t.Fatal("proposals did not progress")
			}
			var before []string
			acked.Range(func(k, _ any) bool { before = append(before, k.(string)); return true })
			crashed := fsys.CrashClone()
			close(stop)
			wg.Wait()
			n.Stop()

			n2, sm2 := startNode(t, crashed, "/meta", every)
			defer n2.Stop()
			have := map[string]bool{}
			for _, c := range sm2.list() {
				have[c] = true
			}
			for _, c := range before {
				if !have[c] {
					t.Fatalf("acknowledged proposal %s lost in crash", c)
				}
			}
		})
	}
}

func TestFatalOnWALWriteFailure(t *testing.T) {
	var armed atomic.Bool
	boom := errors.New("disk on fire")
	fsys := vfs.NewFaulty(vfs.NewMem(), func(op vfs.Op, path string) error {
		if armed.Load() && (op == vfs.OpWrite || op == vfs.OpSync) && strings.Contains(path, segPrefix) {
			return boom
		}
		return nil
	})
	n, sm := startNode(t, fsys, "/meta", 0)
	propose(t, n, "ok")
	armed.Store(true)
	_, err := n.Propose(ctxT(t), []byte("lost"))
	if !errors.Is(err, ErrStopped) || !errors.Is(err, boom) {
		t.Fatalf("Propose with failing disk: %v", err)
	}
	if err := n.Stop(); !errors.Is(err, boom) {
		t.Fatalf("Stop = %v, want the fatal error", err)
	}
	if got := sm.list(); !slices.Equal(got, []string{"ok"}) {
		t.Fatalf("applied %v: an entry that was not persisted was applied", got)
	}
}

func FuzzNextRecord(f *testing.F) {
	f.Add(appendRecord(appendRecord(nil, recEntry, []byte("abc")), recHardState, nil))
	f.Add([]byte{1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		off := 0
		for off < len(b) {
			typ, payload, n, err := nextRecord(b[off:])
			if err != nil {
				return
			}
			if n <= 0 || off+n > len(b) {
				t.Fatalf("record length %d at %d of %d", n, off, len(b))
			}
			// Re-framing the parsed record reproduces its bytes exactly.
			if got := appendRecord(nil, typ, payload); string(got) != string(b[off:off+n]) {
				t.Fatal("re-encoded record differs")
			}
			off += n
		}
	})
}

// TestCrashBetweenSnapshotAndCompaction fails the compaction after the
// snapshot file is durable: the node stops, and a restart still has every
// acknowledged entry.
func TestCrashBetweenSnapshotAndCompaction(t *testing.T) {
	mem := vfs.NewMem()
	var armed atomic.Bool
	fsys := vfs.NewFaulty(mem, func(op vfs.Op, path string) error {
		if armed.Load() && op == vfs.OpRename && strings.Contains(path, segPrefix) {
			return errors.New("crash before compaction")
		}
		return nil
	})
	n, _ := startNode(t, fsys, "/meta", 10)
	armed.Store(true)
	var acked []string
	for _, c := range cmds("z", 20) {
		if _, err := n.Propose(ctxT(t), []byte(c)); err != nil {
			break
		}
		acked = append(acked, c)
	}
	if err := n.Stop(); err == nil {
		t.Fatal("compaction failure was not fatal")
	}
	if len(files(t, mem, "/meta", snapPrefix)) != 1 {
		t.Fatal("expected the snapshot file to be written")
	}
	n2, sm2 := startNode(t, mem, "/meta", 10)
	defer n2.Stop()
	if got := sm2.list(); len(got) < len(acked) || !slices.Equal(got[:len(acked)], acked) {
		t.Fatalf("after restart %v, acknowledged %v", got, acked)
	}
}
