package record

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// HeaderSize is the size of a v2 batch header, up to the first record.
const HeaderSize = 61

// lengthOffset is the number of bytes before the batch length field
// counts: baseOffset and the length field itself.
const lengthOffset = 12

// Field offsets in a v2 batch.
const (
	offBaseOffset      = 0
	offLength          = 8
	offLeaderEpoch     = 12
	offMagic           = 16
	offCRC             = 17
	offAttributes      = 21
	offLastOffsetDelta = 23
	offFirstTimestamp  = 27
	offMaxTimestamp    = 35
	offProducerID      = 43
	offProducerEpoch   = 51
	offBaseSequence    = 53
	offNumRecords      = 57
)

// Sentinel errors. Each names a class the API layer maps to a Kafka code.
var (
	// ErrShortBatch means the input ends before the batch does.
	ErrShortBatch = errors.New("record: short batch")
	// ErrCorrupt means a batch fails its CRC or framing (CORRUPT_MESSAGE).
	ErrCorrupt = errors.New("record: corrupt batch")
	// ErrUnsupportedMagic means a batch is not magic v2
	// (UNSUPPORTED_FOR_MESSAGE_FORMAT).
	ErrUnsupportedMagic = errors.New("record: unsupported magic")
	// ErrInvalidRecord means a well-framed batch with inconsistent content
	// (INVALID_RECORD).
	ErrInvalidRecord = errors.New("record: invalid record")
)

// Codec is a batch compression codec (attributes bits 0-2).
type Codec int8

// Codecs as numbered in the batch attributes.
const (
	None   Codec = 0
	Gzip   Codec = 1
	Snappy Codec = 2
	LZ4    Codec = 3
	Zstd   Codec = 4
)

func (c Codec) String() string {
	switch c {
	case None:
		return "none"
	case Gzip:
		return "gzip"
	case Snappy:
		return "snappy"
	case LZ4:
		return "lz4"
	case Zstd:
		return "zstd"
	}
	return fmt.Sprintf("codec(%d)", int8(c))
}

// Attribute bits.
const (
	attrCodecMask     = 0x07
	attrLogAppendTime = 0x08
	attrTransactional = 0x10
	attrControl       = 0x20
)

// Header is a parsed v2 batch header.
type Header struct {
	BaseOffset           int64
	Length               int32 // bytes after the Length field
	PartitionLeaderEpoch int32
	Magic                int8
	CRC                  uint32
	Attributes           int16
	LastOffsetDelta      int32
	FirstTimestamp       int64
	MaxTimestamp         int64
	ProducerID           int64
	ProducerEpoch        int16
	BaseSequence         int32
	NumRecords           int32
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ParseHeader parses the header at the start of b. It checks only what the
// header itself can tell: b holds a whole header (ErrShortBatch), the magic
// is 2 (ErrUnsupportedMagic) and the length can hold a header (ErrCorrupt).
// It does not check that b holds the whole batch or the CRC; see Validate.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, ErrShortBatch
	}
	be := binary.BigEndian
	h := Header{
		BaseOffset:           int64(be.Uint64(b[offBaseOffset:])),
		Length:               int32(be.Uint32(b[offLength:])),
		PartitionLeaderEpoch: int32(be.Uint32(b[offLeaderEpoch:])),
		Magic:                int8(b[offMagic]),
		CRC:                  be.Uint32(b[offCRC:]),
		Attributes:           int16(be.Uint16(b[offAttributes:])),
		LastOffsetDelta:      int32(be.Uint32(b[offLastOffsetDelta:])),
		FirstTimestamp:       int64(be.Uint64(b[offFirstTimestamp:])),
		MaxTimestamp:         int64(be.Uint64(b[offMaxTimestamp:])),
		ProducerID:           int64(be.Uint64(b[offProducerID:])),
		ProducerEpoch:        int16(be.Uint16(b[offProducerEpoch:])),
		BaseSequence:         int32(be.Uint32(b[offBaseSequence:])),
		NumRecords:           int32(be.Uint32(b[offNumRecords:])),
	}
	if h.Magic != 2 {
		return h, fmt.Errorf("%w: %d", ErrUnsupportedMagic, h.Magic)
	}
	if h.Length < HeaderSize-lengthOffset {
		return h, fmt.Errorf("%w: batch length %d below header size", ErrCorrupt, h.Length)
	}
	return h, nil
}

// Size is the total size of the batch in bytes, header included.
func (h Header) Size() int { return int(h.Length) + lengthOffset }

// Compression returns the batch's codec.
func (h Header) Compression() Codec { return Codec(h.Attributes & attrCodecMask) }

// LogAppendTime reports whether the timestamp type is LogAppendTime, in
// which case every record's timestamp is MaxTimestamp.
func (h Header) LogAppendTime() bool { return h.Attributes&attrLogAppendTime != 0 }

// IsTransactional reports whether the batch belongs to a transaction.
func (h Header) IsTransactional() bool { return h.Attributes&attrTransactional != 0 }

// IsControl reports whether the batch holds a control record (a
// transaction marker).
func (h Header) IsControl() bool { return h.Attributes&attrControl != 0 }

// LastOffset is the offset of the last record in the batch.
func (h Header) LastOffset() int64 { return h.BaseOffset + int64(h.LastOffsetDelta) }

// LastSequence is the sequence number of the last record, wrapping around
// at math.MaxInt32 as producers do.
func (h Header) LastSequence() int32 {
	return int32((int64(h.BaseSequence) + int64(h.LastOffsetDelta)) % (1 << 31))
}

// Validate checks that b is exactly one whole batch: header, framing
// (len(b) equals the batch size), CRC-32C, and record count consistency.
func Validate(b []byte) (Header, error) {
	h, err := ParseHeader(b)
	if err != nil {
		return h, err
	}
	if h.Size() != len(b) {
		if h.Size() > len(b) {
			return h, ErrShortBatch
		}
		return h, fmt.Errorf("%w: batch size %d but %d bytes given", ErrCorrupt, h.Size(), len(b))
	}
	if c := crc32.Checksum(b[offAttributes:], castagnoli); c != h.CRC {
		return h, fmt.Errorf("%w: crc %#08x, computed %#08x", ErrCorrupt, h.CRC, c)
	}
	if h.NumRecords < 1 || h.LastOffsetDelta != h.NumRecords-1 {
		return h, fmt.Errorf("%w: %d records with last offset delta %d", ErrInvalidRecord, h.NumRecords, h.LastOffsetDelta)
	}
	if h.Compression() > Zstd {
		return h, fmt.Errorf("%w: unknown codec %d", ErrInvalidRecord, h.Compression())
	}
	return h, nil
}

// Batches splits a produce payload of one or more concatenated batches and
// validates each (see Validate). The returned sub-slices alias b.
func Batches(b []byte) ([]Header, [][]byte, error) {
	var (
		hs  []Header
		bs  [][]byte
		err error
	)
	err = Each(b, func(h Header, batch []byte) error {
		hs = append(hs, h)
		bs = append(bs, batch)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return hs, bs, nil
}

// Each is the allocation-free form of Batches: it calls fn for each valid
// batch in b in order, stopping at the first error (from validation or fn).
// An empty payload is ErrShortBatch: a produce request must carry data.
func Each(b []byte, fn func(h Header, batch []byte) error) error {
	if len(b) == 0 {
		return ErrShortBatch
	}
	for len(b) > 0 {
		h, err := ParseHeader(b)
		if err != nil {
			return err
		}
		if h.Size() > len(b) {
			return ErrShortBatch
		}
		batch := b[:h.Size():h.Size()]
		if h, err = Validate(batch); err != nil {
			return err
		}
		if err := fn(h, batch); err != nil {
			return err
		}
		b = b[h.Size():]
	}
	return nil
}

// SetBaseOffset rewrites the batch's base offset. The field is outside the
// CRC, so nothing else changes. batch must hold at least a header.
func SetBaseOffset(batch []byte, off int64) {
	binary.BigEndian.PutUint64(batch[offBaseOffset:], uint64(off))
}

// SetPartitionLeaderEpoch rewrites the partition leader epoch, which is
// outside the CRC.
func SetPartitionLeaderEpoch(batch []byte, epoch int32) {
	binary.BigEndian.PutUint32(batch[offLeaderEpoch:], uint32(epoch))
}

// SetLogAppendTime marks the batch as LogAppendTime with timestamp ts (in
// milliseconds): it sets the timestamp type bit, first and max timestamp
// to ts, and recomputes the CRC. batch must be one whole batch.
func SetLogAppendTime(batch []byte, ts int64) {
	be := binary.BigEndian
	attrs := be.Uint16(batch[offAttributes:]) | attrLogAppendTime
	be.PutUint16(batch[offAttributes:], attrs)
	be.PutUint64(batch[offFirstTimestamp:], uint64(ts))
	be.PutUint64(batch[offMaxTimestamp:], uint64(ts))
	be.PutUint32(batch[offCRC:], crc32.Checksum(batch[offAttributes:], castagnoli))
}

// ComputeCRC returns the CRC-32C the batch should carry.
func ComputeCRC(batch []byte) uint32 {
	return crc32.Checksum(batch[offAttributes:], castagnoli)
}
