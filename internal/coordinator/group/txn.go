package group

// Transactional offset commits (TxnOffsetCommit, KIP-98).
//
// A transactional producer's offsets are written to the group's
// __consumer_offsets partition as a transactional batch carrying its
// producer id and epoch, and staged here (pendingTxn) rather than
// committed. When the transaction coordinator has made the COMMIT or
// ABORT marker durable in that partition, CompleteTxn makes them the
// group's committed offsets or drops them. Until then OffsetFetch with
// RequireStable answers UNSTABLE_OFFSET_COMMIT for those partitions.
// Loading replays the same rule from the log: staged by the batch,
// settled by the marker, still pending if no marker follows.

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/coordinator/runtime"
	plog "strom/internal/log"
	"strom/internal/record"
)

// pendingTxn holds staged offsets: producer id -> group -> partition.
type pendingTxn map[int64]map[string]map[TopicPartition]Offset

func (p pendingTxn) stage(pid int64, group string, tp TopicPartition, o Offset) {
	gs := p[pid]
	if gs == nil {
		gs = map[string]map[TopicPartition]Offset{}
		p[pid] = gs
	}
	if gs[group] == nil {
		gs[group] = map[TopicPartition]Offset{}
	}
	gs[group][tp] = o
}

// unstable reports whether any producer has offsets staged for tp.
func (p pendingTxn) unstable(group string, tp TopicPartition) bool {
	for _, gs := range p {
		if _, ok := gs[group][tp]; ok {
			return true
		}
	}
	return false
}

// settle commits or drops what pid staged for groups in partition part.
func (c *Coordinator) settle(now time.Time, pid int64, part int32, commit bool) {
	gs := c.pending[pid]
	for id, offs := range gs {
		if PartitionFor(id, c.nparts) != part {
			continue
		}
		if commit {
			g := c.groups[id]
			if g == nil {
				g = NewGroup(id, &c.rules, now)
				c.groups[id] = g
			}
			for tp, o := range offs {
				g.Offsets[tp] = o
			}
		}
		delete(gs, id)
	}
	if len(gs) == 0 {
		delete(c.pending, pid)
	}
}

// CompleteTxn is called by the transaction coordinator once the marker
// of producerID's transaction is durable in __consumer_offsets partition
// part. It returns when the driver has applied it, so that an EndTxn
// answered afterwards is visible to OffsetFetch.
func (c *Coordinator) CompleteTxn(producerID int64, part int32, commit bool) {
	c.rt.Call(func() { c.settle(c.clock.Now(), producerID, part, commit) })
}

func (c *Coordinator) txnCommit(now time.Time, req *kmsg.TxnOffsetCommitRequest, tok Token) {
	resp := req.ResponseKind().(*kmsg.TxnOffsetCommitResponse)
	fillTxnCommit(req, resp, 0)
	failAll := func(code int16) {
		resp.Topics = nil
		fillTxnCommit(req, resp, code)
		c.deliver(tok, resp)
	}
	if req.Group == "" {
		failAll(kerr.InvalidGroupID.Code)
		return
	}
	g := c.groups[req.Group]
	switch {
	case g != nil && g.state == Dead:
		failAll(kerr.CoordinatorNotAvailable.Code)
		return
	case req.MemberID != "" && (g == nil || g.members[req.MemberID] == nil):
		failAll(kerr.UnknownMemberID.Code)
		return
	case req.Generation >= 0 && (g == nil || req.Generation != g.generation):
		failAll(kerr.IllegalGeneration.Code)
		return
	}
	img := c.cfg.Topics.Image()
	type staged struct {
		tp TopicPartition
		o  Offset
	}
	var todo []staged
	var recs []runtime.KV
	for ti, t := range req.Topics {
		topic := img.Topic(t.Topic)
		for pi, p := range t.Partitions {
			epoch := int32(-1)
			if req.Version >= 2 {
				epoch = p.LeaderEpoch
			}
			o, code := newOffset(topic, p.Partition, p.Offset, epoch, p.Metadata, now)
			if code != 0 {
				resp.Topics[ti].Partitions[pi].ErrorCode = code
				continue
			}
			tp := TopicPartition{t.Topic, p.Partition}
			todo = append(todo, staged{tp, o})
			recs = append(recs, runtime.KV{Key: offsetKey(req.Group, tp), Value: offsetValue(o)})
		}
	}
	if len(todo) == 0 {
		c.deliver(tok, resp)
		return
	}
	ch := c.take(tok)
	batch := runtime.BuildBatch(recs, now)
	markTransactional(batch, req.ProducerID, req.ProducerEpoch)
	c.writeBatch(req.Group, batch, func(err error) {
		c.rt.Post(func() {
			if err != nil {
				code := writeErrCode(err)
				if errors.Is(err, plog.ErrInvalidProducerEpoch) {
					// The producer was fenced: a newer epoch wrote here.
					code = kerr.ProducerFenced.Code
					if req.Version < 2 {
						code = kerr.InvalidProducerEpoch.Code
					}
				}
				resp.Topics = nil
				fillTxnCommit(req, resp, code)
			} else {
				for _, s := range todo {
					c.pending.stage(req.ProducerID, req.Group, s.tp, s.o)
				}
			}
			ch <- resp
		})
	})
}

// markTransactional turns a batch from runtime.BuildBatch into a transactional
// batch of producer pid/epoch with no sequence (coordinator-written, as
// Kafka's TxnOffsetCommit appends), fixing the CRC.
func markTransactional(batch []byte, pid int64, epoch int16) {
	be := binary.BigEndian
	be.PutUint16(batch[21:], be.Uint16(batch[21:])|0x10)
	be.PutUint64(batch[43:], uint64(pid))
	be.PutUint16(batch[51:], uint16(epoch))
	be.PutUint32(batch[53:], 0xFFFFFFFF)
	be.PutUint32(batch[17:], record.ComputeCRC(batch))
}

func fillTxnCommit(req *kmsg.TxnOffsetCommitRequest, resp *kmsg.TxnOffsetCommitResponse, code int16) {
	for _, t := range req.Topics {
		rt := kmsg.NewTxnOffsetCommitResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewTxnOffsetCommitResponseTopicPartition()
			rp.Partition, rp.ErrorCode = p.Partition, code
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
}
