package groups

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"strom/test/clients/ktest"
)

// kafkajsDir is the Node.js project (kafkajs 2.2.4, pinned in
// package.json and package-lock.json) that TestKafkajsConsumerGroup runs.
const kafkajsDir = "kafkajs"

// needKafkajs skips, loudly, when node or npm is missing, and otherwise
// installs the project's dependencies from the npm registry if
// node_modules is absent (a fresh clone: node_modules is git-ignored).
func needKafkajs(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		ktest.MissingTool(t, "node (apt install nodejs npm)")
	}
	if _, err := os.Stat(filepath.Join(kafkajsDir, "node_modules", "kafkajs", "package.json")); err == nil {
		return node
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		ktest.MissingTool(t, "npm (apt install npm), needed for test/groups/kafkajs/node_modules")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund")
	cmd.Dir = kafkajsDir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("npm install in test/groups/kafkajs: %v\n%s", err, out.String())
	}
	return node
}

type kafkajsReport struct {
	Consumed    [][]any            `json:"consumed"` // member, partition, offset, value
	Assignments map[string][]int32 `json:"assignments"`
	Committed   map[string]int64   `json:"committed"`
	Errors      []string           `json:"errors"`
}

// runKafkajs runs kafkajs/groups.js once: two kafkajs consumers split the
// topic, a kafkajs producer sends n gzip records, and the consumers read
// them and commit.
func runKafkajs(t *testing.T, node, addr, topic, group, prefix string, n, partitions int) kafkajsReport {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 75*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "groups.js", addr, topic, group, prefix, fmt.Sprint(n), fmt.Sprint(partitions))
	cmd.Dir = kafkajsDir
	cmd.Env = append(os.Environ(), "KAFKAJS_NO_PARTITIONER_WARNING=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("node groups.js: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errb.String())
	}
	var r kafkajsReport
	lastJSON(t, out.String(), &r)
	if len(r.Errors) > 0 {
		t.Fatalf("kafkajs errors: %v\nstderr:\n%s", r.Errors, errb.String())
	}
	return r
}

// checkKafkajsRun checks that one run consumed exactly prefix-0..n-1,
// each once, shared by both members, and committed every partition to
// its end, as seen by kafkajs' admin client and by franz-go's.
func checkKafkajsRun(t *testing.T, r kafkajsReport, addr, group, topic, prefix string, n int) {
	t.Helper()
	byValue := map[string]int{}
	who := map[string]int{}
	for _, c := range r.Consumed {
		v := c[3].(string)
		if !strings.HasPrefix(v, prefix+"-") {
			t.Errorf("run %s read %q: committed offsets not resumed", prefix, v)
		}
		byValue[v]++
		who[c[0].(string)]++
	}
	for v, k := range byValue {
		if k > 1 {
			t.Errorf("%s consumed %d times", v, k)
		}
	}
	if len(byValue) != n {
		t.Errorf("run %s consumed %d distinct records, want %d", prefix, len(byValue), n)
	}
	if who["a"] == 0 || who["b"] == 0 {
		t.Errorf("run %s: both members should consume, got %v (assignments %v)", prefix, who, r.Assignments)
	}
	ends := endOffsets(t, addr, topic)
	cm := committed(t, addr, group, topic)
	for p, e := range ends {
		if cm[p] != e || r.Committed[fmt.Sprint(p)] != e {
			t.Errorf("partition %d: committed %d (kafkajs admin says %d), end %d", p, cm[p], r.Committed[fmt.Sprint(p)], e)
		}
	}
	t.Logf("run %s: per member %v, assignments %v", prefix, who, r.Assignments)
}

// TestKafkajsConsumerGroup: kafkajs 2.2.4 producer (gzip) and a kafkajs
// consumer group of two members consume every record exactly once and
// commit; a second run of the group resumes after the first's commits.
func TestKafkajsConsumerGroup(t *testing.T) {
	node := needKafkajs(t)
	t.Parallel()
	const partitions = 4
	b := startBroker(t)
	topic := ktest.CreateTopic(t, b.Addr, partitions)
	group := uniqueGroup(t)

	r := runKafkajs(t, node, b.Addr, topic, group, "first", 200, partitions)
	checkKafkajsRun(t, r, b.Addr, group, topic, "first", 200)

	r = runKafkajs(t, node, b.Addr, topic, group, "second", 60, partitions)
	checkKafkajsRun(t, r, b.Addr, group, topic, "second", 60)
}
