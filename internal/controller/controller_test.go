package controller

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"strom/internal/config"
	"strom/internal/metadata"
	"strom/internal/vfs"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func testConfig(fsys vfs.FS) Config {
	return Config{
		NodeID: 0, Dir: "/data/__cluster_metadata-0", FS: fsys, Broker: config.Default(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), AdvertisedHost: "127.0.0.1", AdvertisedPort: 9092,
	}
}

func start(t *testing.T, cfg Config) *Controller {
	t.Helper()
	c, err := Start(ctxT(t), cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	return c
}

func newController(t *testing.T) *Controller {
	c := start(t, testConfig(vfs.NewMem()))
	t.Cleanup(func() { c.Close() })
	return c
}

func TestStartBootstraps(t *testing.T) {
	c := newController(t)
	im := c.Image()
	if len(c.ClusterID()) != 22 || im.ClusterID != c.ClusterID() {
		t.Fatalf("cluster id %q", c.ClusterID())
	}
	b, ok := im.Brokers[0]
	if !ok || b.Host != "127.0.0.1" || b.Port != 9092 || b.Fenced || b.Epoch != 1 {
		t.Fatalf("broker registration %+v", b)
	}
}

func TestCreateTopicsValidation(t *testing.T) {
	c := newController(t)
	res := c.CreateTopics(ctxT(t), []TopicSpec{{Name: "a.b", NumPartitions: 3, ReplicationFactor: 1}}, false)
	if res[0].Err != nil || res[0].ID.IsZero() || res[0].NumPartitions != 3 || res[0].ReplicationFactor != 1 {
		t.Fatalf("create a.b: %+v", res[0])
	}
	tp := c.Image().Topic("a.b")
	if tp == nil || tp.ID != res[0].ID || len(tp.Partitions) != 3 {
		t.Fatalf("image topic %+v", tp)
	}
	for i, p := range tp.Partitions {
		if p.Index != int32(i) || p.Leader != 0 || len(p.Replicas) != 1 || len(p.ISR) != 1 || p.LeaderEpoch != 0 {
			t.Fatalf("partition %+v", p)
		}
	}

	cases := []struct {
		spec TopicSpec
		want error
		msg  string
	}{
		{TopicSpec{Name: "", NumPartitions: 1, ReplicationFactor: 1}, ErrInvalidTopic, "empty"},
		{TopicSpec{Name: "bad name", NumPartitions: 1, ReplicationFactor: 1}, ErrInvalidTopic, "illegal"},
		{TopicSpec{Name: "..", NumPartitions: 1, ReplicationFactor: 1}, ErrInvalidTopic, ""},
		{TopicSpec{Name: strings.Repeat("x", 250), NumPartitions: 1, ReplicationFactor: 1}, ErrInvalidTopic, "249"},
		{TopicSpec{Name: "a_b", NumPartitions: 1, ReplicationFactor: 1}, ErrInvalidTopic, "collides with existing topic: a.b"},
		{TopicSpec{Name: "a.b", NumPartitions: 1, ReplicationFactor: 1}, ErrTopicExists, "Topic 'a.b' already exists."},
		{TopicSpec{Name: "p0", NumPartitions: 0, ReplicationFactor: 1}, ErrInvalidPartitions, ""},
		{TopicSpec{Name: "p2", NumPartitions: -2, ReplicationFactor: 1}, ErrInvalidPartitions, ""},
		{TopicSpec{Name: "r0", NumPartitions: 1, ReplicationFactor: 0}, ErrInvalidReplicationFactor, ""},
		{TopicSpec{Name: "r2", NumPartitions: 1, ReplicationFactor: -2}, ErrInvalidReplicationFactor, ""},
		{TopicSpec{Name: "r3", NumPartitions: 1, ReplicationFactor: 3}, ErrInvalidReplicationFactor, "Replication factor: 3 larger than available brokers: 1."},
		{TopicSpec{Name: "both", NumPartitions: 1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {0}}}, ErrInvalidRequest, ""},
		{TopicSpec{Name: "asg", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {7}}}, ErrInvalidReplicaAssignment, "broker 7"},
		{TopicSpec{Name: "asg2", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {0}, 2: {0}}}, ErrInvalidReplicaAssignment, ""},
		{TopicSpec{Name: "asg3", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {0, 0}}}, ErrInvalidReplicaAssignment, "more than once"},
		{TopicSpec{Name: "cfg", NumPartitions: 1, ReplicationFactor: 1, Configs: map[string]string{"no.such.key": "1"}}, ErrInvalidConfig, "no.such.key"},
		{TopicSpec{Name: "cfg2", NumPartitions: 1, ReplicationFactor: 1, Configs: map[string]string{"retention.ms": "abc"}}, ErrInvalidConfig, "retention.ms"},
	}
	for _, tc := range cases {
		res := c.CreateTopics(ctxT(t), []TopicSpec{tc.spec}, false)
		if !errors.Is(res[0].Err, tc.want) {
			t.Errorf("create %q: err %v, want %v", tc.spec.Name, res[0].Err, tc.want)
			continue
		}
		if !strings.Contains(res[0].Err.Error(), tc.msg) {
			t.Errorf("create %q: message %q lacks %q", tc.spec.Name, res[0].Err.Error(), tc.msg)
		}
		if tc.spec.Name != "a.b" && c.Image().Topic(tc.spec.Name) != nil {
			t.Errorf("rejected topic %q exists", tc.spec.Name)
		}
	}
	var cfgErr *config.Error
	res = c.CreateTopics(ctxT(t), []TopicSpec{{Name: "cfg3", NumPartitions: 1, ReplicationFactor: 1, Configs: map[string]string{"cleanup.policy": "nope"}}}, false)
	if !errors.As(res[0].Err, &cfgErr) {
		t.Errorf("config error is not a *config.Error: %v", res[0].Err)
	}
}

func TestCreateTopicsIndependentAndDefaults(t *testing.T) {
	c := newController(t)
	c.cfg.Broker.NumPartitions = 4
	res := c.CreateTopics(ctxT(t), []TopicSpec{
		{Name: "good1", NumPartitions: -1, ReplicationFactor: -1, Configs: map[string]string{"retention.ms": "1000"}},
		{Name: "bad/", NumPartitions: 1, ReplicationFactor: 1},
		{Name: "__internal", NumPartitions: 2, ReplicationFactor: 1},
		{Name: "dup", NumPartitions: 1, ReplicationFactor: 1},
		{Name: "dup", NumPartitions: 1, ReplicationFactor: 1},
		{Name: "x.y", NumPartitions: 1, ReplicationFactor: 1},
		{Name: "x_y", NumPartitions: 1, ReplicationFactor: 1}, // collides with one earlier in the request
		{Name: "manual", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {0}, 1: {0}}},
	}, false)
	wantErr := []error{nil, ErrInvalidTopic, nil, ErrInvalidRequest, ErrInvalidRequest, nil, ErrInvalidTopic, nil}
	for i, r := range res {
		if (wantErr[i] == nil) != (r.Err == nil) || (wantErr[i] != nil && !errors.Is(r.Err, wantErr[i])) {
			t.Errorf("result %d (%s): %v, want %v", i, r.Name, r.Err, wantErr[i])
		}
	}
	im := c.Image()
	if tp := im.Topic("good1"); tp == nil || len(tp.Partitions) != 4 || tp.Configs["retention.ms"] != "1000" || res[0].NumPartitions != 4 {
		t.Fatalf("good1 = %+v", tp)
	}
	if tp := im.Topic("manual"); tp == nil || len(tp.Partitions) != 2 || res[7].ReplicationFactor != 1 {
		t.Fatalf("manual = %+v", tp)
	}
	if im.Topic("__internal") == nil || im.Topic("x.y") == nil || im.Topic("x_y") != nil || im.Topic("dup") != nil {
		t.Fatal("wrong set of topics created")
	}
}

func TestCreateTopicsValidateOnly(t *testing.T) {
	c := newController(t)
	before := c.Image()
	res := c.CreateTopics(ctxT(t), []TopicSpec{{Name: "v", NumPartitions: 2, ReplicationFactor: 1}}, true)
	if res[0].Err != nil || res[0].NumPartitions != 2 {
		t.Fatalf("validate only: %+v", res[0])
	}
	if c.Image() != before || c.Image().Topic("v") != nil {
		t.Fatal("validateOnly changed the image")
	}
}

func TestConcurrentCreateSameName(t *testing.T) {
	c := newController(t)
	const n = 16
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = c.CreateTopics(context.Background(), []TopicSpec{{Name: "race", NumPartitions: 1, ReplicationFactor: 1}}, false)[0].Err
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrTopicExists):
			t.Errorf("unexpected error %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d creates succeeded, want exactly 1", ok)
	}
}

func TestDeleteTopics(t *testing.T) {
	c := newController(t)
	res := c.CreateTopics(ctxT(t), []TopicSpec{{Name: "d1", NumPartitions: 1, ReplicationFactor: 1}, {Name: "d2", NumPartitions: 1, ReplicationFactor: 1}}, false)
	errs := c.DeleteTopics(ctxT(t), []string{"d1", "nope"})
	if errs[0] != nil || !errors.Is(errs[1], ErrUnknownTopic) {
		t.Fatalf("DeleteTopics: %v", errs)
	}
	if c.Image().Topic("d1") != nil {
		t.Fatal("d1 still exists")
	}
	errs = c.DeleteTopicsByID(ctxT(t), []metadata.TopicID{res[1].ID, metadata.NewTopicID()})
	if errs[0] != nil || !errors.Is(errs[1], ErrUnknownTopic) {
		t.Fatalf("DeleteTopicsByID: %v", errs)
	}
	if c.Image().Topic("d2") != nil {
		t.Fatal("d2 still exists")
	}
	// Re-creating gives a new id.
	res2 := c.CreateTopics(ctxT(t), []TopicSpec{{Name: "d1", NumPartitions: 1, ReplicationFactor: 1}}, false)
	if res2[0].Err != nil || res2[0].ID == res[0].ID {
		t.Fatalf("re-create: %+v", res2[0])
	}
	c.cfg.Broker.DeleteTopicEnable = false
	if errs := c.DeleteTopics(ctxT(t), []string{"d1"}); !errors.Is(errs[0], ErrTopicDeletionDisabled) {
		t.Fatalf("delete with deletion disabled: %v", errs)
	}
}

func TestCreatePartitions(t *testing.T) {
	c := newController(t)
	c.CreateTopics(ctxT(t), []TopicSpec{{Name: "cp", NumPartitions: 3, ReplicationFactor: 1}}, false)
	err := c.CreatePartitions(ctxT(t), "cp", 2, nil, false)
	if !errors.Is(err, ErrInvalidPartitions) || err.Error() != "Topic currently has 3 partitions, which is higher than the requested 2." {
		t.Fatalf("shrink: %v", err)
	}
	if err := c.CreatePartitions(ctxT(t), "cp", 3, nil, false); !errors.Is(err, ErrInvalidPartitions) {
		t.Fatalf("same count: %v", err)
	}
	if err := c.CreatePartitions(ctxT(t), "nope", 3, nil, false); !errors.Is(err, ErrUnknownTopic) {
		t.Fatalf("unknown topic: %v", err)
	}
	if err := c.CreatePartitions(ctxT(t), "cp", 5, nil, true); err != nil || len(c.Image().Topic("cp").Partitions) != 3 {
		t.Fatalf("validate only: %v", err)
	}
	if err := c.CreatePartitions(ctxT(t), "cp", 5, [][]int32{{0}}, false); !errors.Is(err, ErrInvalidReplicaAssignment) {
		t.Fatalf("short assignment: %v", err)
	}
	if err := c.CreatePartitions(ctxT(t), "cp", 5, [][]int32{{0}, {0}}, false); err != nil {
		t.Fatal(err)
	}
	if err := c.CreatePartitions(ctxT(t), "cp", 6, nil, false); err != nil {
		t.Fatal(err)
	}
	tp := c.Image().Topic("cp")
	if len(tp.Partitions) != 6 {
		t.Fatalf("partitions %d", len(tp.Partitions))
	}
	for i, p := range tp.Partitions {
		if p.Index != int32(i) || p.Leader != 0 {
			t.Fatalf("partition %d: %+v", i, p)
		}
	}
}

func TestAlterConfigs(t *testing.T) {
	c := newController(t)
	c.CreateTopics(ctxT(t), []TopicSpec{{Name: "ac", NumPartitions: 1, ReplicationFactor: 1, Configs: map[string]string{"retention.ms": "1000"}}}, false)
	cfgs := func() map[string]string { return c.Image().Topic("ac").Configs }

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.AlterConfigs(ctxT(t), ResourceTopic, "ac", []ConfigOp{{Key: "segment.ms", Value: new("60000"), Op: OpSet}}, false, false))
	if cfgs()["segment.ms"] != "60000" || cfgs()["retention.ms"] != "1000" {
		t.Fatalf("incremental set: %v", cfgs())
	}
	must(c.AlterConfigs(ctxT(t), ResourceTopic, "ac", []ConfigOp{{Key: "retention.ms", Op: OpDelete}}, false, false))
	if _, ok := cfgs()["retention.ms"]; ok {
		t.Fatalf("delete: %v", cfgs())
	}
	must(c.AlterConfigs(ctxT(t), ResourceTopic, "ac", []ConfigOp{{Key: "cleanup.policy", Value: new("compact"), Op: OpAppend}}, false, false))
	if cfgs()["cleanup.policy"] != "delete,compact" {
		t.Fatalf("append to default: %q", cfgs()["cleanup.policy"])
	}
	must(c.AlterConfigs(ctxT(t), ResourceTopic, "ac", []ConfigOp{{Key: "cleanup.policy", Value: new("delete"), Op: OpSubtract}}, false, false))
	if cfgs()["cleanup.policy"] != "compact" {
		t.Fatalf("subtract: %q", cfgs()["cleanup.policy"])
	}
	// Legacy replace-all: only max.message.bytes remains.
	must(c.AlterConfigs(ctxT(t), ResourceTopic, "ac", []ConfigOp{{Key: "max.message.bytes", Value: new("2000"), Op: OpSet}}, true, false))
	if len(cfgs()) != 1 || cfgs()["max.message.bytes"] != "2000" {
		t.Fatalf("replace all: %v", cfgs())
	}
	// validateOnly changes nothing.
	must(c.AlterConfigs(ctxT(t), ResourceTopic, "ac", []ConfigOp{{Key: "retention.ms", Value: new("5"), Op: OpSet}}, false, true))
	if _, ok := cfgs()["retention.ms"]; ok {
		t.Fatal("validateOnly applied")
	}

	errCases := []struct {
		ops  []ConfigOp
		want error
	}{
		{[]ConfigOp{{Key: "no.such", Value: new("1"), Op: OpSet}}, ErrInvalidConfig},
		{[]ConfigOp{{Key: "no.such", Op: OpDelete}}, ErrInvalidConfig},
		{[]ConfigOp{{Key: "retention.ms", Value: new("x"), Op: OpSet}}, ErrInvalidConfig},
		{[]ConfigOp{{Key: "retention.ms", Value: new("1"), Op: OpAppend}}, ErrInvalidConfig},
		{[]ConfigOp{{Key: "retention.ms", Op: OpSet}}, ErrInvalidRequest},
		{[]ConfigOp{{Key: "retention.ms", Value: new("1"), Op: OpSet}, {Key: "retention.ms", Op: OpDelete}}, ErrInvalidRequest},
	}
	for i, ec := range errCases {
		if err := c.AlterConfigs(ctxT(t), ResourceTopic, "ac", ec.ops, false, false); !errors.Is(err, ec.want) {
			t.Errorf("case %d: %v, want %v", i, err, ec.want)
		}
	}
	if err := c.AlterConfigs(ctxT(t), ResourceTopic, "missing", nil, false, false); !errors.Is(err, ErrUnknownTopic) {
		t.Fatalf("unknown topic: %v", err)
	}

	must(c.AlterConfigs(ctxT(t), ResourceBroker, "", []ConfigOp{{Key: "log.retention.ms", Value: new("100"), Op: OpSet}}, false, false))
	must(c.AlterConfigs(ctxT(t), ResourceBroker, "0", []ConfigOp{{Key: "log.retention.ms", Value: new("200"), Op: OpSet}}, false, false))
	im := c.Image()
	if im.BrokerConfigs["log.retention.ms"] != "100" || im.PerBrokerConfigs["0"]["log.retention.ms"] != "200" {
		t.Fatalf("broker configs %v %v", im.BrokerConfigs, im.PerBrokerConfigs)
	}
	if err := c.AlterConfigs(ctxT(t), ResourceBroker, "abc", nil, false, false); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("bad broker name: %v", err)
	}
}

func TestRestartPersistence(t *testing.T) {
	for _, every := range []uint64{0, 3} {
		t.Run(fmt.Sprintf("snapshotEvery=%d", every), func(t *testing.T) {
			fsys := vfs.NewMem()
			cfg := testConfig(fsys)
			cfg.SnapshotEvery = every
			c := start(t, cfg)
			id := c.ClusterID()
			for i := range 5 {
				if r := c.CreateTopics(ctxT(t), []TopicSpec{{Name: fmt.Sprintf("t%d", i), NumPartitions: int32(i + 1), ReplicationFactor: 1}}, false); r[0].Err != nil {
					t.Fatal(r[0].Err)
				}
			}
			if err := c.AlterConfigs(ctxT(t), ResourceTopic, "t2", []ConfigOp{{Key: "retention.ms", Value: new("42"), Op: OpSet}}, false, false); err != nil {
				t.Fatal(err)
			}
			if err := c.AlterConfigs(ctxT(t), ResourceBroker, "", []ConfigOp{{Key: "k", Value: new("v"), Op: OpSet}}, false, false); err != nil {
				t.Fatal(err)
			}
			c.DeleteTopics(ctxT(t), []string{"t0"})
			want := metadata.EncodeImage(c.Image())
			wantOffset := c.Image().Offset
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}

			c2 := start(t, cfg)
			defer c2.Close()
			im := c2.Image()
			if c2.ClusterID() != id {
				t.Fatalf("cluster id changed: %s -> %s", id, c2.ClusterID())
			}
			if im.Offset < wantOffset || im.Topic("t0") != nil || len(im.Topic("t4").Partitions) != 5 || im.Topic("t2").Configs["retention.ms"] != "42" || im.BrokerConfigs["k"] != "v" {
				t.Fatalf("restarted image differs")
			}
			// Same registration: no new record, so the content is identical.
			if got := metadata.EncodeImage(im); string(got[strings.IndexByte(string(got), '\n'):]) != string(want[strings.IndexByte(string(want), '\n'):]) {
				t.Fatalf("restarted image content differs:\n%s\n%s", got, want)
			}
		})
	}
}

func TestReRegisterOnAddressChange(t *testing.T) {
	fsys := vfs.NewMem()
	cfg := testConfig(fsys)
	c := start(t, cfg)
	c.Close()
	cfg.AdvertisedPort = 9999
	c2 := start(t, cfg)
	defer c2.Close()
	b := c2.Image().Brokers[0]
	if b.Port != 9999 || b.Epoch != 2 {
		t.Fatalf("re-registration %+v", b)
	}
}

func TestClusterIDMismatch(t *testing.T) {
	fsys := vfs.NewMem()
	cfg := testConfig(fsys)
	c := start(t, cfg)
	c.Close()
	cfg.Broker.ClusterID = "some-other-cluster-id1"
	if _, err := Start(ctxT(t), cfg); !errors.Is(err, ErrClusterIDMismatch) {
		t.Fatalf("Start with other cluster.id: %v", err)
	}
}

func TestSubscribeOrder(t *testing.T) {
	c := newController(t)
	c.CreateTopics(ctxT(t), []TopicSpec{{Name: "pre", NumPartitions: 1, ReplicationFactor: 1}}, false)

	type event struct {
		kind, topic string
	}
	var mu sync.Mutex
	var events []event
	var lastOffset uint64
	var outOfOrder bool
	c.Subscribe(func(prev, next *metadata.Image) {
		mu.Lock()
		defer mu.Unlock()
		if next.Offset < lastOffset {
			outOfOrder = true
		}
		lastOffset = next.Offset
		for name := range next.Topics {
			if prev.Topic(name) == nil {
				events = append(events, event{"create", name})
			}
		}
		for name := range prev.Topics {
			if next.Topic(name) == nil {
				events = append(events, event{"delete", name})
			}
		}
	})
	mu.Lock()
	if len(events) != 1 || events[0] != (event{"create", "pre"}) {
		t.Fatalf("initial call: %v", events)
	}
	mu.Unlock()

	c.CreateTopics(ctxT(t), []TopicSpec{{Name: "s1", NumPartitions: 1, ReplicationFactor: 1}}, false)
	c.DeleteTopics(ctxT(t), []string{"s1"})
	c.CreateTopics(ctxT(t), []TopicSpec{{Name: "s1", NumPartitions: 1, ReplicationFactor: 1}}, false)
	// Write methods return after delivery: no waiting needed.
	mu.Lock()
	defer mu.Unlock()
	want := []event{{"create", "pre"}, {"create", "s1"}, {"delete", "s1"}, {"create", "s1"}}
	if fmt.Sprint(events) != fmt.Sprint(want) || outOfOrder {
		t.Fatalf("events %v, want %v (out of order: %v)", events, want, outOfOrder)
	}
}

func TestImageNeverNilAndClose(t *testing.T) {
	c := start(t, testConfig(vfs.NewMem()))
	if c.Image() == nil {
		t.Fatal("nil image")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	r := c.CreateTopics(ctxT(t), []TopicSpec{{Name: "late", NumPartitions: 1, ReplicationFactor: 1}}, false)
	if r[0].Err == nil {
		t.Fatal("create after Close succeeded")
	}
}

// TestCrashKeepsCreatedTopics simulates power loss: every topic whose
// CreateTopics returned must exist after recovery.
func TestCrashKeepsCreatedTopics(t *testing.T) {
	fsys := vfs.NewMem()
	cfg := testConfig(fsys)
	cfg.SnapshotEvery = 4
	c := start(t, cfg)
	for i := range 10 {
		if r := c.CreateTopics(ctxT(t), []TopicSpec{{Name: fmt.Sprintf("k%d", i), NumPartitions: 2, ReplicationFactor: 1}}, false); r[0].Err != nil {
			t.Fatal(r[0].Err)
		}
	}
	crashed := fsys.CrashClone()
	c.Close()
	cfg.FS = crashed
	c2 := start(t, cfg)
	defer c2.Close()
	for i := range 10 {
		if tp := c2.Image().Topic(fmt.Sprintf("k%d", i)); tp == nil || len(tp.Partitions) != 2 {
			t.Fatalf("topic k%d lost in crash", i)
		}
	}
	if c2.ClusterID() != c.ClusterID() {
		t.Fatal("cluster id lost in crash")
	}
}
