package log

// Transactions in the partition log (KIP-98), Kafka's ProducerStateManager
// transaction half:
//
//   - A transactional batch from a producer with no open transaction
//     opens one at the batch's base offset. The smallest such offset is
//     the first unstable offset: read_committed consumers stop before it
//     (the last stable offset, LSO, is min(high watermark, it)).
//   - A control batch (a COMMIT or ABORT marker written by the
//     transaction coordinator) closes the producer's open transaction.
//     An ABORT adds {producer, first offset, marker offset} to the
//     aborted-transaction list, which Fetch returns to read_committed
//     consumers so that they drop the aborted records.
//
// The aborted list is persisted as one checkpoint per partition
// (abortedTxnFile), written with every producer snapshot (segment roll,
// close) and rebuilt after it on recovery from the batches past the
// snapshot, exactly as producer state is. Kafka keeps one .txnindex per
// segment; one file keyed by offsets survives the cleaner rewriting and
// retention deleting segments without either having to know about it,
// and stays small because entries below the log start are dropped.

import (
	"encoding/binary"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/record"
)

const abortedTxnFile = "aborted-txn-checkpoint"

// AbortedTxn is one aborted transaction: records of ProducerID from
// FirstOffset up to the abort marker at LastOffset are to be dropped by
// read_committed consumers.
type AbortedTxn struct {
	ProducerID  int64
	FirstOffset int64
	LastOffset  int64
}

// Marker types, as in the control record key.
const (
	MarkerAbort  = 0
	MarkerCommit = 1
)

// MarkerBatch builds a control batch holding one end-transaction marker
// for producerID/epoch (Kafka's EndTransactionMarker: key version 0 and
// type, value version 0 and the coordinator epoch). The log assigns the
// offset.
func MarkerBatch(producerID int64, epoch int16, commit bool, coordinatorEpoch int32, now time.Time) []byte {
	typ := kmsg.ControlRecordKeyType(MarkerAbort)
	if commit {
		typ = MarkerCommit
	}
	key := (&kmsg.ControlRecordKey{Version: 0, Type: typ}).AppendTo(nil)
	val := (&kmsg.EndTxnMarker{Version: 0, CoordinatorEpoch: coordinatorEpoch}).AppendTo(nil)
	kr := kmsg.Record{Key: key, Value: val}
	kr.Length = int32(len(kr.AppendTo(nil)) - 1)
	ts := now.UnixMilli()
	b := kmsg.RecordBatch{
		PartitionLeaderEpoch: -1,
		Magic:                2,
		Attributes:           0x10 | 0x20, // transactional, control
		FirstTimestamp:       ts,
		MaxTimestamp:         ts,
		ProducerID:           producerID,
		ProducerEpoch:        epoch,
		FirstSequence:        -1,
		NumRecords:           1,
		Records:              kr.AppendTo(nil),
	}
	out := b.AppendTo(nil)
	binary.BigEndian.PutUint32(out[8:], uint32(len(out)-12))
	binary.BigEndian.PutUint32(out[17:], record.ComputeCRC(out))
	return out
}

// markerType reads the control type of a whole control batch: MarkerAbort,
// MarkerCommit, or -1 for another control record (none exist in v2 logs
// Strom writes, but Kafka reserves the space).
func markerType(batch []byte) (int16, error) {
	recs, err := record.Records(batch)
	if err != nil {
		return -1, err
	}
	if len(recs) == 0 || len(recs[0].Key) < 4 {
		return -1, fmt.Errorf("%w: control batch without a control record key", ErrCorrupt)
	}
	return int16(binary.BigEndian.Uint16(recs[0].Key[2:])), nil
}

// txnIndex is the transaction view readers need: open transactions and
// aborted ones. Guarded by Log.mu; the appender changes it under the
// write lock together with the log end offset.
type txnIndex struct {
	ongoing map[int64]int64 // producer id -> first offset of its open transaction
	aborted []AbortedTxn    // by LastOffset
}

// applyTxn updates producer and reader transaction state for one appended
// (or recovered) batch h; typ is the marker type for control batches.
// Caller holds appendMu and, unless the log is still opening, mu.
func (t *txnIndex) apply(h record.Header, typ int16) {
	if h.ProducerID < 0 || !h.IsTransactional() {
		return
	}
	if t.ongoing == nil {
		t.ongoing = map[int64]int64{}
	}
	first, open := t.ongoing[h.ProducerID]
	if !h.IsControl() {
		if !open {
			t.ongoing[h.ProducerID] = h.BaseOffset
		}
		return
	}
	if !open {
		// A marker for a transaction that wrote nothing here (or a
		// repeated marker after coordinator recovery): nothing to close.
		return
	}
	delete(t.ongoing, h.ProducerID)
	if typ == MarkerAbort {
		if n := len(t.aborted); n > 0 && t.aborted[n-1].LastOffset >= h.BaseOffset {
			return // already known (recovered from the checkpoint)
		}
		t.aborted = append(t.aborted, AbortedTxn{ProducerID: h.ProducerID, FirstOffset: first, LastOffset: h.BaseOffset})
	}
}

// FirstUnstableOffset is the first offset of the oldest open transaction,
// if any.
func (l *Log) FirstUnstableOffset() (int64, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	first, ok := int64(0), false
	for _, off := range l.txns.ongoing {
		if !ok || off < first {
			first, ok = off, true
		}
	}
	return first, ok
}

// OpenTransactions lists producers with an open transaction here and the
// offset it started at (DescribeProducers).
func (l *Log) OpenTransactions() map[int64]int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make(map[int64]int64, len(l.txns.ongoing))
	for k, v := range l.txns.ongoing {
		out[k] = v
	}
	return out
}

// AbortedTxns returns the aborted transactions that may cover records in
// [from, to): those whose marker is at or after from and which started
// before to.
func (l *Log) AbortedTxns(from, to int64) []AbortedTxn {
	l.mu.RLock()
	defer l.mu.RUnlock()
	a := l.txns.aborted
	i := sort.Search(len(a), func(i int) bool { return a[i].LastOffset >= from })
	var out []AbortedTxn
	for ; i < len(a); i++ {
		if a[i].FirstOffset < to {
			out = append(out, a[i])
		}
	}
	return out
}

// ProducerState is one producer's state in this log (DescribeProducers).
type ProducerState struct {
	ProducerID    int64
	Epoch         int16
	LastSequence  int32
	LastTimestamp int64
	TxnStart      int64 // -1: no open transaction
}

// Producers lists the producers this log knows, by id.
func (l *Log) Producers() []ProducerState {
	l.appendMu.Lock()
	var out []ProducerState
	for id, e := range l.producers.m {
		ps := ProducerState{ProducerID: id, Epoch: e.epoch, LastSequence: -1, LastTimestamp: e.lastTs, TxnStart: -1}
		if n := len(e.batches); n > 0 {
			ps.LastSequence = e.batches[n-1].lastSeq
		}
		out = append(out, ps)
	}
	l.appendMu.Unlock()
	open := l.OpenTransactions()
	for i := range out {
		if off, ok := open[out[i].ProducerID]; ok {
			out[i].TxnStart = off
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ProducerID < out[j].ProducerID })
	return out
}

// writeAbortedTxns checkpoints the aborted list (entries still at or
// above the log start) next to a producer snapshot. Caller holds appendMu.
func (l *Log) writeAbortedTxns() error {
	l.mu.RLock()
	start := l.start
	var lines []string
	for _, a := range l.txns.aborted {
		if a.LastOffset >= start {
			lines = append(lines, fmt.Sprintf("%d %d %d", a.ProducerID, a.FirstOffset, a.LastOffset))
		}
	}
	l.mu.RUnlock()
	return writeAtomic(l.fs, l.dir, filepath.Join(l.dir, abortedTxnFile), encodeCheckpoint(lines))
}

// readAbortedTxns loads the checkpoint, keeping entries below end (the
// rest described data a truncation removed).
func readAbortedTxns(l *Log, end int64) ([]AbortedTxn, error) {
	lines, err := readCheckpoint(l.fs, filepath.Join(l.dir, abortedTxnFile))
	if err != nil {
		return nil, err
	}
	out := make([]AbortedTxn, 0, len(lines))
	for _, ln := range lines {
		if len(ln) != 3 {
			return nil, fmt.Errorf("%w: aborted transaction checkpoint", ErrCorrupt)
		}
		var v [3]int64
		for i := range v {
			if v[i], err = strconv.ParseInt(ln[i], 10, 64); err != nil {
				return nil, fmt.Errorf("%w: aborted transaction checkpoint", ErrCorrupt)
			}
		}
		if v[2] < end {
			out = append(out, AbortedTxn{ProducerID: v[0], FirstOffset: v[1], LastOffset: v[2]})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LastOffset < out[j].LastOffset })
	return out, nil
}
