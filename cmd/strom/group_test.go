package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"strom/test/harness"
)

func groupDescribeJSON(t *testing.T, addr, group string) groupJSON {
	t.Helper()
	out := mustStrom(t, addr, "", "group", "describe", group, "--json")
	var gs []groupJSON
	if err := json.Unmarshal([]byte(out), &gs); err != nil || len(gs) != 1 {
		t.Fatalf("describe --json %q: %v", out, err)
	}
	return gs[0]
}

func TestGroupCommands(t *testing.T) {
	addr := harness.Start(t, "group.initial.rebalance.delay.ms=0").Addr
	mustStrom(t, addr, "", "topic", "create", "orders", "--partitions", "2")
	in := strings.Repeat("k1\tv\n", 5) + strings.Repeat("k2\tv\n", 5)
	mustStrom(t, addr, in, "produce", "orders", "--property", "parse.key=true")
	_, ends := endOffsets(t, addr, "orders")

	// A consumer outside group management commits offset 1 everywhere.
	adm := adminFor(t, addr)
	ctx := context.Background()
	var os kadm.Offsets
	os.Add(kadm.Offset{Topic: "orders", Partition: 0, At: 1, LeaderEpoch: -1})
	os.Add(kadm.Offset{Topic: "orders", Partition: 1, At: 1, LeaderEpoch: -1})
	if err := adm.CommitAllOffsets(ctx, "billing", os); err != nil {
		t.Fatal(err)
	}

	if out := mustStrom(t, addr, "", "group", "list"); !strings.Contains(out, "billing") || !strings.Contains(out, "Empty") {
		t.Fatalf("list: %q", out)
	}
	g := groupDescribeJSON(t, addr, "billing")
	wantLag := max(ends[0]-1, 0) + max(ends[1]-1, 0)
	if g.State != "Empty" || len(g.Partitions) != 2 || g.TotalLag != wantLag || g.Partitions[0].Committed != 1 {
		t.Fatalf("describe: %+v (want total lag %d)", g, wantLag)
	}
	if out := mustStrom(t, addr, "", "group", "describe", "billing"); !strings.Contains(out, "total lag") || !strings.Contains(out, "LOG-END-OFFSET") {
		t.Fatalf("describe table: %q", out)
	}

	// Dry run changes nothing; --execute applies.
	out := mustStrom(t, addr, "", "group", "reset-offsets", "billing", "--topic", "orders", "--to-earliest")
	if !strings.Contains(out, "Dry run") {
		t.Fatalf("dry run: %q", out)
	}
	if g := groupDescribeJSON(t, addr, "billing"); g.Partitions[0].Committed != 1 {
		t.Fatalf("dry run changed offsets: %+v", g)
	}
	mustStrom(t, addr, "", "group", "reset-offsets", "billing", "--topic", "orders", "--to-latest", "--execute")
	if g := groupDescribeJSON(t, addr, "billing"); g.TotalLag != 0 {
		t.Fatalf("after --to-latest: %+v", g)
	}
	mustStrom(t, addr, "", "group", "reset-offsets", "billing", "--topic", "orders", "--shift-by", "-2", "--execute")
	if g := groupDescribeJSON(t, addr, "billing"); g.TotalLag != min(ends[0], 2)+min(ends[1], 2) {
		t.Fatalf("after --shift-by -2: %+v", g)
	}
	mustStrom(t, addr, "", "group", "reset-offsets", "billing", "--topic", "orders", "--to-offset", "0", "--execute")
	mustStrom(t, addr, "", "group", "reset-offsets", "billing", "--topic", "orders", "--to-datetime", "2000-01-01T00:00:00Z", "--execute")
	if g := groupDescribeJSON(t, addr, "billing"); g.Partitions[0].Committed != 0 || g.Partitions[1].Committed != 0 {
		t.Fatalf("after --to-datetime in the past: %+v", g)
	}

	// A group with an active member refuses resets and deletion.
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumerGroup("live"), kgo.ConsumeTopics("orders"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for n := 0; n < 10 && pctx.Err() == nil; {
		n += cl.PollFetches(pctx).NumRecords()
	}
	r := strom(t, addr, "", "group", "reset-offsets", "live", "--topic", "orders", "--to-earliest", "--execute")
	if r.code == 0 || !strings.Contains(r.stderr, "active member") {
		t.Fatalf("reset of a live group: exit %d %q", r.code, r.stderr)
	}
	if r := strom(t, addr, "", "group", "delete", "live"); r.code == 0 || !strings.Contains(r.stderr, "NON_EMPTY_GROUP") {
		t.Fatalf("delete of a live group: exit %d %q", r.code, r.stderr)
	}
	g = groupDescribeJSON(t, addr, "live")
	if g.State != "Stable" || len(g.Members) != 1 || len(g.Members[0].Assigned) != 2 || !strings.HasPrefix(g.Members[0].Host, "/127.0.0.1") {
		t.Fatalf("live group: %+v", g)
	}

	if out := mustStrom(t, addr, "", "group", "delete", "billing"); !strings.Contains(out, "Deleted group billing") {
		t.Fatalf("delete: %q", out)
	}
	if out := mustStrom(t, addr, "", "group", "list"); strings.Contains(out, "billing") {
		t.Fatalf("deleted group still listed: %q", out)
	}
}
