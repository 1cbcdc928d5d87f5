package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func describeJSON(t *testing.T, addr string, args ...string) []topicDescription {
	t.Helper()
	out := mustStrom(t, addr, "", append([]string{"topic", "describe", "--json"}, args...)...)
	var ds []topicDescription
	if err := json.Unmarshal([]byte(out), &ds); err != nil {
		t.Fatalf("describe --json output %q: %v", out, err)
	}
	return ds
}

func TestTopicLifecycle(t *testing.T) {
	addr := startBroker(t)

	mustStrom(t, addr, "", "topic", "create", "orders", "--partitions", "2", "--config", "retention.ms=3600000")
	mustStrom(t, addr, "", "topic", "create", "--topic", "audit", "--partitions", "1", "--replication-factor", "1")

	r := strom(t, addr, "", "topic", "create", "orders", "--partitions", "2")
	if r.code != 1 || !strings.Contains(r.stderr, `Error: topic "orders": TOPIC_ALREADY_EXISTS: Topic with this name already exists.`) {
		t.Fatalf("duplicate create: exit %d stderr %q", r.code, r.stderr)
	}
	mustStrom(t, addr, "", "topic", "create", "orders", "--if-not-exists")

	if out := mustStrom(t, addr, "", "topic", "list"); out != "audit\norders\n" {
		t.Fatalf("list: %q", out)
	}

	ds := describeJSON(t, addr, "orders")
	if len(ds) != 1 || len(ds[0].Partitions) != 2 || ds[0].ReplicationFactor != 1 {
		t.Fatalf("describe: %+v", ds)
	}
	if cs := ds[0].Configs; len(cs) != 1 || cs[0].Name != "retention.ms" || *cs[0].Value != "3600000" || cs[0].Source != "DYNAMIC_TOPIC_CONFIG" {
		t.Fatalf("configs: %+v", cs)
	}
	human := mustStrom(t, addr, "", "topic", "describe", "orders")
	for _, want := range []string{"Topic: orders", "Partitions: 2", "PARTITION", "LOG-END", "retention.ms", "3600000"} {
		if !strings.Contains(human, want) {
			t.Errorf("describe output lacks %q:\n%s", want, human)
		}
	}

	mustStrom(t, addr, "", "topic", "alter-config", "orders", "--set", "cleanup.policy=compact,delete", "--delete", "retention.ms")
	cs := describeJSON(t, addr, "orders")[0].Configs
	if len(cs) != 1 || cs[0].Name != "cleanup.policy" || *cs[0].Value != "compact,delete" {
		t.Fatalf("configs after alter: %+v", cs)
	}

	mustStrom(t, addr, "", "topic", "add-partitions", "orders", "--partitions", "5")
	if n := len(describeJSON(t, addr, "orders")[0].Partitions); n != 5 {
		t.Fatalf("partitions after add: %d", n)
	}
	// kafka-topics.sh --alter spelling.
	mustStrom(t, addr, "", "topic", "--alter", "--topic", "audit", "--partitions", "2")
	if n := len(describeJSON(t, addr, "audit")[0].Partitions); n != 2 {
		t.Fatalf("audit partitions after --alter: %d", n)
	}

	out := mustStrom(t, addr, "", "topic", "delete", "orders")
	if out != "Deleted topic orders.\n" {
		t.Fatalf("delete: %q", out)
	}
	if out := mustStrom(t, addr, "", "topic", "list"); out != "audit\n" {
		t.Fatalf("list after delete: %q", out)
	}
	r = strom(t, addr, "", "topic", "delete", "orders", "audit")
	if r.code != 1 || !strings.Contains(r.stderr, `topic "orders": UNKNOWN_TOPIC_OR_PARTITION`) || r.stdout != "Deleted topic audit.\n" {
		t.Fatalf("delete of missing+existing: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	mustStrom(t, addr, "", "topic", "delete", "orders", "--if-exists")

	r = strom(t, addr, "", "topic", "describe", "nosuch")
	if r.code != 1 || !strings.Contains(r.stderr, `topic "nosuch": UNKNOWN_TOPIC_OR_PARTITION`) {
		t.Fatalf("describe missing: exit %d stderr %q", r.code, r.stderr)
	}
}

func TestTopicDescribeShowsOffsets(t *testing.T) {
	addr := startBroker(t)
	mustStrom(t, addr, "", "topic", "create", "t", "--partitions", "1")
	mustStrom(t, addr, "a\nb\nc\n", "produce", "t")
	p := describeJSON(t, addr, "t")[0].Partitions[0]
	if p.LogStartOffset != 0 || p.LogEndOffset != 3 || p.Leader < 0 {
		t.Fatalf("partition: %+v", p)
	}
	all := describeJSON(t, addr, "t", "--all-configs")[0].Configs
	if len(all) == 0 {
		t.Fatal("--all-configs listed nothing")
	}
}

func TestUnreachableBroker(t *testing.T) {
	r := strom(t, "127.0.0.1:1", "", "topic", "list", "--request-timeout", "5s")
	if r.code != 1 || !strings.Contains(r.stderr, "no broker answered at 127.0.0.1:1") {
		t.Fatalf("exit %d stderr %q", r.code, r.stderr)
	}
}
