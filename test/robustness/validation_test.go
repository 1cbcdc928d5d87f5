package robustness

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/record/recordtest"
	"strom/test/harness"
)

func produceRaw(t *testing.T, cl *kgo.Client, topic string, batch []byte) kmsg.ProduceResponseTopicPartition {
	t.Helper()
	req := kmsg.NewPtrProduceRequest()
	req.Acks = -1
	req.TimeoutMillis = 10000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Records = batch
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctxFor(t, 20*time.Second), cl)
	if err != nil {
		t.Fatalf("produce to %s: %v", topic, err)
	}
	return resp.Topics[0].Partitions[0]
}

// topicNames lists every topic the broker has, asked on a raw connection
// (a client library's metadata cache also lists topics it merely asked
// about).
func topicNames(t *testing.T, addr string) []string {
	t.Helper()
	c := dial(t, addr)
	defer c.nc.Close()
	req := kmsg.NewPtrMetadataRequest()
	req.Version = 12
	var names []string
	for _, mt := range c.roundTripRaw(req, 1).(*kmsg.MetadataResponse).Topics {
		if mt.ErrorCode == 0 {
			names = append(names, deref(mt.Topic))
		}
	}
	slices.Sort(names)
	return names
}

func TestProduceIsValidated(t *testing.T) {
	b := harness.Start(t, "auto.create.topics.enable=false")
	createTopic(t, b.Addr, "small", 1, map[string]*string{"max.message.bytes": strp("1000")})
	cl := newClient(t, b.Addr)
	now := time.Now().UnixMilli()

	good := recordtest.Batch(recordtest.Options{FirstTimestamp: now}, recordtest.Rec{Value: []byte("fine")})
	for _, at := range []int{21, 30, len(good) - 1} { // attributes, timestamps, last record byte
		bad := slices.Clone(good)
		bad[at] ^= 0x40
		if r := produceRaw(t, cl, "small", bad); r.ErrorCode != kerr.CorruptMessage.Code {
			t.Errorf("batch with byte %d flipped (CRC mismatch): %v, want CORRUPT_MESSAGE", at, kerr.ErrorForCode(r.ErrorCode))
		}
	}
	big := recordtest.Batch(recordtest.Options{FirstTimestamp: now}, recordtest.Rec{Value: []byte(strings.Repeat("x", 2000))})
	if r := produceRaw(t, cl, "small", big); r.ErrorCode != kerr.MessageTooLarge.Code {
		t.Errorf("batch of %d bytes over max.message.bytes=1000: %v, want MESSAGE_TOO_LARGE", len(big), kerr.ErrorForCode(r.ErrorCode))
	}
	if r := produceRaw(t, cl, "missing", good); r.ErrorCode != kerr.UnknownTopicOrPartition.Code {
		t.Errorf("produce to a missing topic without auto-create: %v, want UNKNOWN_TOPIC_OR_PARTITION", kerr.ErrorForCode(r.ErrorCode))
	}
	// Nothing refused was stored; the good batch still goes in at 0.
	if r := produceRaw(t, cl, "small", good); r.ErrorCode != 0 || r.BaseOffset != 0 {
		t.Fatalf("good batch after refused ones: %v at %d, want offset 0", kerr.ErrorForCode(r.ErrorCode), r.BaseOffset)
	}
	if names := topicNames(t, b.Addr); !slices.Equal(names, []string{"small"}) {
		t.Fatalf("topics: %v", names)
	}
}

var invalidNames = []string{"$#!", strings.Repeat("a", 250), ".", "..", "with space", "slash/name", ""}

func TestInvalidTopicNamesAreNeverCreated(t *testing.T) {
	b := harness.Start(t) // auto-create enabled
	cl := newClient(t, b.Addr)

	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 10000
	for _, name := range invalidNames {
		rt := kmsg.NewCreateTopicsRequestTopic()
		rt.Topic, rt.NumPartitions, rt.ReplicationFactor = name, 1, 1
		req.Topics = append(req.Topics, rt)
	}
	longest := strings.Repeat("b", 249) // the longest valid name
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = longest, 1, 1
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctxFor(t, 20*time.Second), cl)
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range resp.Topics {
		want := kerr.InvalidTopicException.Code
		if rt.Topic == longest {
			want = 0
		}
		if rt.ErrorCode != want {
			t.Errorf("CreateTopics %.20q (%d chars): %v, want %v", rt.Topic, len(rt.Topic), kerr.ErrorForCode(rt.ErrorCode), kerr.ErrorForCode(want))
		}
	}

	mreq := kmsg.NewPtrMetadataRequest()
	mreq.AllowAutoTopicCreation = true
	for _, name := range invalidNames {
		mt := kmsg.NewMetadataRequestTopic()
		mt.Topic = kmsg.StringPtr(name)
		mreq.Topics = append(mreq.Topics, mt)
	}
	mresp, err := mreq.RequestWith(ctxFor(t, 20*time.Second), cl)
	if err != nil {
		t.Fatal(err)
	}
	if len(mresp.Topics) != len(invalidNames) {
		t.Fatalf("metadata answered %d topics for %d asked", len(mresp.Topics), len(invalidNames))
	}
	for _, mt := range mresp.Topics {
		if mt.ErrorCode != kerr.InvalidTopicException.Code {
			t.Errorf("Metadata auto-create of %.20q: %v, want INVALID_TOPIC_EXCEPTION", deref(mt.Topic), kerr.ErrorForCode(mt.ErrorCode))
		}
	}
	if names := topicNames(t, b.Addr); !slices.Equal(names, []string{longest}) {
		t.Fatalf("topics after invalid creates: %.60q", names)
	}
}

func TestMetadataAutoCreateNeedsBothSwitches(t *testing.T) {
	var addr string // the current subtest's broker
	metadata := func(t *testing.T, topic string, allow bool) int16 {
		t.Helper()
		req := kmsg.NewPtrMetadataRequest()
		req.AllowAutoTopicCreation = allow
		mt := kmsg.NewMetadataRequestTopic()
		mt.Topic = kmsg.StringPtr(topic)
		req.Topics = append(req.Topics, mt)
		req.Version = 12
		resp := dial(t, addr).roundTripRaw(req, 1).(*kmsg.MetadataResponse)
		return resp.Topics[0].ErrorCode
	}
	t.Run("broker allows", func(t *testing.T) {
		b := harness.Start(t)
		addr = b.Addr
		if code := metadata(t, "read-only", false); code != kerr.UnknownTopicOrPartition.Code {
			t.Fatalf("allow_auto_topic_creation=false: %v, want UNKNOWN_TOPIC_OR_PARTITION", kerr.ErrorForCode(code))
		}
		if names := topicNames(t, b.Addr); len(names) != 0 {
			t.Fatalf("a metadata read created %v", names)
		}
		if code := metadata(t, "wanted", true); code != 0 && code != kerr.LeaderNotAvailable.Code {
			t.Fatalf("allow_auto_topic_creation=true: %v", kerr.ErrorForCode(code))
		}
		// Creation completes asynchronously (LEADER_NOT_AVAILABLE first).
		deadline := time.Now().Add(10 * time.Second)
		for names := topicNames(t, b.Addr); !slices.Equal(names, []string{"wanted"}); names = topicNames(t, b.Addr) {
			if time.Now().After(deadline) {
				t.Fatalf("topics 10s after auto-create: %v", names)
			}
			time.Sleep(20 * time.Millisecond) // poll interval
		}
	})
	t.Run("broker forbids", func(t *testing.T) {
		b := harness.Start(t, "auto.create.topics.enable=false")
		addr = b.Addr
		if code := metadata(t, "wanted", true); code != kerr.UnknownTopicOrPartition.Code {
			t.Fatalf("auto-create disabled on the broker: %v, want UNKNOWN_TOPIC_OR_PARTITION", kerr.ErrorForCode(code))
		}
		if names := topicNames(t, b.Addr); len(names) != 0 {
			t.Fatalf("topics created against the broker's setting: %v", names)
		}
	})
}

func TestCreateTopicsConfigValidation(t *testing.T) {
	b := harness.Start(t)
	cl := newClient(t, b.Addr)
	for _, c := range []struct {
		key, value string
	}{
		{"no.such.config", "1"},
		{"retention.ms", "soon"},
		{"segment.bytes", "1"},
		{"cleanup.policy", "sometimes"},
		{"min.insync.replicas", "-3"},
	} {
		for _, validateOnly := range []bool{false, true} {
			req := kmsg.NewPtrCreateTopicsRequest()
			req.TimeoutMillis = 10000
			req.ValidateOnly = validateOnly
			rt := kmsg.NewCreateTopicsRequestTopic()
			rt.Topic, rt.NumPartitions, rt.ReplicationFactor = "cfg", 1, 1
			rc := kmsg.NewCreateTopicsRequestTopicConfig()
			rc.Name, rc.Value = c.key, kmsg.StringPtr(c.value)
			rt.Configs = append(rt.Configs, rc)
			req.Topics = append(req.Topics, rt)
			resp, err := req.RequestWith(ctxFor(t, 20*time.Second), cl)
			if err != nil {
				t.Fatal(err)
			}
			r := resp.Topics[0]
			msg := deref(r.ErrorMessage)
			if r.ErrorCode != kerr.InvalidConfig.Code || !strings.Contains(msg, c.key) {
				t.Errorf("%s=%s (validate_only=%v): %v %q, want INVALID_CONFIG naming the key", c.key, c.value, validateOnly, kerr.ErrorForCode(r.ErrorCode), msg)
			}
		}
	}
	if names := topicNames(t, b.Addr); len(names) != 0 {
		t.Fatalf("topics created with invalid configs: %v", names)
	}
}

func strp(s string) *string { return &s }

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
