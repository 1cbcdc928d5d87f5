package groups

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

// usersProgram is the user's Python program (../shared/seeds), filled in
// only where the notes say "...": a Producer with a delivery callback
// writing to 'users' (which does not exist yet), then a Consumer with a
// group.id that lists topics, subscribes and polls until it has the
// expected number of records, then closes (committing its offsets).
const usersProgram = `
import sys, time
from confluent_kafka import Producer
from confluent_kafka import Consumer

bootstrap, prefix, n, expect = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

def receipt(err, msg):
    if err is not None:
        print('ERROR delivery', err, flush=True)

p = Producer({'bootstrap.servers': bootstrap})
for i in range(n):
    m = '%s-%d' % (prefix, i)
    p.produce('users', m.encode('utf-8'), callback=receipt)
    p.poll(0)
p.flush(30)

c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'python-consumer', 'auto.offset.reset': 'earliest'})
t = c.list_topics()
print('PARTITIONS', len(t.topics['users'].partitions), flush=True)
c.subscribe(['users'])
got = 0
deadline = time.time() + 60
while got < expect and time.time() < deadline:
    msg = c.poll(1.0)
    if msg is None:
        continue
    if msg.error():
        print('ERROR consume', msg.error(), flush=True)
        continue
    print('GOT', msg.value().decode('utf-8'), flush=True)
    got += 1
c.close()
`

func needPython(t *testing.T, module string) {
	t.Helper()
	ktest.NeedPython(t, module)
}

func runPython(t *testing.T, script string, args ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "prog.py")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/bin/python3", append([]string{path}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("python: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errb.String())
	}
	return out.String()
}

func gotLines(out string) []string {
	var got []string
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, "GOT "); ok {
			got = append(got, v)
		}
		if strings.HasPrefix(l, "ERROR") {
			got = append(got, l)
		}
	}
	return got
}

func TestPythonUsersProgram(t *testing.T) {
	needPython(t, "confluent_kafka")
	b := startBroker(t)

	out := runPython(t, usersProgram, b.Addr, "first", "10", "10")
	if !strings.Contains(out, "PARTITIONS 1") {
		t.Fatalf("list_topics: %s", out)
	}
	got := gotLines(out)
	if len(got) != 10 || got[0] != "first-0" || got[9] != "first-9" {
		t.Fatalf("first run consumed %v", got)
	}

	// Second run: the group resumes after what the first committed.
	out = runPython(t, usersProgram, b.Addr, "second", "5", "5")
	got = gotLines(out)
	if len(got) != 5 || got[0] != "second-0" || got[4] != "second-4" {
		t.Fatalf("second run consumed %v, want only second-0..4", got)
	}
}
