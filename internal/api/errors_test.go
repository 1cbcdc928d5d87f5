package api

import (
	"context"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"

	"strom/internal/config"
	"strom/internal/controller"
	plog "strom/internal/log"
	"strom/internal/record"
	"strom/internal/replica"
)

func TestErrCode(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("partition t-0: %w", err) }
	for _, tc := range []struct {
		err  error
		want *kerr.Error
	}{
		{context.DeadlineExceeded, kerr.RequestTimedOut},
		{wrap(plog.ErrOffsetOutOfRange), kerr.OffsetOutOfRange},
		{wrap(plog.ErrStorage), kerr.KafkaStorageError},
		{fmt.Errorf("%w: %v", replica.ErrStorage, plog.ErrOffsetOutOfRange), kerr.KafkaStorageError},
		{wrap(record.ErrCorrupt), kerr.CorruptMessage},
		{wrap(record.ErrInvalidRecord), kerr.InvalidRecord},
		{wrap(record.ErrUnsupportedMagic), kerr.UnsupportedForMessageFormat},
		{wrap(replica.ErrMessageTooLarge), kerr.MessageTooLarge},
		{wrap(replica.ErrUnknownTopicOrPartition), kerr.UnknownTopicOrPartition},
		{wrap(replica.ErrNotLeader), kerr.NotLeaderForPartition},
		{wrap(plog.ErrOutOfOrderSequence), kerr.OutOfOrderSequenceNumber},
		{wrap(plog.ErrInvalidProducerEpoch), kerr.InvalidProducerEpoch},
		{wrap(plog.ErrUnknownProducerID), kerr.UnknownProducerID},
		{wrap(controller.ErrTopicExists), kerr.TopicAlreadyExists},
		{wrap(controller.ErrUnknownTopic), kerr.UnknownTopicOrPartition},
		{wrap(controller.ErrInvalidTopic), kerr.InvalidTopicException},
		{wrap(controller.ErrInvalidPartitions), kerr.InvalidPartitions},
		{wrap(controller.ErrInvalidReplicationFactor), kerr.InvalidReplicationFactor},
		{wrap(controller.ErrInvalidReplicaAssignment), kerr.InvalidReplicaAssignment},
		{wrap(controller.ErrInvalidConfig), kerr.InvalidConfig},
		{wrap(controller.ErrInvalidRequest), kerr.InvalidRequest},
		{wrap(controller.ErrTopicDeletionDisabled), kerr.TopicDeletionDisabled},
		{wrap(controller.ErrNotController), kerr.NotController},
		{wrap(config.ErrUnknownConfig), kerr.InvalidConfig},
		{invalidRequest("Duplicate resource."), kerr.InvalidRequest},
		{kerr.UnknownTopicID, kerr.UnknownTopicID},
		{fmt.Errorf("something nobody classified"), kerr.UnknownServerError},
	} {
		if got := errCode(tc.err); got != tc.want.Code {
			t.Errorf("errCode(%v) = %v, want %v", tc.err, kerr.ErrorForCode(got), tc.want)
		}
	}
	if errCode(nil) != 0 || errMessage(nil) != nil {
		t.Error("nil error must map to code 0 and no message")
	}
	if m := errMessage(invalidRequest("Duplicate resource.")); m == nil || *m != "Duplicate resource." {
		t.Errorf("message %v", m)
	}
}
