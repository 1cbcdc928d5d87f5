package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"strom/internal/config"
	"strom/internal/metadata"
	"strom/internal/raft"
	"strom/internal/vfs"
)

// Config configures a Controller.
type Config struct {
	NodeID int32
	// Dir is the metadata log directory, e.g.
	// <first log dir>/__cluster_metadata-0.
	Dir            string
	FS             vfs.FS         // nil means vfs.Default
	Broker         *config.Broker // nil means config.Default()
	Logger         *slog.Logger   // nil means slog.Default()
	AdvertisedHost string
	AdvertisedPort int32
	// SnapshotEvery overrides the raft snapshot interval (tests).
	SnapshotEvery uint64
}

// ResourceType selects the config resource of AlterConfigs. The values
// are Kafka's ConfigResource.Type codes.
type ResourceType = metadata.ResourceType

// Config resource types.
const (
	ResourceTopic  = metadata.ResourceTopic
	ResourceBroker = metadata.ResourceBroker
)

// startTimeout bounds how long Start waits for the quorum to replay the
// log and elect a leader.
const startTimeout = 30 * time.Second

// Controller owns the metadata quorum of this node. See the package doc.
type Controller struct {
	cfg    Config
	logger *slog.Logger
	node   *raft.Node

	image atomic.Pointer[metadata.Image]

	writeMu   sync.Mutex
	placeNext int // rotating placement offset; guarded by writeMu

	pub publisher
}

// Start starts the quorum on cfg.Dir, replays it, records a cluster id on
// first start (cfg.Broker.ClusterID if set, else a random one) and
// registers this broker if its registration changed.
func Start(ctx context.Context, cfg Config) (*Controller, error) {
	if cfg.Dir == "" {
		return nil, errors.New("controller: metadata dir is required")
	}
	if cfg.NodeID < 0 {
		return nil, fmt.Errorf("controller: invalid node id %d", cfg.NodeID)
	}
	if cfg.FS == nil {
		cfg.FS = vfs.Default
	}
	if cfg.Broker == nil {
		cfg.Broker = config.Default()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	c := &Controller{cfg: cfg, logger: cfg.Logger.With("component", "controller", "node_id", cfg.NodeID)}
	c.placeNext = rand.IntN(1 << 16)
	c.image.Store(metadata.Empty())
	c.pub.init(metadata.Empty())
	go c.pub.run()

	node, err := raft.Start(raft.Config{
		ID:            uint64(cfg.NodeID) + 1,
		Dir:           cfg.Dir,
		FS:            cfg.FS,
		Logger:        cfg.Logger,
		SnapshotEvery: cfg.SnapshotEvery,
	}, (*stateMachine)(c))
	if err != nil {
		c.pub.stop()
		return nil, fmt.Errorf("controller: start raft: %w", err)
	}
	c.node = node

	wctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	if err := node.WaitReady(wctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("controller: wait for metadata replay: %w", err)
	}
	if err := c.bootstrap(wctx); err != nil {
		c.Close()
		return nil, err
	}
	im := c.Image()
	// Subscribers get the last delivered image first; wait until the
	// replayed log has been delivered, or a subscriber that joins now
	// would start from a stale image (one without the topics that exist)
	// and, e.g., take their partition directories for orphans.
	if err := c.pub.wait(wctx, im.Offset); err != nil {
		c.Close()
		return nil, fmt.Errorf("controller: wait for metadata publication: %w", err)
	}
	c.logger.Info("controller started", "cluster_id", im.ClusterID, "offset", im.Offset, "topics", len(im.Topics), "brokers", len(im.Brokers))
	return c, nil
}

// bootstrap records the cluster id and this broker's registration.
func (c *Controller) bootstrap(ctx context.Context) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	im := c.Image()
	var recs []metadata.Record
	switch want := c.cfg.Broker.ClusterID; {
	case im.ClusterID == "" && want != "":
		recs = append(recs, metadata.ClusterIDRecord{ClusterID: want})
	case im.ClusterID == "":
		recs = append(recs, metadata.ClusterIDRecord{ClusterID: metadata.NewClusterID()})
	case want != "" && want != im.ClusterID:
		return fmt.Errorf("controller: %w: cluster.id is %q but the metadata log in %s belongs to cluster %q",
			ErrClusterIDMismatch, want, c.cfg.Dir, im.ClusterID)
	}
	prev, registered := im.Brokers[c.cfg.NodeID]
	reg := metadata.RegisterBroker{
		ID: c.cfg.NodeID, Host: c.cfg.AdvertisedHost, Port: c.cfg.AdvertisedPort, Rack: c.cfg.Broker.BrokerRack, Epoch: prev.Epoch + 1,
	}
	if !registered || prev.Host != reg.Host || prev.Port != reg.Port || prev.Rack != reg.Rack || prev.Fenced {
		recs = append(recs, reg)
	}
	if len(recs) == 0 {
		return nil
	}
	if _, err := c.commitLocked(ctx, recs); err != nil {
		return fmt.Errorf("controller: bootstrap metadata: %w", err)
	}
	return nil
}

// Image returns the current metadata image. Never nil after Start.
func (c *Controller) Image() *metadata.Image { return c.image.Load() }

// ClusterID returns the cluster id.
func (c *Controller) ClusterID() string { return c.Image().ClusterID }

// NodeID returns this node's id.
func (c *Controller) NodeID() int32 { return c.cfg.NodeID }

// Subscribe registers fn to be called with (previous, next) after every
// image change, in apply order, from a single goroutine. Before Subscribe
// returns, fn is called synchronously once with (empty image, current
// published image), so the subscriber can create whatever the current
// image holds; the next call continues from exactly that image.
func (c *Controller) Subscribe(fn func(prev, next *metadata.Image)) { c.pub.subscribe(fn) }

// Close stops the quorum and the publisher.
func (c *Controller) Close() error {
	var err error
	if c.node != nil {
		err = c.node.Stop()
	}
	c.pub.stop()
	return err
}

// commitLocked proposes recs as one batch and waits until subscribers
// have seen the resulting image. writeMu must be held.
func (c *Controller) commitLocked(ctx context.Context, recs []metadata.Record) (uint64, error) {
	if !c.node.IsLeader() {
		return 0, reqErr(ErrNotController, "This node is not the active controller.")
	}
	idx, err := c.node.Propose(ctx, metadata.EncodeBatch(recs))
	if err != nil {
		if errors.Is(err, raft.ErrProposalDropped) {
			return 0, &reqError{Kind: ErrNotController, Msg: "This node is not the active controller.", Cause: err}
		}
		return 0, fmt.Errorf("controller: propose: %w", err)
	}
	if err := c.pub.wait(ctx, idx); err != nil {
		return idx, fmt.Errorf("controller: wait for publication: %w", err)
	}
	return idx, nil
}

// stateMachine is the raft.StateMachine view of the controller; its
// methods run on the raft driver goroutine.
type stateMachine Controller

func (sm *stateMachine) Apply(index uint64, data []byte) error {
	c := (*Controller)(sm)
	recs, err := metadata.DecodeBatch(data)
	if err != nil {
		return fmt.Errorf("controller: decode batch %d: %w", index, err)
	}
	prev := c.image.Load()
	next, err := prev.Apply(recs, index)
	if err != nil {
		c.logger.Warn("metadata batch rejected", "index", index, "err", err)
		return err
	}
	c.image.Store(next)
	c.pub.publish(next)
	return nil
}

func (sm *stateMachine) Snapshot() ([]byte, error) {
	return metadata.EncodeImage((*Controller)(sm).image.Load()), nil
}

func (sm *stateMachine) Restore(data []byte, index uint64) error {
	c := (*Controller)(sm)
	im, err := metadata.DecodeImage(data)
	if err != nil {
		return fmt.Errorf("controller: restore snapshot %d: %w", index, err)
	}
	im.Offset = index
	c.image.Store(im)
	c.pub.publish(im)
	return nil
}
