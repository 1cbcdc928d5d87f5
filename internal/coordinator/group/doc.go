// Package group is the group coordinator: classic consumer groups
// (JoinGroup, SyncGroup, Heartbeat, LeaveGroup), KIP-848 consumer
// groups (ConsumerGroupHeartbeat, ConsumerGroupDescribe) and committed
// offsets.
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
//     from the Clock, so tests can substitute time. The driver loop, the
//     creation and loading of __consumer_offsets, replay and durable
//     writes come from package runtime, shared with the transaction
//     coordinator.
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
// KIP-848 consumer groups (consumer*.go): ConsumerGroup is a pure state
// machine like Group (member epochs, group and assignment epochs, a
// target assignment from a server-side assignor, "uniform" by default or
// "range", reconciliation in which a partition reaches its new owner
// only after the previous owner stopped reporting it). A group id is
// classic or consumer, never both: ConsumerGroupHeartbeat to a classic
// group with members is GROUP_ID_NOT_FOUND, JoinGroup to a consumer
// group with members INCONSISTENT_GROUP_PROTOCOL (no online migration).
// Committed offsets of a consumer group stay in the classic Group value
// of the same id, which then has no members. Kafka stores these groups
// as record types kmsg does not carry (key versions 3-8); Strom writes
// one record per group with a key version of its own, 1848, that
// Kafka's loaders and this package's classic loader never confuse with
// theirs (format in consumer_record.go). Settings come from the raw
// properties group.consumer.heartbeat.interval.ms (5000),
// group.consumer.session.timeout.ms (45000) and group.consumer.max.size
// (unlimited).
//
// Not done yet: offset expiry (offsets.retention.minutes); for KIP-848,
// online migration between classic and consumer groups, OffsetFetch v9+
// member epoch checks, rack-aware assignment.
package group
