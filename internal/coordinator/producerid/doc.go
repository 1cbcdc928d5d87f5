// Package producerid hands out idempotent producer ids that are unique
// across broker restarts.
//
// Ids are reserved in blocks of BlockSize. Before the first id of a block
// is returned, the end of the block is written to a small file in the
// data directory and fsynced (write to a temporary file, fsync, rename,
// fsync the directory), so a restart, even after a power loss, resumes
// after every id that may already have reached a producer. Ids inside a
// reserved but unused block are skipped after a restart; that costs
// nothing since the id space is 2^63.
//
// This is the single-node form of Kafka's ProducerIdManager, which leases
// blocks of 1000 ids from the controller (KIP-730). When the controller
// hands out blocks through the metadata log, only Open changes.
//
// On-disk format of the file "producer-ids" (little endian):
//
//	+--------+---------+----------------------+-----------+
//	| "SPID" | version | next block start     | CRC-32C   |
//	| 4 B    | 1 B = 0 | int64 (8 B)          | 4 B       |
//	+--------+---------+----------------------+-----------+
//
// The CRC covers every byte before it. A file that fails the check is
// reported as ErrCorrupt rather than silently restarting at zero, which
// would reuse ids.
//
// Concurrency: an Allocator is safe for concurrent use. Next holds the
// allocator's mutex while it reserves a new block (one fsync per
// BlockSize ids), so callers racing across a block boundary wait for the
// reservation instead of reserving twice.
package producerid
