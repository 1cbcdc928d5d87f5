package api

// Produce: v0-11
//
// Behavior:
// * v0-2 (message format v0/v1) are advertised, because librdkafka 2.0.2
//   only enables compression when the Produce range includes v0, but they
//   are answered with UNSUPPORTED_VERSION, as Kafka 4 does (KAFKA-18659).
// * Batches are validated (framing, magic 2, CRC-32C) and stored as sent;
//   only the base offset, partition leader epoch and, for LogAppendTime
//   topics, the timestamps are rewritten. Nothing is recompressed.
// * acks=0 sends no response. acks=1 and acks=-1 answer once the batch
//   is committed: on a single node that is once it has been fsynced
//   (flush.messages=1, the default) or written (relaxed flush).
// * Idempotent duplicates are answered with the original offsets.
// * timeout_ms bounds the wait for commit: REQUEST_TIMED_OUT after it.

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/replica"
)

func init() { register(0, 0, 11, handleProduce) }

func handleProduce(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	req := kreq.(*kmsg.ProduceRequest)
	resp := req.ResponseKind().(*kmsg.ProduceResponse)
	now := env.Now()

	type pending struct {
		t, p int
		part *replica.Partition
		last int64
	}
	var waits []pending

	resp.Topics = make([]kmsg.ProduceResponseTopic, len(req.Topics))
	for ti := range req.Topics {
		rt := &req.Topics[ti]
		st := &resp.Topics[ti]
		*st = kmsg.NewProduceResponseTopic()
		st.Topic = rt.Topic
		st.Partitions = make([]kmsg.ProduceResponseTopicPartition, len(rt.Partitions))
		for pi := range rt.Partitions {
			rp := &rt.Partitions[pi]
			sp := &st.Partitions[pi]
			*sp = kmsg.NewProduceResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.BaseOffset, sp.LogAppendTime, sp.LogStartOffset = -1, -1, -1
			if req.Version < 3 {
				sp.ErrorCode = kerr.UnsupportedVersion.Code
				continue
			}
			if req.TransactionID != nil {
				// Transactions arrive with the group/transaction coordinator.
				sp.ErrorCode = kerr.TransactionalIDAuthorizationFailed.Code
				continue
			}
			part, err := env.Replicas.Partition(rt.Topic, rp.Partition)
			if err != nil {
				sp.ErrorCode = errCode(err)
				continue
			}
			if len(rp.Records) == 0 {
				sp.ErrorCode = kerr.CorruptMessage.Code
				continue
			}
			res, err := part.Append(rp.Records, now)
			if err != nil {
				sp.ErrorCode = errCode(err)
				sp.ErrorMessage = errMessage(err)
				continue
			}
			sp.BaseOffset, sp.LogAppendTime, sp.LogStartOffset = res.FirstOffset, res.LogAppendTime, res.LogStart
			if req.Acks != 0 {
				waits = append(waits, pending{ti, pi, part, res.LastOffset})
			}
		}
	}
	if req.Acks == 0 {
		return Result{None: true}
	}
	if len(waits) == 0 {
		return Reply(resp)
	}
	timeout := time.Duration(req.TimeoutMillis) * time.Millisecond
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	return Result{Later: func() kmsg.Response {
		ctx, cancel := context.WithTimeout(cc.Ctx, timeout)
		defer cancel()
		for _, w := range waits {
			if err := w.part.WaitCommitted(ctx, w.last); err != nil {
				sp := &resp.Topics[w.t].Partitions[w.p]
				sp.BaseOffset = -1
				if ctx.Err() != nil && cc.Ctx.Err() == nil {
					sp.ErrorCode = kerr.RequestTimedOut.Code
				} else {
					sp.ErrorCode = errCode(err)
				}
			}
		}
		return resp
	}}
}
