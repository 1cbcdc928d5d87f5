package main

import (
	"strings"
	"testing"
)

// TestHelloTest replays the user's Kafka "hello test" with the spellings
// from their notes: --replicationfactor, --broker-list, single-dash -topic
// and an en dash in –from-beginning.
func TestHelloTest(t *testing.T) {
	addr := startBroker(t)
	out := mustStrom(t, "", "", "topic", "--create", "--bootstrap-server", addr,
		"--replicationfactor", "1", "--partitions", "1", "--topic", "dataengineering")
	if !strings.Contains(out, "Created topic dataengineering.") {
		t.Fatalf("create said %q", out)
	}
	if out := mustStrom(t, addr, "", "topic", "\u2013list"); out != "dataengineering\n" {
		t.Fatalf("list: %q", out)
	}
	mustStrom(t, "", "hello\nworld\n", "produce", "--broker-list", addr, "-topic", "dataengineering")
	out = mustStrom(t, addr, "", "consume", "--topic", "dataengineering", "\u2013from-beginning", "--max-messages", "2")
	if out != "hello\nworld\n" {
		t.Fatalf("consume: %q", out)
	}
}

func TestZookeeperFlag(t *testing.T) {
	for _, args := range [][]string{
		{"topic", "--create", "--zookeeper", "localhost:2181", "--topic", "x"},
		{"consume", "--zookeeper=localhost:2181", "--topic", "x"},
		{"topic", "-zookeeper", "localhost:2181", "-list"},
	} {
		r := strom(t, "", "", args...)
		if r.code != 2 || strings.TrimSpace(r.stderr) != zookeeperHint || r.stdout != "" {
			t.Errorf("%v: exit %d stdout %q stderr %q", args, r.code, r.stdout, r.stderr)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	addr := startBroker(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"produce"}, "which topic?"},
		{[]string{"produce", "t", "--acks", "2"}, "--acks"},
		{[]string{"consume", "t", "--offset", "soon"}, "--offset"},
		{[]string{"consume", "t", "--format", "%z"}, "unknown verb"},
		{[]string{"topic", "create"}, "needs a topic name"},
		{[]string{"topic", "list", "--no-such-flag"}, "unknown flag"},
		{[]string{"perf", "e2e", "--topic", "t", "--num-records", "10", "--record-size", "4"}, "at least 8"},
	} {
		r := strom(t, addr, "", c.args...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) || !strings.HasPrefix(r.stderr, "Error: ") {
			t.Errorf("%v: exit %d stderr %q, want exit 2 mentioning %q", c.args, r.code, r.stderr, c.want)
		}
	}
}

func TestVersion(t *testing.T) {
	out := mustStrom(t, "", "", "version")
	if !strings.HasPrefix(out, "strom ") || !strings.Contains(out, "go1.") {
		t.Fatalf("version: %q", out)
	}
}

func TestNormalizeArgs(t *testing.T) {
	root := newRootCmd()
	got := normalizeArgs(root, []string{"-topic", "x", "\u2013from-beginning", "-1", "--key-separator", "-", "-nosuchflag", "--", "-topic"})
	want := []string{"--topic", "x", "--from-beginning", "-1", "--key-separator", "-", "-nosuchflag", "--", "-topic"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}
