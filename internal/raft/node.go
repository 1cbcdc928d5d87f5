package raft

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	etcdraft "go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"strom/internal/vfs"
)

// Errors.
var (
	// ErrStopped is returned by calls on a node that has stopped, either
	// by Stop or after a fatal error (then wrapped together with it).
	ErrStopped = errors.New("raft node stopped")
	// ErrCorrupt marks a damaged log or snapshot on disk.
	ErrCorrupt = errors.New("raft storage corrupt")
	// ErrProposalDropped is returned when raft refused a proposal, for
	// example because no leader is known yet; the caller may retry.
	ErrProposalDropped = errors.New("raft proposal dropped")
)

// Transport sends raft messages to peers. Send must not block for long
// and must not retain the messages' ownership beyond delivery: the node
// never touches a message again after handing it over.
type Transport interface {
	Send(msgs []*pb.Message)
}

// Config configures a Node.
type Config struct {
	ID    uint64   // this node's raft id, non-zero
	Peers []uint64 // the voters, including ID; empty means just ID
	Dir   string   // directory of the WAL and snapshot files
	FS    vfs.FS   // nil means vfs.Default
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// TickInterval is the raft logical clock period (default 100ms).
	// Elections time out after 10 ticks, heartbeats go every tick.
	TickInterval time.Duration
	// SnapshotEvery is how many applied entries trigger a snapshot and
	// log compaction (default 10000).
	SnapshotEvery uint64
	// Transport carries messages to peers; nil for a single node.
	Transport Transport
}

// StateMachine is what the log is applied to. All methods are called from
// the node's single driver goroutine, in log order.
type StateMachine interface {
	// Apply applies the command at index. An error is a deterministic
	// rejection of that command (every replica must reject it the same
	// way and stay unchanged); it is returned to the proposer and the log
	// moves on.
	Apply(index uint64, data []byte) error
	// Snapshot returns the state as of the last applied index.
	Snapshot() ([]byte, error)
	// Restore replaces the state with a snapshot taken at index.
	Restore(data []byte, index uint64) error
}

// Entry data layout: [magic 0x53][proposal id uint64 big-endian][command].
// The id lets the proposing node find the caller waiting for that entry
// to apply, whichever node's log the entry comes back through.
const (
	entryMagic     = 0x53
	entryHeaderLen = 9
)

type proposal struct {
	data []byte // with header
	id   uint64
	done chan result
}

type result struct {
	index uint64
	err   error
}

// Node drives one etcd raft RawNode. See the package comment.
type Node struct {
	cfg    Config
	sm     StateMachine
	logger *slog.Logger

	propc  chan proposal
	stepc  chan *pb.Message
	stopc  chan struct{}
	donec  chan struct{}
	readyc chan struct{} // closed once the node has caught up (see WaitReady)

	stopOnce sync.Once
	errMu    sync.Mutex
	err      error // fatal error, set before donec closes

	leader   atomic.Uint64
	isLeader atomic.Bool
	applied  atomic.Uint64

	idBase uint64
	nextID atomic.Uint64

	// Owned by the run goroutine.
	rn        *etcdraft.RawNode
	storage   *etcdraft.MemoryStorage
	wal       *wal
	waiters   map[uint64]chan result
	confState *pb.ConfState
	snapIndex uint64
	ready     bool
}

// Start recovers the node's state from cfg.Dir (snapshot, then the WAL)
// and starts its driver goroutine. The state machine is restored from
// the snapshot before Start returns; the committed entries after it are
// replayed by the driver (WaitReady waits for that). A node whose only
// voter is itself campaigns at once, so it leads within milliseconds.
func Start(cfg Config, sm StateMachine) (*Node, error) {
	if cfg.ID == 0 {
		return nil, errors.New("raft: node id must be non-zero")
	}
	if cfg.FS == nil {
		cfg.FS = vfs.Default
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.TickInterval <= 0 {
		cfg.TickInterval = 100 * time.Millisecond
	}
	if cfg.SnapshotEvery == 0 {
		cfg.SnapshotEvery = 10000
	}
	if len(cfg.Peers) == 0 {
		cfg.Peers = []uint64{cfg.ID}
	}
	if !slices.Contains(cfg.Peers, cfg.ID) {
		return nil, fmt.Errorf("raft: node %d is not among the voters %v", cfg.ID, cfg.Peers)
	}
	logger := cfg.Logger.With("component", "raft", "raft_id", cfg.ID)

	w, rec, err := openWAL(cfg.FS, cfg.Dir, logger)
	if err != nil {
		return nil, err
	}
	n := &Node{
		cfg: cfg, sm: sm, logger: logger,
		propc:   make(chan proposal),
		stepc:   make(chan *pb.Message, 256),
		stopc:   make(chan struct{}),
		donec:   make(chan struct{}),
		readyc:  make(chan struct{}),
		storage: etcdraft.NewMemoryStorage(),
		wal:     w,
		waiters: map[uint64]chan result{},
	}
	var seed [8]byte
	_, _ = rand.Read(seed[:])
	n.idBase = binary.BigEndian.Uint64(seed[:]) &^ 0xffffffff

	// The voter set is static configuration (like KRaft's
	// controller.quorum.voters); without a snapshot it is installed as
	// the ConfState of an empty snapshot at index 0.
	snap := rec.snap
	if snap == nil {
		snap = &pb.Snapshot{Metadata: &pb.SnapshotMetadata{ConfState: &pb.ConfState{Voters: slices.Clone(cfg.Peers)}, Index: new(uint64(0)), Term: new(uint64(0))}}
	}
	if err := n.storage.ApplySnapshot(snap); err != nil {
		w.close()
		return nil, fmt.Errorf("raft: install snapshot: %w", err)
	}
	n.confState = proto.Clone(snap.GetMetadata().GetConfState()).(*pb.ConfState)
	n.snapIndex = snap.GetMetadata().GetIndex()
	if rec.snap != nil {
		if err := sm.Restore(rec.snap.GetData(), n.snapIndex); err != nil {
			w.close()
			return nil, fmt.Errorf("raft: restore snapshot %d: %w", n.snapIndex, err)
		}
	}
	if err := n.storage.Append(rec.ents); err != nil {
		w.close()
		return nil, fmt.Errorf("raft: load entries: %w", err)
	}
	if rec.hs != nil {
		if err := n.storage.SetHardState(rec.hs); err != nil {
			w.close()
			return nil, fmt.Errorf("raft: load hard state: %w", err)
		}
	}
	n.applied.Store(n.snapIndex)

	rn, err := etcdraft.NewRawNode(&etcdraft.Config{
		ID:              cfg.ID,
		ElectionTick:    10,
		HeartbeatTick:   1,
		Storage:         n.storage,
		Applied:         n.snapIndex,
		MaxSizePerMsg:   1 << 20,
		MaxInflightMsgs: 256,
		// Bounds memory if the log stalls; proposals then fail fast.
		MaxUncommittedEntriesSize: 64 << 20,
		CheckQuorum:               true,
		PreVote:                   true,
		Logger:                    slogAdapter{logger},
	})
	if err != nil {
		w.close()
		return nil, fmt.Errorf("raft: new raw node: %w", err)
	}
	n.rn = rn
	if len(cfg.Peers) == 1 {
		if err := rn.Campaign(); err != nil {
			w.close()
			return nil, fmt.Errorf("raft: campaign: %w", err)
		}
	}
	logger.Info("raft node started", "peers", cfg.Peers, "snapshot_index", n.snapIndex,
		"entries", len(rec.ents), "commit", rec.hs.GetCommit())
	go n.run()
	return n, nil
}

// Propose appends data to the log and returns once it is committed and
// applied to the state machine, with its index; an error the state
// machine returned from Apply is returned here. It fails with
// ErrStopped once the node stops, ErrProposalDropped when raft refuses
// the proposal (no leader), or the context's error.
func (n *Node) Propose(ctx context.Context, data []byte) (uint64, error) {
	id := n.idBase | (n.nextID.Add(1) & 0xffffffff)
	buf := make([]byte, entryHeaderLen+len(data))
	buf[0] = entryMagic
	binary.BigEndian.PutUint64(buf[1:entryHeaderLen], id)
	copy(buf[entryHeaderLen:], data)
	p := proposal{data: buf, id: id, done: make(chan result, 1)}
	select {
	case n.propc <- p:
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-n.donec:
		return 0, n.stoppedErr()
	}
	select {
	case r := <-p.done:
		return r.index, r.err
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-n.donec:
		// The entry may have applied just before the stop.
		select {
		case r := <-p.done:
			return r.index, r.err
		default:
		}
		return 0, n.stoppedErr()
	}
}

// Step hands a message received from a peer to the node.
func (n *Node) Step(ctx context.Context, m *pb.Message) error {
	select {
	case n.stepc <- m:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-n.donec:
		return n.stoppedErr()
	}
}

// IsLeader reports whether this node currently leads the quorum.
func (n *Node) IsLeader() bool { return n.isLeader.Load() }

// Leader returns the current leader's id, 0 if unknown.
func (n *Node) Leader() uint64 { return n.leader.Load() }

// Applied returns the index of the last entry applied to the state
// machine.
func (n *Node) Applied() uint64 { return n.applied.Load() }

// WaitReady blocks until the node knows a leader and has applied every
// entry committed before that leader's term began, so the state machine
// reflects the whole durable log.
func (n *Node) WaitReady(ctx context.Context) error {
	select {
	case <-n.readyc:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-n.donec:
		return n.stoppedErr()
	}
}

// Done is closed when the node has stopped.
func (n *Node) Done() <-chan struct{} { return n.donec }

// Err returns the fatal error that stopped the node, if any.
func (n *Node) Err() error {
	n.errMu.Lock()
	defer n.errMu.Unlock()
	return n.err
}

// Stop stops the driver and closes the log. It returns the fatal error
// that stopped the node earlier, if any. It is idempotent.
func (n *Node) Stop() error {
	n.stopOnce.Do(func() { close(n.stopc) })
	<-n.donec
	return n.Err()
}

func (n *Node) stoppedErr() error {
	if err := n.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrStopped, err)
	}
	return ErrStopped
}

func (n *Node) run() {
	ticker := time.NewTicker(n.cfg.TickInterval)
	defer ticker.Stop()
	var fatal error
	for fatal == nil {
		select {
		case <-ticker.C:
			n.rn.Tick()
		case p := <-n.propc:
			if err := n.rn.Propose(p.data); err != nil {
				if errors.Is(err, etcdraft.ErrProposalDropped) {
					err = fmt.Errorf("%w: leader %d", ErrProposalDropped, n.rn.BasicStatus().Lead)
				}
				p.done <- result{err: err}
			} else {
				n.waiters[p.id] = p.done
			}
		case m := <-n.stepc:
			if err := n.rn.Step(m); err != nil {
				n.logger.Debug("raft step", "type", m.GetType().String(), "from", m.GetFrom(), "err", err)
			}
		case <-n.stopc:
			fatal = ErrStopped
			continue
		}
		fatal = n.handleReady()
	}
	if !errors.Is(fatal, ErrStopped) {
		n.logger.Error("raft node stopped by fatal error", "err", fatal)
		n.errMu.Lock()
		n.err = fatal
		n.errMu.Unlock()
	}
	if err := n.wal.close(); err != nil && n.Err() == nil {
		n.errMu.Lock()
		n.err = fmt.Errorf("raft wal: close: %w", err)
		n.errMu.Unlock()
	}
	n.isLeader.Store(false)
	n.leader.Store(0)
	close(n.donec)
	// Waiters learn of the stop through donec.
}

// handleReady processes every pending Ready. Storage errors are fatal:
// raft's safety depends on what it was told being durable, so the node
// stops rather than continue on an unknown disk state (as etcd does).
func (n *Node) handleReady() error {
	for n.rn.HasReady() {
		rd := n.rn.Ready()
		if !etcdraft.IsEmptySnap(rd.Snapshot) {
			if err := n.wal.saveSnapshot(rd.Snapshot, true); err != nil {
				return err
			}
		}
		if err := n.wal.save(rd.HardState, rd.Entries, rd.MustSync); err != nil {
			return err
		}
		if !etcdraft.IsEmptySnap(rd.Snapshot) {
			if err := n.storage.ApplySnapshot(rd.Snapshot); err != nil {
				return fmt.Errorf("raft: apply snapshot: %w", err)
			}
			md := rd.Snapshot.GetMetadata()
			if err := n.sm.Restore(rd.Snapshot.GetData(), md.GetIndex()); err != nil {
				return fmt.Errorf("raft: restore snapshot %d: %w", md.GetIndex(), err)
			}
			n.confState = proto.Clone(md.GetConfState()).(*pb.ConfState)
			n.snapIndex = md.GetIndex()
			n.applied.Store(md.GetIndex())
		}
		if err := n.storage.Append(rd.Entries); err != nil {
			return fmt.Errorf("raft: memory append: %w", err)
		}
		if rd.HardState != nil {
			if err := n.storage.SetHardState(rd.HardState); err != nil {
				return fmt.Errorf("raft: set hard state: %w", err)
			}
		}
		if len(rd.Messages) > 0 && n.cfg.Transport != nil {
			n.cfg.Transport.Send(rd.Messages)
			for _, m := range rd.Messages {
				if m.GetType() == pb.MsgSnap {
					// Delivery is optimistic; a transport that can fail
					// will report through a later API.
					n.rn.ReportSnapshot(m.GetTo(), etcdraft.SnapshotFinish)
				}
			}
		}
		if err := n.apply(rd.CommittedEntries); err != nil {
			return err
		}
		if err := n.maybeSnapshot(); err != nil {
			return err
		}
		n.rn.Advance(rd)
	}
	st := n.rn.BasicStatus()
	n.leader.Store(st.Lead)
	n.isLeader.Store(st.RaftState == etcdraft.StateLeader)
	if !n.ready && st.Lead != 0 && n.applied.Load() >= st.GetCommit() {
		if t, err := n.storage.Term(st.GetCommit()); err == nil && t == st.GetTerm() {
			n.ready = true
			close(n.readyc)
		}
	}
	return nil
}

func (n *Node) apply(ents []*pb.Entry) error {
	for _, e := range ents {
		idx := e.GetIndex()
		if idx <= n.applied.Load() {
			continue // already in the restored snapshot
		}
		switch e.GetType() {
		case pb.EntryNormal:
			if len(e.GetData()) == 0 {
				break // a new leader's empty entry
			}
			data := e.GetData()
			if len(data) < entryHeaderLen || data[0] != entryMagic {
				return fmt.Errorf("raft: %w: entry %d has no proposal header", ErrCorrupt, idx)
			}
			id := binary.BigEndian.Uint64(data[1:entryHeaderLen])
			err := n.sm.Apply(idx, data[entryHeaderLen:])
			if err != nil {
				n.logger.Debug("state machine rejected entry", "index", idx, "err", err)
			}
			n.applied.Store(idx)
			if w, ok := n.waiters[id]; ok {
				delete(n.waiters, id)
				w <- result{index: idx, err: err}
			}
		case pb.EntryConfChange:
			cc := &pb.ConfChange{}
			if err := proto.Unmarshal(e.GetData(), cc); err != nil {
				return fmt.Errorf("raft: %w: conf change %d: %v", ErrCorrupt, idx, err)
			}
			n.confState = n.rn.ApplyConfChange(cc)
		case pb.EntryConfChangeV2:
			cc := &pb.ConfChangeV2{}
			if err := proto.Unmarshal(e.GetData(), cc); err != nil {
				return fmt.Errorf("raft: %w: conf change %d: %v", ErrCorrupt, idx, err)
			}
			n.confState = n.rn.ApplyConfChange(cc)
		}
		n.applied.Store(idx)
	}
	return nil
}

// maybeSnapshot takes a snapshot of the state machine and compacts the
// log once SnapshotEvery entries were applied since the last one.
func (n *Node) maybeSnapshot() error {
	applied := n.applied.Load()
	if applied-n.snapIndex < n.cfg.SnapshotEvery {
		return nil
	}
	data, err := n.sm.Snapshot()
	if err != nil {
		return fmt.Errorf("raft: state machine snapshot: %w", err)
	}
	snap, err := n.storage.CreateSnapshot(applied, n.confState, data)
	if err != nil {
		return fmt.Errorf("raft: create snapshot: %w", err)
	}
	if err := n.wal.saveSnapshot(snap, false); err != nil {
		return err
	}
	last, err := n.storage.LastIndex()
	if err != nil {
		return fmt.Errorf("raft: last index: %w", err)
	}
	var rest []*pb.Entry
	if last > applied {
		rest, err = n.storage.Entries(applied+1, last+1, ^uint64(0))
		if err != nil {
			return fmt.Errorf("raft: entries after snapshot: %w", err)
		}
	}
	hs, _, err := n.storage.InitialState()
	if err != nil {
		return fmt.Errorf("raft: hard state: %w", err)
	}
	if err := n.wal.compact(snap.GetMetadata(), hs, rest); err != nil {
		return err
	}
	if err := n.storage.Compact(applied); err != nil && !errors.Is(err, etcdraft.ErrCompacted) {
		return fmt.Errorf("raft: compact memory log: %w", err)
	}
	n.snapIndex = applied
	n.logger.Info("raft snapshot taken", "index", applied, "bytes", len(data))
	return nil
}
