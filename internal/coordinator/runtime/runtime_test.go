package runtime

import (
	"testing"
	"time"

	"strom/internal/record"
)

func TestPartitionForMatchesKafka(t *testing.T) {
	// Java: "console-consumer-1".hashCode() etc., abs % 50.
	for _, c := range []struct {
		id   string
		want int32
	}{{"", 0}, {"a", 97 % 50}, {"ab", (97*31 + 98) % 50}} {
		if got := PartitionFor(c.id, 50); got != c.want {
			t.Errorf("PartitionFor(%q) = %d, want %d", c.id, got, c.want)
		}
	}
	if h := javaStringHash("polygenelubricants"); h != -2147483648 {
		t.Fatalf("javaStringHash: %d", h) // the famous MIN_VALUE hash
	}
	if got := PartitionFor("polygenelubricants", 50); got != 0 {
		t.Fatalf("MIN_VALUE hash maps to partition 0 in Kafka, got %d", got)
	}
}

// TestBuildBatchReadsBack decodes what BuildBatch writes with the
// broker's own batch reader, tombstone included.
func TestBuildBatchReadsBack(t *testing.T) {
	in := []KV{{Key: []byte("a"), Value: []byte("1")}, {Key: []byte("b")}}
	batch := BuildBatch(in, time.UnixMilli(1234))
	n := 0
	err := record.Each(batch, func(h record.Header, b []byte) error {
		recs, err := record.Records(b)
		if err != nil {
			return err
		}
		if h.LastOffset() != int64(len(in)-1) || h.IsControl() || h.IsTransactional() {
			t.Fatalf("header: %+v", h)
		}
		for i, r := range recs {
			if string(r.Key) != string(in[i].Key) || string(r.Value) != string(in[i].Value) || (r.Value == nil) != (in[i].Value == nil) {
				t.Fatalf("record %d: %q=%q", i, r.Key, r.Value)
			}
			n++
		}
		return nil
	})
	if err != nil || n != len(in) {
		t.Fatalf("read %d records: %v", n, err)
	}
}
