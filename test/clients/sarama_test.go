package clients

import (
	"fmt"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"strom/test/clients/ktest"
	"strom/test/harness"
)

// saramaVersions are the protocol versions the sarama tests run with: the
// old default (V2_1_0_0) and the library's current default.
var saramaVersions = []struct {
	name string
	v    sarama.KafkaVersion
}{
	{"V2_1_0_0", sarama.V2_1_0_0},
	{"default", sarama.NewConfig().Version},
}

func saramaConfig(v sarama.KafkaVersion) *sarama.Config {
	cfg := sarama.NewConfig()
	cfg.Version = v
	cfg.ClientID = "strom-sarama-test"
	cfg.Net.DialTimeout = 10 * time.Second
	cfg.Net.ReadTimeout = 20 * time.Second
	cfg.Net.WriteTimeout = 10 * time.Second
	cfg.Metadata.Retry.Max = 3
	cfg.Producer.Partitioner = sarama.NewManualPartitioner
	cfg.Producer.Return.Successes = true
	cfg.Producer.Return.Errors = true
	cfg.Producer.Timeout = 10 * time.Second
	cfg.Consumer.MaxWaitTime = 200 * time.Millisecond
	cfg.Consumer.Return.Errors = true
	return cfg
}

func saramaMessages(topic string, recs []ktest.Rec) []*sarama.ProducerMessage {
	out := make([]*sarama.ProducerMessage, len(recs))
	for i, r := range recs {
		m := &sarama.ProducerMessage{
			Topic:     topic,
			Partition: 0,
			Key:       sarama.StringEncoder(r.Key),
			Value:     sarama.StringEncoder(r.Value),
			Metadata:  i,
		}
		for _, h := range r.Headers {
			m.Headers = append(m.Headers, sarama.RecordHeader{Key: []byte(h[0]), Value: []byte(h[1])})
		}
		out[i] = m
	}
	return out
}

// consumeSarama reads exactly n messages from topic[0] starting at offset
// (which may be sarama.OffsetOldest) and compares them with want.
func consumeSarama(t *testing.T, addr, topic string, v sarama.KafkaVersion, offset int64, want []ktest.Rec) {
	t.Helper()
	c, err := sarama.NewConsumer([]string{addr}, saramaConfig(v))
	if err != nil {
		t.Fatalf("sarama.NewConsumer: %v", err)
	}
	defer c.Close()
	pc, err := c.ConsumePartition(topic, 0, offset)
	if err != nil {
		t.Fatalf("ConsumePartition(%d): %v", offset, err)
	}
	defer pc.Close()
	timeout := time.NewTimer(ktest.OpTimeout)
	defer timeout.Stop()
	for i := range want {
		select {
		case m := <-pc.Messages():
			w := want[i]
			if string(m.Key) != w.Key || string(m.Value) != w.Value || m.Offset != w.Offset {
				t.Errorf("message %d: got key=%q value=%q offset=%d, want key=%q value=%q offset=%d",
					i, m.Key, m.Value, m.Offset, w.Key, w.Value, w.Offset)
				continue
			}
			var hs [][2]string
			for _, h := range m.Headers {
				hs = append(hs, [2]string{string(h.Key), string(h.Value)})
			}
			if fmt.Sprint(hs) != fmt.Sprint(w.Headers) {
				t.Errorf("message %d headers: got %v, want %v", i, hs, w.Headers)
			}
		case err := <-pc.Errors():
			t.Fatalf("consumer error: %v", err)
		case <-timeout.C:
			t.Fatalf("got %d of %d messages from offset %d before timeout", i, len(want), offset)
		}
	}
}

// TestSaramaSyncProducer: SendMessages with acks=all; each message reports
// offset i; ConsumePartition from OffsetOldest and from a given offset reads
// the same keys, values, headers and offsets back.
func TestSaramaSyncProducer(t *testing.T) {
	t.Parallel()
	b := harness.Start(t)
	for _, sv := range saramaVersions {
		t.Run(sv.name, func(t *testing.T) {
			t.Parallel()
			topic := ktest.CreateTopic(t, b.Addr, 1)
			want := ktest.MakeRecs("sarama-sync", 20, 0)
			cfg := saramaConfig(sv.v)
			cfg.Producer.RequiredAcks = sarama.WaitForAll
			p, err := sarama.NewSyncProducer([]string{b.Addr}, cfg)
			if err != nil {
				t.Fatalf("NewSyncProducer: %v", err)
			}
			defer p.Close()
			// One SendMessage, then the rest as a batch.
			msgs := saramaMessages(topic, want)
			part, off, err := p.SendMessage(msgs[0])
			if err != nil || part != 0 || off != 0 {
				t.Fatalf("SendMessage: partition=%d offset=%d err=%v, want 0 0 nil", part, off, err)
			}
			if err := p.SendMessages(msgs[1:]); err != nil {
				t.Fatalf("SendMessages: %v", err)
			}
			for i, m := range msgs {
				if m.Offset != int64(i) || m.Partition != 0 {
					t.Errorf("message %d acknowledged at %d/%d, want 0/%d", i, m.Partition, m.Offset, i)
				}
			}
			consumeSarama(t, b.Addr, topic, sv.v, sarama.OffsetOldest, want)
			consumeSarama(t, b.Addr, topic, sv.v, 8, want[8:])
		})
	}
}

// TestSaramaAsyncProducer: every message comes back on Successes (none on
// Errors) with a unique offset in 0..n-1, and reads back in order.
func TestSaramaAsyncProducer(t *testing.T) {
	t.Parallel()
	b := harness.Start(t)
	for _, sv := range saramaVersions {
		t.Run(sv.name, func(t *testing.T) {
			t.Parallel()
			topic := ktest.CreateTopic(t, b.Addr, 1)
			want := ktest.MakeRecs("sarama-async", 30, 0)
			cfg := saramaConfig(sv.v)
			cfg.Producer.RequiredAcks = sarama.WaitForLocal
			cfg.Producer.Flush.Messages = 7 // several produce requests
			// Without a frequency, a tail shorter than Flush.Messages would
			// wait forever for more input.
			cfg.Producer.Flush.Frequency = 5 * time.Millisecond
			cfg.Net.MaxOpenRequests = 1 // keep them in order
			p, err := sarama.NewAsyncProducer([]string{b.Addr}, cfg)
			if err != nil {
				t.Fatalf("NewAsyncProducer: %v", err)
			}
			defer func() {
				if t.Failed() {
					p.AsyncClose() // Close could wait forever on a stuck broker
					return
				}
				if err := p.Close(); err != nil {
					t.Errorf("AsyncProducer.Close: %v", err)
				}
			}()
			seen := map[int64]int{}
			timeout := time.NewTimer(ktest.OpTimeout)
			defer timeout.Stop()
			msgs := saramaMessages(topic, want)
			for sent, acked := 0, 0; acked < len(msgs); {
				var in chan<- *sarama.ProducerMessage
				if sent < len(msgs) {
					in = p.Input()
				}
				var next *sarama.ProducerMessage
				if sent < len(msgs) {
					next = msgs[sent]
				}
				select {
				case in <- next:
					sent++
				case m := <-p.Successes():
					acked++
					seen[m.Offset] = m.Metadata.(int)
				case pe := <-p.Errors():
					t.Fatalf("async produce error: %v", pe.Err)
				case <-timeout.C:
					t.Fatalf("sent %d, acknowledged %d of %d before timeout", sent, acked, len(msgs))
				}
			}
			for i := range want {
				if idx, ok := seen[int64(i)]; !ok || idx != i {
					t.Errorf("offset %d: acknowledged message index %d (present=%v), want %d", i, idx, ok, i)
				}
			}
			consumeSarama(t, b.Addr, topic, sv.v, sarama.OffsetOldest, want)
		})
	}
}

// TestSaramaNoResponse: acks=0 (RequiredAcks NoResponse); every message is
// reported sent, and after that all of them are in the log in order.
func TestSaramaNoResponse(t *testing.T) {
	t.Parallel()
	b := harness.Start(t)
	for _, sv := range saramaVersions {
		t.Run(sv.name, func(t *testing.T) {
			t.Parallel()
			topic := ktest.CreateTopic(t, b.Addr, 1)
			want := ktest.MakeRecs("sarama-acks0", 15, 0)
			cfg := saramaConfig(sv.v)
			cfg.Producer.RequiredAcks = sarama.NoResponse
			p, err := sarama.NewSyncProducer([]string{b.Addr}, cfg)
			if err != nil {
				t.Fatalf("NewSyncProducer: %v", err)
			}
			defer p.Close()
			if err := p.SendMessages(saramaMessages(topic, want)); err != nil {
				t.Fatalf("SendMessages(acks=0): %v", err)
			}
			consumeSarama(t, b.Addr, topic, sv.v, sarama.OffsetOldest, want)
			if hw := ktest.EndOffset(t, b.Addr, topic, 0); hw != int64(len(want)) {
				t.Errorf("high watermark %d, want %d", hw, len(want))
			}
		})
	}
}
