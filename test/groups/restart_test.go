package groups

import (
	"maps"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"strom/test/clients/ktest"
)

// TestFranzBrokerRestartDuringGroupConsumption restarts the broker while
// two franz-go members are in the group and consuming (the existing
// TestFranzCommittedOffsetsSurviveRestarts restarts it between
// consumers). Every committed offset survives, the members reconnect and
// carry on from their commits, and no record is consumed twice.
func TestFranzBrokerRestartDuringGroupConsumption(t *testing.T) {
	t.Parallel()
	b := startBroker(t)
	topic := ktest.CreateTopic(t, b.Addr, 4)
	group := uniqueGroup(t)
	s := newSeen()
	opts := []kgo.Opt{kgo.Balancers(kgo.RangeBalancer()), kgo.SessionTimeout(10 * time.Second)}
	a := startKgo(t, b.Addr, group, topic, "a", s, opts...)
	c := startKgo(t, b.Addr, group, topic, "c", s, opts...)
	waitFor(t, 20*time.Second, "a and c split 4 partitions", func() bool { return split(4, a, c) })

	produce(t, b.Addr, topic, "before", 200)
	waitFor(t, 15*time.Second, "200 consumed", func() bool { return s.count() == 200 })
	ends := endOffsets(t, b.Addr, topic)
	waitFor(t, 10*time.Second, "commits reach the end", func() bool {
		return maps.Equal(committed(t, b.Addr, group, topic), ends)
	})

	b.Restart() // the members stay running and reconnect
	// Committed offsets are durable, so they must all be back; the wait
	// only covers the coordinator loading __consumer_offsets. (This test
	// caught a restart that deleted every partition directory, see
	// internal/controller/subscribe_test.go: a failure here means lost
	// offsets, not late ones.)
	var got map[int32]int64
	waitFor(t, 15*time.Second, "committed offsets back after the restart", func() bool {
		got = committed(t, b.Addr, group, topic)
		return maps.Equal(got, ends)
	})
	produce(t, b.Addr, topic, "after", 200)
	waitFor(t, 30*time.Second, "400 consumed", func() bool { return s.count() == 400 })
	if d := s.dups(); len(d) > 0 {
		t.Fatalf("%d records consumed twice across the broker restart: %v", len(d), d[:min(len(d), 10)])
	}
	who := map[string]int{}
	for v, w := range s.by {
		if v[:5] == "after" {
			who[w[0]]++
		}
	}
	if who["a"] == 0 || who["c"] == 0 {
		t.Fatalf("both members should consume after the restart: %v", who)
	}
	ends = endOffsets(t, b.Addr, topic)
	waitFor(t, 10*time.Second, "commits reach the new end", func() bool {
		return maps.Equal(committed(t, b.Addr, group, topic), ends)
	})
}
