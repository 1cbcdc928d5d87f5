package record_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/record"
	"strom/internal/record/recordtest"
)

func sampleRecs(n int) []recordtest.Rec {
	recs := make([]recordtest.Rec, n)
	for i := range recs {
		recs[i] = recordtest.Rec{
			Key:            []byte(fmt.Sprintf("k%d", i)),
			Value:          bytes.Repeat([]byte{byte(i)}, 100+i),
			TimestampDelta: int64(i * 10),
			Headers:        []kmsg.Header{{Key: "h", Value: []byte("v")}, {Key: "null"}},
		}
	}
	recs[0].Key = nil        // null key
	recs[1].Value = []byte{} // empty, not null
	return recs
}

func TestRoundTripAllCodecs(t *testing.T) {
	cases := []struct {
		codec  record.Codec
		xerial bool
	}{{record.None, false}, {record.Gzip, false}, {record.Snappy, false}, {record.Snappy, true}, {record.LZ4, false}, {record.Zstd, false}}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%v/xerial=%v", c.codec, c.xerial), func(t *testing.T) {
			recs := sampleRecs(50)
			b := recordtest.Batch(recordtest.Options{Codec: c.codec, Xerial: c.xerial, FirstTimestamp: 1000}, recs...)
			hs, bs, err := record.Batches(b)
			if err != nil {
				t.Fatal(err)
			}
			if len(hs) != 1 || len(bs[0]) != len(b) {
				t.Fatalf("got %d batches", len(hs))
			}
			h := hs[0]
			if h.Compression() != c.codec || h.NumRecords != 50 || h.LastOffset() != 49 || h.MaxTimestamp != 1000+490 {
				t.Fatalf("header %+v", h)
			}
			got, err := record.Records(b)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(recs) {
				t.Fatalf("%d records", len(got))
			}
			for i, r := range got {
				w := recs[i]
				if r.OffsetDelta != int32(i) || r.TimestampDelta != w.TimestampDelta ||
					!bytes.Equal(r.Key, w.Key) || !bytes.Equal(r.Value, w.Value) ||
					(r.Key == nil) != (w.Key == nil) || (r.Value == nil) != (w.Value == nil) {
					t.Fatalf("record %d = %+v, want %+v", i, r, w)
				}
				if len(r.Headers) != 2 || r.Headers[0].Key != "h" || string(r.Headers[0].Value) != "v" || r.Headers[1].Value != nil {
					t.Fatalf("headers %+v", r.Headers)
				}
			}
		})
	}
}

func TestMultipleBatchesAndErrors(t *testing.T) {
	a := recordtest.Values(3, 10, 5)
	b := recordtest.Batch(recordtest.Options{Codec: record.Zstd}, sampleRecs(4)...)
	payload := append(append([]byte(nil), a...), b...)
	hs, bs, err := record.Batches(payload)
	if err != nil || len(hs) != 2 || !bytes.Equal(bs[0], a) || !bytes.Equal(bs[1], b) {
		t.Fatalf("Batches: %v %d", err, len(hs))
	}

	flip := append([]byte(nil), payload...)
	flip[len(a)+record.HeaderSize+3] ^= 0x40
	if _, _, err := record.Batches(flip); !errors.Is(err, record.ErrCorrupt) {
		t.Fatalf("flipped byte: %v", err)
	}
	if _, _, err := record.Batches(payload[:len(payload)-1]); !errors.Is(err, record.ErrShortBatch) {
		t.Fatalf("truncated: %v", err)
	}
	if _, _, err := record.Batches(nil); !errors.Is(err, record.ErrShortBatch) {
		t.Fatalf("empty: %v", err)
	}
	magic := append([]byte(nil), a...)
	magic[16] = 1
	if _, _, err := record.Batches(magic); !errors.Is(err, record.ErrUnsupportedMagic) {
		t.Fatalf("magic: %v", err)
	}
	// A consistent CRC over an inconsistent record count.
	bad := append([]byte(nil), a...)
	bad[26]++                       // lastOffsetDelta low byte: 2 -> 3
	record.SetLogAppendTime(bad, 5) // recomputes the CRC
	if _, _, err := record.Batches(bad); !errors.Is(err, record.ErrInvalidRecord) {
		t.Fatalf("record count: %v", err)
	}
}

func TestSetters(t *testing.T) {
	b := recordtest.Batch(recordtest.Options{Codec: record.LZ4, FirstTimestamp: 100}, sampleRecs(3)...)
	record.SetBaseOffset(b, 1234)
	record.SetPartitionLeaderEpoch(b, 7)
	h, err := record.Validate(b)
	if err != nil {
		t.Fatalf("base offset and epoch are outside the CRC: %v", err)
	}
	if h.BaseOffset != 1234 || h.PartitionLeaderEpoch != 7 || h.LastOffset() != 1236 || h.LogAppendTime() {
		t.Fatalf("header %+v", h)
	}
	record.SetLogAppendTime(b, 99999)
	h, err = record.Validate(b)
	if err != nil {
		t.Fatal(err)
	}
	if !h.LogAppendTime() || h.MaxTimestamp != 99999 || h.FirstTimestamp != 99999 || h.Compression() != record.LZ4 {
		t.Fatalf("header %+v", h)
	}
	// franz-go's own decoder agrees.
	var kb kmsg.RecordBatch
	if err := kb.ReadFrom(b); err != nil || kb.FirstOffset != 1234 || kb.MaxTimestamp != 99999 || kb.Attributes&0x08 == 0 {
		t.Fatalf("kmsg: %v %+v", err, kb)
	}
}

func TestLastSequenceWraps(t *testing.T) {
	h := record.Header{BaseSequence: 1<<31 - 2, LastOffsetDelta: 3}
	if got := h.LastSequence(); got != 1 {
		t.Fatalf("LastSequence = %d", got)
	}
}

func TestParseHeaderNoAlloc(t *testing.T) {
	b := recordtest.Values(10, 100, 0)
	payload := append(append([]byte(nil), b...), b...)
	n := testing.AllocsPerRun(100, func() {
		if _, err := record.Validate(b); err != nil {
			t.Fatal(err)
		}
		if err := record.Each(payload, func(record.Header, []byte) error { return nil }); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Fatalf("%v allocations", n)
	}
}

func FuzzBatches(f *testing.F) {
	f.Add(recordtest.Values(2, 5, 0))
	f.Add(recordtest.Batch(recordtest.Options{Codec: record.Gzip}, sampleRecs(2)...))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		b = b[:len(b):len(b)] // any read past the input panics
		hs, bs, err := record.Batches(b)
		if err != nil {
			return
		}
		total := 0
		for i, h := range hs {
			total += len(bs[i])
			if h.Size() != len(bs[i]) {
				t.Fatalf("batch %d size %d, slice %d", i, h.Size(), len(bs[i]))
			}
		}
		if total != len(b) {
			t.Fatalf("batches cover %d of %d bytes", total, len(b))
		}
		// Re-parsing the valid prefix gives the same result.
		hs2, _, err := record.Batches(b[:len(bs[0])])
		if err != nil || hs2[0] != hs[0] {
			t.Fatalf("reparse: %v", err)
		}
	})
}

func FuzzRecords(f *testing.F) {
	for _, c := range []record.Codec{record.None, record.Gzip, record.Snappy, record.LZ4, record.Zstd} {
		f.Add(recordtest.Batch(recordtest.Options{Codec: c}, sampleRecs(3)...))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		b = b[:len(b):len(b)]
		recs, err := record.Records(b)
		if err != nil {
			return
		}
		h, _ := record.ParseHeader(b)
		if len(recs) != int(h.NumRecords) {
			t.Fatalf("%d records, header says %d", len(recs), h.NumRecords)
		}
	})
}
