package groups

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"strom/test/clients/ktest"
	"strom/test/harness"
)

// fastGroups are broker overrides that make rebalances quick in tests.
var fastGroups = []string{
	"group.initial.rebalance.delay.ms=0",
	"group.min.session.timeout.ms=1000",
	"offsets.topic.num.partitions=5",
	"auto.create.topics.enable=true",
}

func startBroker(t *testing.T, extra ...string) *harness.Broker {
	return harness.Start(t, append(append([]string{}, fastGroups...), extra...)...)
}

// produce writes n records with values prefix-0..n-1, spread round-robin
// over the topic's partitions, and waits for every acknowledgement.
func produce(t testing.TB, addr, topic, prefix string, n int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: topic, Key: []byte(strconv.Itoa(i)), Value: []byte(fmt.Sprintf("%s-%d", prefix, i))}
	}
	if err := cl.ProduceSync(ktest.Ctx(t), recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

// seen collects which consumer saw which value.
type seen struct {
	mu sync.Mutex
	by map[string][]string
}

func newSeen() *seen { return &seen{by: map[string][]string{}} }

func (s *seen) add(who, value string) {
	s.mu.Lock()
	s.by[value] = append(s.by[value], who)
	s.mu.Unlock()
}

func (s *seen) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.by)
}

// dups lists values consumed more than once.
func (s *seen) dups() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for v, w := range s.by {
		if len(w) > 1 {
			out = append(out, fmt.Sprintf("%s by %v", v, w))
		}
	}
	sort.Strings(out)
	return out
}

// waitFor polls cond every 20ms until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond) // polling an observable outcome, not synchronising
	}
}

// committed returns the group's committed offsets for topic by partition.
func committed(t testing.TB, addr, group, topic string) map[int32]int64 {
	t.Helper()
	adm := ktest.Admin(t, addr)
	resp, err := adm.FetchOffsets(ktest.Ctx(t), group)
	if err != nil {
		t.Fatalf("FetchOffsets(%s): %v", group, err)
	}
	out := map[int32]int64{}
	resp.Each(func(o kadm.OffsetResponse) {
		if o.Topic == topic && o.Err == nil {
			out[o.Partition] = o.At
		}
	})
	return out
}

func endOffsets(t testing.TB, addr, topic string) map[int32]int64 {
	t.Helper()
	adm := ktest.Admin(t, addr)
	ends, err := adm.ListEndOffsets(ktest.Ctx(t), topic)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) { out[o.Partition] = o.Offset })
	return out
}

// describe returns the group's state and member count.
func describe(t testing.TB, addr, group string) kadm.DescribedGroup {
	t.Helper()
	adm := ktest.Admin(t, addr)
	ds, err := adm.DescribeGroups(context.Background(), group)
	if err != nil {
		t.Fatalf("DescribeGroups: %v", err)
	}
	return ds[group]
}

func uniqueGroup(t testing.TB) string { return "g-" + ktest.UniqueTopic(t) }
