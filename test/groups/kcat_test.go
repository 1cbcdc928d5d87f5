package groups

import (
	"bytes"
	"context"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"strom/test/clients/ktest"
)

// kcatGroup runs "kcat -G group topic -e": a librdkafka balanced consumer
// that exits once it reached the end of its partitions, committing on
// the way out. It returns the values read, sorted.
func kcatGroup(t *testing.T, addr, group, topic string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "kcat", "-b", addr, "-G", group, topic, "-e", "-q",
		"-f", "%s\n", "-X", "auto.offset.reset=earliest")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("kcat: %v\n%s", err, errb.String())
	}
	var vals []string
	for _, l := range strings.Split(out.String(), "\n") {
		if l != "" {
			vals = append(vals, l)
		}
	}
	sort.Strings(vals)
	return vals
}

func TestKcatGroupThreeRuns(t *testing.T) {
	ktest.NeedTool(t, "kcat")
	b := startBroker(t)
	topic := ktest.CreateTopic(t, b.Addr, 3)
	group := uniqueGroup(t)
	produce(t, b.Addr, topic, "a", 30)

	if got := kcatGroup(t, b.Addr, group, topic); len(got) != 30 {
		t.Fatalf("first run read %d records, want 30: %v", len(got), got)
	}
	if got := kcatGroup(t, b.Addr, group, topic); len(got) != 0 {
		t.Fatalf("second run read %v, want nothing", got)
	}
	produce(t, b.Addr, topic, "b", 6)
	got := kcatGroup(t, b.Addr, group, topic)
	if len(got) != 6 {
		t.Fatalf("third run read %v, want the 6 new records", got)
	}
	for _, v := range got {
		if !strings.HasPrefix(v, "b-") {
			t.Fatalf("third run re-read %q", v)
		}
	}
}
