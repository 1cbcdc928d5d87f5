package log

import (
	"errors"
	"testing"

	"strom/internal/record/recordtest"
	"strom/internal/vfs"
)

func txnBatch(pid int64, epoch int16, seq int32, n int) []byte {
	recs := make([]recordtest.Rec, n)
	return recordtest.Batch(recordtest.Options{Idempotent: true, Transactional: true, ProducerID: pid, ProducerEpoch: epoch, BaseSequence: seq}, recs...)
}

func mustAppend(t *testing.T, l *Log, b []byte) AppendResult {
	t.Helper()
	r, err := l.Append(b, t0, AppendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func wantUnstable(t *testing.T, l *Log, off int64, ok bool) {
	t.Helper()
	got, gotOK := l.FirstUnstableOffset()
	if gotOK != ok || (ok && got != off) {
		t.Fatalf("first unstable offset %d (%v), want %d (%v)", got, gotOK, off, ok)
	}
}

func wantAborted(t *testing.T, got []AbortedTxn, want ...AbortedTxn) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("aborted %+v, want %+v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("aborted %+v, want %+v", got, want)
		}
	}
}

// Open transactions hold the first unstable offset; markers close them,
// and aborts are listed for the offsets they cover.
func TestTransactionState(t *testing.T) {
	l := mustOpen(t, vfs.NewMem(), "/d", smallCfg())
	defer l.Close()
	wantUnstable(t, l, 0, false)
	mustAppend(t, l, txnBatch(1, 0, 0, 2))       // 0-1
	mustAppend(t, l, txnBatch(2, 0, 0, 2))       // 2-3
	mustAppend(t, l, recordtest.Values(1, 5, 0)) // 4
	mustAppend(t, l, txnBatch(1, 0, 2, 1))       // 5, same transaction
	wantUnstable(t, l, 0, true)
	mustAppend(t, l, MarkerBatch(1, 0, false, 0, t0)) // 6: abort pid 1
	wantUnstable(t, l, 2, true)
	mustAppend(t, l, MarkerBatch(2, 0, true, 0, t0)) // 7: commit pid 2
	wantUnstable(t, l, 0, false)
	abort1 := AbortedTxn{ProducerID: 1, FirstOffset: 0, LastOffset: 6}
	wantAborted(t, l.AbortedTxns(0, 8), abort1)
	wantAborted(t, l.AbortedTxns(6, 8), abort1)
	wantAborted(t, l.AbortedTxns(7, 8))
	// A second transaction of the same producer, same epoch, continues
	// its sequence and starts a new unstable range.
	mustAppend(t, l, txnBatch(1, 0, 3, 1)) // 8
	wantUnstable(t, l, 8, true)
	mustAppend(t, l, MarkerBatch(1, 0, false, 0, t0)) // 9
	wantAborted(t, l.AbortedTxns(0, 10), abort1, AbortedTxn{1, 8, 9})
	wantAborted(t, l.AbortedTxns(3, 8), abort1) // the second starts at 8, not below 8
	// A marker for a producer with nothing open changes nothing.
	mustAppend(t, l, MarkerBatch(5, 0, false, 0, t0))
	wantUnstable(t, l, 0, false)
	if n := len(l.AbortedTxns(0, 100)); n != 2 {
		t.Fatalf("%d aborted after a marker with nothing open", n)
	}
}

// A marker under a newer epoch (the coordinator fencing the producer)
// makes the producer's old epoch stale in this log.
func TestMarkerFencesOldEpoch(t *testing.T) {
	l := mustOpen(t, vfs.NewMem(), "/d", smallCfg())
	defer l.Close()
	mustAppend(t, l, txnBatch(1, 0, 0, 1))
	mustAppend(t, l, MarkerBatch(1, 1, false, 0, t0))
	if _, err := l.Append(txnBatch(1, 0, 1, 1), t0, AppendOptions{}); !errors.Is(err, ErrInvalidProducerEpoch) {
		t.Fatalf("write under the fenced epoch: %v", err)
	}
	if _, err := l.Append(MarkerBatch(1, 0, true, 0, t0), t0, AppendOptions{}); !errors.Is(err, ErrInvalidProducerEpoch) {
		t.Fatalf("marker under an older epoch: %v", err)
	}
	// The next epoch starts at sequence 0.
	mustAppend(t, l, txnBatch(1, 2, 0, 1))
	wantUnstable(t, l, 2, true)
}

// Transaction state survives a clean restart and a crash: open
// transactions from the producer snapshot (taken when segments roll),
// the aborted list from its checkpoint plus the batches after it.
func TestTransactionStateRecovery(t *testing.T) {
	m := vfs.NewMem()
	l := mustOpen(t, m, "/d", smallCfg())
	mustAppend(t, l, txnBatch(1, 0, 0, 1))            // 0: opens pid 1
	mustAppend(t, l, txnBatch(2, 0, 0, 1))            // 1: opens pid 2
	mustAppend(t, l, MarkerBatch(2, 0, false, 0, t0)) // 2: aborts pid 2
	appendN(t, l, 40, 2, 100, 0)                      // rolls segments (snapshots)
	if len(l.segs) < 2 {
		t.Fatalf("test needs several segments, have %d", len(l.segs))
	}
	mustAppend(t, l, txnBatch(3, 0, 0, 1)) // opens pid 3 in the active segment
	end := l.EndOffset()
	mustAppend(t, l, MarkerBatch(1, 0, false, 0, t0)) // aborts pid 1, after the last snapshot
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	want := []AbortedTxn{{2, 1, 2}, {1, 0, end}}
	check := func(name string, l *Log) {
		t.Helper()
		wantUnstable(t, l, end-1, true)
		wantAborted(t, l.AbortedTxns(0, l.EndOffset()), want...)
	}
	check("running", l)

	crashed := m.CrashClone()
	lc := mustOpen(t, crashed, "/d", smallCfg())
	check("after crash", lc)
	lc.Close()

	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l2 := mustOpen(t, m, "/d", smallCfg())
	defer l2.Close()
	check("after clean restart", l2)
	// Closing pid 3 after recovery works as before.
	mustAppend(t, l2, MarkerBatch(3, 0, true, 0, t0))
	wantUnstable(t, l2, 0, false)
}
