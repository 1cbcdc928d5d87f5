package api

// Fetch: v4-13
//
// Behavior:
// * Returns whole stored batches starting with the batch that contains
//   the fetch offset (a batch may start before it, as in Kafka), never past
//   the high watermark.
// * max_bytes (capped at 55 MiB, Kafka's fetch.max.bytes) bounds the
//   response, except that the first non-empty
//   partition always gets at least one batch (KIP-74); per-partition
//   max bytes bound each partition the same way.
// * Long poll: with fewer than min_bytes available the response waits up
//   to max_wait_ms for more, waking whenever a high watermark moves.
// * Fetch sessions (KIP-227) are not kept: every response has session id
//   0, which clients treat as "send full fetches". An incremental fetch
//   for a session gets FETCH_SESSION_ID_NOT_FOUND.
// * current_leader_epoch (v9+) is checked: FENCED_LEADER_EPOCH if older,
//   UNKNOWN_LEADER_EPOCH if newer.
// * v13 addresses topics by ID; unknown IDs get UNKNOWN_TOPIC_ID.
// * v0-3 (message formats v0/v1) are not offered: records are stored as
//   v2 batches and never down-converted.
// * read_committed (isolation_level 1) reads stop at the last stable
//   offset (the first offset of the oldest open transaction, at most the
//   high watermark), and the response lists the aborted transactions
//   that overlap the returned batches, so the client drops their records.
//   last_stable_offset is reported at both isolation levels.

import (
	"errors"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	plog "strom/internal/log"
	"strom/internal/record"
	"strom/internal/replica"
)

func init() { register(1, 4, 13, handleFetch) }

// fetchMaxBytes is Kafka's fetch.max.bytes default.
const fetchMaxBytes = 55 << 20

func handleFetch(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	req := kreq.(*kmsg.FetchRequest)
	if req.Version >= 7 && req.SessionID != 0 && req.SessionEpoch > 0 {
		resp := req.ResponseKind().(*kmsg.FetchResponse)
		resp.ErrorCode = kerr.FetchSessionIDNotFound.Code
		return Reply(resp)
	}
	resp, n := buildFetch(env, req)
	if n >= int(req.MinBytes) || req.MaxWaitMillis <= 0 || fetchHasError(resp) {
		return Reply(resp)
	}
	deadline := time.Now().Add(time.Duration(req.MaxWaitMillis) * time.Millisecond)
	return Result{Later: func() kmsg.Response {
		timer := time.NewTimer(time.Until(deadline))
		defer timer.Stop()
		for {
			sig := env.Replicas.Signal()
			resp, n = buildFetch(env, req)
			if n >= int(req.MinBytes) || fetchHasError(resp) {
				return resp
			}
			select {
			case <-sig:
			case <-timer.C:
				return resp
			case <-cc.Ctx.Done():
				return resp
			}
		}
	}}
}

func fetchHasError(resp *kmsg.FetchResponse) bool {
	for i := range resp.Topics {
		for j := range resp.Topics[i].Partitions {
			if resp.Topics[i].Partitions[j].ErrorCode != 0 {
				return true
			}
		}
	}
	return false
}

// buildFetch reads what is available now and reports how many record
// bytes the response carries.
func buildFetch(env *Env, req *kmsg.FetchRequest) (*kmsg.FetchResponse, int) {
	resp := req.ResponseKind().(*kmsg.FetchResponse)
	img := env.Controller.Image()
	// Kafka's broker caps every fetch at fetch.max.bytes (55 MiB) whatever
	// the client asks for, which bounds what one response can pin.
	maxBytes := int(req.MaxBytes)
	if maxBytes <= 0 || maxBytes > fetchMaxBytes {
		maxBytes = fetchMaxBytes
	}
	total := 0
	resp.Topics = make([]kmsg.FetchResponseTopic, 0, len(req.Topics))
	for _, rt := range req.Topics {
		st := kmsg.NewFetchResponseTopic()
		st.Topic, st.TopicID = rt.Topic, rt.TopicID
		topicErr := int16(0)
		if req.Version >= 13 {
			t := img.TopicsByID[rt.TopicID]
			if t == nil {
				topicErr = kerr.UnknownTopicID.Code
			} else {
				st.Topic = t.Name
			}
		}
		st.Partitions = make([]kmsg.FetchResponseTopicPartition, 0, len(rt.Partitions))
		for _, rp := range rt.Partitions {
			sp := kmsg.NewFetchResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.HighWatermark, sp.LastStableOffset, sp.LogStartOffset = -1, -1, -1
			if topicErr != 0 {
				sp.ErrorCode = topicErr
				st.Partitions = append(st.Partitions, sp)
				continue
			}
			part, err := env.Replicas.Partition(st.Topic, rp.Partition)
			if err != nil {
				sp.ErrorCode = errCode(err)
				st.Partitions = append(st.Partitions, sp)
				continue
			}
			if req.Version >= 9 && rp.CurrentLeaderEpoch >= 0 {
				if e := part.LeaderEpoch(); rp.CurrentLeaderEpoch < e {
					sp.ErrorCode = kerr.FencedLeaderEpoch.Code
				} else if rp.CurrentLeaderEpoch > e {
					sp.ErrorCode = kerr.UnknownLeaderEpoch.Code
				}
				if sp.ErrorCode != 0 {
					st.Partitions = append(st.Partitions, sp)
					continue
				}
			}
			hwm := part.HighWatermark()
			sp.HighWatermark, sp.LastStableOffset, sp.LogStartOffset = hwm, part.LastStableOffset(), part.LogStartOffset()
			committed := req.IsolationLevel == 1
			if committed {
				sp.AbortedTransactions = []kmsg.FetchResponseTopicPartitionAbortedTransaction{}
			}
			limit := int(rp.PartitionMaxBytes)
			if rem := maxBytes - total; total > 0 && rem < limit {
				limit = rem
			}
			if limit <= 0 && total > 0 {
				st.Partitions = append(st.Partitions, sp)
				continue
			}
			if limit <= 0 {
				limit = 1
			}
			read := part.Read
			if committed {
				read = part.ReadCommitted
			}
			data, err := read(rp.FetchOffset, int32(limit))
			switch {
			case errors.Is(err, plog.ErrOffsetOutOfRange):
				sp.ErrorCode = kerr.OffsetOutOfRange.Code
			case err != nil:
				sp.ErrorCode = errCode(err)
			case total > 0 && len(data) > limit:
				// Only the first non-empty partition may exceed the limit.
			default:
				sp.RecordBatches = data
				total += len(data)
				if committed && len(data) > 0 {
					sp.AbortedTransactions = abortedIn(part, rp.FetchOffset, data)
				}
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, total
}

// abortedIn lists the aborted transactions overlapping the batches read
// from fetchOffset (up to the end of the last one), in Kafka's form.
func abortedIn(part *replica.Partition, fetchOffset int64, data []byte) []kmsg.FetchResponseTopicPartitionAbortedTransaction {
	end := fetchOffset
	_ = record.Each(data, func(h record.Header, _ []byte) error {
		end = h.LastOffset() + 1
		return nil
	})
	out := []kmsg.FetchResponseTopicPartitionAbortedTransaction{}
	for _, a := range part.AbortedTxns(fetchOffset, end) {
		at := kmsg.NewFetchResponseTopicPartitionAbortedTransaction()
		at.ProducerID, at.FirstOffset = a.ProducerID, a.FirstOffset
		out = append(out, at)
	}
	return out
}
