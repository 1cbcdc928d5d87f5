package log

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"

	"strom/internal/record"
)

// Batch attribute bits the cleaner reads or writes (see docs/storage.md).
const (
	attrCodecMask = 0x07
	// attrDeleteHorizon (KIP-534) says the batch's first timestamp holds
	// the delete horizon: tombstones in it may be removed by a cleaning
	// that starts at or after that time. Record timestamp deltas are
	// relative to it, so record timestamps are unchanged.
	attrDeleteHorizon = 0x40
)

// deleteHorizon returns the batch's delete horizon, if it has one.
func deleteHorizon(h record.Header) (int64, bool) {
	if h.Attributes&attrDeleteHorizon != 0 {
		return h.FirstTimestamp, true
	}
	return 0, false
}

// validateStored checks a batch read back from a segment: framing, CRC
// and codec, like record.Validate, but it accepts what compaction
// legitimately writes: fewer records than lastOffsetDelta+1 (the last
// offset is kept so producer sequences survive) and empty batches kept
// for producer state. Kafka's recovery likewise checks only CRC and
// sizes.
func validateStored(b []byte) (record.Header, error) {
	h, err := record.ParseHeader(b)
	if err != nil {
		return h, err
	}
	if h.Size() != len(b) {
		if h.Size() > len(b) {
			return h, record.ErrShortBatch
		}
		return h, fmt.Errorf("%w: batch size %d but %d bytes given", record.ErrCorrupt, h.Size(), len(b))
	}
	if c := crc32.Checksum(b[21:], castagnoli); c != h.CRC {
		return h, fmt.Errorf("%w: crc %#08x, computed %#08x", record.ErrCorrupt, h.CRC, c)
	}
	if h.LastOffsetDelta < 0 || h.NumRecords < 0 || int64(h.NumRecords) > int64(h.LastOffsetDelta)+1 {
		return h, fmt.Errorf("%w: %d records with last offset delta %d", record.ErrInvalidRecord, h.NumRecords, h.LastOffsetDelta)
	}
	if h.Compression() > record.Zstd {
		return h, fmt.Errorf("%w: unknown codec %d", record.ErrInvalidRecord, h.Compression())
	}
	return h, nil
}

// filterInput is what the cleaner knows when it filters one batch.
type filterInput struct {
	keys        *offsetMap
	mapEnd      int64 // records at or after this offset were not mapped: keep
	nowMs       int64
	deleteRetMs int64
	// retainEmpty keeps the batch header even if no record survives: it
	// holds the last sequence of an active producer, or it is the last
	// batch of the cleaning round.
	retainEmpty bool
	aborted     abortedSet // batches of aborted transactions: dropped
}

// filterStats counts what a filter pass did.
type filterStats struct {
	read, kept, tombstonesDropped int64
	minHorizon                    int64 // smallest delete horizon written or kept, 0 if none
}

// filterBatch applies Kafka's record retention rules (Cleaner.cleanInto,
// MemoryRecords.filterTo) to one batch and returns the bytes to write:
// the batch itself when nothing changes, a re-encoded batch when records
// were removed or a delete horizon must be stamped, an empty header when
// only retainEmpty keeps it, or nil to drop it. Offsets never change: the
// base offset, last offset delta, record offset deltas, producer id,
// epoch and base sequence are kept.
func filterBatch(h record.Header, batch []byte, in filterInput, st *filterStats) ([]byte, error) {
	if h.IsControl() {
		// Transaction markers stay untouched until transactions (and
		// their aborted-data bookkeeping) exist.
		return batch, nil
	}
	recs, err := record.Records(batch)
	if err != nil {
		return nil, fmt.Errorf("%w: batch at offset %d: %w", ErrCorrupt, h.BaseOffset, err)
	}
	horizon, hasHorizon := deleteHorizon(h)
	keep := make([]bool, len(recs))
	kept, tombstones := 0, false
	for i, r := range recs {
		st.read++
		off := h.BaseOffset + int64(r.OffsetDelta)
		k := retainRecord(r, off, in, hasHorizon, horizon)
		if !k && r.Key != nil && r.Value == nil {
			st.tombstonesDropped++
		}
		keep[i] = k
		if k {
			kept++
			tombstones = tombstones || r.Value == nil
		}
	}
	st.kept += int64(kept)
	needHorizon := tombstones && !hasHorizon
	switch {
	case kept == len(recs) && !needHorizon:
		if hasHorizon && tombstones {
			st.noteHorizon(horizon)
		}
		return batch, nil
	case kept > 0:
		if needHorizon {
			horizon, hasHorizon = in.nowMs+in.deleteRetMs, true
		}
		if hasHorizon && tombstones {
			st.noteHorizon(horizon)
		}
		return rebuildBatch(h, batch, recs, keep, hasHorizon, horizon)
	case in.retainEmpty:
		return emptyBatch(h), nil
	}
	return nil, nil
}

func (st *filterStats) noteHorizon(h int64) {
	if st.minHorizon == 0 || h < st.minHorizon {
		st.minHorizon = h
	}
}

// retainRecord is Kafka's Cleaner.shouldRetainRecord for v2 batches.
func retainRecord(r record.Record, off int64, in filterInput, hasHorizon bool, horizon int64) bool {
	if off >= in.mapEnd {
		return true // beyond what this round mapped: its key may be newer
	}
	if r.Key == nil {
		return false // a compacted log has no use for keyless records
	}
	if found, ok := in.keys.get(r.Key); ok && off < found {
		return false // superseded
	}
	if r.Value != nil {
		return true
	}
	return !hasHorizon || in.nowMs < horizon
}

// rebuildBatch re-encodes h with only the kept records, compressed with
// the batch's own codec. Record timestamps are preserved: the base
// timestamp becomes the delete horizon if there is one, else the first
// kept record's timestamp (as Kafka's MemoryRecordsBuilder does), and
// the deltas are recomputed against it.
func rebuildBatch(h record.Header, orig []byte, recs []record.Record, keep []bool, hasHorizon bool, horizon int64) ([]byte, error) {
	base := int64(0)
	first := true
	maxTs := int64(-1)
	for i, r := range recs {
		if !keep[i] {
			continue
		}
		ts := h.FirstTimestamp + r.TimestampDelta
		if first {
			base, first = ts, false
		}
		maxTs = max(maxTs, ts)
	}
	if hasHorizon {
		base = horizon
	}
	if h.LogAppendTime() {
		maxTs = h.MaxTimestamp
	}
	var raw []byte
	n := int32(0)
	for i, r := range recs {
		if !keep[i] {
			continue
		}
		raw = appendRecord(raw, r, h.FirstTimestamp+r.TimestampDelta-base)
		n++
	}
	payload, err := compress(h.Compression(), orig[record.HeaderSize:], raw)
	if err != nil {
		return nil, err
	}
	attrs := h.Attributes
	if hasHorizon {
		attrs |= attrDeleteHorizon
	}
	out := make([]byte, record.HeaderSize, record.HeaderSize+len(payload))
	putHeader(out, h, attrs, base, maxTs, n)
	out = append(out, payload...)
	sealBatch(out)
	return out, nil
}

// emptyBatch is Kafka's DefaultRecordBatch.writeEmptyHeader: the batch's
// offsets, producer fields and max timestamp with no records and no
// compression.
func emptyBatch(h record.Header) []byte {
	out := make([]byte, record.HeaderSize)
	putHeader(out, h, h.Attributes&^(attrCodecMask|attrDeleteHorizon), h.MaxTimestamp, h.MaxTimestamp, 0)
	sealBatch(out)
	return out
}

func putHeader(out []byte, h record.Header, attrs int16, firstTs, maxTs int64, n int32) {
	be := binary.BigEndian
	be.PutUint64(out[0:], uint64(h.BaseOffset))
	be.PutUint32(out[12:], uint32(h.PartitionLeaderEpoch))
	out[16] = 2
	be.PutUint16(out[21:], uint16(attrs))
	be.PutUint32(out[23:], uint32(h.LastOffsetDelta))
	be.PutUint64(out[27:], uint64(firstTs))
	be.PutUint64(out[35:], uint64(maxTs))
	be.PutUint64(out[43:], uint64(h.ProducerID))
	be.PutUint16(out[51:], uint16(h.ProducerEpoch))
	be.PutUint32(out[53:], uint32(h.BaseSequence))
	be.PutUint32(out[57:], uint32(n))
}

// sealBatch fills in the length and CRC of a whole batch.
func sealBatch(b []byte) {
	binary.BigEndian.PutUint32(b[8:], uint32(len(b)-12))
	binary.BigEndian.PutUint32(b[17:], crc32.Checksum(b[21:], castagnoli))
}

// appendRecord encodes one v2 record (length-prefixed, varints).
func appendRecord(dst []byte, r record.Record, tsDelta int64) []byte {
	var body []byte
	body = append(body, byte(r.Attributes))
	body = binary.AppendVarint(body, tsDelta)
	body = binary.AppendVarint(body, int64(r.OffsetDelta))
	body = appendBytes(body, r.Key)
	body = appendBytes(body, r.Value)
	body = binary.AppendVarint(body, int64(len(r.Headers)))
	for _, hd := range r.Headers {
		body = appendBytes(body, []byte(hd.Key))
		body = appendBytes(body, hd.Value)
	}
	dst = binary.AppendVarint(dst, int64(len(body)))
	return append(dst, body...)
}

func appendBytes(dst, b []byte) []byte {
	if b == nil {
		return binary.AppendVarint(dst, -1)
	}
	dst = binary.AppendVarint(dst, int64(len(b)))
	return append(dst, b...)
}

// Compressors are reused across batches: creating one allocates far
// more than a typical batch.
var (
	gzipPool sync.Pool
	lz4Pool  sync.Pool
)

var (
	zstdEncOnce sync.Once
	zstdEnc     *zstd.Encoder
	zstdEncErr  error
)

// xerialHeader is the snappy-java stream header the Java client writes.
var xerialHeader = []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1}

// compress compresses raw records with codec c. Snappy keeps the framing
// of the original payload (raw blocks, or xerial as the Java client
// writes) so that every client that read the original reads the copy.
func compress(c record.Codec, origPayload, raw []byte) ([]byte, error) {
	var buf bytes.Buffer
	switch c {
	case record.None:
		return raw, nil
	case record.Gzip:
		w, _ := gzipPool.Get().(*gzip.Writer)
		if w == nil {
			w = gzip.NewWriter(&buf)
		} else {
			w.Reset(&buf)
		}
		defer gzipPool.Put(w)
		if _, err := w.Write(raw); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
	case record.Snappy:
		if !bytes.HasPrefix(origPayload, xerialHeader[:8]) {
			return s2.EncodeSnappy(nil, raw), nil
		}
		buf.Write(xerialHeader)
		for len(raw) > 0 {
			n := min(len(raw), 32<<10)
			blk := s2.EncodeSnappy(nil, raw[:n])
			buf.Write(binary.BigEndian.AppendUint32(nil, uint32(len(blk))))
			buf.Write(blk)
			raw = raw[n:]
		}
	case record.LZ4:
		w, _ := lz4Pool.Get().(*lz4.Writer)
		if w == nil {
			w = lz4.NewWriter(&buf)
			// Kafka's Java client writes 64 KiB blocks; the default 4 MiB
			// would allocate that much per batch.
			if err := w.Apply(lz4.BlockSizeOption(lz4.Block64Kb)); err != nil {
				return nil, err
			}
		} else {
			w.Reset(&buf)
		}
		defer lz4Pool.Put(w)
		if _, err := w.Write(raw); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
	case record.Zstd:
		zstdEncOnce.Do(func() {
			// EncodeAll on one encoder is safe for concurrent use.
			zstdEnc, zstdEncErr = zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
		})
		if zstdEncErr != nil {
			return nil, zstdEncErr
		}
		return zstdEnc.EncodeAll(raw, nil), nil
	default:
		return nil, fmt.Errorf("%w: unknown codec %d", ErrCorrupt, c)
	}
	return buf.Bytes(), nil
}
