package api

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/config"
	"strom/internal/controller"
	"strom/internal/coordinator/producerid"
	"strom/internal/record/recordtest"
	"strom/internal/replica"
	"strom/internal/vfs"
)

// testEnv is a real single-node broker core (controller with its raft
// log, replica manager, producer id allocator) on a temporary directory,
// without the network: handlers are called directly.
type testEnv struct {
	*Env
	Ctrl *controller.Controller
	Dir  string
}

// newTestEnv builds a testEnv; mutate, if non-nil, adjusts the broker
// config before anything starts.
func newTestEnv(t *testing.T, mutate func(*config.Broker)) *testEnv {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.LogDirs = []string{filepath.Join(dir, "data")}
	if mutate != nil {
		mutate(cfg)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctrl, err := controller.Start(context.Background(), controller.Config{
		NodeID:         cfg.NodeID,
		Dir:            filepath.Join(cfg.LogDirs[0], "__cluster_metadata-0"),
		FS:             vfs.Default,
		Broker:         cfg,
		Logger:         logger,
		AdvertisedHost: "127.0.0.1",
		AdvertisedPort: 9092,
	})
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := replica.NewManager(replica.Config{NodeID: cfg.NodeID, FS: vfs.Default, Broker: cfg, Logger: logger})
	if err != nil {
		ctrl.Close()
		t.Fatal(err)
	}
	ctrl.Subscribe(mgr.Apply)
	pids, err := producerid.Open(vfs.Default, cfg.LogDirs[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ctrl.Close(); err != nil {
			t.Error(err)
		}
		if err := mgr.Close(); err != nil {
			t.Error(err)
		}
	})
	return &testEnv{
		Env: &Env{
			NodeID:       cfg.NodeID,
			Config:       cfg,
			Controller:   ctrl,
			Replicas:     mgr,
			Logger:       logger,
			Now:          time.Now,
			AdminTimeout: 10 * time.Second,
			ProducerIDs:  pids,
		},
		Ctrl: ctrl,
		Dir:  dir,
	}
}

// do sends req at version through the wire codec and the registered
// handler, and decodes the response at the same version, so a test sees
// only what a client of that version would see.
func (e *testEnv) do(t *testing.T, req kmsg.Request, version int16) kmsg.Response {
	t.Helper()
	fn, min, max, ok := Lookup(req.Key())
	if !ok {
		t.Fatalf("key %d not registered", req.Key())
	}
	if version < min || version > max {
		t.Fatalf("key %d v%d outside registered %d-%d", req.Key(), version, min, max)
	}
	req.SetVersion(version)
	wire := req.AppendTo(nil)
	dec := kmsg.RequestForKey(req.Key())
	dec.SetVersion(version)
	if err := dec.ReadFrom(wire); err != nil {
		t.Fatalf("decoding request: %v", err)
	}
	res := fn(e.Env, &ConnInfo{ClientID: "test", Ctx: context.Background()}, dec)
	resp := res.Resp
	if res.Later != nil {
		resp = res.Later()
	}
	if resp == nil {
		t.Fatal("no response")
	}
	if resp.GetVersion() != version {
		t.Fatalf("response version %d, want %d", resp.GetVersion(), version)
	}
	out := dec.ResponseKind()
	if err := out.ReadFrom(resp.AppendTo(nil)); err != nil {
		t.Fatalf("decoding response: %v", err)
	}
	return out
}

// createTopic creates a topic through the controller and waits until
// every partition is open on this broker.
func (e *testEnv) createTopic(t *testing.T, name string, partitions int32, configs map[string]string) {
	t.Helper()
	res := e.Ctrl.CreateTopics(context.Background(), []controller.TopicSpec{{
		Name: name, NumPartitions: partitions, ReplicationFactor: -1, Configs: configs,
	}}, false)
	if res[0].Err != nil {
		t.Fatalf("creating %s: %v", name, res[0].Err)
	}
	for p := int32(0); p < partitions; p++ {
		e.waitPartition(t, name, p)
	}
}

// waitPartition waits, on the replica manager's change signal rather than
// a sleep, until the partition is open.
func (e *testEnv) waitPartition(t *testing.T, topic string, p int32) *replica.Partition {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		ch := e.Replicas.Signal()
		if part, err := e.Replicas.Partition(topic, p); err == nil {
			return part
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("partition %s-%d never opened", topic, p)
		}
	}
}

// produce appends n committed records to a partition.
func (e *testEnv) produce(t *testing.T, topic string, p int32, n int) {
	t.Helper()
	part := e.waitPartition(t, topic, p)
	res, err := part.Append(recordtest.Values(n, 16, time.Now().UnixMilli()), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := part.WaitCommitted(ctx, res.LastOffset); err != nil {
		t.Fatal(err)
	}
}
