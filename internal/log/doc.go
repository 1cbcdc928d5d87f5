// Package log owns one partition's log on disk: segments, their sparse
// offset and time indexes, recovery after a crash, retention, the log
// start offset (DeleteRecords), truncation for replication, the leader
// epoch cache (OffsetForLeaderEpoch) and idempotent producer state
// (KIP-98). The on-disk format is drawn in docs/storage.md.
//
// Contracts:
//   - Append takes one batch already validated by record.Batches, rewrites
//     its base offset and leader epoch in place, and writes it with one
//     positional write. It never fsyncs except when rolling a segment,
//     which makes the finished segment durable so that recovery only ever
//     has to validate the last segment.
//   - Sync makes everything appended before it durable. Acknowledging
//     writes only after Sync (or after replication) is the caller's policy.
//   - After a failed write or sync the log is failed: Append, Sync and the
//     other mutators return ErrStorage wrapping the cause; reads of data
//     already written keep working. Kafka takes the partition offline.
//   - Open validates the active segment batch by batch (framing, CRC,
//     increasing offsets) and truncates a torn or corrupt tail. Older
//     segments are trusted; their indexes are loaded when first used and
//     rebuilt if missing or damaged. Start-up cost does not grow with the
//     number of old segments beyond listing and opening files.
//
// Concurrency: a Log is safe for concurrent use. Lock order:
//
//	clean.mu → appendMu → syncMu → segment.loadMu → mu
//
// clean.mu serialises compaction rounds (compact.go); a round holds
// appendMu only to snapshot the segment list and to swap a cleaned
// segment in, so appends continue while it reads and rewrites.
//
// appendMu serialises all mutations (one appender at a time). mu guards
// the segment list and offsets and is never held during I/O: readers copy
// what they need under the read lock, take a reference on the segment
// (so that retention cannot close a file under a read), and read with
// ReadAt without any lock. Sync fsyncs outside appendMu so appends are not
// blocked behind an fsync.
package log
