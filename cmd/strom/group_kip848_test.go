package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"strom/test/harness"
)

// strom group describe shows a KIP-848 group (which DescribeGroups
// reports as Dead) through ConsumerGroupDescribe.
func TestGroupDescribeConsumerProtocol(t *testing.T) {
	addr := harness.Start(t).Addr
	mustStrom(t, addr, "", "topic", "create", "events", "--partitions", "3")
	mustStrom(t, addr, strings.Repeat("x\n", 9), "produce", "events")

	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumerGroup("next-gen"), kgo.ConsumeTopics("events"),
		kgo.ServerSideBalancer(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.ClientID("c848"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got := 0
	for got < 9 && ctx.Err() == nil {
		got += cl.PollFetches(ctx).NumRecords()
	}
	if err := cl.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatal(err)
	}

	g := groupDescribeJSON(t, addr, "next-gen")
	if g.State == "Dead" || len(g.Members) != 1 || g.Members[0].ClientID != "c848" {
		t.Fatalf("describe: %+v", g)
	}
	if len(g.Members[0].Assigned) != 3 {
		t.Fatalf("member assigned %v, want all 3 partitions", g.Members[0].Assigned)
	}
	if len(g.Partitions) != 3 || g.TotalLag != 0 {
		t.Fatalf("partitions %+v total lag %d, want 3 partitions and no lag", g.Partitions, g.TotalLag)
	}
}
