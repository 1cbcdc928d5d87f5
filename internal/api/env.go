package api

import (
	"context"
	"log/slog"
	"time"

	"strom/internal/config"
	"strom/internal/controller"
	"strom/internal/coordinator/group"
	"strom/internal/coordinator/txn"
	"strom/internal/metadata"
	"strom/internal/replica"
)

// Controller is the part of the metadata controller the handlers use:
// they read the immutable image and propose changes, never mutate state.
type Controller interface {
	Image() *metadata.Image
	ClusterID() string
	CreateTopics(ctx context.Context, specs []controller.TopicSpec, validateOnly bool) []controller.TopicResult
	DeleteTopics(ctx context.Context, names []string) []error
	DeleteTopicsByID(ctx context.Context, ids []metadata.TopicID) []error
	CreatePartitions(ctx context.Context, topic string, totalCount int32, assignments [][]int32, validateOnly bool) error
	AlterConfigs(ctx context.Context, resType controller.ResourceType, name string, ops []controller.ConfigOp, replaceAll, validateOnly bool) error
}

// Env holds the broker services every handler may use. It is built once
// by the node and shared read-only by all connections.
type Env struct {
	NodeID     int32
	Config     *config.Broker
	Controller Controller
	Replicas   *replica.Manager
	// ProducerIDs hands out idempotent producer ids, unique across restarts.
	ProducerIDs ProducerIDs
	// Groups is the group coordinator (consumer groups, committed offsets).
	Groups *group.Coordinator
	// Txns is the transaction coordinator (transactional ids, EndTxn).
	Txns   *txn.Coordinator
	Logger *slog.Logger
	Now    func() time.Time
	// AdminTimeout bounds how long an admin request may wait for the
	// metadata quorum when the request itself names no timeout.
	AdminTimeout time.Duration
}

// ConnInfo describes the client connection a request arrived on.
type ConnInfo struct {
	ClientID   string
	RemoteAddr string
	// Ctx is cancelled when the connection closes or the broker stops;
	// deferred work (long polls, durability waits) must watch it.
	Ctx context.Context
}
