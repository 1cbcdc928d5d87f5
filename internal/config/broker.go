package config

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Broker is the validated static configuration of one Strom node, named
// after Kafka's server.properties keys. Build it with Default, FromMap or
// Load; treat it as read-only once built.
type Broker struct {
	NodeID                   int32      // node.id (default 1); broker.id is an alias
	Listeners                []Listener // listeners (default PLAINTEXT://127.0.0.1:9092)
	AdvertisedListeners      []Listener // advertised.listeners (default: listeners minus controller listeners)
	LogDirs                  []string   // log.dirs (log.dir alias); default ~/.strom/data, else $TMPDIR/strom-data
	NumPartitions            int32      // num.partitions (1)
	DefaultReplicationFactor int16      // default.replication.factor (1)
	AutoCreateTopics         bool       // auto.create.topics.enable (true)
	DeleteTopicEnable        bool       // delete.topic.enable (true)

	// LogRetentionMs is the effective retention: log.retention.ms, else
	// log.retention.minutes, else log.retention.hours (168). -1 = unlimited.
	LogRetentionMs              int64
	LogRetentionBytes           int64 // log.retention.bytes (-1 = unlimited)
	LogSegmentBytes             int64 // log.segment.bytes (1073741824, at least 14)
	LogRollMs                   int64 // log.roll.ms, else log.roll.hours (168)
	LogRetentionCheckIntervalMs int64 // log.retention.check.interval.ms (300000)
	LogIndexIntervalBytes       int32 // log.index.interval.bytes (4096)
	LogIndexSizeMaxBytes        int32 // log.index.size.max.bytes (10485760)
	MessageMaxBytes             int32 // message.max.bytes (1048588)
	SocketRequestMaxBytes       int32 // socket.request.max.bytes (104857600)

	// LogFlushIntervalMessages is Strom's durability switch. Strom's default
	// is 1: a write is acknowledged only after it has been fsynced (writes
	// arriving together share one fsync, "group commit"). Kafka's default,
	// 9223372036854775807, leaves flushing to the OS and LogFlushIntervalMs.
	LogFlushIntervalMessages int64
	// LogFlushIntervalMs (log.flush.interval.ms, default 1000) bounds how
	// long written data may stay unflushed; only meaningful when
	// LogFlushIntervalMessages > 1.
	LogFlushIntervalMs int64

	LogMessageTimestampType     string // log.message.timestamp.type (CreateTime|LogAppendTime)
	MinInsyncReplicas           int16  // min.insync.replicas (1)
	LogCleanupPolicy            string // log.cleanup.policy (delete); canonical "delete", "compact" or "compact,delete"
	LogCleanerDeleteRetentionMs int64  // log.cleaner.delete.retention.ms (86400000)

	OffsetsTopicNumPartitions int32 // offsets.topic.num.partitions (50)
	// OffsetsTopicReplicationFactor defaults to 1, not Kafka's 3, so that a
	// single node works out of the box; set 3 on a three-node cluster.
	OffsetsTopicReplicationFactor        int16 // offsets.topic.replication.factor (1)
	OffsetsRetentionMinutes              int32 // offsets.retention.minutes (10080)
	TransactionStateLogNumPartitions     int32 // transaction.state.log.num.partitions (50)
	TransactionStateLogReplicationFactor int16 // transaction.state.log.replication.factor (1; Kafka: 3)
	TransactionalIDExpirationMs          int32 // transactional.id.expiration.ms (604800000)
	GroupInitialRebalanceDelayMs         int64 // group.initial.rebalance.delay.ms (3000)
	GroupMinSessionTimeoutMs             int32 // group.min.session.timeout.ms (6000)
	GroupMaxSessionTimeoutMs             int32 // group.max.session.timeout.ms (1800000)
	TransactionMaxTimeoutMs              int32 // transaction.max.timeout.ms (900000)

	ProcessRoles []string // process.roles (broker,controller)
	// ControllerQuorumVoters is controller.quorum.voters as written
	// (default "<node.id>@127.0.0.1:9093", or the CONTROLLER listener's
	// address when one is configured); Voters is its parsed form.
	ControllerQuorumVoters  string
	Voters                  []Voter
	ControllerListenerNames []string          // controller.listener.names (CONTROLLER)
	InterBrokerListenerName string            // inter.broker.listener.name (PLAINTEXT, else the first broker listener)
	ListenerProtocols       map[string]string // listener.security.protocol.map, resolved for every listener name
	BrokerRack              string            // broker.rack (optional)

	ClusterID     string // cluster.id (optional; otherwise generated at first start)
	AdminListener string // strom.admin.listen: host:port of the HTTP metrics/console server (127.0.0.1:9644); "" disables

	// Raw holds every key as given (aliases renamed to their canonical key),
	// for DescribeConfigs' STATIC_BROKER_CONFIG source.
	Raw map[string]string
}

// DefaultAdminListener is the default strom.admin.listen address.
const DefaultAdminListener = "127.0.0.1:9644"

// Default returns the configuration used when no file and no overrides are
// given: a single combined broker+controller node on 127.0.0.1:9092.
func Default() *Broker {
	return &Broker{
		NodeID:                               1,
		Listeners:                            []Listener{{Name: "PLAINTEXT", Host: "127.0.0.1", Port: 9092}},
		AdvertisedListeners:                  []Listener{{Name: "PLAINTEXT", Host: "127.0.0.1", Port: 9092}},
		LogDirs:                              []string{DefaultLogDir()},
		NumPartitions:                        1,
		DefaultReplicationFactor:             1,
		AutoCreateTopics:                     true,
		DeleteTopicEnable:                    true,
		LogRetentionMs:                       168 * 3_600_000,
		LogRetentionBytes:                    -1,
		LogSegmentBytes:                      1 << 30,
		LogRollMs:                            168 * 3_600_000,
		LogRetentionCheckIntervalMs:          300_000,
		LogIndexIntervalBytes:                4096,
		LogIndexSizeMaxBytes:                 10 << 20,
		MessageMaxBytes:                      1048588,
		SocketRequestMaxBytes:                100 << 20,
		LogFlushIntervalMessages:             1,
		LogFlushIntervalMs:                   1000,
		LogMessageTimestampType:              "CreateTime",
		MinInsyncReplicas:                    1,
		LogCleanupPolicy:                     "delete",
		LogCleanerDeleteRetentionMs:          86_400_000,
		OffsetsTopicNumPartitions:            50,
		OffsetsTopicReplicationFactor:        1,
		OffsetsRetentionMinutes:              10080,
		TransactionStateLogNumPartitions:     50,
		TransactionStateLogReplicationFactor: 1,
		TransactionalIDExpirationMs:          604_800_000,
		GroupInitialRebalanceDelayMs:         3000,
		GroupMinSessionTimeoutMs:             6000,
		GroupMaxSessionTimeoutMs:             1_800_000,
		TransactionMaxTimeoutMs:              900_000,
		ProcessRoles:                         []string{"broker", "controller"},
		ControllerQuorumVoters:               "1@127.0.0.1:9093",
		Voters:                               []Voter{{ID: 1, Host: "127.0.0.1", Port: 9093}},
		ControllerListenerNames:              []string{"CONTROLLER"},
		InterBrokerListenerName:              "PLAINTEXT",
		ListenerProtocols:                    map[string]string{"PLAINTEXT": "PLAINTEXT"},
		AdminListener:                        DefaultAdminListener,
		Raw:                                  map[string]string{},
	}
}

// DefaultLogDir is the log.dirs default: $STROM_DATA_DIR when set, else
// ~/.strom/data, or $TMPDIR/strom-data when the home directory is unknown.
// log.dirs in a file or an override always wins.
func DefaultLogDir() string {
	if d := os.Getenv("STROM_DATA_DIR"); d != "" {
		return d
	}
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		return filepath.Join(home, ".strom", "data")
	}
	return filepath.Join(os.TempDir(), "strom-data")
}

// Load reads the properties file at path (none if path is "") and then
// applies overrides, each "key=value", which win over the file. It returns
// the validated config and warnings (unknown or ignored keys) for the caller
// to log.
func Load(path string, overrides []string) (*Broker, []string, error) {
	props := map[string]string{}
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, fmt.Errorf("config: %w", err)
		}
		props, err = ParseProperties(f)
		f.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	for _, o := range overrides {
		k, v, ok := strings.Cut(o, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, nil, fmt.Errorf("config: override %q: %w: want key=value", o, ErrInvalidValue)
		}
		props[k] = strings.TrimSpace(v)
	}
	return FromMap(props)
}

// aliases maps an alternative key to its canonical key.
var aliases = map[string]string{"broker.id": "node.id", "log.dir": "log.dirs"}

// FromMap validates props (Kafka property names) on top of Default. It
// returns the config and warnings, or an *Error naming the first bad key
// (keys are checked in sorted order so the result is deterministic).
func FromMap(props map[string]string) (*Broker, []string, error) {
	b := Default()
	var warnings []string
	raw, err := canonicalize(props)
	if err != nil {
		return nil, nil, err
	}
	b.Raw = raw
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := raw[k]
		if row, ok := brokerKeyIndex[k]; ok {
			if row.set == nil {
				continue // read in finish (precedence groups, listeners)
			}
			if err := row.set(b, v); err != nil {
				return nil, nil, invalid(k, v, err)
			}
			continue
		}
		if w, ok := knownUnused(k); ok {
			if w != "" {
				warnings = append(warnings, w)
			}
			continue
		}
		w := fmt.Sprintf("unknown property %q ignored", k)
		if s := suggest(k); s != "" {
			w += fmt.Sprintf(" (did you mean %q?)", s)
		}
		warnings = append(warnings, w)
	}
	if err := b.finish(); err != nil {
		return nil, nil, err
	}
	return b, warnings, nil
}

// canonicalize copies props renaming aliases. Kafka rejects broker.id and
// node.id with different values; log.dirs wins over log.dir.
func canonicalize(props map[string]string) (map[string]string, error) {
	raw := make(map[string]string, len(props))
	for k, v := range props {
		raw[strings.TrimSpace(k)] = v
	}
	if bid, ok := raw["broker.id"]; ok {
		if nid, ok := raw["node.id"]; ok && strings.TrimSpace(nid) != strings.TrimSpace(bid) {
			return nil, invalidf("node.id", nid, "broker.id (%s) and node.id (%s) differ; set only node.id", bid, nid)
		}
		raw["node.id"] = bid
		delete(raw, "broker.id")
	}
	if dir, ok := raw["log.dir"]; ok {
		if _, ok := raw["log.dirs"]; !ok {
			raw["log.dirs"] = dir
		}
		delete(raw, "log.dir")
	}
	return raw, nil
}

// finish applies the rules that involve several keys: precedence groups
// (ms > minutes > hours), listeners, voters and cross-key constraints.
func (b *Broker) finish() error {
	var err error
	if b.LogRetentionMs, err = b.precedenceMs(168*3_600_000, "log.retention.ms", "log.retention.minutes", "log.retention.hours"); err != nil {
		return err
	}
	// Kafka treats any negative retention as unlimited, and rejects 0.
	if b.LogRetentionMs < 0 {
		b.LogRetentionMs = -1
	} else if b.LogRetentionMs == 0 {
		k := b.firstSet("log.retention.ms", "log.retention.minutes", "log.retention.hours")
		return invalidf(k, b.Raw[k], "must be -1 (unlimited) or at least 1 ms, got 0")
	}
	if b.LogRollMs, err = b.precedenceMs(168*3_600_000, "log.roll.ms", "log.roll.hours"); err != nil {
		return err
	}
	if b.LogRollMs < 1 {
		return invalidf(b.firstSet("log.roll.ms", "log.roll.hours"), "", "must be at least 1 ms, got %d", b.LogRollMs)
	}
	if _, err := b.precedenceMs(0, "log.roll.jitter.ms", "log.roll.jitter.hours"); err != nil {
		return err
	}
	if b.GroupMinSessionTimeoutMs > b.GroupMaxSessionTimeoutMs {
		return invalidf("group.min.session.timeout.ms", b.Raw["group.min.session.timeout.ms"],
			"must not exceed group.max.session.timeout.ms (%d), got %d", b.GroupMaxSessionTimeoutMs, b.GroupMinSessionTimeoutMs)
	}
	if err := b.finishListeners(); err != nil {
		return err
	}
	return b.finishQuorum()
}

// precedenceMs returns the first of keys present in Raw, converted to ms
// (ms > minutes > hours, as Kafka), or def. Values were validated by set.
func (b *Broker) precedenceMs(def int64, keys ...string) (int64, error) {
	for _, k := range keys {
		v, ok := b.Raw[k]
		if !ok {
			continue
		}
		n, err := parseLong(v)
		if err != nil {
			return 0, invalid(k, v, err)
		}
		if !strings.HasSuffix(k, ".ms") && (n < math.MinInt32 || n > math.MaxInt32) {
			return 0, invalidf(k, v, "%q is out of range for a 32-bit integer", v)
		}
		return msFrom(k, n), nil
	}
	return def, nil
}

// firstSet names the first of keys present in Raw (or the first key).
func (b *Broker) firstSet(keys ...string) string {
	for _, k := range keys {
		if _, ok := b.Raw[k]; ok {
			return k
		}
	}
	return keys[0]
}

// IsController reports whether process.roles includes controller.
func (b *Broker) IsController() bool { return slices.Contains(b.ProcessRoles, "controller") }

// IsBroker reports whether process.roles includes broker.
func (b *Broker) IsBroker() bool { return slices.Contains(b.ProcessRoles, "broker") }

// BrokerListeners returns the listeners that serve Kafka clients, i.e.
// those not named in controller.listener.names.
func (b *Broker) BrokerListeners() []Listener {
	var out []Listener
	for _, l := range b.Listeners {
		if !slices.Contains(b.ControllerListenerNames, l.Name) {
			out = append(out, l)
		}
	}
	return out
}

// LogValue lets slog print the effective config compactly.
func (b *Broker) LogValue() slog.Value {
	ls := make([]string, len(b.Listeners))
	for i, l := range b.Listeners {
		ls[i] = l.String()
	}
	return slog.GroupValue(
		slog.Int("node.id", int(b.NodeID)),
		slog.String("listeners", strings.Join(ls, ",")),
		slog.String("log.dirs", strings.Join(b.LogDirs, ",")),
		slog.String("process.roles", strings.Join(b.ProcessRoles, ",")),
		slog.String("controller.quorum.voters", b.ControllerQuorumVoters),
		slog.String("log.flush.interval.messages", strconv.FormatInt(b.LogFlushIntervalMessages, 10)),
	)
}

var errEmpty = errors.New("must not be empty")
