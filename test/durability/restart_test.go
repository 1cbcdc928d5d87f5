package durability

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/record/recordtest"
	"strom/test/harness"
)

func initProducerID(t *testing.T, cl *kgo.Client) (int64, int16) {
	t.Helper()
	req := kmsg.NewPtrInitProducerIDRequest()
	req.TransactionTimeoutMillis = 60000
	resp, err := req.RequestWith(ctxFor(t, 20*time.Second), cl)
	if err != nil {
		t.Fatal(err)
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		t.Fatalf("InitProducerId: %v", err)
	}
	return resp.ProducerID, resp.ProducerEpoch
}

// TestRestartKeepsTopicsConfigsAndProducerState: after a clean stop or a
// SIGKILL, topics keep their partitions and configs, a duplicate of an
// acknowledged idempotent batch (same producer id, epoch and sequence) is
// acknowledged with its original offset and not stored again, sequence
// gaps are still rejected, and producer ids are not handed out twice.
func TestRestartKeepsTopicsConfigsAndProducerState(t *testing.T) {
	for _, how := range []string{"clean stop", "SIGKILL"} {
		t.Run(how, func(t *testing.T) {
			p := harness.StartProcess(t)
			const topic = "idem"
			createTopic(t, p.Addr, topic, 3, map[string]*string{
				"retention.ms":      strp("3600000"),
				"max.message.bytes": strp("500000"),
				"cleanup.policy":    strp("delete"),
			})
			cl := newClient(t, p.Addr)
			pid, epoch := initProducerID(t, cl)
			batch := func(seq int32, vals ...string) []byte {
				recs := make([]recordtest.Rec, len(vals))
				for i, v := range vals {
					recs[i] = recordtest.Rec{Value: []byte(v)}
				}
				return recordtest.Batch(recordtest.Options{
					FirstTimestamp: time.Now().UnixMilli(),
					Idempotent:     true, ProducerID: pid, ProducerEpoch: epoch, BaseSequence: seq,
				}, recs...)
			}
			first := batch(0, "a", "b", "c")
			second := batch(3, "d", "e")
			if off := mustProduceRaw(t, cl, topic, 1, first); off != 0 {
				t.Fatalf("first batch at %d", off)
			}
			if off := mustProduceRaw(t, cl, topic, 1, second); off != 3 {
				t.Fatalf("second batch at %d", off)
			}
			// A duplicate before the restart is recognised too.
			if off := mustProduceRaw(t, cl, topic, 1, second); off != 3 {
				t.Fatalf("duplicate before restart at %d", off)
			}
			cl.Close()

			if how == "SIGKILL" {
				p.Kill()
			}
			p.Restart()
			cl = newClient(t, p.Addr)

			for _, c := range []struct {
				batch []byte
				want  int64
			}{{second, 3}, {first, 0}} {
				r := produceRaw(t, cl, topic, 1, c.batch)
				if r.ErrorCode != 0 || r.BaseOffset != c.want {
					t.Fatalf("duplicate after restart: error %v, offset %d, want offset %d", kerr.ErrorForCode(r.ErrorCode), r.BaseOffset, c.want)
				}
			}
			if end := endOffsets(t, p.Addr, topic)[1]; end != 5 {
				t.Fatalf("end offset %d after re-sending duplicates, want 5 (appended twice?)", end)
			}
			r := produceRaw(t, cl, topic, 1, batch(9, "gap"))
			if r.ErrorCode != kerr.OutOfOrderSequenceNumber.Code {
				t.Fatalf("sequence gap after restart: %v, offset %d; want OUT_OF_ORDER_SEQUENCE_NUMBER", kerr.ErrorForCode(r.ErrorCode), r.BaseOffset)
			}
			if off := mustProduceRaw(t, cl, topic, 1, batch(5, "f")); off != 5 {
				t.Fatalf("next sequence after restart at %d, want 5", off)
			}
			if got := values(consumeRange(t, p.Addr, topic, 1, 0, 6)); !slices.Equal(got, []string{"a", "b", "c", "d", "e", "f"}) {
				t.Fatalf("partition 1 holds %q", got)
			}

			if pid2, _ := initProducerID(t, cl); pid2 == pid {
				t.Fatalf("producer id %d handed out again after restart", pid)
			}

			adm := kadm.NewClient(cl)
			ctx := ctxFor(t, 20*time.Second)
			tds, err := adm.ListTopics(ctx, topic)
			if err != nil || tds[topic].Err != nil || len(tds[topic].Partitions) != 3 {
				t.Fatalf("topic after restart: %v %+v", err, tds[topic])
			}
			rcs, err := adm.DescribeTopicConfigs(ctx, topic)
			if err != nil {
				t.Fatal(err)
			}
			rc, err := rcs.On(topic, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, c := range rc.Configs {
				if c.Source == kmsg.ConfigSourceDynamicTopicConfig {
					got[c.Key] = c.MaybeValue()
				}
			}
			want := map[string]string{"retention.ms": "3600000", "max.message.bytes": "500000", "cleanup.policy": "delete"}
			if !maps.Equal(got, want) {
				t.Fatalf("topic overrides after restart: %v, want %v", got, want)
			}
		})
	}
}
