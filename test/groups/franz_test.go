package groups

import (
	"context"
	"errors"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"strom/test/clients/ktest"
)

// kgoMember is one franz-go group consumer running a
// poll-process-commit loop with rebalances blocked during processing, so
// a clean rebalance never hands a processed but uncommitted record to
// another member.
type kgoMember struct {
	name   string
	cl     *kgo.Client
	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	assigned map[int32]bool

	dead   atomic.Bool // connections cut: the member is "killed"
	connMu sync.Mutex
	conns  []net.Conn
}

func startKgo(t *testing.T, addr, group, topic, name string, s *seen, opts ...kgo.Opt) *kgoMember {
	t.Helper()
	m := &kgoMember{name: name, assigned: map[int32]bool{}, done: make(chan struct{})}
	d := &net.Dialer{Timeout: 5 * time.Second}
	base := []kgo.Opt{
		kgo.SeedBrokers(addr),
		kgo.ClientID(name),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topic),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.HeartbeatInterval(200 * time.Millisecond),
		kgo.FetchMaxWait(200 * time.Millisecond),
		kgo.RetryBackoffFn(func(int) time.Duration { return 100 * time.Millisecond }),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, a map[string][]int32) {
			m.mu.Lock()
			for _, p := range a[topic] {
				m.assigned[p] = true
			}
			m.mu.Unlock()
		}),
		kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, r map[string][]int32) {
			m.mu.Lock()
			for _, p := range r[topic] {
				delete(m.assigned, p)
			}
			m.mu.Unlock()
		}),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, r map[string][]int32) {
			m.mu.Lock()
			for _, p := range r[topic] {
				delete(m.assigned, p)
			}
			m.mu.Unlock()
		}),
		kgo.Dialer(func(ctx context.Context, network, host string) (net.Conn, error) {
			if m.dead.Load() {
				return nil, errors.New("member killed")
			}
			c, err := d.DialContext(ctx, network, host)
			if err == nil {
				m.connMu.Lock()
				m.conns = append(m.conns, c)
				m.connMu.Unlock()
			}
			return c, err
		}),
	}
	cl, err := kgo.NewClient(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	m.cl = cl
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	go func() {
		defer close(m.done)
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			if ctx.Err() != nil {
				cl.AllowRebalance()
				return
			}
			n := 0
			fs.EachRecord(func(r *kgo.Record) {
				if !m.dead.Load() {
					s.add(name, string(r.Value))
					n++
				}
			})
			if n > 0 && !m.dead.Load() {
				// Commit with its own context: stop() cancels ctx, and an
				// interrupted commit would hand processed records to the
				// next owner a second time.
				cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
				if err := cl.CommitUncommittedOffsets(cctx); err != nil {
					t.Logf("%s: commit: %v", name, err)
				}
				ccancel()
			}
			cl.AllowRebalance()
		}
	}()
	t.Cleanup(func() { m.stop() })
	return m
}

// stop ends the loop and closes the client, which leaves the group.
func (m *kgoMember) stop() {
	m.cancel()
	<-m.done
	if m.dead.Load() {
		go m.cl.Close() // cannot leave: its connections are gone
		return
	}
	m.cl.Close()
}

// kill cuts every connection and refuses new ones without leaving the
// group, as a crashed process would; the broker must expire it.
func (m *kgoMember) kill() {
	m.dead.Store(true)
	m.connMu.Lock()
	for _, c := range m.conns {
		c.Close()
	}
	m.connMu.Unlock()
	m.cancel()
}

func (m *kgoMember) parts() []int32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []int32
	for p := range m.assigned {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// split reports whether the members' assignments are disjoint, each
// non-empty, and together cover n partitions.
func split(n int, ms ...*kgoMember) bool {
	all := map[int32]bool{}
	for _, m := range ms {
		ps := m.parts()
		if len(ps) == 0 {
			return false
		}
		for _, p := range ps {
			if all[p] {
				return false
			}
			all[p] = true
		}
	}
	return len(all) == n
}

func TestFranzGroupSplitAndRebalance(t *testing.T) {
	for _, tc := range []struct {
		name     string
		balancer kgo.GroupBalancer
	}{
		{"range", kgo.RangeBalancer()},
		{"cooperative-sticky", kgo.CooperativeStickyBalancer()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := startBroker(t)
			topic := ktest.CreateTopic(t, b.Addr, 4)
			group := uniqueGroup(t)
			s := newSeen()
			a := startKgo(t, b.Addr, group, topic, "a", s, kgo.Balancers(tc.balancer))
			waitFor(t, 15*time.Second, "a owns all 4 partitions", func() bool { return split(4, a) })
			c := startKgo(t, b.Addr, group, topic, "c", s, kgo.Balancers(tc.balancer))
			waitFor(t, 15*time.Second, "a and c split 4 partitions", func() bool { return split(4, a, c) })

			produce(t, b.Addr, topic, "one", 200)
			waitFor(t, 15*time.Second, "200 records consumed", func() bool { return s.count() == 200 })
			if d := s.dups(); len(d) > 0 {
				t.Fatalf("records consumed twice: %v", d)
			}
			who := map[string]int{}
			for _, w := range s.by {
				who[w[0]]++
			}
			if who["a"] == 0 || who["c"] == 0 {
				t.Fatalf("both members should consume: %v", who)
			}

			// c leaves: a takes everything, and resumes from c's commits.
			c.stop()
			waitFor(t, 15*time.Second, "a owns all 4 again", func() bool { return split(4, a) })
			produce(t, b.Addr, topic, "two", 100)
			waitFor(t, 15*time.Second, "300 records consumed", func() bool { return s.count() == 300 })
			if d := s.dups(); len(d) > 0 {
				t.Fatalf("records consumed twice across a clean rebalance: %v", d)
			}
			ends := endOffsets(t, b.Addr, topic)
			waitFor(t, 10*time.Second, "committed offsets reach the end", func() bool {
				cm := committed(t, b.Addr, group, topic)
				for p, e := range ends {
					if cm[p] != e {
						return false
					}
				}
				return true
			})
			if g := describe(t, b.Addr, group); g.State != "Stable" || len(g.Members) != 1 || g.Protocol != tc.balancer.ProtocolName() {
				t.Fatalf("describe: state %s, %d members, protocol %q", g.State, len(g.Members), g.Protocol)
			}
		})
	}
}

func TestFranzKilledMemberExpires(t *testing.T) {
	b := startBroker(t)
	topic := ktest.CreateTopic(t, b.Addr, 2)
	group := uniqueGroup(t)
	s := newSeen()
	opts := []kgo.Opt{kgo.SessionTimeout(1500 * time.Millisecond), kgo.Balancers(kgo.RangeBalancer())}
	a := startKgo(t, b.Addr, group, topic, "a", s, opts...)
	c := startKgo(t, b.Addr, group, topic, "c", s, opts...)
	waitFor(t, 15*time.Second, "a and c split", func() bool { return split(2, a, c) })
	start := time.Now()
	c.kill()
	waitFor(t, 15*time.Second, "a takes over the dead member's partition", func() bool { return split(2, a) })
	if el := time.Since(start); el < time.Second {
		t.Fatalf("the dead member was dropped after %v, before its 1.5s session timeout", el)
	}
	produce(t, b.Addr, topic, "x", 50)
	waitFor(t, 15*time.Second, "a consumes everything", func() bool { return s.count() == 50 })
}

func TestFranzCommittedOffsetsSurviveRestarts(t *testing.T) {
	b := startBroker(t)
	topic := ktest.CreateTopic(t, b.Addr, 3)
	group := uniqueGroup(t)
	produce(t, b.Addr, topic, "first", 90)

	s := newSeen()
	a := startKgo(t, b.Addr, group, topic, "a", s)
	waitFor(t, 20*time.Second, "90 consumed", func() bool { return s.count() == 90 })
	a.stop()

	// A new consumer in the same group resumes after the commits.
	produce(t, b.Addr, topic, "second", 30)
	s2 := newSeen()
	a2 := startKgo(t, b.Addr, group, topic, "a2", s2)
	waitFor(t, 20*time.Second, "30 new consumed", func() bool { return s2.count() == 30 })
	a2.stop()
	for v := range s2.by {
		if v[:6] != "second" {
			t.Fatalf("restarted consumer re-read %q", v)
		}
	}

	// The broker restarts: offsets are rebuilt from __consumer_offsets.
	want := committed(t, b.Addr, group, topic)
	b.Restart()
	if got := committed(t, b.Addr, group, topic); len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("after restart committed %v, want %v", got, want)
	}
	produce(t, b.Addr, topic, "third", 15)
	s3 := newSeen()
	a3 := startKgo(t, b.Addr, group, topic, "a3", s3)
	waitFor(t, 20*time.Second, "15 new consumed after restart", func() bool { return s3.count() == 15 })
	a3.stop()
	for v := range s3.by {
		if v[:5] != "third" {
			t.Fatalf("consumer after broker restart re-read %q", v)
		}
	}
}
