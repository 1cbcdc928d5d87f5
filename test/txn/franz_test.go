package txn

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"strom/test/clients/ktest"
)

// Committed transactions are visible to read_committed consumers, aborted
// ones never are; read_uncommitted sees every record.
func TestCommitAndAbort(t *testing.T) {
	b := startBroker(t)
	topic := ktest.CreateTopic(t, b.Addr, 2)
	p := txnProducer(t, b.Addr, "tx-commit-abort", topic)

	a, ab, c := vals("a", 6), vals("b", 6), vals("c", 6)
	produceTxn(t, p, kgo.TryCommit, a...)
	produceTxn(t, p, kgo.TryAbort, ab...)
	produceTxn(t, p, kgo.TryCommit, c...)

	want := append(append([]string{}, a...), c...)
	sameSet(t, "read_committed", consume(t, b.Addr, topic, true, len(want)), want)
	all := append(append(append([]string{}, a...), ab...), c...)
	sameSet(t, "read_uncommitted", consume(t, b.Addr, topic, false, len(all)), all)

	for part := int32(0); part < 2; part++ {
		st := fetchState(t, b.Addr, topic, part)
		if st.LSO != st.HWM {
			t.Fatalf("partition %d: last stable offset %d, high watermark %d with no open transaction", part, st.LSO, st.HWM)
		}
		if st.Aborted != 1 {
			t.Fatalf("partition %d: %d aborted transactions listed, want 1", part, st.Aborted)
		}
	}
}

// An open transaction holds the last stable offset back: read_committed
// reads stop before its first record, even when non-transactional
// records follow it, until it commits.
func TestOpenTransactionHoldsLSO(t *testing.T) {
	b := startBroker(t)
	topic := ktest.CreateTopic(t, b.Addr, 1)
	p := txnProducer(t, b.Addr, "tx-lso", topic)
	if err := p.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	open := vals("open", 3)
	produceIn(t, p, open...)
	plain := newClient(t, b.Addr, kgo.DefaultProduceTopic(topic))
	if err := plain.ProduceSync(ktest.Ctx(t), &kgo.Record{Value: []byte("plain")}).FirstErr(); err != nil {
		t.Fatal(err)
	}

	st := fetchState(t, b.Addr, topic, 0)
	if st.HWM != 4 || st.LSO != 0 || st.Bytes != 0 {
		t.Fatalf("with a transaction open at offset 0: hwm %d lso %d, %d bytes returned; want 4, 0, 0", st.HWM, st.LSO, st.Bytes)
	}
	sameSet(t, "read_uncommitted while open", consume(t, b.Addr, topic, false, 4), append(append([]string{}, open...), "plain"))

	// The admin view of the open transaction: ListTransactions on the
	// coordinator, DescribeProducers on the partition.
	adm := kadm.NewClient(newClient(t, b.Addr))
	lt, err := adm.ListTransactions(ktest.Ctx(t), nil, []string{"Ongoing"})
	if err != nil {
		t.Fatal(err)
	}
	tx, ok := lt["tx-lso"]
	if !ok || tx.State != "Ongoing" || len(lt) != 1 {
		t.Fatalf("ListTransactions(Ongoing): %+v", lt)
	}
	dp, err := adm.DescribeProducers(ktest.Ctx(t), kadm.TopicsSet{topic: {0: {}}})
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, p := range dp.SortedProducers() {
		if p.ProducerID == tx.ProducerID {
			found = p.CurrentTxnStartOffset == 0
		}
	}
	if !found {
		t.Fatalf("DescribeProducers does not show producer %d with its transaction open at 0: %+v", tx.ProducerID, dp.SortedProducers())
	}

	if err := p.EndTransaction(ktest.Ctx(t), kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	st = fetchState(t, b.Addr, topic, 0)
	if st.LSO != st.HWM || st.HWM != 5 {
		t.Fatalf("after commit: hwm %d lso %d; want both 5 (4 records and the marker)", st.HWM, st.LSO)
	}
	sameSet(t, "read_committed after commit", consume(t, b.Addr, topic, true, 4), append(append([]string{}, open...), "plain"))
}
