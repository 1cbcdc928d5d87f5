package txn

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"strom/test/clients/ktest"
)

// A broker restart keeps every committed transaction and transactional
// offset commit, and transactions open across the restart can still be
// committed or aborted by their producers afterwards.
func TestRestart(t *testing.T) {
	b := startBroker(t)
	topic := ktest.CreateTopic(t, b.Addr, 2)
	in := ktest.CreateTopic(t, b.Addr, 1)
	const group = "restart-group"

	committed := newClient(t, b.Addr, kgo.TransactionalID("r-committed"), kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	produceTxn(t, committed, kgo.TryCommit, vals("a", 4)...)

	// Consume-transform-produce from in to topic, committed.
	plain := newClient(t, b.Addr, kgo.DefaultProduceTopic(in))
	input := vals("in", 5)
	for _, v := range input {
		if err := plain.ProduceSync(ktest.Ctx(t), &kgo.Record{Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	sess, err := kgo.NewGroupTransactSession(kgo.SeedBrokers(b.Addr), kgo.TransactionalID("r-eos"), kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(in), kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	transform(t, sess, topic, len(input), kgo.TryCommit)
	sess.Close()

	// Two transactions left open across the restart.
	cont := newClient(t, b.Addr, kgo.TransactionalID("r-continue"), kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	if err := cont.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	produceIn(t, cont, vals("b", 4)...)
	abort := newClient(t, b.Addr, kgo.TransactionalID("r-abort"), kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	if err := abort.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	produceIn(t, abort, vals("c", 4)...)

	b.Restart()

	if got := groupOffsets(t, b.Addr, group, in); got[0] != int64(len(input)) {
		t.Fatalf("after restart the group's committed offset is %v, want %d", got, len(input))
	}
	for part := int32(0); part < 2; part++ {
		if st := fetchState(t, b.Addr, topic, part); st.LSO == st.HWM {
			t.Fatalf("partition %d: the open transactions no longer hold the last stable offset after restart (%+v)", part, st)
		}
	}
	if err := cont.EndTransaction(ktest.Ctx(t), kgo.TryCommit); err != nil {
		t.Fatalf("committing a transaction opened before the restart: %v", err)
	}
	if err := abort.EndTransaction(ktest.Ctx(t), kgo.TryAbort); err != nil {
		t.Fatalf("aborting a transaction opened before the restart: %v", err)
	}

	want := vals("a", 4)
	for _, v := range input {
		want = append(want, "out-"+v)
	}
	want = append(want, vals("b", 4)...)
	sameSet(t, "read_committed after restart", consume(t, b.Addr, topic, true, len(want)), want)
	for part := int32(0); part < 2; part++ {
		if st := fetchState(t, b.Addr, topic, part); st.LSO != st.HWM {
			t.Fatalf("partition %d still unstable: %+v", part, st)
		}
	}

	// And once more: everything above survives a second restart, with the
	// aborted list rebuilt from disk.
	b.Restart()
	sameSet(t, "read_committed after second restart", consume(t, b.Addr, topic, true, len(want)), want)
	if got := groupOffsets(t, b.Addr, group, in); got[0] != int64(len(input)) {
		t.Fatalf("after the second restart the group's committed offset is %v", got)
	}
	// The same producer id can go on with new transactions.
	produceTxn(t, committed, kgo.TryCommit, "late")
	consume(t, b.Addr, topic, true, len(want)+1)
}
