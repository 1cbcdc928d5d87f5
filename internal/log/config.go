package log

import "math"

// Config holds the per-log settings, named after Kafka's topic configs.
type Config struct {
	SegmentBytes       int64 // segment.bytes: roll before the active segment would exceed this
	SegmentMs          int64 // segment.ms: roll when the active segment's first batch is older
	IndexIntervalBytes int32 // index.interval.bytes: bytes between offset/time index entries
	MaxIndexBytes      int32 // segment.index.bytes: roll when an index would exceed this
	RetentionMs        int64 // retention.ms, -1 = unlimited
	RetentionBytes     int64 // retention.bytes, -1 = unlimited
	// ProducerIDExpirationMs (producer.id.expiration.ms) drops idempotent
	// producer state not used for this long, at ApplyRetention. 0 means
	// the default (1 day); -1 never.
	ProducerIDExpirationMs int64
}

// DefaultConfig returns Kafka's defaults.
func DefaultConfig() Config {
	return Config{
		SegmentBytes:           1 << 30,
		SegmentMs:              7 * 24 * 3600 * 1000,
		IndexIntervalBytes:     4096,
		MaxIndexBytes:          10 << 20,
		RetentionMs:            7 * 24 * 3600 * 1000,
		RetentionBytes:         -1,
		ProducerIDExpirationMs: 24 * 3600 * 1000,
	}
}

// normalized fills zero values with defaults and clamps values the file
// format cannot represent (positions are uint32).
func (c Config) normalized() Config {
	d := DefaultConfig()
	if c.SegmentBytes <= 0 {
		c.SegmentBytes = d.SegmentBytes
	}
	c.SegmentBytes = min(c.SegmentBytes, math.MaxUint32)
	if c.SegmentMs <= 0 {
		c.SegmentMs = d.SegmentMs
	}
	if c.IndexIntervalBytes <= 0 {
		c.IndexIntervalBytes = d.IndexIntervalBytes
	}
	if c.MaxIndexBytes < timeEntrySize {
		c.MaxIndexBytes = d.MaxIndexBytes
	}
	if c.ProducerIDExpirationMs == 0 {
		c.ProducerIDExpirationMs = d.ProducerIDExpirationMs
	}
	return c
}
