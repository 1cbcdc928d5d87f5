package api

import (
	"context"
	"errors"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kerr"

	"strom/internal/config"
	"strom/internal/controller"
	plog "strom/internal/log"
	"strom/internal/metadata"
	"strom/internal/record"
	"strom/internal/replica"
)

// errTable maps the sentinel errors of the layers below to Kafka error
// codes. This is the only place where internal errors become protocol
// codes (STYLE.md habit 9); packages below wrap with %w and the first
// matching row wins, so more specific rows come first.
var errTable = []struct {
	err  error
	kerr *kerr.Error
}{
	// A deadline means the request's own timeout passed, which Kafka
	// reports as REQUEST_TIMED_OUT; cancellation happens when the
	// connection or broker goes away and the answer is never read.
	{context.DeadlineExceeded, kerr.RequestTimedOut},
	{context.Canceled, kerr.RequestTimedOut},

	// Storage first: a partition taken offline wraps the cause, and
	// clients must see KAFKA_STORAGE_ERROR (retriable, they re-fetch
	// metadata) rather than whatever the cause was.
	{replica.ErrStorage, kerr.KafkaStorageError},
	{plog.ErrStorage, kerr.KafkaStorageError},

	{replica.ErrUnknownTopicOrPartition, kerr.UnknownTopicOrPartition},
	{replica.ErrNotLeader, kerr.NotLeaderForPartition},
	// Closing means this broker is going away: a retriable "ask someone
	// else" is what clients handle best.
	{replica.ErrClosed, kerr.NotLeaderForPartition},
	{plog.ErrClosed, kerr.NotLeaderForPartition},
	{replica.ErrMessageTooLarge, kerr.MessageTooLarge},
	{replica.ErrInvalidRecord, kerr.InvalidRecord},

	{plog.ErrOffsetOutOfRange, kerr.OffsetOutOfRange},
	{plog.ErrOutOfOrderSequence, kerr.OutOfOrderSequenceNumber},
	{plog.ErrInvalidProducerEpoch, kerr.InvalidProducerEpoch},
	{plog.ErrUnknownProducerID, kerr.UnknownProducerID},
	{plog.ErrCorrupt, kerr.CorruptMessage},

	{record.ErrCorrupt, kerr.CorruptMessage},
	{record.ErrShortBatch, kerr.CorruptMessage},
	{record.ErrUnsupportedMagic, kerr.UnsupportedForMessageFormat},
	{record.ErrInvalidRecord, kerr.InvalidRecord},
	{record.ErrTooLarge, kerr.InvalidRecord},

	{controller.ErrTopicExists, kerr.TopicAlreadyExists},
	{controller.ErrUnknownTopic, kerr.UnknownTopicOrPartition},
	{controller.ErrInvalidTopic, kerr.InvalidTopicException},
	{metadata.ErrInvalidTopic, kerr.InvalidTopicException},
	{controller.ErrInvalidPartitions, kerr.InvalidPartitions},
	{controller.ErrInvalidReplicationFactor, kerr.InvalidReplicationFactor},
	{controller.ErrInvalidReplicaAssignment, kerr.InvalidReplicaAssignment},
	{controller.ErrInvalidConfig, kerr.InvalidConfig},
	{controller.ErrInvalidRequest, kerr.InvalidRequest},
	{controller.ErrTopicDeletionDisabled, kerr.TopicDeletionDisabled},
	{controller.ErrNotController, kerr.NotController},

	{config.ErrUnknownConfig, kerr.InvalidConfig},
	{config.ErrInvalidValue, kerr.InvalidConfig},
}

// errCode returns the Kafka error code for err: 0 for nil, the mapped
// code for a known sentinel, and UNKNOWN_SERVER_ERROR otherwise. An
// unknown error is a bug or an unclassified failure, so it is logged:
// the client only ever sees the generic code.
func errCode(err error) int16 {
	if err == nil {
		return 0
	}
	for _, row := range errTable {
		if errors.Is(err, row.err) {
			return row.kerr.Code
		}
	}
	if ke := (*kerr.Error)(nil); errors.As(err, &ke) {
		// Handlers may return a Kafka error directly for conditions
		// that exist only at the protocol edge (UNKNOWN_TOPIC_ID).
		return ke.Code
	}
	slog.Default().Error("unmapped error answered as UNKNOWN_SERVER_ERROR", "err", err)
	return kerr.UnknownServerError.Code
}

// errMessage is the ErrorMessage field for err: nil when there is no
// error, else the wrapped error text, which carries the reason (the
// config key, the partition counts) that Kafka's messages carry.
func errMessage(err error) *string {
	if err == nil {
		return nil
	}
	s := err.Error()
	return &s
}

// edgeError is a failure that exists only at the protocol edge (a
// malformed request, an unknown topic ID): it carries the Kafka error
// directly and the message Kafka would send.
type edgeError struct {
	code *kerr.Error
	msg  string
}

func (e *edgeError) Error() string { return e.msg }
func (e *edgeError) Unwrap() error { return e.code }

func invalidRequest(msg string) error { return &edgeError{kerr.InvalidRequest, msg} }
