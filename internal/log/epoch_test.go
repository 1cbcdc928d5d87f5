package log

import (
	"testing"
	"time"

	"strom/internal/record/recordtest"
	"strom/internal/vfs"
)

// AssignEpoch records where an epoch starts so that appends in that epoch
// need no checkpoint write, and the checkpoint survives a restart.
func TestAssignEpoch(t *testing.T) {
	m := vfs.NewMem()
	l, err := Open(m, "/d", DefaultConfig(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.AssignEpoch(0); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := l.Append(recordtest.Values(2, 10, 1), time.Now(), AppendOptions{LeaderEpoch: 0}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.AssignEpoch(3); err != nil { // leader change at offset 6
		t.Fatal(err)
	}
	if err := l.AssignEpoch(2); err != nil { // older epoch: ignored
		t.Fatal(err)
	}
	if _, err := l.Append(recordtest.Values(1, 10, 1), time.Now(), AppendOptions{LeaderEpoch: 3}); err != nil {
		t.Fatal(err)
	}
	check := func(l *Log) {
		t.Helper()
		if end, e := l.EndOffsetForEpoch(0); end != 6 || e != 0 {
			t.Fatalf("epoch 0 ends at %d (epoch %d), want 6", end, e)
		}
		if end, e := l.EndOffsetForEpoch(2); end != 6 || e != 0 {
			t.Fatalf("epoch 2 -> %d (epoch %d), want 6 (epoch 0)", end, e)
		}
		if end, e := l.EndOffsetForEpoch(3); end != 7 || e != 3 {
			t.Fatalf("epoch 3 ends at %d (epoch %d), want 7", end, e)
		}
	}
	check(l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l, err = Open(m, "/d", DefaultConfig(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	check(l)
}
