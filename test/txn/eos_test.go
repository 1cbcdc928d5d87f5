package txn

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"strom/test/clients/ktest"
)

// transform runs one consume-transform-produce transaction with a
// GroupTransactSession: it polls until it has consumed at least want
// records (or all that remain), writes "out-"+value for each to out and
// ends the transaction. It returns how many records it processed.
func transform(t *testing.T, sess *kgo.GroupTransactSession, out string, want int, end kgo.TransactionEndTry) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := sess.Begin(); err != nil {
		t.Fatalf("begin: %v", err)
	}
	n := 0
	for n < want {
		fs := sess.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of %d", n, want)
		}
		fs.EachError(func(_ string, _ int32, err error) { t.Fatalf("fetch: %v", err) })
		var recs []*kgo.Record
		fs.EachRecord(func(r *kgo.Record) {
			recs = append(recs, &kgo.Record{Topic: out, Key: r.Key, Value: append([]byte("out-"), r.Value...)})
		})
		if len(recs) == 0 {
			continue
		}
		if err := sess.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatalf("produce: %v", err)
		}
		n += len(recs)
	}
	committed, err := sess.End(ctx, end)
	if err != nil {
		t.Fatalf("end: %v", err)
	}
	if committed != (end == kgo.TryCommit) {
		t.Fatalf("End(%v) reported committed=%v", end, committed)
	}
	return n
}

// Consume-transform-produce: the group's offsets are committed atomically
// with the produced records. An aborted transaction leaves both the
// output and the offsets as they were, and the records are processed
// again by the next transaction.
func TestConsumeTransformProduce(t *testing.T) {
	b := startBroker(t)
	in := ktest.CreateTopic(t, b.Addr, 2)
	out := ktest.CreateTopic(t, b.Addr, 2)
	const group = "eos-group"
	input := vals("in", 20)
	plain := newClient(t, b.Addr, kgo.DefaultProduceTopic(in), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	for _, v := range input {
		if err := plain.ProduceSync(ktest.Ctx(t), &kgo.Record{Key: []byte(v), Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}

	newSession := func() *kgo.GroupTransactSession {
		sess, err := kgo.NewGroupTransactSession(
			kgo.SeedBrokers(b.Addr),
			kgo.TransactionalID("eos-tx"),
			kgo.ConsumerGroup(group),
			kgo.ConsumeTopics(in),
			kgo.FetchIsolationLevel(kgo.ReadCommitted()),
			kgo.RequireStableFetchOffsets(),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		)
		if err != nil {
			t.Fatal(err)
		}
		return sess
	}

	// First: process everything, then abort.
	s1 := newSession()
	transform(t, s1, out, len(input), kgo.TryAbort)
	s1.Close()
	if got := groupOffsets(t, b.Addr, group, in); len(got) != 0 {
		t.Fatalf("offsets committed by an aborted transaction: %v", got)
	}

	// Then: process everything again and commit.
	s2 := newSession()
	transform(t, s2, out, len(input), kgo.TryCommit)
	s2.Close()
	offs := groupOffsets(t, b.Addr, group, in)
	if offs[0]+offs[1] != int64(len(input)) {
		t.Fatalf("committed offsets %v, want them to cover all %d input records", offs, len(input))
	}
	want := make([]string, len(input))
	for i, v := range input {
		want[i] = "out-" + v
	}
	sameSet(t, "output (read_committed)", consume(t, b.Addr, out, true, len(want)), want)
	// read_uncommitted sees the aborted copies as well.
	consume(t, b.Addr, out, false, 2*len(want))
}

// A second producer with the same transactional id fences the first: the
// first one's open transaction is aborted, and its next commit fails
// with a fencing error.
func TestFencing(t *testing.T) {
	b := startBroker(t)
	topic := ktest.CreateTopic(t, b.Addr, 1)
	old := txnProducer(t, b.Addr, "tx-fence", topic)
	if err := old.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	produceIn(t, old, vals("zombie", 3)...)

	fresh := txnProducer(t, b.Addr, "tx-fence", topic)
	produceTxn(t, fresh, kgo.TryCommit, vals("fresh", 3)...)

	ctx := ktest.Ctx(t)
	err := old.EndTransaction(ctx, kgo.TryCommit)
	if err == nil || !isFenced(err) {
		t.Fatalf("fenced producer's commit: got %v, want a fencing error", err)
	}
	sameSet(t, "read_committed", consume(t, b.Addr, topic, true, 3), vals("fresh", 3))
	st := fetchState(t, b.Addr, topic, 0)
	if st.LSO != st.HWM {
		t.Fatalf("lso %d hwm %d: the fenced transaction was not aborted", st.LSO, st.HWM)
	}
	// The zombie's produce is refused too.
	if err := old.ProduceSync(ctx, &kgo.Record{Value: []byte("late")}).FirstErr(); err == nil {
		t.Fatal("fenced producer could still produce")
	}
}

// A transaction left open past its transaction.timeout.ms is aborted by
// the broker (in real time here; the coordinator's unit tests drive the
// same path with a controlled clock): read_committed readers move on
// without its records and the producer's commit is refused.
func TestTimeoutAbort(t *testing.T) {
	b := startBroker(t)
	topic := ktest.CreateTopic(t, b.Addr, 1)
	p := txnProducer(t, b.Addr, "tx-timeout", topic, kgo.TransactionTimeout(500*time.Millisecond))
	if err := p.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	produceIn(t, p, vals("slow", 3)...)

	adm := kadm.NewClient(newClient(t, b.Addr))
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		ds, err := adm.DescribeTransactions(ktest.Ctx(t), "tx-timeout")
		if err != nil {
			t.Fatal(err)
		}
		if d := ds["tx-timeout"]; d.State == "CompleteAbort" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("transaction not aborted after its timeout: %+v", ds["tx-timeout"])
		}
		<-tick.C
	}
	st := fetchState(t, b.Addr, topic, 0)
	if st.LSO != st.HWM || st.Bytes == 0 || st.Aborted != 1 {
		t.Fatalf("after the timeout: %+v; want lso=hwm, the batches returned with one aborted transaction", st)
	}
	err := p.EndTransaction(ktest.Ctx(t), kgo.TryCommit)
	if err == nil {
		t.Fatal("commit of a timed out transaction succeeded")
	}
	if !isFenced(err) && !errors.Is(err, kgo.ErrAborting) {
		t.Logf("commit after timeout failed with %v", err)
	}
}
