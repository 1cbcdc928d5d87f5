package api

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestDeleteRecords(t *testing.T) {
	e := newTestEnv(t, nil)
	e.createTopic(t, "t", 1, nil)
	e.produce(t, "t", 0, 10) // offsets 0-9, high watermark 10

	for _, tc := range []struct {
		name      string
		topic     string
		partition int32
		offset    int64
		wantErr   int16
		wantLow   int64
	}{
		{"advance", "t", 0, 4, 0, 4},
		{"backwards is a no-op", "t", 0, 2, 0, 4},
		{"past high watermark", "t", 0, 11, kerr.OffsetOutOfRange.Code, -1},
		{"below -1", "t", 0, -5, kerr.OffsetOutOfRange.Code, -1},
		{"-1 means high watermark", "t", 0, -1, 0, 10},
		{"unknown partition", "t", 7, 0, kerr.UnknownTopicOrPartition.Code, -1},
		{"unknown topic", "nope", 0, 0, kerr.UnknownTopicOrPartition.Code, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for v := int16(0); v <= 2; v += 2 {
				req := kmsg.NewPtrDeleteRecordsRequest()
				rt := kmsg.NewDeleteRecordsRequestTopic()
				rt.Topic = tc.topic
				rp := kmsg.NewDeleteRecordsRequestTopicPartition()
				rp.Partition, rp.Offset = tc.partition, tc.offset
				rt.Partitions = append(rt.Partitions, rp)
				req.Topics = append(req.Topics, rt)
				resp := e.do(t, req, v).(*kmsg.DeleteRecordsResponse)
				sp := resp.Topics[0].Partitions[0]
				if sp.ErrorCode != tc.wantErr || sp.LowWatermark != tc.wantLow {
					t.Fatalf("v%d: got (%v, %d), want (%v, %d)", v, kerr.ErrorForCode(sp.ErrorCode), sp.LowWatermark, kerr.ErrorForCode(tc.wantErr), tc.wantLow)
				}
			}
		})
	}
	if got := e.waitPartition(t, "t", 0).LogStartOffset(); got != 10 {
		t.Fatalf("log start offset %d, want 10", got)
	}
}
