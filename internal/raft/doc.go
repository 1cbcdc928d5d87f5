// Package raft runs the metadata quorum: a driver around etcd's
// go.etcd.io/raft/v3 RawNode with its own durable log (WAL) and
// snapshots, stored through internal/vfs.
//
// # What it owns
//
// A Node owns one RawNode, its raft.MemoryStorage, the WAL segment files
// and snapshot files in Config.Dir, and the StateMachine it applies
// committed entries to. The voter set is static configuration
// (Config.Peers), like KRaft's controller.quorum.voters.
//
// # Contracts
//
//   - Persist before acting: every Ready's entries and hard state are
//     written (and fsynced when raft says MustSync) before its messages
//     are sent or its committed entries applied. If the log cannot be
//     written the node stops with a fatal error (Err, Stop) instead of
//     continuing on an unknown disk state.
//   - Propose returns after the entry is committed and applied, so a
//     caller that reads the state machine afterwards sees its effect.
//     Each entry carries a 9-byte header (magic, proposal id) that lets
//     the proposer match it; the state machine only sees the command.
//   - Apply errors are deterministic rejections: the state machine must
//     stay unchanged, every replica rejects alike, and the error goes to
//     the proposer.
//   - Every SnapshotEvery applied entries the state machine's Snapshot is
//     written to a snapshot file and the WAL is compacted into a new
//     segment. Start restores the newest snapshot, then replays the WAL.
//   - A torn tail of the last WAL segment (a crash mid-write) is
//     truncated on recovery; damage anywhere else is ErrCorrupt.
//
// On-disk formats are drawn in docs/metadata.md and in wal.go.
//
// # Concurrency
//
// One driver goroutine per Node does all raft work and all I/O; Propose,
// Step and Stop talk to it through channels and are safe for concurrent
// use. StateMachine methods are only ever called from the driver
// goroutine (and from Start, before the driver runs), so a state machine
// needs no locking for its own writes.
package raft
