package txn

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

var t0 = time.UnixMilli(1_700_000_000_000)

func ids() func() (int64, error) {
	next := int64(100)
	return func() (int64, error) { next++; return next, nil }
}

// store mimics the driver: a transition is applied once "durable".
func store(t *testing.T, tx *Txn, m Meta) {
	t.Helper()
	tx.Apply(m)
}

func wantCode(t *testing.T, what string, got, want int16) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: got %v, want %v", what, kerr.ErrorForCode(got), kerr.ErrorForCode(want))
	}
}

// The life of a transactional id: init, add partitions, commit through
// the Prepare state, retry of the commit, a new transaction, abort.
func TestLifecycle(t *testing.T) {
	newID := ids()
	tx := NewTxn("t")
	r := tx.InitProducer(t0, -1, -1, 60000, newID)
	if r.Action != InitWrite || r.Next.ProducerID != 101 || r.Next.Epoch != 0 || r.Next.State != Empty {
		t.Fatalf("first init: %+v", r)
	}
	store(t, tx, r.Next)
	tp := TP{"topic", 0}

	next, write, code := tx.AddPartitions(t0, 101, 0, []TP{tp})
	wantCode(t, "add", code, 0)
	if !write || next.State != Ongoing || next.StartMs != t0.UnixMilli() {
		t.Fatalf("add: %+v write=%v", next, write)
	}
	store(t, tx, next)
	if _, write, _ := tx.AddPartitions(t0, 101, 0, []TP{tp}); write {
		t.Fatal("adding a partition already in the transaction wrote state")
	}
	wantCode(t, "verify member partition", tx.Verify(101, 0, tp), 0)
	wantCode(t, "verify other partition", tx.Verify(101, 0, TP{"topic", 1}), kerr.InvalidTxnState.Code)

	next, done, code := tx.EndTxn(t0, 101, 0, true)
	wantCode(t, "end", code, 0)
	if done || next.State != PrepareCommit {
		t.Fatalf("end: %+v done=%v", next, done)
	}
	store(t, tx, next)
	// While preparing, everything else waits.
	_, _, code = tx.AddPartitions(t0, 101, 0, []TP{tp})
	wantCode(t, "add while preparing", code, kerr.ConcurrentTransactions.Code)
	_, _, code = tx.EndTxn(t0, 101, 0, true)
	wantCode(t, "commit retry while preparing", code, kerr.ConcurrentTransactions.Code)
	_, _, code = tx.EndTxn(t0, 101, 0, false)
	wantCode(t, "abort while preparing a commit", code, kerr.InvalidTxnState.Code)
	wantCode(t, "init while preparing", tx.InitProducer(t0, -1, -1, 60000, newID).Code, kerr.ConcurrentTransactions.Code)

	c := tx.Complete(t0)
	if c.State != CompleteCommit || len(c.Partitions) != 0 {
		t.Fatalf("complete: %+v", c)
	}
	store(t, tx, c)
	_, done, code = tx.EndTxn(t0, 101, 0, true)
	if code != 0 || !done {
		t.Fatalf("commit retry after completion: done=%v %v", done, kerr.ErrorForCode(code))
	}
	_, _, code = tx.EndTxn(t0, 101, 0, false)
	wantCode(t, "abort after commit", code, kerr.InvalidTxnState.Code)
	wantCode(t, "verify after commit", tx.Verify(101, 0, tp), kerr.InvalidTxnState.Code)

	next, _, _ = tx.AddPartitions(t0.Add(time.Second), 101, 0, []TP{{"other", 3}})
	if len(next.Partitions) != 1 || !next.Partitions[TP{"other", 3}] || next.StartMs != t0.Add(time.Second).UnixMilli() {
		t.Fatalf("a new transaction keeps old partitions or start: %+v", next)
	}
}

// Producer id and epoch checks: a stale epoch is fenced, an unknown
// producer id is a mapping error.
func TestFencingChecks(t *testing.T) {
	newID := ids()
	tx := NewTxn("t")
	store(t, tx, tx.InitProducer(t0, -1, -1, 60000, newID).Next)
	store(t, tx, tx.InitProducer(t0, -1, -1, 60000, newID).Next) // a second instance: epoch 1
	if tx.ProducerID != 101 || tx.Epoch != 1 {
		t.Fatalf("re-init: id %d epoch %d", tx.ProducerID, tx.Epoch)
	}
	_, _, code := tx.AddPartitions(t0, 101, 0, []TP{{"a", 0}})
	wantCode(t, "old epoch adds", code, kerr.ProducerFenced.Code)
	_, _, code = tx.EndTxn(t0, 101, 0, true)
	wantCode(t, "old epoch ends", code, kerr.ProducerFenced.Code)
	_, _, code = tx.AddPartitions(t0, 999, 1, []TP{{"a", 0}})
	wantCode(t, "unknown producer id", code, kerr.InvalidProducerIDMapping.Code)
	wantCode(t, "old epoch produces", tx.Verify(101, 0, TP{"a", 0}), kerr.InvalidProducerEpoch.Code)

	// KIP-360: re-initialising with an id and epoch that are neither the
	// current nor the previous one is fenced.
	wantCode(t, "v3 init with a foreign id", tx.InitProducer(t0, 5, 0, 60000, newID).Code, kerr.ProducerFenced.Code)

	// A new instance while a transaction is open aborts it under a bumped
	// epoch first.
	next, _, _ := tx.AddPartitions(t0, 101, 1, []TP{{"a", 0}})
	store(t, tx, next)
	r := tx.InitProducer(t0, -1, -1, 60000, newID)
	if r.Action != InitAbort || r.Next.State != PrepareAbort || r.Next.Epoch != 2 || !r.Next.Partitions[TP{"a", 0}] {
		t.Fatalf("init over an open transaction: %+v", r)
	}
}

// Timeouts, driven by made-up times: a transaction open past its timeout
// is aborted under a bumped epoch, which fences the producer; the
// producer can re-initialise with the epoch it knows (KIP-588).
func TestTimeout(t *testing.T) {
	newID := ids()
	tx := NewTxn("t")
	store(t, tx, tx.InitProducer(t0, -1, -1, 1000, newID).Next)
	if _, ok := tx.Deadline(); ok {
		t.Fatal("deadline with no open transaction")
	}
	next, _, _ := tx.AddPartitions(t0, 101, 0, []TP{{"a", 0}})
	store(t, tx, next)
	d, ok := tx.Deadline()
	if !ok || !d.Equal(t0.Add(time.Second)) {
		t.Fatalf("deadline %v %v", d, ok)
	}
	if _, ok := tx.Expire(t0.Add(999 * time.Millisecond)); ok {
		t.Fatal("expired before its timeout")
	}
	abort, ok := tx.Expire(t0.Add(time.Second))
	if !ok || abort.State != PrepareAbort || abort.Epoch != 1 {
		t.Fatalf("expire: %+v %v", abort, ok)
	}
	tx.Pending = &abort
	if _, ok := tx.Deadline(); ok {
		t.Fatal("deadline while the abort is being stored")
	}
	store(t, tx, abort)
	store(t, tx, tx.Complete(t0.Add(time.Second)))
	if tx.State != CompleteAbort {
		t.Fatalf("state %v", tx.State)
	}
	_, _, code := tx.EndTxn(t0, 101, 0, true)
	wantCode(t, "commit after the timeout abort", code, kerr.ProducerFenced.Code)
	wantCode(t, "produce after the timeout abort", tx.Verify(101, 0, TP{"a", 0}), kerr.InvalidProducerEpoch.Code)
	r := tx.InitProducer(t0, 101, 0, 1000, newID)
	if r.Action != InitWrite || r.Next.Epoch != 2 {
		t.Fatalf("re-init with the pre-timeout epoch: %+v", r)
	}
}

// Records round-trip through Kafka's __transaction_state format.
func TestRecordRoundTrip(t *testing.T) {
	m := Meta{ProducerID: 7, Epoch: 3, TimeoutMs: 60000, State: Ongoing, StartMs: 5, UpdatedMs: 6,
		Partitions: map[TP]bool{{"b", 1}: true, {"a", 2}: true, {"a", 0}: true}}
	id, got, err := decodeState(stateKey("x"), stateValue(m))
	if err != nil || id != "x" {
		t.Fatalf("decode: %q %v", id, err)
	}
	if got.ProducerID != 7 || got.Epoch != 3 || got.TimeoutMs != 60000 || got.State != Ongoing || got.StartMs != 5 || got.UpdatedMs != 6 || len(got.Partitions) != 3 || !got.Partitions[TP{"a", 2}] {
		t.Fatalf("round trip: %+v", got)
	}
	if _, tomb, err := decodeState(stateKey("x"), nil); err != nil || tomb != nil {
		t.Fatalf("tombstone: %v %v", tomb, err)
	}
}
