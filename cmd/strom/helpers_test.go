package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"strom/test/harness"
)

// startBroker starts an in-process Strom broker on 127.0.0.1 with its
// data in a temporary directory and returns its address; the test's
// cleanup stops it.
func startBroker(t *testing.T) string {
	t.Helper()
	return harness.Start(t).Addr
}

type result struct {
	stdout, stderr string
	code           int
}

// strom runs one command line in-process against addr with stdin as input.
// Every command is bounded by a deadline so a hung command fails the test
// instead of hanging it.
func strom(t *testing.T, addr, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	if addr != "" {
		args = append([]string{"--bootstrap-server", addr}, args...)
	}
	code := run(ctx, args, strings.NewReader(stdin), &out, &errOut)
	return result{stdout: out.String(), stderr: errOut.String(), code: code}
}

// mustStrom is strom for commands that must succeed.
func mustStrom(t *testing.T, addr, stdin string, args ...string) string {
	t.Helper()
	r := strom(t, addr, stdin, args...)
	if r.code != 0 {
		t.Fatalf("strom %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// adminFor returns an admin client for checking outcomes independently of
// the command under test.
func adminFor(t *testing.T, addr string) *kadm.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return kadm.NewClient(cl)
}

// endOffsets sums the log end offsets of topic's partitions.
func endOffsets(t *testing.T, addr, topic string) (total int64, perPartition map[int32]int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ends, err := adminFor(t, addr).ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	perPartition = map[int32]int64{}
	ends.Each(func(lo kadm.ListedOffset) {
		perPartition[lo.Partition] = lo.Offset
		total += lo.Offset
	})
	return total, perPartition
}
