// Package controller is the only writer of cluster metadata. It validates
// admin requests (create/delete topics, create partitions, alter configs)
// against the current metadata image, turns them into metadata records,
// proposes them to the Raft quorum (internal/raft) and publishes each new
// image to subscribers.
//
// # Contracts
//
//   - Image never returns nil after Start and is immutable; readers never
//     lock. A write method returns only after its records are committed,
//     applied to the image and delivered to every subscriber, so a caller
//     that reads Image (or a partition log a subscriber created) after it
//     returns sees the effect.
//   - Errors wrap the package's sentinels (ErrTopicExists, ...); their
//     Error() text is Kafka's message for the same case, so API handlers
//     map the sentinel to a Kafka error code and pass the text through.
//   - Each topic of a CreateTopics call is validated on its own; one bad
//     topic does not fail the others. All accepted topics of a call are
//     proposed as one record batch, applied atomically.
//   - The raft node id is NodeID+1, since raft reserves 0 and Kafka node
//     ids start at 0.
//
// # Concurrency
//
// Write methods are serialised by writeMu, held across validate, propose
// and apply, so two concurrent creates of one name cannot both pass
// validation. The raft driver goroutine applies records and swaps the
// image pointer; a separate publisher goroutine calls subscribers in apply
// order, so a slow subscriber never stalls the quorum. Subscriber
// callbacks must not call the controller's write methods or Subscribe
// (they would wait on themselves).
//
// Lock order: writeMu, then pubMu. Neither is held during I/O except
// writeMu, which spans a proposal by design (metadata writes are rare).
package controller
