package api

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestOffsetForLeaderEpoch(t *testing.T) {
	e := newTestEnv(t, nil)
	e.createTopic(t, "t", 1, nil)
	e.createTopic(t, "empty", 1, nil)
	e.produce(t, "t", 0, 5) // epoch 0, offsets 0-4

	for _, tc := range []struct {
		name      string
		version   int16
		topic     string
		partition int32
		current   int32
		epoch     int32
		wantErr   int16
		wantEpoch int32
		wantEnd   int64
	}{
		{"current epoch ends at log end", 4, "t", 0, 0, 0, 0, 0, 5},
		{"current epoch v0", 0, "t", 0, -1, 0, 0, -1, 5}, // v0 has no epoch in the response
		{"empty log", 3, "empty", 0, -1, 0, 0, 0, 0},
		{"future epoch is undefined", 4, "t", 0, -1, 3, 0, -1, -1},
		{"fenced", 4, "t", 0, -2, 0, kerr.FencedLeaderEpoch.Code, -1, -1},
		{"unknown leader epoch", 4, "t", 0, 9, 0, kerr.UnknownLeaderEpoch.Code, -1, -1},
		{"unknown partition", 4, "t", 3, -1, 0, kerr.UnknownTopicOrPartition.Code, -1, -1},
		{"unknown topic", 2, "nope", 0, -1, 0, kerr.UnknownTopicOrPartition.Code, -1, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := kmsg.NewPtrOffsetForLeaderEpochRequest()
			rt := kmsg.NewOffsetForLeaderEpochRequestTopic()
			rt.Topic = tc.topic
			rp := kmsg.NewOffsetForLeaderEpochRequestTopicPartition()
			rp.Partition, rp.CurrentLeaderEpoch, rp.LeaderEpoch = tc.partition, tc.current, tc.epoch
			rt.Partitions = append(rt.Partitions, rp)
			req.Topics = append(req.Topics, rt)
			resp := e.do(t, req, tc.version).(*kmsg.OffsetForLeaderEpochResponse)
			sp := resp.Topics[0].Partitions[0]
			if sp.ErrorCode != tc.wantErr || sp.LeaderEpoch != tc.wantEpoch || sp.EndOffset != tc.wantEnd {
				t.Fatalf("got (%v, epoch %d, end %d), want (%v, epoch %d, end %d)",
					kerr.ErrorForCode(sp.ErrorCode), sp.LeaderEpoch, sp.EndOffset,
					kerr.ErrorForCode(tc.wantErr), tc.wantEpoch, tc.wantEnd)
			}
		})
	}
}
