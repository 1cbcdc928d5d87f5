package config

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// topicKey is one row of the topic config registry, the counterpart of a
// define() in Kafka's LogConfig. synonyms are the broker keys that supply the
// default when a topic has no override, in Kafka's precedence order (as in
// ServerTopicConfigSynonyms); def is the value when none of them is set.
type topicKey struct {
	name     string
	typ      string
	def      string
	synonyms []string
	check    func(string) error
	// broker, when set, reads the effective default from a typed Broker
	// field, so that a Broker built in code (not from Raw) reports right.
	broker func(b *Broker) string
	doc    string
}

const maxLong = "9223372036854775807" // Java Long.MAX_VALUE, Kafka's "never"

var topicKeys = []topicKey{
	{name: "cleanup.policy", typ: "LIST", def: "delete", synonyms: []string{"log.cleanup.policy"}, check: checkCleanupPolicy,
		broker: func(b *Broker) string { return b.LogCleanupPolicy },
		doc:    "delete: drop old segments by time/size; compact: keep the latest record per key; or both."},
	{name: "compression.type", typ: "STRING", def: "producer", synonyms: []string{"compression.type"}, check: checkOneOf(compressionTypes...),
		doc: "Final compression of stored batches; producer keeps the producer's codec."},
	{name: "compression.gzip.level", typ: "INT", def: "-1", synonyms: []string{"compression.gzip.level"}, check: checkGzipLevel,
		doc: "Level used when compression.type=gzip (1-9, or -1 for the codec default)."},
	{name: "compression.lz4.level", typ: "INT", def: "9", synonyms: []string{"compression.lz4.level"}, check: checkIntBetween(1, 17),
		doc: "Level used when compression.type=lz4."},
	{name: "compression.zstd.level", typ: "INT", def: "3", synonyms: []string{"compression.zstd.level"}, check: checkIntBetween(-131072, 22),
		doc: "Level used when compression.type=zstd."},
	{name: "delete.retention.ms", typ: "LONG", def: "86400000", synonyms: []string{"log.cleaner.delete.retention.ms"}, check: checkLong(0),
		broker: func(b *Broker) string { return itoa(b.LogCleanerDeleteRetentionMs) },
		doc:    "How long tombstones are kept in compacted topics."},
	{name: "file.delete.delay.ms", typ: "LONG", def: "60000", synonyms: []string{"log.segment.delete.delay.ms"}, check: checkLong(0),
		doc: "Delay before a deleted segment's files are removed from disk."},
	{name: "flush.messages", typ: "LONG", def: "1", synonyms: []string{"log.flush.interval.messages"}, check: checkLong(1),
		broker: func(b *Broker) string { return itoa(b.LogFlushIntervalMessages) },
		doc:    "Fsync after this many messages; Strom's default 1 means acknowledged writes are on stable storage."},
	{name: "flush.ms", typ: "LONG", def: "1000", synonyms: []string{"log.flush.interval.ms"}, check: checkLong(0),
		broker: func(b *Broker) string { return itoa(b.LogFlushIntervalMs) },
		doc:    "Fsync at least this often when flush.messages > 1."},
	{name: "follower.replication.throttled.replicas", typ: "LIST", def: "", check: checkThrottledReplicas,
		doc: "Replicas whose follower replication is throttled (partition:broker,... or *)."},
	{name: "index.interval.bytes", typ: "INT", def: "4096", synonyms: []string{"log.index.interval.bytes"}, check: checkInt(0),
		broker: func(b *Broker) string { return itoa(b.LogIndexIntervalBytes) },
		doc:    "Bytes of log between two offset index entries."},
	{name: "leader.replication.throttled.replicas", typ: "LIST", def: "", check: checkThrottledReplicas,
		doc: "Replicas whose leader-side replication is throttled (partition:broker,... or *)."},
	{name: "local.retention.bytes", typ: "LONG", def: "-2", synonyms: []string{"log.local.retention.bytes"}, check: checkLong(-2),
		doc: "Tiered storage local retention by size (-2: same as retention.bytes). No effect in Strom."},
	{name: "local.retention.ms", typ: "LONG", def: "-2", synonyms: []string{"log.local.retention.ms"}, check: checkLong(-2),
		doc: "Tiered storage local retention by time (-2: same as retention.ms). No effect in Strom."},
	{name: "max.compaction.lag.ms", typ: "LONG", def: maxLong, synonyms: []string{"log.cleaner.max.compaction.lag.ms"}, check: checkLong(1),
		doc: "Longest time a record may stay uncompacted."},
	{name: "max.message.bytes", typ: "INT", def: "1048588", synonyms: []string{"message.max.bytes"}, check: checkInt(0),
		broker: func(b *Broker) string { return itoa(b.MessageMaxBytes) },
		doc:    "Largest record batch the topic accepts, after compression."},
	{name: "message.downconversion.enable", typ: "BOOLEAN", def: "true", synonyms: []string{"log.message.downconversion.enable"}, check: checkBool,
		doc: "Whether fetches by old clients may be down-converted (accepted for compatibility)."},
	{name: "message.timestamp.after.max.ms", typ: "LONG", def: maxLong, synonyms: []string{"log.message.timestamp.after.max.ms"}, check: checkLong(0),
		doc: "How far in the future a CreateTime timestamp may be."},
	{name: "message.timestamp.before.max.ms", typ: "LONG", def: maxLong, synonyms: []string{"log.message.timestamp.before.max.ms"}, check: checkLong(0),
		doc: "How far in the past a CreateTime timestamp may be."},
	{name: "message.timestamp.difference.max.ms", typ: "LONG", def: maxLong, synonyms: []string{"log.message.timestamp.difference.max.ms"}, check: checkLong(0),
		doc: "Deprecated: maximum difference between a CreateTime timestamp and the broker clock."},
	{name: "message.timestamp.type", typ: "STRING", def: "CreateTime", synonyms: []string{"log.message.timestamp.type"}, check: checkOneOf("CreateTime", "LogAppendTime"),
		broker: func(b *Broker) string { return b.LogMessageTimestampType },
		doc:    "CreateTime keeps the producer's timestamp; LogAppendTime stamps records with the broker clock."},
	{name: "min.cleanable.dirty.ratio", typ: "DOUBLE", def: "0.5", synonyms: []string{"log.cleaner.min.cleanable.ratio"}, check: checkDoubleBetween(0, 1),
		doc: "Share of uncompacted log that triggers compaction."},
	{name: "min.compaction.lag.ms", typ: "LONG", def: "0", synonyms: []string{"log.cleaner.min.compaction.lag.ms"}, check: checkLong(0),
		doc: "Shortest time a record stays uncompacted."},
	{name: "min.insync.replicas", typ: "INT", def: "1", synonyms: []string{"min.insync.replicas"}, check: checkInt(1),
		broker: func(b *Broker) string { return itoa(b.MinInsyncReplicas) },
		doc:    "Replicas that must acknowledge an acks=all write."},
	{name: "preallocate", typ: "BOOLEAN", def: "false", synonyms: []string{"log.preallocate"}, check: checkBool,
		doc: "Preallocate segment files (accepted for compatibility)."},
	{name: "remote.log.copy.disable", typ: "BOOLEAN", def: "false", check: checkBool,
		doc: "Tiered storage: stop copying to remote storage. No effect in Strom."},
	{name: "remote.log.delete.on.disable", typ: "BOOLEAN", def: "false", check: checkBool,
		doc: "Tiered storage: delete remote data when disabling. No effect in Strom."},
	{name: "remote.storage.enable", typ: "BOOLEAN", def: "false", check: checkRemoteStorage,
		doc: "Tiered storage; Strom does not support it, so only false is accepted."},
	{name: "retention.bytes", typ: "LONG", def: "-1", synonyms: []string{"log.retention.bytes"}, check: checkLong(math.MinInt64),
		broker: func(b *Broker) string { return itoa(b.LogRetentionBytes) },
		doc:    "Maximum partition size before old segments are deleted (-1: no limit)."},
	{name: "retention.ms", typ: "LONG", def: "604800000", synonyms: []string{"log.retention.ms", "log.retention.minutes", "log.retention.hours"}, check: checkLong(-1),
		broker: func(b *Broker) string { return itoa(b.LogRetentionMs) },
		doc:    "How long records are kept before deletion (-1: forever)."},
	{name: "segment.bytes", typ: "INT", def: "1073741824", synonyms: []string{"log.segment.bytes"}, check: checkInt(14),
		broker: func(b *Broker) string { return itoa(b.LogSegmentBytes) },
		doc:    "Size at which a new segment file is rolled."},
	{name: "segment.index.bytes", typ: "INT", def: "10485760", synonyms: []string{"log.index.size.max.bytes"}, check: checkInt(4),
		broker: func(b *Broker) string { return itoa(b.LogIndexSizeMaxBytes) },
		doc:    "Maximum size of a segment's offset and time index."},
	{name: "segment.jitter.ms", typ: "LONG", def: "0", synonyms: []string{"log.roll.jitter.ms", "log.roll.jitter.hours"}, check: checkLong(0),
		doc: "Random jitter subtracted from segment.ms to avoid rolling all segments at once."},
	{name: "segment.ms", typ: "LONG", def: "604800000", synonyms: []string{"log.roll.ms", "log.roll.hours"}, check: checkLong(1),
		broker: func(b *Broker) string { return itoa(b.LogRollMs) },
		doc:    "Time after which a new segment is rolled even if not full."},
	{name: "unclean.leader.election.enable", typ: "BOOLEAN", def: "false", synonyms: []string{"unclean.leader.election.enable"}, check: checkBool,
		doc: "Allow an out-of-sync replica to become leader, losing data."},
}

// topicKeyIndex maps a topic config name to its row.
var topicKeyIndex = func() map[string]*topicKey {
	m := make(map[string]*topicKey, len(topicKeys))
	for i := range topicKeys {
		m[topicKeys[i].name] = &topicKeys[i]
	}
	return m
}()

// TopicConfigNames returns every topic config name, sorted.
func TopicConfigNames() []string {
	names := make([]string, len(topicKeys))
	for i, k := range topicKeys {
		names[i] = k.name
	}
	slices.Sort(names)
	return names
}

// ValidateTopicConfig checks one topic config. An unknown key returns an
// *Error wrapping ErrUnknownConfig, a bad value one wrapping
// ErrInvalidValue; both name the key and the reason.
func ValidateTopicConfig(key, value string) error {
	row, ok := topicKeyIndex[key]
	if !ok {
		return unknown(key, "topic config")
	}
	if err := row.check(value); err != nil {
		return invalid(key, value, err)
	}
	return nil
}

// ValidateTopicConfigs checks every key of overrides (in sorted order) and
// the rules that involve several keys, as CreateTopics and AlterConfigs do.
func ValidateTopicConfigs(overrides map[string]string) error {
	_, err := Default().ResolveTopic(overrides)
	return err
}

func checkGzipLevel(v string) error {
	n, err := parseInt(v)
	if err != nil {
		return err
	}
	if n == -1 || (n >= 1 && n <= 9) {
		return nil
	}
	return fmt.Errorf("must be -1 or between 1 and 9, got %d", n)
}

func checkRemoteStorage(v string) error {
	on, err := parseBool(v)
	if err != nil {
		return err
	}
	if on {
		return fmt.Errorf("tiered storage is not supported by Strom")
	}
	return nil
}

// checkThrottledReplicas accepts "", "*" or "partition:broker,..." as Kafka's
// ThrottledReplicaListValidator does.
func checkThrottledReplicas(v string) error {
	items := parseList(v)
	if len(items) == 1 && items[0] == "*" {
		return nil
	}
	for _, it := range items {
		p, r, ok := strings.Cut(it, ":")
		_, e1 := strconv.ParseUint(strings.TrimSpace(p), 10, 31)
		_, e2 := strconv.ParseUint(strings.TrimSpace(r), 10, 31)
		if !ok || e1 != nil || e2 != nil {
			return fmt.Errorf("%q must be * or a list of partition:broker pairs", v)
		}
	}
	return nil
}

func itoa[T int16 | int32 | int64](n T) string { return strconv.FormatInt(int64(n), 10) }
