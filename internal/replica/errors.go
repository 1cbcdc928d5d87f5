package replica

import "errors"

var (
	// ErrUnknownTopicOrPartition: no such partition in the metadata image.
	ErrUnknownTopicOrPartition = errors.New("unknown topic or partition")
	// ErrNotLeader: the partition exists but this broker does not lead it.
	ErrNotLeader = errors.New("not leader for partition")
	// ErrStorage: the partition's log failed an I/O operation and is offline.
	ErrStorage = errors.New("storage error")
	// ErrMessageTooLarge: a batch exceeds max.message.bytes.
	ErrMessageTooLarge = errors.New("message too large")
	// ErrClosed: the manager is shutting down.
	ErrClosed = errors.New("replica manager closed")
)
