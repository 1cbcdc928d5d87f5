package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Source says where a config value comes from. The values are Kafka's
// DescribeConfigs sources, so kmsg.ConfigSource(src) is the wire value.
type Source int

const (
	SourceTopic                = Source(kmsg.ConfigSourceDynamicTopicConfig)         // 1: topic override
	SourceDynamicBroker        = Source(kmsg.ConfigSourceDynamicBrokerConfig)        // 2: per-broker dynamic config
	SourceDynamicDefaultBroker = Source(kmsg.ConfigSourceDynamicDefaultBrokerConfig) // 3: cluster-wide dynamic config
	SourceStaticBroker         = Source(kmsg.ConfigSourceStaticBrokerConfig)         // 4: server.properties / overrides
	SourceDefault              = Source(kmsg.ConfigSourceDefaultConfig)              // 5: built-in default
)

func (s Source) String() string { return kmsg.ConfigSource(s).String() }

// Entry is one config as DescribeConfigs reports it. Type is a
// kmsg.ConfigType name ("LONG", "INT", "LIST", ...).
type Entry struct {
	Name, Value         string
	Source              Source
	ReadOnly, Sensitive bool
	Type                string
	Doc                 string
	Synonyms            []Synonym
}

// Synonym is one source of a value, highest precedence first.
type Synonym struct {
	Name, Value string
	Source      Source
}

// TopicDefault returns the value a topic without an override gets for key,
// derived from the broker's config (retention.ms from
// log.retention.ms/minutes/hours, segment.bytes from log.segment.bytes, ...).
// src is SourceStaticBroker when one of the broker synonyms was given in
// Raw, else SourceDefault. An unknown key returns ("", SourceDefault).
func (b *Broker) TopicDefault(key string) (value string, src Source) {
	row, ok := topicKeyIndex[key]
	if !ok {
		return "", SourceDefault
	}
	return b.topicDefault(row)
}

func (b *Broker) topicDefault(row *topicKey) (string, Source) {
	src := SourceDefault
	for _, syn := range row.synonyms {
		if _, ok := b.Raw[syn]; ok {
			src = SourceStaticBroker
			break
		}
	}
	if row.broker != nil {
		return row.broker(b), src
	}
	// Synonyms without a typed field: the first one given wins, converted
	// from hours/minutes like Kafka's *.hours keys.
	for _, syn := range row.synonyms {
		v, ok := b.Raw[syn]
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if syn != row.name && (strings.HasSuffix(syn, ".hours") || strings.HasSuffix(syn, ".minutes")) {
			if n, err := parseLong(v); err == nil {
				return itoa(msFrom(syn, n)), src
			}
		}
		return v, src
	}
	return row.def, src
}

// brokerSynonyms lists the broker-level synonyms of a topic config as Kafka
// reports them: every synonym given statically, then the defaulted one(s).
func (b *Broker) brokerSynonyms(row *topicKey) []Synonym {
	var out []Synonym
	for _, syn := range row.synonyms {
		if v, ok := b.Raw[syn]; ok {
			out = append(out, Synonym{Name: syn, Value: strings.TrimSpace(v), Source: SourceStaticBroker})
		}
	}
	for _, syn := range row.synonyms {
		bk, ok := brokerKeyIndex[syn]
		if !ok || bk.nullable {
			continue
		}
		out = append(out, Synonym{Name: syn, Value: bk.get(Default()), Source: SourceDefault})
	}
	return out
}

// DescribeTopic returns every topic config, sorted by name, as a topic with
// the given overrides reports it: an override has SourceTopic, otherwise the
// broker-derived value with its source. Synonyms are the topic override (if
// any) followed by the broker keys, as Kafka lists them.
func (b *Broker) DescribeTopic(overrides map[string]string) []Entry {
	out := make([]Entry, 0, len(topicKeys))
	for _, name := range TopicConfigNames() {
		row := topicKeyIndex[name]
		e := Entry{Name: name, Type: row.typ, Doc: row.doc, Synonyms: b.brokerSynonyms(row)}
		if v, ok := overrides[name]; ok {
			e.Value, e.Source = v, SourceTopic
			e.Synonyms = append([]Synonym{{Name: name, Value: v, Source: SourceTopic}}, e.Synonyms...)
		} else {
			e.Value, e.Source = b.topicDefault(row)
		}
		out = append(out, e)
	}
	return out
}

// DescribeBroker returns every broker config this package knows, sorted by
// name, with SourceStaticBroker for keys given in Raw and SourceDefault
// otherwise. Keys without a default (Kafka's null, e.g. log.retention.ms)
// appear only when given. All are read-only: Strom has no dynamic broker
// configs yet.
func (b *Broker) DescribeBroker() []Entry {
	out := make([]Entry, 0, len(brokerKeys))
	def := Default()
	for _, k := range brokerKeys {
		_, given := b.Raw[k.name]
		if k.nullable && !given && k.get(b) == "" {
			continue
		}
		e := Entry{Name: k.name, Value: k.get(b), Source: SourceDefault, ReadOnly: true, Type: k.typ, Doc: k.doc}
		if given {
			e.Source = SourceStaticBroker
			e.Synonyms = append(e.Synonyms, Synonym{Name: k.name, Value: strings.TrimSpace(b.Raw[k.name]), Source: SourceStaticBroker})
		}
		if !k.nullable {
			e.Synonyms = append(e.Synonyms, Synonym{Name: k.name, Value: k.get(def), Source: SourceDefault})
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(x, y Entry) int { return strings.Compare(x.Name, y.Name) })
	return out
}

// Topic is the typed effective config of one topic.
type Topic struct {
	RetentionMs, RetentionBytes, SegmentBytes, SegmentMs int64
	MaxMessageBytes                                      int32
	CleanupPolicy                                        string // "delete", "compact" or "compact,delete"
	Compact, Delete                                      bool
	LogAppendTime                                        bool
	MinInsyncReplicas                                    int16
	FlushMessages, FlushMs                               int64
	IndexIntervalBytes, SegmentIndexBytes                int32
	DeleteRetentionMs                                    int64
	MinCompactionLagMs, MaxCompactionLagMs               int64
	MinCleanableDirtyRatio                               float64
	CompressionType                                      string
	SegmentJitterMs                                      int64
	FileDeleteDelayMs                                    int64
	MessageTimestampBeforeMaxMs                          int64 // min of before.max.ms and the deprecated difference.max.ms
	MessageTimestampAfterMaxMs                           int64 // min of after.max.ms and the deprecated difference.max.ms
	UncleanLeaderElection                                bool
}

// ResolveTopic validates overrides (unknown keys and bad values are errors,
// as in CreateTopics) and returns the typed effective config: each key from
// overrides, else from TopicDefault.
func (b *Broker) ResolveTopic(overrides map[string]string) (Topic, error) {
	keys := make([]string, 0, len(overrides))
	for k := range overrides {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := ValidateTopicConfig(k, overrides[k]); err != nil {
			return Topic{}, err
		}
	}
	r := resolver{b: b, o: overrides}
	var t Topic
	t.RetentionMs = r.long("retention.ms")
	t.RetentionBytes = r.long("retention.bytes")
	t.SegmentBytes = r.long("segment.bytes")
	t.SegmentMs = r.long("segment.ms")
	t.MaxMessageBytes = int32(r.long("max.message.bytes"))
	t.CleanupPolicy, t.Compact, t.Delete, _ = parseCleanupPolicy(r.str("cleanup.policy"))
	t.LogAppendTime = r.str("message.timestamp.type") == "LogAppendTime"
	t.MinInsyncReplicas = int16(min(r.long("min.insync.replicas"), 32767))
	t.FlushMessages = r.long("flush.messages")
	t.FlushMs = r.long("flush.ms")
	t.IndexIntervalBytes = int32(r.long("index.interval.bytes"))
	t.SegmentIndexBytes = int32(r.long("segment.index.bytes"))
	t.DeleteRetentionMs = r.long("delete.retention.ms")
	t.MinCompactionLagMs = r.long("min.compaction.lag.ms")
	t.MaxCompactionLagMs = r.long("max.compaction.lag.ms")
	t.MinCleanableDirtyRatio, _ = parseDouble(r.str("min.cleanable.dirty.ratio"))
	t.CompressionType = r.str("compression.type")
	t.SegmentJitterMs = r.long("segment.jitter.ms")
	t.FileDeleteDelayMs = r.long("file.delete.delay.ms")
	diff := r.long("message.timestamp.difference.max.ms")
	t.MessageTimestampBeforeMaxMs = min(r.long("message.timestamp.before.max.ms"), diff)
	t.MessageTimestampAfterMaxMs = min(r.long("message.timestamp.after.max.ms"), diff)
	t.UncleanLeaderElection, _ = parseBool(r.str("unclean.leader.election.enable"))
	if r.err != nil {
		return Topic{}, r.err
	}
	// Cross-key rule from Kafka's LogConfig.validateValues.
	if t.MinCompactionLagMs > t.MaxCompactionLagMs {
		return Topic{}, invalidf("min.compaction.lag.ms", strconv.FormatInt(t.MinCompactionLagMs, 10),
			"conflicts with max.compaction.lag.ms: %d > %d", t.MinCompactionLagMs, t.MaxCompactionLagMs)
	}
	return t, nil
}

// resolver reads effective topic values, remembering the first error (a
// broker-derived value is already valid, so errors are not expected).
type resolver struct {
	b   *Broker
	o   map[string]string
	err error
}

func (r *resolver) str(key string) string {
	if v, ok := r.o[key]; ok {
		return strings.TrimSpace(v)
	}
	v, _ := r.b.topicDefault(topicKeyIndex[key])
	return strings.TrimSpace(v)
}

func (r *resolver) long(key string) int64 {
	v := r.str(key)
	n, err := parseLong(v)
	if err != nil && r.err == nil {
		r.err = invalid(key, v, fmt.Errorf("effective value: %w", err))
	}
	return n
}
