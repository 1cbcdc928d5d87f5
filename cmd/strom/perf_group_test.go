package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"strom/test/harness"
)

// A broker whose new groups start at once: the initial rebalance delay
// would only make these tests slower.
func startGroupBroker(t *testing.T) string {
	t.Helper()
	return harness.Start(t, "group.initial.rebalance.delay.ms=0").Addr
}

func TestPerfConsumeGroup(t *testing.T) {
	addr := startGroupBroker(t)
	mustStrom(t, addr, "", "perf", "produce", "--topic", "g", "--num-records", "600",
		"--record-size", "50", "--partitions", "4", "--json", "--producer-props", "linger.ms=1")

	// Three members share 400 records; the group commits what was counted.
	out := mustStrom(t, addr, "", "perf", "consume", "--topic", "g", "--messages", "400",
		"--group", "pg", "--consumers", "3", "--json")
	var rep consumeReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	var sum int64
	for _, m := range rep.Members {
		sum += m.Records
		if m.Assignments < 1 {
			t.Errorf("member %d was never assigned: %+v", m.Member, m)
		}
	}
	if rep.Records != 400 || sum != 400 || rep.Bytes != 400*50 || len(rep.Members) != 3 ||
		rep.Consumers != 3 || rep.Group != "pg" || rep.Commit == "" || rep.TimedOut {
		t.Fatalf("report %+v", rep)
	}
	if got := committed(t, addr, "pg", "g"); got != 400 {
		t.Fatalf("group pg committed %d records, want 400", got)
	}

	// --threads is --consumers; the group resumes where it stopped.
	out = mustStrom(t, addr, "", "perf", "consume", "--topic", "g", "--messages", "200",
		"--group", "pg", "--threads", "2", "--json")
	rep = consumeReport{}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	if rep.Records != 200 || rep.Consumers != 2 {
		t.Fatalf("second run %+v", rep)
	}
	if got := committed(t, addr, "pg", "g"); got != 600 {
		t.Fatalf("group pg committed %d records, want 600", got)
	}

	// Nothing is left for the group.
	r := strom(t, addr, "", "perf", "consume", "--topic", "g", "--messages", "1", "--group", "pg", "--timeout", "500ms")
	if r.code != 1 {
		t.Fatalf("an exhausted group: exit %d stderr %q", r.code, r.stderr)
	}
	// Without a group the consumers would each read everything.
	r = strom(t, addr, "", "perf", "consume", "--topic", "g", "--messages", "1", "--consumers", "2")
	if r.code != 2 {
		t.Fatalf("--consumers without --group: exit %d stderr %q", r.code, r.stderr)
	}
}

func TestPerfCommit(t *testing.T) {
	addr := startGroupBroker(t)
	out := mustStrom(t, addr, "", "perf", "commit", "--topic", "c", "--partitions", "4",
		"--group", "pc", "--members", "2", "--commits", "50", "--json")
	var rep commitReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	if rep.Commits != 50 || rep.Errors != 0 || rep.Members != 2 || rep.Partitions != 4 ||
		rep.LatencyMs.Max <= 0 || rep.LatencyMs.P50 > rep.LatencyMs.Max {
		t.Fatalf("report %+v", rep)
	}
	// Each member's last commit stands; every partition has one.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	offs, err := adminFor(t, addr).FetchOffsets(ctx, "pc")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	offs.Each(func(o kadm.OffsetResponse) {
		if o.Err != nil || o.At <= 0 {
			t.Errorf("partition %d: offset %d, err %v", o.Partition, o.At, o.Err)
		}
		n++
	})
	if n != 4 {
		t.Fatalf("%d partitions committed, want 4", n)
	}
}

// committed sums group's committed offsets on topic.
func committed(t *testing.T, addr, group, topic string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	offs, err := adminFor(t, addr).FetchOffsets(ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	offs.Each(func(o kadm.OffsetResponse) {
		if o.Topic == topic && o.Err == nil {
			sum += o.At
		}
	})
	return sum
}
