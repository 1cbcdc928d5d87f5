package interop

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"strom/test/clients/ktest"
	"strom/test/harness"
)

// kcatFormat prints one consumed message per line: offset, key, value, headers.
const kcatFormat = "%o\t%k\t%s\t%h\n"

type kcatMsg struct {
	Offset             int64
	Key, Value, Header string
}

func parseKcat(t *testing.T, out []byte) []kcatMsg {
	t.Helper()
	var msgs []kcatMsg
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			t.Fatalf("kcat line %q: want 4 tab-separated fields", line)
		}
		off, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			t.Fatalf("kcat line %q: offset: %v", line, err)
		}
		msgs = append(msgs, kcatMsg{Offset: off, Key: f[1], Value: f[2], Header: f[3]})
	}
	return msgs
}

// kcatInput renders records as "key:value" lines for kcat -P -K:.
func kcatInput(recs []ktest.Rec) []byte {
	var b strings.Builder
	for _, r := range recs {
		fmt.Fprintf(&b, "%s:%s\n", r.Key, r.Value)
	}
	return []byte(b.String())
}

// kcatRecs is what kcat -P -K: -H src=kcat writes for n lines.
func kcatRecs(prefix string, n int) []ktest.Rec {
	recs := ktest.MakeRecs(prefix, n, 0)
	for i := range recs {
		recs[i].Headers = [][2]string{{"src", "kcat"}}
	}
	return recs
}

func checkKcatMsgs(t *testing.T, got []kcatMsg, want []ktest.Rec) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("kcat consumed %d messages, want %d: %+v", len(got), len(want), got)
	}
	for i, g := range got {
		w := want[i]
		var hs []string
		for _, h := range w.Headers {
			hs = append(hs, h[0]+"="+h[1])
		}
		if g.Offset != w.Offset || g.Key != w.Key || g.Value != w.Value || g.Header != strings.Join(hs, ",") {
			t.Errorf("message %d: got %+v, want offset=%d key=%q value=%q headers=%q",
				i, g, w.Offset, w.Key, w.Value, strings.Join(hs, ","))
		}
	}
}

// TestKcatMetadata: kcat -L -J lists the broker at the address we dialled
// and the topic with all its partitions, each led by that broker.
func TestKcatMetadata(t *testing.T) {
	kcat := needKcat(t)
	t.Parallel()
	b := harness.Start(t)
	topic := ktest.CreateTopic(t, b.Addr, 3)
	out := run(t, nil, kcat, "-b", b.Addr, "-L", "-J", "-t", topic, "-m", "15")
	var md struct {
		Brokers []struct {
			ID   int32  `json:"id"`
			Name string `json:"name"`
		} `json:"brokers"`
		Topics []struct {
			Topic      string `json:"topic"`
			Err        string `json:"error"`
			Partitions []struct {
				Partition int32  `json:"partition"`
				Leader    int32  `json:"leader"`
				Err       string `json:"error"`
			} `json:"partitions"`
		} `json:"topics"`
	}
	if err := json.Unmarshal(out, &md); err != nil {
		t.Fatalf("kcat -L -J output: %v\n%s", err, out)
	}
	if len(md.Brokers) != 1 || md.Brokers[0].Name != b.Addr {
		t.Fatalf("brokers %+v, want exactly one named %s", md.Brokers, b.Addr)
	}
	if len(md.Topics) != 1 || md.Topics[0].Topic != topic || md.Topics[0].Err != "" {
		t.Fatalf("topics %+v, want only %s without error", md.Topics, topic)
	}
	seen := map[int32]bool{}
	for _, p := range md.Topics[0].Partitions {
		if p.Leader != md.Brokers[0].ID || p.Err != "" {
			t.Errorf("partition %+v: want leader %d, no error", p, md.Brokers[0].ID)
		}
		seen[p.Partition] = true
	}
	if len(seen) != 3 || !seen[0] || !seen[1] || !seen[2] {
		t.Errorf("partitions %v, want 0,1,2", seen)
	}

	// Without -t every topic is listed; ours must be among them.
	out = run(t, nil, kcat, "-b", b.Addr, "-L", "-J", "-m", "15")
	if err := json.Unmarshal(out, &md); err != nil {
		t.Fatalf("kcat -L -J output: %v\n%s", err, out)
	}
	found := false
	for _, tp := range md.Topics {
		found = found || tp.Topic == topic
	}
	if !found {
		t.Errorf("kcat -L without -t does not list %s: %s", topic, out)
	}
}

// TestKcatProduceConsume: kcat -P -K: writes keyed lines from stdin (plus a
// header); kcat -C -e reads them back exactly from the beginning and from an
// offset, and franz-go agrees on keys, values, headers and offsets.
func TestKcatProduceConsume(t *testing.T) {
	kcat := needKcat(t)
	t.Parallel()
	b := harness.Start(t)
	topic := ktest.CreateTopic(t, b.Addr, 1)
	want := kcatRecs("kcat", 20)
	run(t, kcatInput(want), kcat, "-b", b.Addr, "-P", "-t", topic, "-p", "0", "-K:", "-H", "src=kcat")

	out := run(t, nil, kcat, "-b", b.Addr, "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-q", "-f", kcatFormat)
	checkKcatMsgs(t, parseKcat(t, out), want)

	out = run(t, nil, kcat, "-b", b.Addr, "-C", "-t", topic, "-p", "0", "-o", "7", "-e", "-q", "-f", kcatFormat)
	checkKcatMsgs(t, parseKcat(t, out), want[7:])

	// Negative -o is relative to the end: the last 5 messages.
	out = run(t, nil, kcat, "-b", b.Addr, "-C", "-t", topic, "-p", "0", "-o", "-5", "-e", "-q", "-f", kcatFormat)
	checkKcatMsgs(t, parseKcat(t, out), want[15:])

	ktest.CheckKgoRecs(t, ktest.ConsumeKgo(t, b.Addr, topic, 0, 0, len(want)), want)
	if hw := ktest.EndOffset(t, b.Addr, topic, 0); hw != int64(len(want)) {
		t.Errorf("high watermark %d, want %d", hw, len(want))
	}
}

// TestKcatConsumeFromEnd: a kcat consumer started with -o end sees nothing
// already in the log, reports that it reached the end, and then prints a
// record produced afterwards with franz-go. kcat is killed by PID.
func TestKcatConsumeFromEnd(t *testing.T) {
	kcat := needKcat(t)
	t.Parallel()
	b := harness.Start(t)
	topic := ktest.CreateTopic(t, b.Addr, 1)
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(ktest.Ctx(t), &kgo.Record{Key: []byte("old"), Value: []byte("before-start")}).FirstErr(); err != nil {
		t.Fatalf("produce old record: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, kcat, "-b", b.Addr, "-C", "-t", topic, "-p", "0", "-o", "end", "-u", "-f", kcatFormat)
	cmd.WaitDelay = 5 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start kcat: %v", err)
	}
	pid := cmd.Process.Pid
	lines := make(chan string, 16)
	eof := make(chan string, 16)
	done := make(chan struct{})
	go scanLines(stdout, lines, done)
	go scanLines(stderr, eof, done)
	killed := false
	defer func() {
		if !killed {
			_ = cmd.Process.Kill() // by PID, whatever happened
		}
		close(done) // readers stop at EOF of the dead process's pipes
		drain(lines)
		drain(eof)
		_ = cmd.Wait()
	}()

	// librdkafka reports PARTITION_EOF once it is positioned at the end;
	// kcat prints "Reached end of topic ..." on stderr. Only then produce.
	var stderrSeen []string
	for positioned := false; !positioned; {
		select {
		case l, ok := <-eof:
			if !ok {
				t.Fatalf("kcat exited before reaching the end; stderr: %q", stderrSeen)
			}
			stderrSeen = append(stderrSeen, l)
			positioned = strings.Contains(l, "Reached end of topic")
		case l := <-lines:
			t.Fatalf("kcat -o end printed an old record: %q", l)
		case <-ctx.Done():
			t.Fatalf("kcat never reached the end of %s; stderr: %q", topic, stderrSeen)
		}
	}
	if err := cl.ProduceSync(ktest.Ctx(t), &kgo.Record{Key: []byte("new"), Value: []byte("after-start")}).FirstErr(); err != nil {
		t.Fatalf("produce new record: %v", err)
	}
	select {
	case l, ok := <-lines:
		if !ok {
			t.Fatalf("kcat exited without printing the new record")
		}
		if want := "1\tnew\tafter-start\t"; l != want {
			t.Errorf("kcat printed %q, want %q", l, want)
		}
	case <-ctx.Done():
		t.Fatalf("kcat (pid %d) did not print the new record within %v", pid, toolTimeout)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Errorf("kill kcat pid %d: %v", pid, err)
	}
	killed = true
}

// scanLines sends r's lines to out until EOF; after done is closed it
// discards them. It closes out when r ends.
func scanLines(r io.Reader, out chan<- string, done <-chan struct{}) {
	defer close(out)
	s := bufio.NewScanner(r)
	for s.Scan() {
		select {
		case out <- s.Text():
		case <-done:
		}
	}
}

// drain empties ch until it is closed; the writer closes it at EOF, which
// a killed process's pipe reaches promptly.
func drain(ch <-chan string) {
	for range ch {
	}
}

// TestKcatCompression: for each codec, kcat -P -z writes a batch that is
// stored compressed with that codec (checked in the raw Fetch response), and
// both kcat and franz-go read the records back exactly.
func TestKcatCompression(t *testing.T) {
	kcat := needKcat(t)
	t.Parallel()
	b := harness.Start(t)
	for _, c := range []struct {
		name  string
		bits  int8
		needs string // librdkafka 2.0.2 feature gate (rdkafka_feature.c)
	}{
		{"gzip", 1, "Produce v0 in range"},
		{"snappy", 2, "Produce v0 in range"},
		{"lz4", 3, "Produce v0 and FindCoordinator v0 in range"},
		{"zstd", 4, "Produce v7 and Fetch v10 in range"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			topic := ktest.CreateTopic(t, b.Addr, 1)
			want := kcatRecs("kcat-"+c.name, 40)
			// A long linger puts all lines in one compressible batch.
			run(t, kcatInput(want), kcat, "-b", b.Addr, "-P", "-t", topic, "-p", "0", "-K:", "-H", "src=kcat",
				"-z", c.name, "-X", "linger.ms=100")

			out := run(t, nil, kcat, "-b", b.Addr, "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-q", "-f", kcatFormat)
			checkKcatMsgs(t, parseKcat(t, out), want)
			ktest.CheckKgoRecs(t, ktest.ConsumeKgo(t, b.Addr, topic, 0, 0, len(want)), want)

			codecs := ktest.FetchBatchCodecs(t, b.Addr, topic, 0)
			if len(codecs) == 0 {
				t.Fatalf("raw fetch returned no batches")
			}
			for i, got := range codecs {
				if got != c.bits {
					t.Errorf("batch %d of %d has codec bits %d, want %d (%s): librdkafka 2.0.2 silently skips "+
						"compression unless ApiVersions advertises %s (see CLIENTS.md)", i, len(codecs), got, c.bits, c.name, c.needs)
				}
			}
		})
	}
}
