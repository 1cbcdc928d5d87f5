// Package record owns the Kafka record batch format (magic v2): parsing
// and validating batch headers on the produce path, the in-place rewrites
// the broker is allowed to make (base offset, partition leader epoch, log
// append time), and decoding of individual records, including
// decompression, for the few paths that need them (compaction, ListOffsets
// by timestamp, validation).
//
// Batch layout (big endian, offsets in bytes):
//
//	 0 baseOffset           int64  ┐ not covered by the CRC
//	 8 batchLength          int32  │ (bytes after this field)
//	12 partitionLeaderEpoch int32  │
//	16 magic                int8   │ (= 2)
//	17 crc                  uint32 ┘ CRC-32C of bytes 21..end
//	21 attributes           int16    bits 0-2 codec, 3 timestamp type,
//	                                 4 transactional, 5 control
//	23 lastOffsetDelta      int32
//	27 firstTimestamp       int64
//	35 maxTimestamp         int64
//	43 producerId           int64
//	51 producerEpoch        int16
//	53 baseSequence         int32
//	57 recordCount          int32
//	61 records...                    (compressed as a whole if codec != 0)
//
// Contracts: ParseHeader, Validate and Batches never allocate per batch
// and never read past their input; returned slices alias the input. The
// Set* functions modify a batch in place. Records copies nothing from an
// uncompressed batch: keys and values alias the batch.
//
// Concurrency: all functions are pure; callers must not modify a batch
// while another goroutine reads it.
package record
