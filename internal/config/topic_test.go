package config

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestValidateTopicConfig(t *testing.T) {
	ok := []struct{ key, value string }{
		{"cleanup.policy", "delete"},
		{"cleanup.policy", "compact"},
		{"cleanup.policy", "compact,delete"},
		{"cleanup.policy", "delete,compact"},
		{"cleanup.policy", " delete , compact "},
		{"compression.type", "uncompressed"},
		{"compression.type", "zstd"},
		{"compression.type", "lz4"},
		{"compression.type", "snappy"},
		{"compression.type", "gzip"},
		{"compression.type", "producer"},
		{"compression.gzip.level", "-1"},
		{"compression.gzip.level", "9"},
		{"compression.zstd.level", "-131072"},
		{"retention.ms", "-1"},
		{"retention.ms", "1"},
		{"retention.bytes", "-1"},
		{"segment.bytes", "14"},
		{"message.timestamp.type", "LogAppendTime"},
		{"min.cleanable.dirty.ratio", "0.01"},
		{"min.insync.replicas", "2"},
		{"unclean.leader.election.enable", "TRUE"},
		{"leader.replication.throttled.replicas", "*"},
		{"follower.replication.throttled.replicas", "0:1,1:2"},
		{"follower.replication.throttled.replicas", ""},
		{"local.retention.ms", "-2"},
		{"remote.storage.enable", "false"},
	}
	for _, tt := range ok {
		if err := ValidateTopicConfig(tt.key, tt.value); err != nil {
			t.Errorf("%s=%q: unexpected %v", tt.key, tt.value, err)
		}
	}
	bad := []struct{ key, value, reason string }{
		{"cleanup.policy", "", "empty"},
		{"cleanup.policy", "compact,remove", `"remove" is not a valid policy`},
		{"cleanup.policy", "Delete", "not a valid policy"},
		{"compression.type", "none", "not one of"},
		{"compression.type", "GZIP", "not one of"},
		{"compression.gzip.level", "0", "-1 or between 1 and 9"},
		{"compression.lz4.level", "18", "between 1 and 17"},
		{"retention.ms", "-2", "at least -1"},
		{"retention.ms", "1h", "not an integer"},
		{"segment.bytes", "13", "at least 14"},
		{"segment.bytes", "2147483648", "32-bit"},
		{"segment.ms", "0", "at least 1"},
		{"segment.index.bytes", "3", "at least 4"},
		{"max.message.bytes", "-1", "at least 0"},
		{"message.timestamp.type", "NoTime", "not one of"},
		{"min.cleanable.dirty.ratio", "1.1", "between 0 and 1"},
		{"min.cleanable.dirty.ratio", "half", "not a number"},
		{"min.insync.replicas", "0", "at least 1"},
		{"flush.messages", "0", "at least 1"},
		{"preallocate", "1", "not a boolean"},
		{"max.compaction.lag.ms", "0", "at least 1"},
		{"local.retention.bytes", "-3", "at least -2"},
		{"remote.storage.enable", "true", "not supported"},
		{"leader.replication.throttled.replicas", "0-1", "partition:broker"},
	}
	for _, tt := range bad {
		err := ValidateTopicConfig(tt.key, tt.value)
		if !errors.Is(err, ErrInvalidValue) {
			t.Errorf("%s=%q: got %v, want ErrInvalidValue", tt.key, tt.value, err)
			continue
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "config: "+tt.key+": ") || !strings.Contains(msg, tt.reason) {
			t.Errorf("%s=%q: message %q should name key and contain %q", tt.key, tt.value, msg, tt.reason)
		}
	}
	err := ValidateTopicConfig("retention.hours", "1")
	if !errors.Is(err, ErrUnknownConfig) || errors.Is(err, ErrInvalidValue) || !strings.Contains(err.Error(), "retention.hours") {
		t.Fatalf("unknown key: %v", err)
	}
}

func TestTopicDefaultsValidate(t *testing.T) {
	// Every registry default must pass its own validator, have a kmsg type
	// and a doc line; names come out sorted and unique.
	names := TopicConfigNames()
	if !slices.IsSorted(names) || len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Fatalf("names not sorted/unique: %v", names)
	}
	for _, k := range topicKeys {
		if err := k.check(k.def); err != nil {
			t.Errorf("%s: default %q invalid: %v", k.name, k.def, err)
		}
		if _, err := kmsg.ParseConfigType(k.typ); err != nil {
			t.Errorf("%s: type %q: %v", k.name, k.typ, err)
		}
		if k.doc == "" {
			t.Errorf("%s: no doc", k.name)
		}
		v, src := Default().TopicDefault(k.name)
		if src != SourceDefault || k.check(v) != nil {
			t.Errorf("%s: default broker gives %q from %v", k.name, v, src)
		}
	}
}

func TestTopicDefaultFromBroker(t *testing.T) {
	b, _, err := FromMap(map[string]string{
		"log.retention.hours":         "1",
		"log.segment.bytes":           "1048576",
		"message.max.bytes":           "2000000",
		"log.cleanup.policy":          "delete,compact",
		"log.message.timestamp.type":  "LogAppendTime",
		"compression.type":            "zstd",
		"log.roll.jitter.hours":       "2",
		"log.flush.interval.messages": "9223372036854775807",
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key, want string
		src       Source
	}{
		{"retention.ms", "3600000", SourceStaticBroker},
		{"segment.bytes", "1048576", SourceStaticBroker},
		{"max.message.bytes", "2000000", SourceStaticBroker},
		{"cleanup.policy", "compact,delete", SourceStaticBroker},
		{"message.timestamp.type", "LogAppendTime", SourceStaticBroker},
		{"compression.type", "zstd", SourceStaticBroker},
		{"segment.jitter.ms", "7200000", SourceStaticBroker},
		{"flush.messages", "9223372036854775807", SourceStaticBroker},
		{"segment.ms", "604800000", SourceDefault},
		{"min.insync.replicas", "1", SourceDefault},
		{"max.compaction.lag.ms", "9223372036854775807", SourceDefault},
		{"min.cleanable.dirty.ratio", "0.5", SourceDefault},
		{"remote.storage.enable", "false", SourceDefault},
	}
	for _, tt := range tests {
		v, src := b.TopicDefault(tt.key)
		if v != tt.want || src != tt.src {
			t.Errorf("%s: got %q/%v, want %q/%v", tt.key, v, src, tt.want, tt.src)
		}
	}
}

func TestDescribeTopic(t *testing.T) {
	b, _, err := FromMap(map[string]string{"log.retention.minutes": "30", "log.retention.hours": "2"})
	if err != nil {
		t.Fatal(err)
	}
	entries := b.DescribeTopic(map[string]string{"cleanup.policy": "compact"})
	if len(entries) != len(TopicConfigNames()) {
		t.Fatalf("%d entries, want %d", len(entries), len(TopicConfigNames()))
	}
	if !slices.IsSortedFunc(entries, func(x, y Entry) int { return strings.Compare(x.Name, y.Name) }) {
		t.Fatal("entries not sorted")
	}
	byName := map[string]Entry{}
	for _, e := range entries {
		byName[e.Name] = e
		if e.ReadOnly || e.Sensitive {
			t.Errorf("%s: topic configs are writable and not sensitive", e.Name)
		}
	}

	cp := byName["cleanup.policy"]
	wantCP := []Synonym{
		{"cleanup.policy", "compact", SourceTopic},
		{"log.cleanup.policy", "delete", SourceDefault},
	}
	if cp.Value != "compact" || cp.Source != SourceTopic || !slices.Equal(cp.Synonyms, wantCP) || cp.Type != "LIST" {
		t.Errorf("cleanup.policy: %+v", cp)
	}

	// As Kafka: the value is in ms, the synonyms list the static keys in
	// precedence order and then the defaulted one.
	rm := byName["retention.ms"]
	wantRM := []Synonym{
		{"log.retention.minutes", "30", SourceStaticBroker},
		{"log.retention.hours", "2", SourceStaticBroker},
		{"log.retention.hours", "168", SourceDefault},
	}
	if rm.Value != "1800000" || rm.Source != SourceStaticBroker || !slices.Equal(rm.Synonyms, wantRM) {
		t.Errorf("retention.ms: %+v", rm)
	}

	sb := byName["segment.bytes"]
	if sb.Value != "1073741824" || sb.Source != SourceDefault || sb.Type != "INT" ||
		!slices.Equal(sb.Synonyms, []Synonym{{"log.segment.bytes", "1073741824", SourceDefault}}) {
		t.Errorf("segment.bytes: %+v", sb)
	}

	rs := byName["remote.storage.enable"]
	if rs.Value != "false" || rs.Source != SourceDefault || len(rs.Synonyms) != 0 {
		t.Errorf("remote.storage.enable: %+v", rs)
	}
	if kmsg.ConfigSource(SourceTopic) != kmsg.ConfigSourceDynamicTopicConfig || SourceDefault.String() != "DEFAULT_CONFIG" {
		t.Error("Source values must be kmsg's")
	}
}

func TestDescribeBroker(t *testing.T) {
	b, _, err := FromMap(map[string]string{"num.partitions": "3"})
	if err != nil {
		t.Fatal(err)
	}
	entries := b.DescribeBroker()
	byName := map[string]Entry{}
	for _, e := range entries {
		byName[e.Name] = e
		if !e.ReadOnly {
			t.Errorf("%s: static broker configs are read-only", e.Name)
		}
		if _, err := kmsg.ParseConfigType(e.Type); err != nil {
			t.Errorf("%s: bad type %q", e.Name, e.Type)
		}
	}
	np := byName["num.partitions"]
	if np.Value != "3" || np.Source != SourceStaticBroker ||
		!slices.Equal(np.Synonyms, []Synonym{{"num.partitions", "3", SourceStaticBroker}, {"num.partitions", "1", SourceDefault}}) {
		t.Errorf("num.partitions: %+v", np)
	}
	if e := byName["log.flush.interval.messages"]; e.Value != "1" || e.Source != SourceDefault {
		t.Errorf("log.flush.interval.messages: %+v", e)
	}
	if e := byName["compression.type"]; e.Value != "producer" {
		t.Errorf("compression.type: %+v", e)
	}
	if _, ok := byName["log.retention.ms"]; ok {
		t.Error("unset nullable log.retention.ms must not be described (Kafka reports null)")
	}
	if e := byName["log.retention.hours"]; e.Value != "168" {
		t.Errorf("log.retention.hours: %+v", e)
	}
}

func TestResolveTopic(t *testing.T) {
	b := Default()
	got, err := b.ResolveTopic(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.RetentionMs != 604800000 || got.RetentionBytes != -1 || got.SegmentBytes != 1<<30 ||
		got.SegmentMs != 604800000 || got.MaxMessageBytes != 1048588 || got.CleanupPolicy != "delete" ||
		!got.Delete || got.Compact || got.LogAppendTime || got.MinInsyncReplicas != 1 ||
		got.FlushMessages != 1 || got.FlushMs != 1000 || got.IndexIntervalBytes != 4096 ||
		got.SegmentIndexBytes != 10485760 || got.DeleteRetentionMs != 86400000 ||
		got.MinCompactionLagMs != 0 || got.MaxCompactionLagMs != 1<<63-1 ||
		got.MinCleanableDirtyRatio != 0.5 || got.CompressionType != "producer" {
		t.Fatalf("defaults: %+v", got)
	}
	got, err = b.ResolveTopic(map[string]string{
		"cleanup.policy": "delete,compact", "retention.ms": "-1", "message.timestamp.type": "LogAppendTime",
		"message.timestamp.difference.max.ms": "5000", "message.timestamp.after.max.ms": "1000",
		"min.cleanable.dirty.ratio": "0.1", "compression.type": "lz4",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.CleanupPolicy != "compact,delete" || !got.Compact || !got.Delete || got.RetentionMs != -1 ||
		!got.LogAppendTime || got.MessageTimestampBeforeMaxMs != 5000 || got.MessageTimestampAfterMaxMs != 1000 ||
		got.MinCleanableDirtyRatio != 0.1 || got.CompressionType != "lz4" {
		t.Fatalf("overrides: %+v", got)
	}
	if _, err := b.ResolveTopic(map[string]string{"bogus": "1"}); !errors.Is(err, ErrUnknownConfig) {
		t.Fatalf("unknown: %v", err)
	}
	if _, err := b.ResolveTopic(map[string]string{"segment.bytes": "x"}); !errors.Is(err, ErrInvalidValue) {
		t.Fatalf("bad value: %v", err)
	}
	_, err = b.ResolveTopic(map[string]string{"min.compaction.lag.ms": "10", "max.compaction.lag.ms": "5"})
	if !errors.Is(err, ErrInvalidValue) || !strings.Contains(err.Error(), "max.compaction.lag.ms") {
		t.Fatalf("conflict: %v", err)
	}
	if err := ValidateTopicConfigs(map[string]string{"retention.ms": "10", "cleanup.policy": "compact"}); err != nil {
		t.Fatal(err)
	}
}
