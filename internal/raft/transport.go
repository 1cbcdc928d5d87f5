package raft

import (
	"sync"

	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// MemNetwork is an in-process Transport connecting nodes of one process
// through channels. It is for tests and for in-process clusters; the
// network transport of the multi-node issue implements the same
// interface.
//
// Delivery never blocks the sender: when a receiver's queue is full the
// message is dropped, which raft tolerates (it retries), whereas
// blocking could deadlock two drivers sending to each other.
type MemNetwork struct {
	mu    sync.Mutex
	nodes map[uint64]*Node
	cut   map[uint64]bool // isolated nodes: nothing to or from them is delivered
}

// NewMemNetwork returns an empty network.
func NewMemNetwork() *MemNetwork {
	return &MemNetwork{nodes: map[uint64]*Node{}, cut: map[uint64]bool{}}
}

// Transport returns the Transport for node id.
func (nw *MemNetwork) Transport(id uint64) Transport { return memTransport{nw: nw, from: id} }

// Register attaches a started node so that messages to its id reach it.
func (nw *MemNetwork) Register(id uint64, n *Node) {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	nw.nodes[id] = n
}

// Isolate cuts (or, with false, reconnects) node id from every other node.
func (nw *MemNetwork) Isolate(id uint64, isolated bool) {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	nw.cut[id] = isolated
}

type memTransport struct {
	nw   *MemNetwork
	from uint64
}

func (t memTransport) Send(msgs []*pb.Message) {
	t.nw.mu.Lock()
	defer t.nw.mu.Unlock()
	if t.nw.cut[t.from] {
		return
	}
	for _, m := range msgs {
		to := t.nw.nodes[m.GetTo()]
		if to == nil || t.nw.cut[m.GetTo()] {
			continue
		}
		// The receiver's driver owns what it steps; hand it a copy so
		// the sender's raft state is never shared.
		c := proto.Clone(m).(*pb.Message)
		select {
		case to.stepc <- c:
		default:
		}
	}
}
