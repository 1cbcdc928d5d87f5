package log

import "errors"

// Sentinel errors. The API layer maps them to Kafka error codes.
var (
	// ErrOffsetOutOfRange: OFFSET_OUT_OF_RANGE.
	ErrOffsetOutOfRange = errors.New("log: offset out of range")
	// ErrCorrupt: data on disk or a batch handed to Append is malformed
	// (CORRUPT_MESSAGE).
	ErrCorrupt = errors.New("log: corrupt data")
	// ErrStorage: a write or sync failed; the log refuses further writes
	// (KAFKA_STORAGE_ERROR). It wraps the first cause.
	ErrStorage = errors.New("log: storage error")
	// ErrOutOfOrderSequence: OUT_OF_ORDER_SEQUENCE_NUMBER.
	ErrOutOfOrderSequence = errors.New("log: out of order sequence number")
	// ErrInvalidProducerEpoch: INVALID_PRODUCER_EPOCH.
	ErrInvalidProducerEpoch = errors.New("log: invalid producer epoch")
	// ErrUnknownProducerID: UNKNOWN_PRODUCER_ID, for a producer whose
	// state this log dropped when its start offset moved past it.
	ErrUnknownProducerID = errors.New("log: unknown producer id")
	// ErrClosed: the log was closed.
	ErrClosed = errors.New("log: closed")
)
