package record

import (
	"encoding/binary"
	"fmt"
)

// RecordHeader is one record header. A null value is a nil Value.
type RecordHeader struct {
	Key   string
	Value []byte
}

// Record is one decoded record. A null key or value is a nil slice; an
// empty one is a non-nil empty slice. Key and Value alias the batch (or
// its decompressed copy).
type Record struct {
	Attributes     int8
	OffsetDelta    int32
	TimestampDelta int64
	Key, Value     []byte
	Headers        []RecordHeader
}

// Records decodes the records of one whole batch, decompressing if
// needed. It checks the batch framing but not the CRC (call Validate for
// that) and that the number of records matches the header.
func Records(batch []byte) ([]Record, error) {
	h, err := ParseHeader(batch)
	if err != nil {
		return nil, err
	}
	if h.Size() > len(batch) {
		return nil, ErrShortBatch
	}
	data, err := decompress(h.Compression(), batch[HeaderSize:h.Size()])
	if err != nil {
		return nil, err
	}
	if h.NumRecords < 0 {
		return nil, fmt.Errorf("%w: negative record count %d", ErrInvalidRecord, h.NumRecords)
	}
	// A record takes at least 7 bytes; never trust the count for sizing.
	out := make([]Record, 0, min(int(h.NumRecords), len(data)/7))
	d := decoder{b: data}
	for i := int32(0); i < h.NumRecords; i++ {
		r, err := d.record()
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", i, err)
		}
		out = append(out, r)
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the last record", ErrInvalidRecord, len(d.b))
	}
	return out, nil
}

type decoder struct{ b []byte }

var errBadRecord = fmt.Errorf("%w: malformed record", ErrInvalidRecord)

func (d *decoder) varint() (int64, error) {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		return 0, errBadRecord
	}
	d.b = d.b[n:]
	return v, nil
}

// bytes reads a varint length then that many bytes; -1 means null.
func (d *decoder) bytes() ([]byte, error) {
	l, err := d.varint()
	if err != nil {
		return nil, err
	}
	if l < 0 {
		if l != -1 {
			return nil, errBadRecord
		}
		return nil, nil
	}
	if l > int64(len(d.b)) {
		return nil, errBadRecord
	}
	v := d.b[:l:l]
	d.b = d.b[l:]
	return v, nil
}

func (d *decoder) record() (Record, error) {
	var r Record
	length, err := d.varint()
	if err != nil {
		return r, err
	}
	if length < 1 || length > int64(len(d.b)) {
		return r, errBadRecord
	}
	body := decoder{b: d.b[:length]}
	d.b = d.b[length:]

	r.Attributes = int8(body.b[0])
	body.b = body.b[1:]
	if r.TimestampDelta, err = body.varint(); err != nil {
		return r, err
	}
	od, err := body.varint()
	if err != nil {
		return r, err
	}
	if od < 0 || od > 1<<31-1 {
		return r, errBadRecord
	}
	r.OffsetDelta = int32(od)
	if r.Key, err = body.bytes(); err != nil {
		return r, err
	}
	if r.Value, err = body.bytes(); err != nil {
		return r, err
	}
	nh, err := body.varint()
	if err != nil {
		return r, err
	}
	if nh < 0 || nh > int64(len(body.b))/2 {
		return r, errBadRecord
	}
	if nh > 0 {
		r.Headers = make([]RecordHeader, 0, nh)
	}
	for i := int64(0); i < nh; i++ {
		k, err := body.bytes()
		if err != nil {
			return r, err
		}
		if k == nil {
			return r, errBadRecord
		}
		v, err := body.bytes()
		if err != nil {
			return r, err
		}
		r.Headers = append(r.Headers, RecordHeader{Key: string(k), Value: v})
	}
	if len(body.b) != 0 {
		return r, errBadRecord
	}
	return r, nil
}
