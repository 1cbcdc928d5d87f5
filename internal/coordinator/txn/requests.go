package txn

import (
	"regexp"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/coordinator/group"
)

// Do serves one transaction request on the driver: InitProducerID with a
// transactional id, AddPartitionsToTxn (v0-3), AddOffsetsToTxn, EndTxn,
// DescribeTransactions and ListTransactions. The response arrives on the
// returned channel (buffered); requests take effect in submission order.
func (c *Coordinator) Do(req kmsg.Request) <-chan kmsg.Response {
	return c.call(func() kmsg.Response { return ErrorResponse(req, kerr.CoordinatorNotAvailable.Code) }, func(reply func(kmsg.Response)) {
		now := c.clock.Now()
		switch r := req.(type) {
		case *kmsg.InitProducerIDRequest:
			c.initProducer(now, r, reply)
		case *kmsg.AddPartitionsToTxnRequest:
			var tps []TP
			for _, t := range r.Topics {
				for _, p := range t.Partitions {
					tps = append(tps, TP{t.Topic, p})
				}
			}
			c.addPartitions(now, r, r.TransactionalID, r.ProducerID, r.ProducerEpoch, tps, reply)
		case *kmsg.AddOffsetsToTxnRequest:
			tp := TP{group.OffsetsTopic, group.PartitionFor(r.Group, c.offsetsPartitions())}
			c.addPartitions(now, r, r.TransactionalID, r.ProducerID, r.ProducerEpoch, []TP{tp}, reply)
		case *kmsg.EndTxnRequest:
			c.endTxn(now, r, reply)
		case *kmsg.DescribeTransactionsRequest:
			reply(c.describe(r))
		case *kmsg.ListTransactionsRequest:
			reply(c.list(now, r))
		default:
			reply(ErrorResponse(req, kerr.InvalidRequest.Code))
		}
	})
}

// offsetsPartitions is the partition count of __consumer_offsets, or the
// count it will be created with.
func (c *Coordinator) offsetsPartitions() int32 {
	if t := c.cfg.Topics.Image().Topic(group.OffsetsTopic); t != nil {
		return int32(len(t.Partitions))
	}
	return c.cfg.Broker.OffsetsTopicNumPartitions
}

// fenced is PRODUCER_FENCED for clients that know it (KIP-588) and
// INVALID_PRODUCER_EPOCH, which they treat the same way, for older ones.
func fenced(code int16, version, since int16) int16 {
	if code == kerr.ProducerFenced.Code && version < since {
		return kerr.InvalidProducerEpoch.Code
	}
	return code
}

func (c *Coordinator) initProducer(now time.Time, req *kmsg.InitProducerIDRequest, reply func(kmsg.Response)) {
	resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
	resp.ProducerID, resp.ProducerEpoch = -1, -1
	fail := func(code int16) {
		resp.ErrorCode = fenced(code, req.Version, 4)
		reply(resp)
	}
	id := *req.TransactionalID
	if req.TransactionTimeoutMillis <= 0 || req.TransactionTimeoutMillis > c.cfg.Broker.TransactionMaxTimeoutMs {
		fail(kerr.InvalidTransactionTimeout.Code)
		return
	}
	reqPID, reqEpoch := int64(-1), int16(-1)
	if req.Version >= 3 {
		reqPID, reqEpoch = req.ProducerID, req.ProducerEpoch
	}
	t := c.txns[id]
	isNew := t == nil
	if isNew {
		if reqPID >= 0 {
			// A producer id for an id this coordinator never had.
			fail(kerr.InvalidProducerIDMapping.Code)
			return
		}
		t = NewTxn(id)
	}
	res := t.InitProducer(now, reqPID, reqEpoch, req.TransactionTimeoutMillis, c.cfg.ProducerIDs.Next)
	switch res.Action {
	case InitRejected:
		fail(res.Code)
	case InitReply:
		resp.ProducerID, resp.ProducerEpoch = t.ProducerID, t.Epoch
		reply(resp)
	case InitAbort:
		c.log.Info("fencing producer: aborting its open transaction", "transactional_id", id, "producer_id", t.ProducerID, "epoch", t.Epoch)
		c.store(t, res.Next, func(err error) {
			if err == nil {
				c.complete(t, nil)
			}
		})
		fail(kerr.ConcurrentTransactions.Code)
	case InitWrite:
		if isNew {
			c.txns[id] = t
		}
		c.store(t, res.Next, func(err error) {
			if err != nil {
				if isNew && t.ProducerID < 0 {
					delete(c.txns, id)
				}
				fail(kerr.CoordinatorNotAvailable.Code)
				return
			}
			resp.ProducerID, resp.ProducerEpoch = t.ProducerID, t.Epoch
			reply(resp)
		})
	}
}

func (c *Coordinator) addPartitions(now time.Time, req kmsg.Request, id string, pid int64, epoch int16, tps []TP, reply func(kmsg.Response)) {
	answer := func(code int16) {
		reply(addResponse(req, fenced(code, req.GetVersion(), 2), nil))
	}
	t := c.txns[id]
	if t == nil {
		answer(kerr.InvalidProducerIDMapping.Code)
		return
	}
	// Partitions of topics that do not exist fail the whole request, as
	// in Kafka: those get UNKNOWN_TOPIC_OR_PARTITION, the others
	// OPERATION_NOT_ATTEMPTED.
	img := c.cfg.Topics.Image()
	bad := map[TP]bool{}
	for _, tp := range tps {
		if tp.Topic == group.OffsetsTopic {
			continue
		}
		if top := img.Topic(tp.Topic); top == nil || tp.Partition < 0 || int(tp.Partition) >= len(top.Partitions) {
			bad[tp] = true
		}
	}
	if len(bad) > 0 {
		reply(addResponse(req, 0, bad))
		return
	}
	next, write, code := t.AddPartitions(now, pid, epoch, tps)
	if code != 0 || !write {
		answer(code)
		return
	}
	c.store(t, next, func(err error) {
		if err != nil {
			answer(kerr.CoordinatorNotAvailable.Code)
			return
		}
		answer(0)
	})
}

// addResponse answers AddPartitionsToTxn (every partition with code, or
// with the per-partition verdicts in bad) or AddOffsetsToTxn.
func addResponse(req kmsg.Request, code int16, bad map[TP]bool) kmsg.Response {
	switch r := req.(type) {
	case *kmsg.AddOffsetsToTxnRequest:
		resp := r.ResponseKind().(*kmsg.AddOffsetsToTxnResponse)
		resp.ErrorCode = code
		if bad != nil {
			resp.ErrorCode = kerr.UnknownTopicOrPartition.Code
		}
		return resp
	case *kmsg.AddPartitionsToTxnRequest:
		resp := r.ResponseKind().(*kmsg.AddPartitionsToTxnResponse)
		for _, t := range r.Topics {
			rt := kmsg.NewAddPartitionsToTxnResponseTopic()
			rt.Topic = t.Topic
			for _, p := range t.Partitions {
				rp := kmsg.NewAddPartitionsToTxnResponseTopicPartition()
				rp.Partition, rp.ErrorCode = p, code
				if bad != nil {
					rp.ErrorCode = kerr.OperationNotAttempted.Code
					if bad[TP{t.Topic, p}] {
						rp.ErrorCode = kerr.UnknownTopicOrPartition.Code
					}
				}
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
		return resp
	}
	return req.ResponseKind()
}

func (c *Coordinator) endTxn(now time.Time, req *kmsg.EndTxnRequest, reply func(kmsg.Response)) {
	resp := req.ResponseKind().(*kmsg.EndTxnResponse)
	answer := func(code int16) {
		resp.ErrorCode = fenced(code, req.Version, 2)
		reply(resp)
	}
	t := c.txns[req.TransactionalID]
	if t == nil {
		answer(kerr.InvalidProducerIDMapping.Code)
		return
	}
	next, done, code := t.EndTxn(now, req.ProducerID, req.ProducerEpoch, req.Commit)
	if code != 0 || done {
		answer(code)
		return
	}
	// Answered once every marker is durable and the Complete state
	// stored: when EndTxn returns, read_committed consumers can see the
	// outcome and committed offsets are visible to OffsetFetch. (Kafka
	// answers after the Prepare write; waiting longer is allowed and
	// spares clients CONCURRENT_TRANSACTIONS retries on the next begin.)
	c.store(t, next, func(err error) {
		if err != nil {
			answer(kerr.CoordinatorNotAvailable.Code)
			return
		}
		c.complete(t, answer)
	})
}

func (c *Coordinator) describe(req *kmsg.DescribeTransactionsRequest) *kmsg.DescribeTransactionsResponse {
	resp := req.ResponseKind().(*kmsg.DescribeTransactionsResponse)
	for _, id := range req.TransactionalIDs {
		st := kmsg.NewDescribeTransactionsResponseTransactionState()
		st.TransactionalID = id
		t := c.txns[id]
		if t == nil {
			st.ErrorCode = kerr.TransactionalIDNotFound.Code
			resp.TransactionStates = append(resp.TransactionStates, st)
			continue
		}
		st.State, st.TimeoutMillis, st.StartTimestamp = t.State.String(), t.TimeoutMs, t.StartMs
		st.ProducerID, st.ProducerEpoch = t.ProducerID, t.Epoch
		for _, tp := range t.SortedPartitions() {
			if n := len(st.Topics); n == 0 || st.Topics[n-1].Topic != tp.Topic {
				rt := kmsg.NewDescribeTransactionsResponseTransactionStateTopic()
				rt.Topic = tp.Topic
				st.Topics = append(st.Topics, rt)
			}
			st.Topics[len(st.Topics)-1].Partitions = append(st.Topics[len(st.Topics)-1].Partitions, tp.Partition)
		}
		resp.TransactionStates = append(resp.TransactionStates, st)
	}
	return resp
}

func (c *Coordinator) list(now time.Time, req *kmsg.ListTransactionsRequest) *kmsg.ListTransactionsResponse {
	resp := req.ResponseKind().(*kmsg.ListTransactionsResponse)
	states := map[string]bool{}
	for _, s := range req.StateFilters {
		known := false
		for st := Empty; st <= PrepareEpochFence; st++ {
			if st.String() == s {
				known = true
			}
		}
		if !known {
			resp.UnknownStateFilters = append(resp.UnknownStateFilters, s)
		}
		states[s] = true
	}
	pids := map[int64]bool{}
	for _, p := range req.ProducerIDFilters {
		pids[p] = true
	}
	var pattern *regexp.Regexp
	if req.TransactionalIDPattern != nil && *req.TransactionalIDPattern != "" {
		re, err := regexp.Compile(*req.TransactionalIDPattern)
		if err != nil {
			resp.ErrorCode = kerr.InvalidRegularExpression.Code
			return resp
		}
		pattern = re
	}
	ids := make([]string, 0, len(c.txns))
	for id := range c.txns {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		t := c.txns[id]
		switch {
		case len(states) > 0 && !states[t.State.String()]:
			continue
		case len(pids) > 0 && !pids[t.ProducerID]:
			continue
		case pattern != nil && !pattern.MatchString(id):
			continue
		case req.DurationFilterMillis >= 0 && req.Version >= 1 &&
			(t.State != Ongoing || now.UnixMilli()-t.StartMs < req.DurationFilterMillis):
			// Only transactions running longer than the filter.
			continue
		}
		st := kmsg.NewListTransactionsResponseTransactionState()
		st.TransactionalID, st.ProducerID, st.TransactionState = id, t.ProducerID, t.State.String()
		resp.TransactionStates = append(resp.TransactionStates, st)
	}
	return resp
}

// Verify checks, for a transactional produce of producer pid/epoch under
// id, that each partition is part of the ongoing transaction. It returns
// one Kafka error code per partition (0: accept).
func (c *Coordinator) Verify(id string, pid int64, epoch int16, tps []TP) []int16 {
	out := make([]int16, len(tps))
	if !c.rt.Call(func() {
		t := c.txns[id]
		for i, tp := range tps {
			if t == nil {
				out[i] = kerr.InvalidProducerIDMapping.Code
				continue
			}
			out[i] = t.Verify(pid, epoch, tp)
		}
	}) {
		for i := range out {
			out[i] = kerr.NotLeaderForPartition.Code
		}
		return out
	}
	return out
}

// Query runs fn on the driver with read access to the transactional ids
// (tests and introspection); fn must not keep references.
func (c *Coordinator) Query(fn func(txns map[string]*Txn)) {
	c.rt.Call(func() { fn(c.txns) })
}

// ErrorResponse answers a transaction request with code.
func ErrorResponse(req kmsg.Request, code int16) kmsg.Response {
	switch r := req.(type) {
	case *kmsg.InitProducerIDRequest:
		resp := r.ResponseKind().(*kmsg.InitProducerIDResponse)
		resp.ProducerID, resp.ProducerEpoch, resp.ErrorCode = -1, -1, code
		return resp
	case *kmsg.AddPartitionsToTxnRequest, *kmsg.AddOffsetsToTxnRequest:
		return addResponse(req, code, nil)
	case *kmsg.EndTxnRequest:
		resp := r.ResponseKind().(*kmsg.EndTxnResponse)
		resp.ErrorCode = code
		return resp
	case *kmsg.DescribeTransactionsRequest:
		resp := r.ResponseKind().(*kmsg.DescribeTransactionsResponse)
		for _, id := range r.TransactionalIDs {
			st := kmsg.NewDescribeTransactionsResponseTransactionState()
			st.TransactionalID, st.ErrorCode = id, code
			resp.TransactionStates = append(resp.TransactionStates, st)
		}
		return resp
	case *kmsg.ListTransactionsRequest:
		resp := r.ResponseKind().(*kmsg.ListTransactionsResponse)
		resp.ErrorCode = code
		return resp
	}
	return req.ResponseKind()
}
