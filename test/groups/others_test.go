package groups

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/segmentio/kafka-go"

	"strom/test/clients/ktest"
)

type saramaHandler struct {
	s    *seen
	name string
}

func (saramaHandler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (saramaHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h saramaHandler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		h.s.add(h.name, string(m.Value))
		sess.MarkMessage(m, "")
	}
	return nil
}

// runSarama consumes with a sarama ConsumerGroup until want values were
// seen, then closes it (committing what it marked).
func runSarama(t *testing.T, addr, group, topic string, want int) *seen {
	t.Helper()
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_1_0_0
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Offsets.AutoCommit.Interval = 100 * time.Millisecond
	cfg.Consumer.Group.Heartbeat.Interval = 300 * time.Millisecond
	cfg.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{sarama.NewBalanceStrategyRange()}
	cg, err := sarama.NewConsumerGroup([]string{addr}, group, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := newSeen()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		for ctx.Err() == nil {
			if err := cg.Consume(ctx, []string{topic}, saramaHandler{s, "sarama"}); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	waitFor(t, 30*time.Second, fmt.Sprintf("sarama consumed %d", want), func() bool { return s.count() >= want })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("sarama Consume: %v", err)
	}
	if err := cg.Close(); err != nil {
		t.Fatalf("sarama Close: %v", err)
	}
	return s
}

func TestSaramaConsumerGroup(t *testing.T) {
	b := startBroker(t)
	topic := ktest.CreateTopic(t, b.Addr, 2)
	group := uniqueGroup(t)
	produce(t, b.Addr, topic, "a", 40)
	if s := runSarama(t, b.Addr, group, topic, 40); s.count() != 40 {
		t.Fatalf("first run consumed %d", s.count())
	}
	produce(t, b.Addr, topic, "b", 10)
	s := runSarama(t, b.Addr, group, topic, 10)
	for v := range s.by {
		if !strings.HasPrefix(v, "b-") {
			t.Fatalf("second sarama run re-read %q (committed offsets not resumed)", v)
		}
	}
}

func TestKafkaGoReaderGroup(t *testing.T) {
	b := startBroker(t)
	topic := ktest.CreateTopic(t, b.Addr, 2)
	group := uniqueGroup(t)
	produce(t, b.Addr, topic, "a", 20)

	read := func(n int) []string {
		r := kafka.NewReader(kafka.ReaderConfig{
			Brokers:           []string{b.Addr},
			GroupID:           group,
			Topic:             topic,
			MaxWait:           200 * time.Millisecond,
			HeartbeatInterval: 300 * time.Millisecond,
			StartOffset:       kafka.FirstOffset,
		})
		defer r.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var out []string
		for len(out) < n {
			m, err := r.ReadMessage(ctx) // commits synchronously
			if err != nil {
				t.Fatalf("kafka-go ReadMessage after %d: %v", len(out), err)
			}
			out = append(out, string(m.Value))
		}
		return out
	}
	if got := read(20); len(got) != 20 {
		t.Fatalf("got %v", got)
	}
	produce(t, b.Addr, topic, "b", 4)
	for _, v := range read(4) {
		if !strings.HasPrefix(v, "b-") {
			t.Fatalf("second kafka-go reader re-read %q", v)
		}
	}
}

const kafkaPythonProgram = `
import sys
from kafka import KafkaConsumer
bootstrap, topic, group, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
c = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset='earliest',
                  enable_auto_commit=True, auto_commit_interval_ms=200, consumer_timeout_ms=30000)
got = 0
for m in c:
    print('GOT', m.value.decode('utf-8'), flush=True)
    got += 1
    if got == n:
        break
c.close()
`

func TestKafkaPythonAutoCommit(t *testing.T) {
	needPython(t, "kafka")
	b := startBroker(t)
	topic := ktest.CreateTopic(t, b.Addr, 2)
	group := uniqueGroup(t)
	produce(t, b.Addr, topic, "a", 12)
	if got := gotLines(runPython(t, kafkaPythonProgram, b.Addr, topic, group, "12")); len(got) != 12 {
		t.Fatalf("first run: %v", got)
	}
	produce(t, b.Addr, topic, "b", 3)
	got := gotLines(runPython(t, kafkaPythonProgram, b.Addr, topic, group, "3"))
	if len(got) != 3 {
		t.Fatalf("second run: %v", got)
	}
	for _, v := range got {
		if !strings.HasPrefix(v, "b-") {
			t.Fatalf("kafka-python second run re-read %q", v)
		}
	}
}
