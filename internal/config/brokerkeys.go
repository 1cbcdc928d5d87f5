package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"
)

// brokerKey is one row of the broker property registry.
//
// For a row with field set, set and get are derived from the field's Go
// type and typ (Kafka's width: an INT stored in an int64 field is still
// range-checked as 32-bit). Rows with custom parsing supply set/get.
// nullable rows have no default (Kafka's null) and are described only when
// given; their value is consumed by finish.
type brokerKey struct {
	name     string
	typ      string
	min      int64
	field    func(b *Broker) any
	set      func(b *Broker, v string) error
	get      func(b *Broker) string
	nullable bool
	doc      string
}

func fieldKey(name, typ string, min int64, field func(b *Broker) any, doc string) brokerKey {
	return brokerKey{name: name, typ: typ, min: min, field: field, doc: doc}
}

// checkKey is a row whose value is only validated by set and consumed
// elsewhere (finish or TopicDefault); get reports the given value or def.
func checkKey(name, typ string, nullable bool, def string, check func(string) error, doc string) brokerKey {
	return brokerKey{
		name: name, typ: typ, nullable: nullable, doc: doc,
		set: func(_ *Broker, v string) error { return check(v) },
		get: func(b *Broker) string {
			if v, ok := b.Raw[name]; ok {
				return strings.TrimSpace(v)
			}
			return def
		},
	}
}

func listString(ls []Listener) string {
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = l.String()
	}
	return strings.Join(s, ",")
}

func checkLongAny(v string) error { _, err := parseLong(v); return err }
func checkIntAny(v string) error  { _, err := parseInt(v); return err }

const defaultProtocolMap = "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL"

var brokerKeys = []brokerKey{
	fieldKey("node.id", "INT", 0, func(b *Broker) any { return &b.NodeID }, "This node's id in the cluster (broker.id is accepted as an alias)."),
	{name: "listeners", typ: "STRING", doc: "Addresses to listen on, NAME://host:port, comma separated. Only PLAINTEXT is served.",
		set: func(b *Broker, v string) error {
			ls, err := ParseListeners(v)
			if err == nil && len(ls) == 0 {
				err = errEmpty
			}
			b.Listeners = ls
			return err
		},
		get: func(b *Broker) string { return listString(b.Listeners) }},
	{name: "advertised.listeners", typ: "STRING", doc: "Addresses given to clients; default: the broker listeners. 0.0.0.0 is not allowed.",
		set: func(b *Broker, v string) error {
			ls, err := ParseListeners(v)
			b.AdvertisedListeners = ls
			return err
		},
		get: func(b *Broker) string { return listString(b.AdvertisedListeners) }},
	{name: "log.dirs", typ: "STRING", doc: "Directories holding partition data, comma separated (log.dir is an alias).",
		set: func(b *Broker, v string) error {
			b.LogDirs = parseList(v)
			if len(b.LogDirs) == 0 {
				return errEmpty
			}
			return nil
		},
		get: func(b *Broker) string { return strings.Join(b.LogDirs, ",") }},
	fieldKey("num.partitions", "INT", 1, func(b *Broker) any { return &b.NumPartitions }, "Partitions of an auto-created topic or one created without a count."),
	fieldKey("default.replication.factor", "INT", 1, func(b *Broker) any { return &b.DefaultReplicationFactor }, "Replication factor of auto-created topics and of topics created without one."),
	fieldKey("auto.create.topics.enable", "BOOLEAN", 0, func(b *Broker) any { return &b.AutoCreateTopics }, "Create a topic when a client produces to or asks metadata for an unknown one."),
	fieldKey("delete.topic.enable", "BOOLEAN", 0, func(b *Broker) any { return &b.DeleteTopicEnable }, "Allow DeleteTopics."),
	checkKey("log.retention.ms", "LONG", true, "", checkLongAny, "Retention time in ms; wins over minutes and hours. -1: forever."),
	checkKey("log.retention.minutes", "INT", true, "", checkIntAny, "Retention time in minutes; wins over hours."),
	checkKey("log.retention.hours", "INT", false, "168", checkIntAny, "Retention time in hours."),
	fieldKey("log.retention.bytes", "LONG", math.MinInt64, func(b *Broker) any { return &b.LogRetentionBytes }, "Maximum partition size before deletion; -1: no limit."),
	fieldKey("log.segment.bytes", "INT", 14, func(b *Broker) any { return &b.LogSegmentBytes }, "Segment file size at which a new segment is rolled."),
	checkKey("log.roll.ms", "LONG", true, "", checkLongAny, "Time after which a segment is rolled; wins over log.roll.hours."),
	checkKey("log.roll.hours", "INT", false, "168", checkInt(1), "Time in hours after which a segment is rolled."),
	checkKey("log.roll.jitter.ms", "LONG", true, "", checkLong(0), "Jitter subtracted from the roll time; wins over log.roll.jitter.hours."),
	checkKey("log.roll.jitter.hours", "INT", false, "0", checkInt(0), "Jitter in hours subtracted from the roll time."),
	fieldKey("log.retention.check.interval.ms", "LONG", 1, func(b *Broker) any { return &b.LogRetentionCheckIntervalMs }, "How often retention is enforced."),
	fieldKey("log.index.interval.bytes", "INT", 0, func(b *Broker) any { return &b.LogIndexIntervalBytes }, "Bytes of log between two offset index entries."),
	fieldKey("log.index.size.max.bytes", "INT", 4, func(b *Broker) any { return &b.LogIndexSizeMaxBytes }, "Maximum size of an index file."),
	fieldKey("message.max.bytes", "INT", 0, func(b *Broker) any { return &b.MessageMaxBytes }, "Largest record batch accepted (topic: max.message.bytes)."),
	fieldKey("socket.request.max.bytes", "INT", 1, func(b *Broker) any { return &b.SocketRequestMaxBytes }, "Largest request frame; larger frames close the connection."),
	fieldKey("log.flush.interval.messages", "LONG", 1, func(b *Broker) any { return &b.LogFlushIntervalMessages }, "Fsync after this many messages. Strom default 1: acknowledged writes are fsynced (group commit)."),
	fieldKey("log.flush.interval.ms", "LONG", 0, func(b *Broker) any { return &b.LogFlushIntervalMs }, "Fsync at least this often when log.flush.interval.messages > 1."),
	{name: "log.message.timestamp.type", typ: "STRING", doc: "CreateTime or LogAppendTime.",
		set: func(b *Broker, v string) error {
			if err := checkOneOf("CreateTime", "LogAppendTime")(v); err != nil {
				return err
			}
			b.LogMessageTimestampType = strings.TrimSpace(v)
			return nil
		},
		get: func(b *Broker) string { return b.LogMessageTimestampType }},
	fieldKey("min.insync.replicas", "INT", 1, func(b *Broker) any { return &b.MinInsyncReplicas }, "Replicas that must acknowledge an acks=all write."),
	{name: "log.cleanup.policy", typ: "LIST", doc: "delete, compact or compact,delete.",
		set: func(b *Broker, v string) (err error) {
			b.LogCleanupPolicy, _, _, err = parseCleanupPolicy(v)
			return err
		},
		get: func(b *Broker) string { return b.LogCleanupPolicy }},
	fieldKey("log.cleaner.delete.retention.ms", "LONG", 0, func(b *Broker) any { return &b.LogCleanerDeleteRetentionMs }, "How long tombstones are kept in compacted topics."),
	fieldKey("offsets.topic.num.partitions", "INT", 1, func(b *Broker) any { return &b.OffsetsTopicNumPartitions }, "Partitions of __consumer_offsets (fixed once created)."),
	fieldKey("offsets.topic.replication.factor", "SHORT", 1, func(b *Broker) any { return &b.OffsetsTopicReplicationFactor }, "Replication factor of __consumer_offsets. Strom default 1 (Kafka: 3)."),
	fieldKey("offsets.retention.minutes", "INT", 1, func(b *Broker) any { return &b.OffsetsRetentionMinutes }, "How long committed offsets of an empty group are kept."),
	fieldKey("transaction.state.log.num.partitions", "INT", 1, func(b *Broker) any { return &b.TransactionStateLogNumPartitions }, "Partitions of __transaction_state."),
	fieldKey("transaction.state.log.replication.factor", "SHORT", 1, func(b *Broker) any { return &b.TransactionStateLogReplicationFactor }, "Replication factor of __transaction_state. Strom default 1 (Kafka: 3)."),
	fieldKey("transactional.id.expiration.ms", "INT", 1, func(b *Broker) any { return &b.TransactionalIDExpirationMs }, "Idle time after which a transactional id expires."),
	fieldKey("group.initial.rebalance.delay.ms", "INT", 0, func(b *Broker) any { return &b.GroupInitialRebalanceDelayMs }, "Delay before the first rebalance of a new group, to let members join."),
	fieldKey("group.min.session.timeout.ms", "INT", 0, func(b *Broker) any { return &b.GroupMinSessionTimeoutMs }, "Smallest session timeout a consumer may ask for."),
	fieldKey("group.max.session.timeout.ms", "INT", 0, func(b *Broker) any { return &b.GroupMaxSessionTimeoutMs }, "Largest session timeout a consumer may ask for."),
	fieldKey("transaction.max.timeout.ms", "INT", 1, func(b *Broker) any { return &b.TransactionMaxTimeoutMs }, "Largest transaction timeout a producer may ask for."),
	{name: "process.roles", typ: "LIST", doc: "broker, controller, or both (combined mode).",
		set: func(b *Broker, v string) error {
			roles := parseList(v)
			if len(roles) == 0 {
				return errEmpty
			}
			for i, r := range roles {
				if r != "broker" && r != "controller" {
					return fmt.Errorf("%q is not a role (broker, controller)", r)
				}
				if slices.Contains(roles[:i], r) {
					return fmt.Errorf("role %q is listed twice", r)
				}
			}
			b.ProcessRoles = roles
			return nil
		},
		get: func(b *Broker) string { return strings.Join(b.ProcessRoles, ",") }},
	{name: "controller.quorum.voters", typ: "LIST", doc: "Metadata quorum voters, id@host:port, comma separated. Default: this node alone.",
		set: func(b *Broker, v string) error {
			vs, err := ParseVoters(v)
			if err == nil && len(vs) == 0 {
				err = errEmpty
			}
			b.Voters, b.ControllerQuorumVoters = vs, strings.TrimSpace(v)
			return err
		},
		get: func(b *Broker) string { return b.ControllerQuorumVoters }},
	{name: "controller.listener.names", typ: "STRING", doc: "Names of the listeners used by the metadata quorum.",
		set: func(b *Broker, v string) error {
			b.ControllerListenerNames = nil
			for _, n := range parseList(v) {
				b.ControllerListenerNames = append(b.ControllerListenerNames, strings.ToUpper(n))
			}
			return nil
		},
		get: func(b *Broker) string { return strings.Join(b.ControllerListenerNames, ",") }},
	{name: "inter.broker.listener.name", typ: "STRING", doc: "Listener that brokers use to replicate from each other.",
		set: func(b *Broker, v string) error {
			b.InterBrokerListenerName = strings.ToUpper(strings.TrimSpace(v))
			return nil
		},
		get: func(b *Broker) string { return b.InterBrokerListenerName }},
	checkKey("listener.security.protocol.map", "STRING", false, defaultProtocolMap,
		func(v string) error { _, err := parseProtocolMap(v); return err },
		"Security protocol of each listener name, NAME:PROTOCOL."),
	{name: "broker.rack", typ: "STRING", nullable: true, doc: "Rack of this broker, for rack-aware placement.",
		set: func(b *Broker, v string) error { b.BrokerRack = strings.TrimSpace(v); return nil },
		get: func(b *Broker) string { return b.BrokerRack }},
	{name: "cluster.id", typ: "STRING", nullable: true, doc: "Cluster id; generated at first start when unset.",
		set: func(b *Broker, v string) error { b.ClusterID = strings.TrimSpace(v); return nil },
		get: func(b *Broker) string { return b.ClusterID }},
	{name: "strom.admin.listen", typ: "STRING", doc: "host:port of the HTTP server for metrics and the console; empty disables it.",
		set: func(b *Broker, v string) error {
			v = strings.TrimSpace(v)
			if v != "" {
				_, port, err := net.SplitHostPort(v)
				if err != nil {
					return fmt.Errorf("%q is not host:port", v)
				}
				if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
					return fmt.Errorf("%q: port must be a number between 0 and 65535", v)
				}
			}
			b.AdminListener = v
			return nil
		},
		get: func(b *Broker) string { return b.AdminListener }},
}

// brokerKeyIndex maps a broker key to its row. Broker keys that only act
// as topic-config synonyms (compression.type, log.preallocate, ...) get a
// validating row generated from the topic registry.
var brokerKeyIndex = func() map[string]*brokerKey {
	seen := map[string]bool{}
	for _, k := range brokerKeys {
		seen[k.name] = true
	}
	for _, t := range topicKeys {
		for _, syn := range t.synonyms {
			if !seen[syn] {
				seen[syn] = true
				brokerKeys = append(brokerKeys, checkKey(syn, t.typ, false, t.def, t.check, t.doc))
			}
		}
	}
	m := make(map[string]*brokerKey, len(brokerKeys))
	for i := range brokerKeys {
		k := &brokerKeys[i]
		if k.field != nil {
			k.set, k.get = fieldSetter(k), fieldGetter(k)
		}
		m[k.name] = k
	}
	return m
}()

// fieldSetter parses v with the width of k.typ, checks k.min and stores it
// in the field's Go type.
func fieldSetter(k *brokerKey) func(b *Broker, v string) error {
	return func(b *Broker, v string) error {
		if p, ok := k.field(b).(*bool); ok {
			var err error
			*p, err = parseBool(v)
			return err
		}
		var n int64
		var err error
		switch k.typ {
		case "SHORT":
			var s int16
			s, err = parseShort(v)
			n = int64(s)
		case "INT":
			var i int32
			i, err = parseInt(v)
			n = int64(i)
		default:
			n, err = parseLong(v)
		}
		if err != nil {
			return err
		}
		if err := atLeast(n, k.min); err != nil {
			return err
		}
		switch p := k.field(b).(type) {
		case *int16:
			if n > math.MaxInt16 {
				return fmt.Errorf("%q is out of range for a 16-bit integer", v)
			}
			*p = int16(n)
		case *int32:
			*p = int32(n)
		case *int64:
			*p = n
		default:
			return errors.New("internal: unsupported field type")
		}
		return nil
	}
}

func fieldGetter(k *brokerKey) func(b *Broker) string {
	return func(b *Broker) string {
		switch p := k.field(b).(type) {
		case *bool:
			return strconv.FormatBool(*p)
		case *int16:
			return itoa(*p)
		case *int32:
			return itoa(*p)
		case *int64:
			return itoa(*p)
		}
		return ""
	}
}

// unusedKeys are Kafka broker keys Strom accepts without effect (threads,
// socket buffers, tuning of machinery Strom does differently). They are
// not "unknown": a server.properties copied from Kafka loads quietly.
var unusedKeys = map[string]bool{
	"num.network.threads": true, "num.io.threads": true, "num.replica.fetchers": true,
	"num.recovery.threads.per.data.dir": true, "num.replica.alter.log.dirs.threads": true,
	"background.threads": true, "queued.max.requests": true, "queued.max.request.bytes": true,
	"socket.send.buffer.bytes": true, "socket.receive.buffer.bytes": true, "socket.listen.backlog.size": true,
	"socket.connection.setup.timeout.ms": true, "socket.connection.setup.timeout.max.ms": true,
	"log.flush.scheduler.interval.ms": true, "log.flush.offset.checkpoint.interval.ms": true,
	"log.flush.start.offset.checkpoint.interval.ms": true, "log.cleaner.enable": true,
	"log.cleaner.threads": true, "log.cleaner.io.max.bytes.per.second": true,
	"log.cleaner.dedupe.buffer.size": true, "log.cleaner.io.buffer.size": true,
	"log.cleaner.io.buffer.load.factor": true, "log.cleaner.backoff.ms": true,
	"log.message.format.version": true, "log.initial.task.delay.ms": true,
	"auto.leader.rebalance.enable": true, "leader.imbalance.check.interval.seconds": true,
	"leader.imbalance.per.broker.percentage": true, "broker.id.generation.enable": true,
	"reserved.broker.max.id": true, "connections.max.idle.ms": true, "connections.max.reauth.ms": true,
	"max.connections": true, "max.connections.per.ip": true, "max.connections.per.ip.overrides": true,
	"max.connection.creation.rate": true, "request.timeout.ms": true, "fetch.max.bytes": true,
	"max.incremental.fetch.session.cache.slots": true, "fetch.purgatory.purge.interval.requests": true,
	"producer.purgatory.purge.interval.requests": true, "delete.records.purgatory.purge.interval.requests": true,
	"producer.id.expiration.ms": true, "producer.id.expiration.check.interval.ms": true,
	"security.inter.broker.protocol": true, "early.start.listeners": true, "authorizer.class.name": true,
	"super.users": true, "allow.everyone.if.no.acl.found": true, "metric.reporters": true,
	"auto.include.jmx.reporter": true, "initial.broker.registration.timeout.ms": true,
	"broker.heartbeat.interval.ms": true, "broker.session.timeout.ms": true, "node.id.generation.enable": true,
	"unstable.api.versions.enable": true, "unstable.feature.versions.enable": true,
	"eligible.leader.replicas.enable": true, "config.providers": true, "alter.config.policy.class.name": true,
	"create.topic.policy.class.name": true, "client.quota.callback.class": true,
	"delegation.token.secret.key": true, "delegation.token.master.key": true,
	"password.encoder.secret": true, "log.dir.failure.timeout.ms": true, "broker.rack.aware": true, "kafka.metrics.reporters": true, "kafka.metrics.polling.interval.secs": true,
}

// unusedPrefixes are families of keys accepted the same way.
var unusedPrefixes = []string{
	"group.", "offsets.", "transaction.", "transactional.", "controller.", "metadata.",
	"replica.", "log.cleaner.", "log.local.", "remote.log.", "quota.", "replication.quota.",
	"metrics.", "share.", "listener.name.", "sasl.", "ssl.", "principal.",
	"client.quota.", "delegation.token.", "telemetry.", "leader.imbalance.",
}

// knownUnused reports whether k is an accepted Kafka key without effect,
// and the warning to give for it (empty when silence is right).
func knownUnused(k string) (warning string, ok bool) {
	switch {
	case k == "zookeeper.connect" || strings.HasPrefix(k, "zookeeper."):
		return fmt.Sprintf("%s: Strom needs no ZooKeeper; ignored", k), true
	case strings.HasPrefix(k, "ssl.") || strings.HasPrefix(k, "sasl."):
		return fmt.Sprintf("%s: Strom serves PLAINTEXT only for now; ignored", k), true
	case unusedKeys[k]:
		return "", true
	}
	for _, p := range unusedPrefixes {
		if strings.HasPrefix(k, p) {
			return "", true
		}
	}
	return "", false
}

// suggest returns the known broker key closest to an unknown one (edit
// distance at most 2), so that a typo such as "num.partition" is pointed
// out rather than silently ignored.
func suggest(k string) string {
	best, bestD := "", 3
	for name := range brokerKeyIndex {
		if d := editDistance(k, name, bestD); d < bestD {
			best, bestD = name, d
		}
	}
	for a := range aliases {
		if d := editDistance(k, a, bestD); d < bestD {
			best, bestD = a, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b, or limit when it is
// at least limit (the length check prunes most candidates cheaply).
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d >= limit || -d >= limit {
		return limit
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit)
}
