// Package replica owns the partitions this broker hosts: it opens and
// closes their logs as the metadata image changes, serialises appends,
// and decides when a write counts as committed (the high watermark).
//
// Durability: with flush.messages=1 (Strom's default) the high watermark
// only moves past a batch once the batch is on stable storage. Appends
// mark their partition dirty and a single flusher goroutine fsyncs every
// dirty partition at once (group commit), then advances their high
// watermarks and wakes every waiter. Produce acknowledgements and fetches
// both key off the high watermark, so a consumer never sees a record that
// a crash could still take away. With a larger flush.messages the high
// watermark follows the log end offset immediately and the flusher syncs
// on an interval, as Kafka does.
//
// Concurrency: Manager.mu guards the partition map only; no I/O happens
// under it except creating or removing a log, which metadata changes
// drive one at a time. Each Partition serialises appends with its own
// mutex; reads go straight to the log, which supports concurrent readers.
// The flusher goroutine is owned by the Manager and stops in Close.
package replica
