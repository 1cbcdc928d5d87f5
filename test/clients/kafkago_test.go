package clients

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"strom/test/clients/ktest"
	"strom/test/harness"
)

func kafkagoMessages(recs []ktest.Rec) []kafka.Message {
	out := make([]kafka.Message, len(recs))
	for i, r := range recs {
		m := kafka.Message{Key: []byte(r.Key), Value: []byte(r.Value)}
		for _, h := range r.Headers {
			m.Headers = append(m.Headers, kafka.Header{Key: h[0], Value: []byte(h[1])})
		}
		out[i] = m
	}
	return out
}

func newKafkagoWriter(addr, topic string, acks kafka.RequiredAcks, async bool) *kafka.Writer {
	return &kafka.Writer{
		Addr:                   kafka.TCP(addr),
		Topic:                  topic,
		Balancer:               &kafka.RoundRobin{}, // single-partition topics: everything to 0
		RequiredAcks:           acks,
		Async:                  async,
		BatchTimeout:           10 * time.Millisecond,
		BatchSize:              1000,
		WriteTimeout:           10 * time.Second,
		ReadTimeout:            10 * time.Second,
		AllowAutoTopicCreation: false,
	}
}

// readKafkago reads exactly len(want) messages of topic[0] from offset with
// a kafka.Reader (no GroupID) and compares them with want.
func readKafkago(t *testing.T, addr, topic string, offset int64, want []ktest.Rec) {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:   []string{addr},
		Topic:     topic,
		Partition: 0,
		MinBytes:  1,
		MaxBytes:  10 << 20,
		MaxWait:   200 * time.Millisecond,
	})
	defer r.Close()
	if err := r.SetOffset(offset); err != nil {
		t.Fatalf("SetOffset(%d): %v", offset, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), ktest.OpTimeout)
	defer cancel()
	for i, w := range want {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("ReadMessage %d of %d from offset %d: %v", i, len(want), offset, err)
		}
		if string(m.Key) != w.Key || string(m.Value) != w.Value || m.Offset != w.Offset || m.Partition != 0 {
			t.Errorf("message %d: got key=%q value=%q offset=%d partition=%d, want key=%q value=%q offset=%d partition=0",
				i, m.Key, m.Value, m.Offset, m.Partition, w.Key, w.Value, w.Offset)
			continue
		}
		var hs [][2]string
		for _, h := range m.Headers {
			hs = append(hs, [2]string{h.Key, string(h.Value)})
		}
		if fmt.Sprint(hs) != fmt.Sprint(w.Headers) {
			t.Errorf("message %d headers: got %v, want %v", i, hs, w.Headers)
		}
	}
}

// TestKafkaGoWriterSync: a synchronous Writer with acks=all writes in two
// calls; a Reader reads everything from FirstOffset and from offset 5.
func TestKafkaGoWriterSync(t *testing.T) {
	t.Parallel()
	b := harness.Start(t)
	topic := ktest.CreateTopic(t, b.Addr, 1)
	want := ktest.MakeRecs("kgo-sync", 20, 0)
	w := newKafkagoWriter(b.Addr, topic, kafka.RequireAll, false)
	defer w.Close()
	msgs := kafkagoMessages(want)
	for _, chunk := range [][]kafka.Message{msgs[:10], msgs[10:]} {
		if err := w.WriteMessages(ktest.Ctx(t), chunk...); err != nil {
			t.Fatalf("WriteMessages: %v", err)
		}
	}
	if st := w.Stats(); st.Errors != 0 || st.Messages != int64(len(want)) {
		t.Errorf("writer stats: errors=%d messages=%d, want 0 and %d", st.Errors, st.Messages, len(want))
	}
	readKafkago(t, b.Addr, topic, kafka.FirstOffset, want)
	readKafkago(t, b.Addr, topic, 5, want[5:])
	if hw := ktest.EndOffset(t, b.Addr, topic, 0); hw != int64(len(want)) {
		t.Errorf("high watermark %d, want %d", hw, len(want))
	}
}

// TestKafkaGoWriterAsync: an async Writer reports every batch through
// Completion with no error; after Close everything reads back.
func TestKafkaGoWriterAsync(t *testing.T) {
	t.Parallel()
	b := harness.Start(t)
	topic := ktest.CreateTopic(t, b.Addr, 1)
	want := ktest.MakeRecs("kgo-async", 25, 0)
	w := newKafkagoWriter(b.Addr, topic, kafka.RequireOne, true)
	var (
		mu        sync.Mutex
		completed int
		errs      []error
	)
	w.Completion = func(ms []kafka.Message, err error) {
		mu.Lock()
		defer mu.Unlock()
		completed += len(ms)
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := w.WriteMessages(ktest.Ctx(t), kafkagoMessages(want)...); err != nil {
		t.Fatalf("async WriteMessages: %v", err)
	}
	if err := w.Close(); err != nil { // Close flushes pending batches
		t.Fatalf("Writer.Close: %v", err)
	}
	mu.Lock()
	if completed != len(want) || len(errs) != 0 {
		t.Errorf("completion saw %d messages, errors %v; want %d and none", completed, errs, len(want))
	}
	mu.Unlock()
	readKafkago(t, b.Addr, topic, kafka.FirstOffset, want)
}

// TestKafkaGoWriterAcksNone: RequiredAcks none; all messages land in order.
func TestKafkaGoWriterAcksNone(t *testing.T) {
	t.Parallel()
	b := harness.Start(t)
	topic := ktest.CreateTopic(t, b.Addr, 1)
	want := ktest.MakeRecs("kgo-acks0", 15, 0)
	w := newKafkagoWriter(b.Addr, topic, kafka.RequireNone, false)
	if err := w.WriteMessages(ktest.Ctx(t), kafkagoMessages(want)...); err != nil {
		t.Fatalf("WriteMessages(acks=0): %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Writer.Close: %v", err)
	}
	readKafkago(t, b.Addr, topic, kafka.FirstOffset, want)
	if hw := ktest.EndOffset(t, b.Addr, topic, 0); hw != int64(len(want)) {
		t.Errorf("high watermark %d, want %d", hw, len(want))
	}
}

// TestKafkaGoConn: kafka.Conn against the controller creates a 3-partition
// topic (and rejects an invalid topic name), and ReadPartitions
// reports its 3 partitions with leaders.
func TestKafkaGoConn(t *testing.T) {
	t.Parallel()
	b := harness.Start(t)
	ctx := ktest.Ctx(t)
	var d kafka.Dialer
	d.Timeout = 10 * time.Second
	conn, err := d.DialContext(ctx, "tcp", b.Addr)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer conn.Close()
	ctrl, err := conn.Controller()
	if err != nil {
		t.Fatalf("Controller: %v", err)
	}
	cconn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(ctrl.Host, strconv.Itoa(ctrl.Port)))
	if err != nil {
		t.Fatalf("Dial controller %s:%d: %v", ctrl.Host, ctrl.Port, err)
	}
	defer cconn.Close()
	topic := ktest.UniqueTopic(t)
	tc := kafka.TopicConfig{Topic: topic, NumPartitions: 3, ReplicationFactor: 1}
	if err := cconn.CreateTopics(tc); err != nil {
		t.Fatalf("CreateTopics: %v", err)
	}
	// kafka-go hides TOPIC_ALREADY_EXISTS, so check rejection with a bad name.
	bad := kafka.TopicConfig{Topic: "bad/name!" + topic, NumPartitions: 1, ReplicationFactor: 1}
	if err := cconn.CreateTopics(bad); !errors.Is(err, kafka.InvalidTopic) {
		t.Errorf("CreateTopics(%q): got %v, want InvalidTopic", bad.Topic, err)
	}
	deadline := time.Now().Add(ktest.OpTimeout)
	for attempt := 0; ; attempt++ {
		parts, err := conn.ReadPartitions(topic)
		if err == nil && len(parts) == 3 {
			seen := map[int]bool{}
			for _, p := range parts {
				if p.Topic != topic || p.Leader.Port == 0 {
					t.Errorf("partition %+v: wrong topic or no leader", p)
				}
				seen[p.ID] = true
			}
			if !seen[0] || !seen[1] || !seen[2] {
				t.Errorf("partition IDs %v, want 0,1,2", seen)
			}
			break
		}
		if time.Now().After(deadline) || attempt > 500 {
			t.Fatalf("ReadPartitions(%s): %d partitions, err %v", topic, len(parts), err)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("ReadPartitions: %v", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	brokers, err := conn.Brokers()
	if err != nil || len(brokers) != 1 {
		t.Errorf("Brokers: %v %v, want exactly one", brokers, err)
	}
}
