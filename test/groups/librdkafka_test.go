package groups

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"strom/test/clients/ktest"
)

// runScript runs testdata/<name> with prog (python3 or node), bounded by
// timeout, and returns its stdout; it fails the test if the script fails.
func runScript(t *testing.T, timeout time.Duration, prog, name string, args ...string) string {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, append([]string{path}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", prog, name, err, out.String(), errb.String())
	}
	return out.String()
}

// lastJSON decodes the last non-empty line of out into v.
func lastJSON(t *testing.T, out string, v any) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), v); err != nil {
		t.Fatalf("script output is not JSON on its last line: %v\n%s", err, out)
	}
}

// assignorsReport is what testdata/librdkafka_assignors.py prints.
type assignorsReport struct {
	Strategy    string                        `json:"strategy"`
	Consumed    [][]any                       `json:"consumed"` // who, phase, partition, offset, value
	Assignments map[string]map[string][]int32 `json:"assignments"`
	Errors      []string                      `json:"errors"`
}

// TestLibrdkafkaAssignors runs two confluent_kafka consumers in one group
// with each of librdkafka's assignors (eager range and roundrobin,
// incremental cooperative-sticky): they split a 6-partition topic, one
// joins in the middle of consumption and later leaves, and every record
// is consumed exactly once with the commits carried across both
// rebalances.
func TestLibrdkafkaAssignors(t *testing.T) {
	needPython(t, "confluent_kafka")
	const partitions, preloaded = 6, 600
	for _, strategy := range []string{"range", "roundrobin", "cooperative-sticky"} {
		t.Run(strategy, func(t *testing.T) {
			t.Parallel()
			b := startBroker(t)
			topic := ktest.CreateTopic(t, b.Addr, partitions)
			group := uniqueGroup(t)
			produce(t, b.Addr, topic, "join", preloaded)

			out := runScript(t, 80*time.Second, "/usr/bin/python3", "librdkafka_assignors.py",
				b.Addr, topic, group, strategy, fmt.Sprint(partitions), fmt.Sprint(preloaded))
			var r assignorsReport
			lastJSON(t, out, &r)
			if len(r.Errors) > 0 {
				t.Errorf("client errors: %v", r.Errors)
			}

			all := make([]int32, partitions)
			for i := range all {
				all[i] = int32(i)
			}
			for _, phase := range []string{"join", "split"} {
				a, bb := r.Assignments[phase]["a"], r.Assignments[phase]["b"]
				u := slices.Sorted(slices.Values(append(slices.Clone(a), bb...)))
				if len(a) == 0 || len(bb) == 0 || !slices.Equal(u, all) {
					t.Errorf("%s: assignments a=%v b=%v are not a disjoint, complete split of %d partitions", phase, a, bb, partitions)
				}
			}
			if a := r.Assignments["leave"]["a"]; !slices.Equal(a, all) {
				t.Errorf("after b left, a owns %v, want every partition", a)
			}

			// Exactly once: each value once, each (partition, offset) once,
			// and both members consumed in the split phase.
			byValue := map[string][]string{}
			byOffset := map[[2]int64]bool{}
			perPhase := map[string]map[string]int{}
			for _, c := range r.Consumed {
				who, phase, v := c[0].(string), c[1].(string), c[4].(string)
				po := [2]int64{int64(c[2].(float64)), int64(c[3].(float64))}
				byValue[v] = append(byValue[v], who+"/"+phase)
				if byOffset[po] {
					t.Errorf("partition %d offset %d consumed twice", po[0], po[1])
				}
				byOffset[po] = true
				if perPhase[phase] == nil {
					perPhase[phase] = map[string]int{}
				}
				perPhase[phase][who]++
			}
			for v, w := range byValue {
				if len(w) > 1 {
					t.Errorf("%s consumed %d times: %v", v, len(w), w)
				}
			}
			want := preloaded + 2*120
			if len(byValue) != want {
				t.Errorf("consumed %d distinct records, want %d", len(byValue), want)
			}
			if perPhase["split"]["a"] == 0 || perPhase["split"]["b"] == 0 {
				t.Errorf("both members should consume while split: %v", perPhase["split"])
			}
			t.Logf("%s: consumed per phase and member %v; assignments %v", strategy, perPhase, r.Assignments)

			// Committed offsets: every partition committed to its end.
			ends := endOffsets(t, b.Addr, topic)
			cm := committed(t, b.Addr, group, topic)
			for p, e := range ends {
				if cm[p] != e {
					t.Errorf("partition %d committed %d, end %d (all committed %v)", p, cm[p], e, cm)
				}
			}
		})
	}
}

// script is a running testdata script that the test steps through: the
// script prints a word and waits for a line on stdin.
type script struct {
	t      *testing.T
	cmd    *exec.Cmd
	cancel context.CancelFunc
	stdin  io.WriteCloser
	lines  chan string
	out    strings.Builder // every stdout line, for failure messages
	errb   bytes.Buffer
	done   chan struct{}
	waitEr error
}

func startScript(t *testing.T, timeout time.Duration, prog, name string, args ...string) *script {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	s := &script{t: t, cancel: cancel, lines: make(chan string, 64), done: make(chan struct{})}
	s.cmd = exec.CommandContext(ctx, prog, append([]string{path}, args...)...)
	s.cmd.Stderr = &s.errb
	if s.stdin, err = s.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start %s %s: %v", prog, name, err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
		close(s.lines)
		s.waitEr = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		cancel() // kills the process if it is still running
		s.stdin.Close()
		<-s.done
	})
	return s
}

// expect reads stdout lines until one equals word.
func (s *script) expect(word string) {
	s.t.Helper()
	for l := range s.lines {
		s.out.WriteString(l + "\n")
		if l == word {
			return
		}
	}
	<-s.done
	s.t.Fatalf("script ended (%v) before printing %s\nstdout:\n%s\nstderr:\n%s", s.waitEr, word, s.out.String(), s.errb.String())
}

func (s *script) send(line string) {
	s.t.Helper()
	if _, err := io.WriteString(s.stdin, line+"\n"); err != nil {
		s.t.Fatalf("script stdin: %v", err)
	}
}

// wait returns the rest of stdout once the script has exited successfully.
func (s *script) wait() string {
	s.t.Helper()
	var rest strings.Builder
	for l := range s.lines {
		s.out.WriteString(l + "\n")
		rest.WriteString(l + "\n")
	}
	<-s.done
	if s.waitEr != nil {
		s.t.Fatalf("script: %v\nstdout:\n%s\nstderr:\n%s", s.waitEr, s.out.String(), s.errb.String())
	}
	return rest.String()
}
