// Package txn is the transaction coordinator (KIP-98): transactional ids,
// their producer id and epoch, and the two-phase completion of each
// transaction.
//
// State lives in the compacted internal topic __transaction_state, in
// Kafka's own record formats (kmsg.TxnMetadataKey/TxnMetadataValue, a
// null value is a tombstone). An id's partition is
// abs(javaHashCode(id)) % partitions, as for groups. The topic is created
// on first use (FindCoordinator or InitProducerId); on start-up every
// partition is read to its high watermark and the latest value per id
// wins. Until then the API layer waits or answers
// COORDINATOR_LOAD_IN_PROGRESS.
//
// Layers, as in the group coordinator:
//   - Txn (txn.go) is the pure state machine of one id: Empty, Ongoing,
//     PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort (Dead and
//     PrepareEpochFence are decoded but not entered: a fencing abort goes
//     straight to PrepareAbort under the bumped epoch). Methods take the
//     time and return the next Meta to store or a Kafka error code.
//   - Coordinator (coordinator.go, requests.go) is the driver: ONE
//     goroutine owns every Txn. A transition is applied only after its
//     record is durable (replica.Partition.WaitCommitted); while it is in
//     flight the id answers CONCURRENT_TRANSACTIONS. Time comes from a
//     Clock, so tests move it: transactions open past their timeout
//     (transaction.timeout.ms from the producer, at most
//     transaction.max.timeout.ms) are aborted under a bumped epoch, which
//     fences the producer. The driver loop, the creation and loading of
//     __transaction_state, replay and durable writes come from package
//     runtime, shared with the group coordinator.
//
// Completion (EndTxn, a timeout, or a new producer taking over an id with
// an open transaction): the PrepareCommit/PrepareAbort state is stored
// first; then a COMMIT or ABORT marker is appended to every partition of
// the transaction (single node: directly through the replica partitions,
// where Kafka sends WriteTxnMarkers to each leader) and awaited; markers
// in __consumer_offsets also settle the offsets staged by
// TxnOffsetCommit (Offsets.CompleteTxn); last the Complete state is
// stored and EndTxn answered. A stop in between leaves the Prepare state
// on disk and load completes it after the next start, so every
// transaction ends exactly as decided.
//
// Not done: transactional.id.expiration.ms (ids are kept forever),
// KIP-890 (transaction version 2), a coordinator epoch per partition
// (needed once coordinators move between brokers).
package txn
