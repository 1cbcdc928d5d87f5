// Package group is the group coordinator: classic consumer groups
// (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) and committed offsets.
//
// State lives in the compacted internal topic __consumer_offsets, in
// Kafka's own record formats (kmsg.OffsetCommitKey/Value,
// kmsg.GroupMetadataKey/Value; a null value is a tombstone), so Kafka
// tooling can read it. A group's partition is
// abs(javaHashCode(groupID)) % partitions, as in Kafka. The topic is
// created on first use; on start-up (or that first use) every partition
// is read from its log start to its high watermark to rebuild groups
// and offsets. Until then the API layer answers
// COORDINATOR_LOAD_IN_PROGRESS (see Ready).
//
// Layers:
//   - Group (group.go) is a pure state machine per group: Empty,
//     PreparingRebalance, CompletingRebalance, Stable, Dead. Every method
//     takes the current time and returns Effects: replies addressed to
//     parked requests (Tokens) and whether the group's metadata must be
//     stored. It has no goroutines, clock or I/O, so tests drive it with
//     made-up times.
//   - Coordinator (coordinator.go, requests.go) is the driver: ONE
//     goroutine owns every group, the token-to-reply table and the timer
//     (one shard for all of __consumer_offsets; a shard per partition,
//     Kafka's design, becomes worthwhile with several brokers leading
//     different partitions). Requests arrive through Do in submission
//     order; session expiry, rebalance and initial-delay deadlines come
//     from the Clock, so tests can substitute time.
//
// Durability: an OffsetCommit is answered, and its offsets become
// visible to OffsetFetch, only after its record is below the partition's
// high watermark (replica.Partition.WaitCommitted). SyncGroup answers
// wait for the group metadata record the same way. The waiting happens
// on a short-lived goroutine per write, which posts the result back to
// the driver; the driver itself never blocks on I/O other than the
// in-memory append.
//
// Transactional offsets (TxnOffsetCommit) are staged until the
// transaction coordinator reports the marker durable; see txn.go.
//
// Not done yet: offset expiry (offsets.retention.minutes), the KIP-848
// consumer protocol.
package group
