package replica

import (
	"errors"
	"testing"
	"time"

	"strom/internal/config"
	"strom/internal/record"
	"strom/internal/record/recordtest"
)

func TestCheckKeys(t *testing.T) {
	p := &Partition{Topic: "t", Index: 3}
	for _, codec := range []record.Codec{record.None, record.Gzip, record.Snappy, record.LZ4, record.Zstd} {
		keyed := recordtest.Batch(recordtest.Options{Codec: codec}, recordtest.Rec{Key: []byte("k"), Value: []byte("v")}, recordtest.Rec{Key: []byte{}})
		h, _ := record.ParseHeader(keyed)
		if err := p.checkKeys(keyed, h); err != nil {
			t.Fatalf("%v: keyed batch (an empty key is a key): %v", codec, err)
		}
		keyless := recordtest.Batch(recordtest.Options{Codec: codec}, recordtest.Rec{Key: []byte("k")}, recordtest.Rec{Value: []byte("v")})
		h, _ = record.ParseHeader(keyless)
		err := p.checkKeys(keyless, h)
		if !errors.Is(err, ErrInvalidRecord) || err.Error() != "Compacted topic cannot accept message without key in topic partition t-3." {
			t.Fatalf("%v: keyless batch: %v", codec, err)
		}
	}
	control := recordtest.Batch(recordtest.Options{Control: true, Transactional: true}, recordtest.Rec{Value: []byte{0, 0, 0, 0}})
	h, _ := record.ParseHeader(control)
	if err := p.checkKeys(control, h); err != nil {
		t.Fatalf("control batch: %v", err)
	}
}

func TestCleanerBackoff(t *testing.T) {
	if d := cleanerBackoff(config.Default()); d != 15*time.Second {
		t.Fatalf("default backoff %v", d)
	}
	b, _, err := config.Load("", []string{"log.cleaner.backoff.ms=250"})
	if err != nil {
		t.Fatal(err)
	}
	if d := cleanerBackoff(b); d != 250*time.Millisecond {
		t.Fatalf("backoff %v", d)
	}
}
