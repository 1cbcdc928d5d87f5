package record

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// MaxDecompressedSize bounds the decompressed size of one batch so that a
// small hostile batch cannot make the broker allocate without limit.
const MaxDecompressedSize = 256 << 20

// ErrTooLarge means a batch decompresses to more than MaxDecompressedSize.
var ErrTooLarge = errors.New("record: decompressed batch too large")

// xerialMagic starts snappy data framed by the Java client's
// snappy-java stream: magic, then version and compatible version (int32
// each), then chunks of (int32 big endian length, raw snappy block).
var xerialMagic = []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}

const xerialHeaderLen = 16

var (
	zstdOnce sync.Once
	zstdDec  *zstd.Decoder
	zstdErr  error
)

// decompress returns the decompressed records section of a batch.
func decompress(c Codec, src []byte) ([]byte, error) {
	switch c {
	case None:
		return src, nil
	case Gzip:
		r, err := gzip.NewReader(bytes.NewReader(src))
		if err != nil {
			return nil, fmt.Errorf("%w: gzip: %w", ErrCorrupt, err)
		}
		return readBounded(r, "gzip")
	case Snappy:
		return decodeSnappy(src)
	case LZ4:
		return readBounded(lz4.NewReader(bytes.NewReader(src)), "lz4")
	case Zstd:
		zstdOnce.Do(func() {
			// DecodeAll on one decoder is safe for concurrent use.
			zstdDec, zstdErr = zstd.NewReader(nil,
				zstd.WithDecoderConcurrency(0),
				zstd.WithDecoderMaxMemory(MaxDecompressedSize))
		})
		if zstdErr != nil {
			return nil, zstdErr
		}
		out, err := zstdDec.DecodeAll(src, nil)
		if err != nil {
			return nil, fmt.Errorf("%w: zstd: %w", ErrCorrupt, err)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: unknown codec %d", ErrInvalidRecord, c)
}

func readBounded(r io.Reader, name string) ([]byte, error) {
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(r, MaxDecompressedSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrCorrupt, name, err)
	}
	if n > MaxDecompressedSize {
		return nil, ErrTooLarge
	}
	return buf.Bytes(), nil
}

// decodeSnappy accepts both raw snappy blocks (as librdkafka and franz-go
// write by default) and xerial framing (as the Java client writes).
func decodeSnappy(src []byte) ([]byte, error) {
	if len(src) < xerialHeaderLen || !bytes.HasPrefix(src, xerialMagic) {
		return snappyBlock(nil, src)
	}
	var out []byte
	for rest := src[xerialHeaderLen:]; len(rest) > 0; {
		if len(rest) < 4 {
			return nil, fmt.Errorf("%w: truncated xerial chunk length", ErrCorrupt)
		}
		n := binary.BigEndian.Uint32(rest)
		rest = rest[4:]
		if uint64(n) > uint64(len(rest)) {
			return nil, fmt.Errorf("%w: xerial chunk of %d bytes beyond input", ErrCorrupt, n)
		}
		var err error
		if out, err = snappyBlock(out, rest[:n]); err != nil {
			return nil, err
		}
		rest = rest[n:]
	}
	return out, nil
}

// snappyBlock appends the decoding of one raw snappy block to dst.
func snappyBlock(dst, block []byte) ([]byte, error) {
	l, err := s2.DecodedLen(block)
	if err != nil {
		return nil, fmt.Errorf("%w: snappy: %w", ErrCorrupt, err)
	}
	if l > MaxDecompressedSize-len(dst) {
		return nil, ErrTooLarge
	}
	start := len(dst)
	if cap(dst)-start < l {
		grown := make([]byte, start, start+l)
		copy(grown, dst)
		dst = grown
	}
	if _, err := s2.Decode(dst[start:start+l], block); err != nil {
		return nil, fmt.Errorf("%w: snappy: %w", ErrCorrupt, err)
	}
	return dst[:start+l], nil
}
