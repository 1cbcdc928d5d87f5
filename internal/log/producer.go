package log

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"sort"

	"strom/internal/record"
)

// maxCachedBatches is how many recent batches per producer are kept for
// duplicate detection; it matches max.in.flight.requests.per.connection=5,
// the most an idempotent producer may have outstanding.
const maxCachedBatches = 5

type batchMeta struct {
	firstSeq, lastSeq int32
	firstOff, lastOff int64
}

type producerEntry struct {
	epoch   int16
	lastTs  int64 // wall clock (ms) of the last append, for expiry
	batches []batchMeta
}

// producers is the idempotent producer state (Kafka's
// ProducerStateManager). It is owned by the appender (guarded by
// Log.appendMu).
type producers struct {
	m map[int64]*producerEntry
	// evicted remembers producers dropped by expiry so that a late write
	// from one is UNKNOWN_PRODUCER_ID rather than a sequence error.
	evicted map[int64]struct{}
}

func newProducers() *producers {
	return &producers{m: map[int64]*producerEntry{}, evicted: map[int64]struct{}{}}
}

func nextSeq(s int32) int32 {
	if s == math.MaxInt32 {
		return 0
	}
	return s + 1
}

// check applies KIP-98's rules to a batch about to be appended. It returns
// the cached batch when the batch is a duplicate.
func (p *producers) check(h record.Header) (*batchMeta, error) {
	e := p.m[h.ProducerID]
	if h.IsControl() || h.BaseSequence < 0 {
		// Markers and coordinator-written batches (transactional offset
		// commits) carry no sequence: only a stale epoch is refused, which
		// is what fences a producer whose transactional id moved on.
		if e != nil && h.ProducerEpoch < e.epoch {
			return nil, fmt.Errorf("%w: producer %d epoch %d, current %d", ErrInvalidProducerEpoch, h.ProducerID, h.ProducerEpoch, e.epoch)
		}
		return nil, nil
	}
	firstSeq, lastSeq := h.BaseSequence, h.LastSequence()
	if e == nil {
		if firstSeq != 0 {
			if _, ok := p.evicted[h.ProducerID]; ok {
				return nil, fmt.Errorf("%w: producer %d", ErrUnknownProducerID, h.ProducerID)
			}
			return nil, fmt.Errorf("%w: producer %d unknown, sequence %d, expected 0", ErrOutOfOrderSequence, h.ProducerID, firstSeq)
		}
		return nil, nil
	}
	if h.ProducerEpoch == e.epoch {
		for i := range e.batches {
			if b := &e.batches[i]; b.firstSeq == firstSeq && b.lastSeq == lastSeq {
				return b, nil
			}
		}
	}
	switch {
	case h.ProducerEpoch < e.epoch:
		return nil, fmt.Errorf("%w: producer %d epoch %d, current %d", ErrInvalidProducerEpoch, h.ProducerID, h.ProducerEpoch, e.epoch)
	case h.ProducerEpoch > e.epoch:
		if firstSeq != 0 {
			return nil, fmt.Errorf("%w: producer %d new epoch %d starts at sequence %d", ErrOutOfOrderSequence, h.ProducerID, h.ProducerEpoch, firstSeq)
		}
	default:
		if n := len(e.batches); n == 0 && firstSeq != 0 {
			return nil, fmt.Errorf("%w: producer %d sequence %d, expected 0", ErrOutOfOrderSequence, h.ProducerID, firstSeq)
		} else if n > 0 && firstSeq != nextSeq(e.batches[n-1].lastSeq) {
			return nil, fmt.Errorf("%w: producer %d sequence %d, expected %d", ErrOutOfOrderSequence, h.ProducerID, firstSeq, nextSeq(e.batches[n-1].lastSeq))
		}
	}
	return nil, nil
}

// update records an appended batch (h carries its assigned offsets).
func (p *producers) update(h record.Header, nowMs int64) {
	if h.ProducerID < 0 {
		return
	}
	if h.IsControl() || h.BaseSequence < 0 {
		// A marker with a newer epoch (the coordinator aborting a timed
		// out transaction, or fencing on InitProducerId) moves the epoch
		// on, so that the old producer's next write here is refused.
		e := p.m[h.ProducerID]
		if e == nil {
			e = &producerEntry{epoch: h.ProducerEpoch}
			p.m[h.ProducerID] = e
			delete(p.evicted, h.ProducerID)
		}
		if h.ProducerEpoch > e.epoch {
			e.epoch, e.batches = h.ProducerEpoch, e.batches[:0]
		}
		e.lastTs = nowMs
		return
	}
	e := p.m[h.ProducerID]
	if e == nil {
		e = &producerEntry{epoch: h.ProducerEpoch}
		p.m[h.ProducerID] = e
		delete(p.evicted, h.ProducerID)
	}
	if h.ProducerEpoch != e.epoch {
		e.epoch, e.batches = h.ProducerEpoch, e.batches[:0]
	}
	if len(e.batches) == maxCachedBatches {
		copy(e.batches, e.batches[1:])
		e.batches = e.batches[:maxCachedBatches-1]
	}
	e.batches = append(e.batches, batchMeta{
		firstSeq: h.BaseSequence, lastSeq: h.LastSequence(),
		firstOff: h.BaseOffset, lastOff: h.LastOffset(),
	})
	e.lastTs = nowMs
}

// expire drops producers idle since before cutoff, except those with an
// open transaction (keep reports them), whose state the marker still needs.
func (p *producers) expire(cutoffMs int64, keep func(id int64) bool) {
	for id, e := range p.m {
		if e.lastTs < cutoffMs && !keep(id) {
			delete(p.m, id)
			if len(p.evicted) < 100000 {
				p.evicted[id] = struct{}{}
			}
		}
	}
}

// Snapshot file format (big endian):
//
//	version  int16 (=1)
//	crc      uint32  CRC-32C of everything after this field
//	count    int32
//	count × { producerID int64, epoch int16, lastTs int64, n int8,
//	          n × { firstSeq int32, lastSeq int32, firstOff int64, lastOff int64 } }
//	version 2 adds the open transactions:
//	ntxn     int32
//	ntxn × { producerID int64, firstOffset int64 }
//
// Version 1 snapshots (written before transactions existed) still load.
const snapshotVersion = 2

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func (p *producers) encode(ongoing map[int64]int64) []byte {
	ids := make([]int64, 0, len(p.m))
	for id := range p.m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	be := binary.BigEndian
	b := be.AppendUint16(nil, snapshotVersion)
	b = be.AppendUint32(b, 0)
	b = be.AppendUint32(b, uint32(len(ids)))
	for _, id := range ids {
		e := p.m[id]
		b = be.AppendUint64(b, uint64(id))
		b = be.AppendUint16(b, uint16(e.epoch))
		b = be.AppendUint64(b, uint64(e.lastTs))
		b = append(b, byte(len(e.batches)))
		for _, m := range e.batches {
			b = be.AppendUint32(b, uint32(m.firstSeq))
			b = be.AppendUint32(b, uint32(m.lastSeq))
			b = be.AppendUint64(b, uint64(m.firstOff))
			b = be.AppendUint64(b, uint64(m.lastOff))
		}
	}
	tids := make([]int64, 0, len(ongoing))
	for id := range ongoing {
		tids = append(tids, id)
	}
	sort.Slice(tids, func(i, j int) bool { return tids[i] < tids[j] })
	b = be.AppendUint32(b, uint32(len(tids)))
	for _, id := range tids {
		b = be.AppendUint64(b, uint64(id))
		b = be.AppendUint64(b, uint64(ongoing[id]))
	}
	be.PutUint32(b[2:], crc32.Checksum(b[6:], castagnoli))
	return b
}

func decodeProducers(b []byte) (*producers, map[int64]int64, error) {
	be := binary.BigEndian
	bad := fmt.Errorf("%w: producer snapshot", ErrCorrupt)
	if len(b) < 10 || be.Uint32(b[2:]) != crc32.Checksum(b[6:], castagnoli) {
		return nil, nil, bad
	}
	version := be.Uint16(b)
	if version != 1 && version != snapshotVersion {
		return nil, nil, bad
	}
	n := int(be.Uint32(b[6:]))
	b = b[10:]
	p := newProducers()
	for i := 0; i < n; i++ {
		if len(b) < 19 {
			return nil, nil, bad
		}
		id := int64(be.Uint64(b))
		e := &producerEntry{epoch: int16(be.Uint16(b[8:])), lastTs: int64(be.Uint64(b[10:]))}
		nb := int(b[18])
		b = b[19:]
		if nb > maxCachedBatches || len(b) < nb*24 {
			return nil, nil, bad
		}
		for j := 0; j < nb; j++ {
			e.batches = append(e.batches, batchMeta{
				firstSeq: int32(be.Uint32(b)), lastSeq: int32(be.Uint32(b[4:])),
				firstOff: int64(be.Uint64(b[8:])), lastOff: int64(be.Uint64(b[16:])),
			})
			b = b[24:]
		}
		p.m[id] = e
	}
	ongoing := map[int64]int64{}
	if version >= 2 {
		if len(b) < 4 {
			return nil, nil, bad
		}
		nt := int(be.Uint32(b))
		b = b[4:]
		if len(b) != nt*16 {
			return nil, nil, bad
		}
		for i := 0; i < nt; i++ {
			ongoing[int64(be.Uint64(b))] = int64(be.Uint64(b[8:]))
			b = b[16:]
		}
	}
	return p, ongoing, nil
}
