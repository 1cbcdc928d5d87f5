package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// seedKeyed writes three keyed records with a header to a one-partition
// topic and returns the broker address.
func seedKeyed(t *testing.T) string {
	t.Helper()
	addr := startBroker(t)
	mustStrom(t, addr, "", "topic", "create", "users", "--partitions", "1")
	mustStrom(t, addr, "u1:alice\nu2:bob\nu3:carol\n", "produce", "users", "--key-separator", ":", "--header", "src=cli", "--header", "v=1")
	if n, _ := endOffsets(t, addr, "users"); n != 3 {
		t.Fatalf("end offset %d after producing 3", n)
	}
	return addr
}

func TestConsumeFormats(t *testing.T) {
	addr := seedKeyed(t)
	base := []string{"consume", "users", "--from-beginning", "--max-messages", "3"}
	for _, c := range []struct {
		extra []string
		want  string
	}{
		{nil, "alice\nbob\ncarol\n"},
		{[]string{"--format", "%k:%v"}, "u1:alice\nu2:bob\nu3:carol\n"},
		{[]string{"--property", "print.key=true", "--property", "key.separator=="}, "u1=alice\nu2=bob\nu3=carol\n"},
		{[]string{"--format", `%p/%o %h`}, "0/0 src=cli,v=1\n0/1 src=cli,v=1\n0/2 src=cli,v=1\n"},
	} {
		if out := mustStrom(t, addr, "", append(base, c.extra...)...); out != c.want {
			t.Errorf("%v: got %q want %q", c.extra, out, c.want)
		}
	}

	out := mustStrom(t, addr, "", append(base, "--format", "verbose")...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "partition=0 offset=1 timestamp=") ||
		!strings.HasSuffix(lines[1], "key=u2 headers={src:cli,v:1} value=bob") {
		t.Fatalf("verbose: %q", out)
	}

	out = mustStrom(t, addr, "", append(base, "--json")...)
	var recs []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("json line %q: %v", l, err)
		}
		recs = append(recs, m)
	}
	if len(recs) != 3 || recs[2]["key"] != "u3" || recs[2]["value"] != "carol" || recs[2]["offset"] != 2.0 || recs[2]["topic"] != "users" {
		t.Fatalf("json: %v", recs)
	}
}

func TestConsumeOffsetsAndPartition(t *testing.T) {
	addr := seedKeyed(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--offset", "1", "--partition", "0", "--max-messages", "2"}, "bob\ncarol\n"},
		{[]string{"--offset", "2", "--max-messages", "1"}, "carol\n"},
		{[]string{"--offset", "-1", "--max-messages", "1"}, "carol\n"},
		{[]string{"--offset", "earliest", "--max-messages", "1"}, "alice\n"},
	} {
		out := mustStrom(t, addr, "", append([]string{"consume", "users"}, c.args...)...)
		if out != c.want {
			t.Errorf("%v: got %q want %q", c.args, out, c.want)
		}
	}

	// --timeout-ms ends a consumer that has read everything there is.
	r := strom(t, addr, "", "consume", "users", "--from-beginning", "--timeout-ms", "2000")
	if r.code != 0 || r.stdout != "alice\nbob\ncarol\n" || !strings.Contains(r.stderr, "Processed a total of 3 messages") {
		t.Fatalf("timeout-ms: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}

	r = strom(t, addr, "", "consume", "users", "--partition", "7", "--from-beginning")
	if r.code != 1 || !strings.Contains(r.stderr, "no partition 7") {
		t.Fatalf("bad partition: exit %d stderr %q", r.code, r.stderr)
	}
}

func TestProducePartitionAndProperties(t *testing.T) {
	addr := startBroker(t)
	mustStrom(t, addr, "", "topic", "create", "p", "--partitions", "3")
	mustStrom(t, addr, "x\ny\n", "produce", "p", "--partition", "2", "--acks", "1", "--compression", "zstd")
	mustStrom(t, addr, "k|v\n", "produce", "p", "--partition", "1", "--sync",
		"--property", "parse.key=true", "--property", "key.separator=|")
	mustStrom(t, addr, "h1:a,h2:b\tkk\tvv\n", "produce", "p", "--partition", "0",
		"--property", "parse.headers=true", "--property", "parse.key=true")
	_, per := endOffsets(t, addr, "p")
	if per[0] != 1 || per[1] != 1 || per[2] != 2 {
		t.Fatalf("per-partition end offsets %v", per)
	}
	out := mustStrom(t, addr, "", "consume", "p", "--partition", "1", "--from-beginning", "--max-messages", "1", "--format", "%k=%v")
	if out != "k=v\n" {
		t.Fatalf("parse.key: %q", out)
	}
	out = mustStrom(t, addr, "", "consume", "p", "--partition", "0", "--from-beginning", "--max-messages", "1", "--format", "%h|%k|%v")
	if out != "h1=a,h2=b|kk|vv\n" {
		t.Fatalf("parse.headers: %q", out)
	}
	for _, codec := range []string{"gzip", "snappy", "lz4"} {
		mustStrom(t, addr, codec+"\n", "produce", "p", "--partition", "2", "--compression", codec)
	}
	out = mustStrom(t, addr, "", "consume", "p", "--partition", "2", "--from-beginning", "--max-messages", "5")
	if out != "x\ny\ngzip\nsnappy\nlz4\n" {
		t.Fatalf("compressed round trip: %q", out)
	}
}

func TestProduceReportsBadLines(t *testing.T) {
	addr := startBroker(t)
	mustStrom(t, addr, "", "topic", "create", "t", "--partitions", "1")
	r := strom(t, addr, "a:1\nno-separator\nb:2\n", "produce", "t", "--key-separator", ":")
	if r.code != 1 || !strings.Contains(r.stderr, "line 2") || !strings.Contains(r.stderr, "1 of 3 records not delivered") {
		t.Fatalf("exit %d stderr %q", r.code, r.stderr)
	}
	if n, _ := endOffsets(t, addr, "t"); n != 2 {
		t.Fatalf("good lines delivered: end offset %d, want 2", n)
	}
}

// TestConsumeGroupResumes checks that a group consumer commits exactly what
// it printed, so the next member resumes after it.
func TestConsumeGroupResumes(t *testing.T) {
	addr := seedKeyed(t)
	out := mustStrom(t, addr, "", "consume", "users", "--group", "g1", "--from-beginning", "--max-messages", "2")
	if out != "alice\nbob\n" {
		t.Fatalf("first member: %q", out)
	}
	out = mustStrom(t, addr, "", "consume", "users", "--group", "g1", "--from-beginning", "--max-messages", "1")
	if out != "carol\n" {
		t.Fatalf("second member resumed with %q, want carol", out)
	}
	r := strom(t, addr, "", "consume", "users", "--group", "g1", "--partition", "0")
	if r.code != 2 {
		t.Fatalf("--group with --partition: exit %d", r.code)
	}
}
