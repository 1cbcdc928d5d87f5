// Package runtime is what the group and transaction coordinators share
// around their pure state machines, after Kafka's coordinator runtime:
// the driver goroutine, the lifecycle of the compacted internal topic
// that holds a coordinator's state, and the reads and writes of that
// topic. It knows nothing of groups or transactions: record formats,
// what a record means and which key lives in which partition of the
// topic stay in the coordinators.
//
// What a Runtime owns:
//   - The driver: ONE goroutine runs every function handed to Post, in
//     submission order, and the coordinator's Tick when the deadline its
//     NextDeadline reports is reached (time from the Clock, so tests move
//     it). Everything a coordinator keeps per group or per transactional
//     id is touched only from there.
//   - The internal topic's lifecycle: created on first use (Ready with
//     create) or found at Start; then, on a helper goroutine, wait until
//     every partition of it is open on this broker and have the driver run
//     Load, retrying once a second until that succeeds or the runtime is
//     closed. Ready and IsReady answer from a channel closed after the
//     first successful Load.
//   - Replay: read every partition of the topic from its log start to its
//     high watermark, in offset order, and hand each keyed record (and,
//     if asked, each transaction marker) to the coordinator.
//   - Write: append one encoded batch (BuildBatch) to a partition and
//     report, on another goroutine, once it is below the high watermark
//     (replica.Partition.WaitCommitted) or failed. The coordinator applies
//     the write's effect only then, by posting back to the driver.
//
// Concurrency: Post, Call, Ready, IsReady, Stopping, Context and Close
// are safe from any goroutine. Replay and Load run on the driver; Write
// may be called anywhere and never blocks on the wait for durability.
// The only lock (mu) guards whether the topic's ensure goroutine has been
// started; no I/O happens under it. Close cancels Context, which ends
// pending durability waits, stops the driver and waits for it; functions
// posted afterwards are refused (Post returns false).
package runtime
