// Package recordtest builds v2 record batches for tests the way real
// producers do, using franz-go's kmsg types (an independent encoder, so a
// bug in package record cannot hide behind its own round trip). Test-only:
// nothing outside _test files should import it.
package recordtest

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/record"
)

// Rec is one record to put in a batch.
type Rec struct {
	Key, Value     []byte
	Headers        []kmsg.Header
	TimestampDelta int64
}

// Options shape a batch. The zero value is an uncompressed,
// non-idempotent batch with FirstTimestamp 0.
type Options struct {
	Codec          record.Codec
	Xerial         bool // frame snappy as the Java client does
	FirstTimestamp int64
	Idempotent     bool // use ProducerID, ProducerEpoch, BaseSequence
	ProducerID     int64
	ProducerEpoch  int16
	BaseSequence   int32
	Transactional  bool
	Control        bool
}

// Batch encodes recs (at least one) into one batch with base offset 0.
func Batch(o Options, recs ...Rec) []byte {
	var raw []byte
	maxDelta := int64(0)
	for i, r := range recs {
		kr := kmsg.Record{
			TimestampDelta64: r.TimestampDelta,
			OffsetDelta:      int32(i),
			Key:              r.Key,
			Value:            r.Value,
			Headers:          r.Headers,
		}
		body := kr.AppendTo(nil)
		kr.Length = int32(len(body) - 1) // Length 0 took one varint byte
		raw = kr.AppendTo(raw)
		maxDelta = max(maxDelta, r.TimestampDelta)
	}
	attrs := int16(o.Codec)
	if o.Transactional {
		attrs |= 0x10
	}
	if o.Control {
		attrs |= 0x20
	}
	b := kmsg.RecordBatch{
		PartitionLeaderEpoch: -1,
		Magic:                2,
		Attributes:           attrs,
		LastOffsetDelta:      int32(len(recs) - 1),
		FirstTimestamp:       o.FirstTimestamp,
		MaxTimestamp:         o.FirstTimestamp + maxDelta,
		ProducerID:           -1,
		ProducerEpoch:        -1,
		FirstSequence:        -1,
		NumRecords:           int32(len(recs)),
		Records:              Compress(o.Codec, o.Xerial, raw),
	}
	if o.Idempotent {
		b.ProducerID, b.ProducerEpoch, b.FirstSequence = o.ProducerID, o.ProducerEpoch, o.BaseSequence
	}
	out := b.AppendTo(nil)
	binary.BigEndian.PutUint32(out[8:], uint32(len(out)-12))
	crc := crc32.Checksum(out[21:], crc32.MakeTable(crc32.Castagnoli))
	binary.BigEndian.PutUint32(out[17:], crc)
	return out
}

// Values builds an uncompressed batch of n records whose values are size
// bytes each, with first timestamp ts.
func Values(n, size int, ts int64) []byte {
	recs := make([]Rec, n)
	for i := range recs {
		v := bytes.Repeat([]byte{byte('a' + i%26)}, size)
		recs[i] = Rec{Key: []byte{byte(i)}, Value: v}
	}
	return Batch(Options{FirstTimestamp: ts}, recs...)
}

// Compress compresses raw records with c as producers do.
func Compress(c record.Codec, xerial bool, raw []byte) []byte {
	var buf bytes.Buffer
	switch c {
	case record.None:
		return raw
	case record.Gzip:
		w := gzip.NewWriter(&buf)
		w.Write(raw)
		w.Close()
	case record.Snappy:
		if !xerial {
			return s2.EncodeSnappy(nil, raw)
		}
		buf.Write([]byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1})
		for len(raw) > 0 {
			n := min(len(raw), 32<<10)
			blk := s2.EncodeSnappy(nil, raw[:n])
			buf.Write(binary.BigEndian.AppendUint32(nil, uint32(len(blk))))
			buf.Write(blk)
			raw = raw[n:]
		}
	case record.LZ4:
		w := lz4.NewWriter(&buf)
		w.Write(raw)
		w.Close()
	case record.Zstd:
		w, _ := zstd.NewWriter(nil)
		return w.EncodeAll(raw, nil)
	}
	return buf.Bytes()
}
