// Command rebalance measures how long a consumer group takes to settle
// after a member joins, for bench/run.sh:
//
//	go run ./bench/rebalance --addr 127.0.0.1:9092 --members 10 --partitions 12 --repeats 5
//	{"members":10,"partitions":12,"initial_ms":...,"join_ms":[...],"join_median_ms":...,...}
//
// It fills a topic with a backlog, starts --members franz-go group members
// (default balancer: cooperative-sticky, autocommit off, reading from the
// earliest offset) and waits until the group is settled. Then, --repeats
// times, it starts one more member and times how long until the group is
// settled again with it, and then closes that member (LeaveGroup) and times
// the settling once more.
//
// Settled means: every member has been assigned, every partition is owned
// by exactly one member, every member owns at least one, and every member
// has received a record from each partition since it was assigned it. The
// last part is "consuming": because nothing is committed, a newly assigned
// partition is read from its start, so records are there at once and the
// time is not padded by waiting for new data. Ownership is followed
// through kgo's OnPartitionsAssigned/Revoked/Lost callbacks, so a member
// in the middle of a cooperative two-step rebalance (partitions revoked,
// not yet reassigned) leaves the group unsettled.
//
// The heartbeat interval bounds how fast existing members hear of a
// rebalance (Kafka answers their next Heartbeat with REBALANCE_IN_PROGRESS),
// so with Kafka's default of 3 s the result is mostly the client's wait.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

type result struct {
	Members       int       `json:"members"`
	Partitions    int       `json:"partitions"`
	HeartbeatMs   float64   `json:"heartbeat_interval_ms"`
	InitialMs     float64   `json:"initial_ms"` // the first --members settling from an empty group
	JoinMs        []float64 `json:"join_ms"`
	JoinMedianMs  float64   `json:"join_median_ms"`
	JoinMaxMs     float64   `json:"join_max_ms"`
	LeaveMs       []float64 `json:"leave_ms"`
	LeaveMedianMs float64   `json:"leave_median_ms"`
	LeaveMaxMs    float64   `json:"leave_max_ms"`
}

type opts struct {
	addr       string
	topic      string
	group      string
	members    int
	partitions int
	backlog    int
	repeats    int
	heartbeat  time.Duration
	timeout    time.Duration
}

func main() {
	var o opts
	flag.StringVar(&o.addr, "addr", "127.0.0.1:9092", "broker host:port")
	flag.StringVar(&o.topic, "topic", "rebalance", "topic to create and consume")
	flag.StringVar(&o.group, "group", "", "group id (default: rebalance-<time>)")
	flag.IntVar(&o.members, "members", 10, "members of the settled group; one more joins each repeat")
	flag.IntVar(&o.partitions, "partitions", 12, "partitions of the topic (more than --members, so the extra member gets one)")
	flag.IntVar(&o.backlog, "backlog", 200, "records written to each partition first")
	flag.IntVar(&o.repeats, "repeats", 5, "joins (and leaves) to time")
	flag.DurationVar(&o.heartbeat, "heartbeat-interval", 3*time.Second, "members' heartbeat interval (Kafka's default is 3s)")
	flag.DurationVar(&o.timeout, "timeout", 2*time.Minute, "give up when one settling takes longer")
	flag.Parse()
	if o.members < 1 || o.partitions <= o.members || o.repeats < 1 || o.backlog < 1 {
		fmt.Fprintln(os.Stderr, "rebalance: need --members >= 1, --partitions > --members, --repeats >= 1, --backlog >= 1")
		os.Exit(2)
	}
	if o.group == "" {
		o.group = fmt.Sprintf("rebalance-%d", time.Now().UnixNano())
	}
	res, err := run(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rebalance:", err)
		os.Exit(1)
	}
	_ = json.NewEncoder(os.Stdout).Encode(res)
}

// tracker holds every member's view of what it owns.
type tracker struct {
	mu      sync.Mutex
	members map[*member]bool
	changed chan struct{} // closed and replaced on every change
}

// member is one group client; its fields are guarded by tracker.mu.
type member struct {
	cl       *kgo.Client
	assigned bool
	owned    map[int32]bool // partition -> received a record since assigned
}

func (t *tracker) notifyLocked() {
	close(t.changed)
	t.changed = make(chan struct{})
}

// settled reports whether the group is settled with exactly want members,
// or returns a channel closed on the next change.
func (t *tracker) settled(want, partitions int) (bool, <-chan struct{}) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.members) != want {
		return false, t.changed
	}
	seen := map[int32]bool{}
	for m := range t.members {
		if !m.assigned || len(m.owned) == 0 {
			return false, t.changed
		}
		for p, consuming := range m.owned {
			if !consuming || seen[p] {
				return false, t.changed
			}
			seen[p] = true
		}
	}
	return len(seen) == partitions, t.changed
}

func (t *tracker) wait(ctx context.Context, want, partitions int) error {
	for {
		ok, changed := t.settled(want, partitions)
		if ok {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("group not settled with %d members: %w", want, ctx.Err())
		}
	}
}

// start adds a member to the group and starts its poll loop; the poll
// loop ends when the client is closed.
func (t *tracker) start(o opts, wg *sync.WaitGroup) (*member, error) {
	m := &member{owned: map[int32]bool{}}
	change := func(ps []int32, f func(p int32)) {
		t.mu.Lock()
		defer t.mu.Unlock()
		if !t.members[m] {
			return // closing: no longer counted
		}
		for _, p := range ps {
			f(p)
		}
		t.notifyLocked()
	}
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(o.addr),
		kgo.ClientID("strom-rebalance"),
		kgo.ConsumeTopics(o.topic),
		kgo.ConsumerGroup(o.group),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		kgo.HeartbeatInterval(o.heartbeat),
		kgo.FetchMaxWait(500*time.Millisecond),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, a map[string][]int32) {
			change(a[o.topic], func(p int32) { m.owned[p] = false })
			t.mu.Lock()
			if t.members[m] && !m.assigned {
				m.assigned = true
				t.notifyLocked()
			}
			t.mu.Unlock()
		}),
		kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, r map[string][]int32) {
			change(r[o.topic], func(p int32) { delete(m.owned, p) })
		}),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, r map[string][]int32) {
			change(r[o.topic], func(p int32) { delete(m.owned, p) })
		}),
	)
	if err != nil {
		return nil, err
	}
	m.cl = cl
	t.mu.Lock()
	t.members[m] = true
	t.notifyLocked()
	t.mu.Unlock()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			fetches := cl.PollFetches(context.Background())
			if fetches.IsClientClosed() {
				return
			}
			var got []int32
			fetches.EachPartition(func(p kgo.FetchTopicPartition) {
				if len(p.Records) > 0 {
					got = append(got, p.Partition)
				}
			})
			change(got, func(p int32) {
				if _, ok := m.owned[p]; ok {
					m.owned[p] = true
				}
			})
		}
	}()
	return m, nil
}

// stop removes a member from the count, then closes it (LeaveGroup).
func (t *tracker) stop(m *member) {
	t.mu.Lock()
	delete(t.members, m)
	t.notifyLocked()
	t.mu.Unlock()
	m.cl.Close()
}

func run(o opts) (res result, err error) {
	res = result{Members: o.members, Partitions: o.partitions, HeartbeatMs: ms(o.heartbeat)}
	if err := fill(o); err != nil {
		return res, err
	}
	t := &tracker{members: map[*member]bool{}, changed: make(chan struct{})}
	var wg sync.WaitGroup
	defer func() {
		t.mu.Lock()
		all := make([]*member, 0, len(t.members))
		for m := range t.members {
			all = append(all, m)
		}
		t.mu.Unlock()
		for _, m := range all {
			t.stop(m)
		}
		wg.Wait()
	}()

	settle := func(want int) (time.Duration, error) {
		ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
		defer cancel()
		start := time.Now()
		err := t.wait(ctx, want, o.partitions)
		return time.Since(start), err
	}

	start := time.Now()
	for range o.members {
		if _, err := t.start(o, &wg); err != nil {
			return res, err
		}
	}
	if _, err := settle(o.members); err != nil {
		return res, fmt.Errorf("initial join: %w", err)
	}
	res.InitialMs = ms(time.Since(start))
	fmt.Fprintf(os.Stderr, "rebalance: %d members settled after %.0f ms\n", o.members, res.InitialMs)

	for i := range o.repeats {
		t0 := time.Now()
		extra, err := t.start(o, &wg)
		if err != nil {
			return res, err
		}
		if _, err := settle(o.members + 1); err != nil {
			return res, fmt.Errorf("repeat %d, join: %w", i+1, err)
		}
		join := time.Since(t0)
		left, err := func() (time.Duration, error) {
			t0 := time.Now()
			t.stop(extra)
			_, err := settle(o.members)
			return time.Since(t0), err
		}()
		if err != nil {
			return res, fmt.Errorf("repeat %d, leave: %w", i+1, err)
		}
		res.JoinMs = append(res.JoinMs, ms(join))
		res.LeaveMs = append(res.LeaveMs, ms(left))
		fmt.Fprintf(os.Stderr, "rebalance: repeat %d: join %.0f ms, leave %.0f ms\n", i+1, ms(join), ms(left))
	}
	res.JoinMedianMs, res.JoinMaxMs = medianMax(res.JoinMs)
	res.LeaveMedianMs, res.LeaveMaxMs = medianMax(res.LeaveMs)
	return res, nil
}

// fill creates the topic and writes the backlog to every partition.
func fill(o opts) error {
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(o.addr), kgo.ClientID("strom-rebalance"),
		kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		return err
	}
	defer cl.Close()
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, int32(o.partitions), -1, nil, o.topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		return fmt.Errorf("creating %s: %w", o.topic, err)
	}
	var recs []*kgo.Record
	for p := range o.partitions {
		for range o.backlog {
			recs = append(recs, &kgo.Record{Topic: o.topic, Partition: int32(p), Value: make([]byte, 100)})
		}
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return fmt.Errorf("filling %s: %w", o.topic, err)
	}
	return nil
}

func medianMax(v []float64) (median, maxv float64) {
	s := slices.Sorted(slices.Values(v))
	n := len(s)
	if n == 0 {
		return 0, 0
	}
	median = s[n/2]
	if n%2 == 0 {
		median = (s[n/2-1] + s[n/2]) / 2
	}
	return median, s[n-1]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
