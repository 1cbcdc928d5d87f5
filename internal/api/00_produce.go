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
// * Transactional produce (transactional_id set): each partition must be
//   in the producer's ongoing transaction (AddPartitionsToTxn), checked
//   with the transaction coordinator as KIP-890 does; otherwise
//   INVALID_TXN_STATE. A producer epoch the coordinator has moved past
//   (fenced) is INVALID_PRODUCER_EPOCH, an unknown producer id
//   INVALID_PRODUCER_ID_MAPPING. The records stay invisible to
//   read_committed consumers until the transaction's marker.

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/coordinator/txn"
	"strom/internal/record"
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
	verdicts := verifyTxn(env, cc, req)

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
			if verdicts != nil {
				if code := verdicts[ti][pi]; code != 0 {
					sp.ErrorCode = code
					continue
				}
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

// verifyTxn asks the transaction coordinator, in one round trip, whether
// each partition of a transactional produce belongs to the producer's
// ongoing transaction. It returns nil for a non-transactional request,
// else a code per topic and partition (0: go ahead).
func verifyTxn(env *Env, cc *ConnInfo, req *kmsg.ProduceRequest) [][]int16 {
	if req.TransactionID == nil || req.Version < 3 {
		return nil
	}
	out := make([][]int16, len(req.Topics))
	fill := func(code int16) [][]int16 {
		for ti := range req.Topics {
			out[ti] = make([]int16, len(req.Topics[ti].Partitions))
			for pi := range out[ti] {
				out[ti][pi] = code
			}
		}
		return out
	}
	if env.Txns == nil {
		return fill(kerr.TransactionalIDAuthorizationFailed.Code)
	}
	if !env.Txns.IsReady() {
		// Only right after a restart: the producer's InitProducerId
		// needed the coordinator loaded, so this wait is short.
		ctx, cancel := context.WithTimeout(cc.Ctx, coordinatorWait)
		err := env.Txns.Ready(ctx, false)
		cancel()
		if err != nil {
			return fill(kerr.NotEnoughReplicas.Code)
		}
	}
	var tps []txn.TP
	pid, epoch := int64(-1), int16(-1)
	for _, rt := range req.Topics {
		for _, rp := range rt.Partitions {
			tps = append(tps, txn.TP{Topic: rt.Topic, Partition: rp.Partition})
			if h, err := record.ParseHeader(rp.Records); err == nil && pid < 0 {
				pid, epoch = h.ProducerID, h.ProducerEpoch
			}
		}
	}
	codes := env.Txns.Verify(*req.TransactionID, pid, epoch, tps)
	i := 0
	for ti := range req.Topics {
		out[ti] = codes[i : i+len(req.Topics[ti].Partitions)]
		i += len(req.Topics[ti].Partitions)
	}
	return out
}
