package main

import (
	"encoding/json"
	"testing"
)

func TestPerfProduce(t *testing.T) {
	addr := startBroker(t)
	out := mustStrom(t, addr, "", "perf", "produce", "--topic", "bench", "--num-records", "500",
		"--record-size", "100", "--partitions", "3", "--json", "--producer-props", "linger.ms=1")
	var rep produceReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	if rep.Records != 500 || rep.Errors != 0 || rep.LatencyMs.Max < rep.LatencyMs.P50 || rep.LatencyMs.Max <= 0 {
		t.Fatalf("report %+v", rep)
	}
	total, per := endOffsets(t, addr, "bench")
	if total != 500 || len(per) != 3 {
		t.Fatalf("broker has %d records in %d partitions", total, len(per))
	}

	out = mustStrom(t, addr, "", "perf", "consume", "--topic", "bench", "--messages", "400", "--json")
	var crep consumeReport
	if err := json.Unmarshal([]byte(out), &crep); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	if crep.Records != 400 || crep.Bytes != 400*100 || crep.TimedOut {
		t.Fatalf("consume report %+v", crep)
	}

	r := strom(t, addr, "", "perf", "consume", "--topic", "bench", "--messages", "501", "--timeout", "300ms")
	if r.code != 1 {
		t.Fatalf("asking for more records than exist: exit %d stderr %q", r.code, r.stderr)
	}
}

func TestPerfE2E(t *testing.T) {
	addr := startBroker(t)
	// Records already in the topic must not be counted: e2e starts at
	// the end of the log.
	mustStrom(t, addr, "", "topic", "create", "e2e", "--partitions", "2")
	mustStrom(t, addr, "old\nrecords\n", "produce", "e2e")

	out := mustStrom(t, addr, "", "perf", "e2e", "--topic", "e2e", "--num-records", "400",
		"--record-size", "64", "--throughput", "-1", "--acks", "all", "--json")
	var rep e2eReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("output %q: %v", out, err)
	}
	if rep.Sent != 400 || rep.Received != 400 || rep.Errors != 0 {
		t.Fatalf("report %+v", rep)
	}
	if rep.EndToEndMs.Max <= 0 || rep.EndToEndMs.P99 > rep.EndToEndMs.Max {
		t.Fatalf("latencies %+v", rep.EndToEndMs)
	}
	if total, _ := endOffsets(t, addr, "e2e"); total != 402 {
		t.Fatalf("topic holds %d records, want 402", total)
	}

	// A fresh topic is created with the requested partitions.
	mustStrom(t, addr, "", "perf", "e2e", "--topic", "fresh", "--num-records", "50", "--partitions", "4", "--record-size", "8")
	if total, per := endOffsets(t, addr, "fresh"); total != 50 || len(per) != 4 {
		t.Fatalf("fresh topic: %d records in %d partitions", total, len(per))
	}
}
