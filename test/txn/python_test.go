package txn

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"strom/test/clients/ktest"
)

// txnProgram is a confluent_kafka (librdkafka 2.0.2) transactional
// producer: init_transactions, then one committed and one aborted
// transaction, then a read_committed consumer that assigns the
// partitions and prints what it sees until it reaches the end.
const txnProgram = `
import sys, time
from confluent_kafka import Producer, Consumer, TopicPartition, OFFSET_BEGINNING

bootstrap, topic = sys.argv[1], sys.argv[2]
p = Producer({'bootstrap.servers': bootstrap, 'transactional.id': 'py-tx', 'transaction.timeout.ms': 60000})
p.init_transactions(30)

p.begin_transaction()
for i in range(5):
    p.produce(topic, ('committed-%d' % i).encode(), partition=i % 2)
p.commit_transaction(30)
print('COMMITTED', flush=True)

p.begin_transaction()
for i in range(5):
    p.produce(topic, ('aborted-%d' % i).encode(), partition=i % 2)
p.flush(30)
p.abort_transaction(30)
print('ABORTED', flush=True)

p.begin_transaction()
for i in range(3):
    p.produce(topic, ('after-%d' % i).encode(), partition=i % 2)
p.commit_transaction(30)
print('COMMITTED', flush=True)

c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'py-txn-reader', 'isolation.level': 'read_committed',
              'enable.auto.commit': False, 'enable.partition.eof': True})
c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING), TopicPartition(topic, 1, OFFSET_BEGINNING)])
eof = set()
deadline = time.time() + 30
while len(eof) < 2 and time.time() < deadline:
    m = c.poll(1.0)
    if m is None:
        continue
    if m.error():
        if m.error().code() == -191:  # _PARTITION_EOF
            eof.add(m.partition())
            continue
        print('ERROR', m.error(), flush=True)
        continue
    print('GOT', m.value().decode(), flush=True)
c.close()
print('DONE', flush=True)
`

// librdkafka's transactional producer commits and aborts against Strom,
// and its read_committed consumer sees exactly the committed records.
func TestConfluentKafkaTransactions(t *testing.T) {
	ktest.NeedPython(t, "confluent_kafka")
	b := startBroker(t)
	topic := ktest.CreateTopic(t, b.Addr, 2)
	path := filepath.Join(t.TempDir(), "txn.py")
	if err := os.WriteFile(path, []byte(txnProgram), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/bin/python3", path, b.Addr, topic)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("python: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errb.String())
	}
	var got []string
	for _, line := range strings.Split(out.String(), "\n") {
		if v, ok := strings.CutPrefix(line, "GOT "); ok {
			got = append(got, v)
		}
		if strings.HasPrefix(line, "ERROR") {
			t.Fatalf("python reported %s\nstdout:\n%s", line, out.String())
		}
	}
	if !strings.Contains(out.String(), "DONE") {
		t.Fatalf("python did not finish:\n%s\n%s", out.String(), errb.String())
	}
	want := []string{"committed-0", "committed-1", "committed-2", "committed-3", "committed-4", "after-0", "after-1", "after-2"}
	sameSet(t, "read_committed via librdkafka", got, want)
	// And the same from franz-go, as an independent reader.
	sameSet(t, "read_committed via franz-go", consume(t, b.Addr, topic, true, len(want)), want)
}
