package replica

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"strom/internal/config"
	plog "strom/internal/log"
	"strom/internal/record"
)

// ErrInvalidRecord: a batch holds a record the topic cannot take, such
// as a record without a key on a compacted topic (INVALID_RECORD).
var ErrInvalidRecord = errors.New("invalid record")

// invalidRecordError carries Kafka's message for the client while
// matching ErrInvalidRecord.
type invalidRecordError struct{ msg string }

func (e *invalidRecordError) Error() string { return e.msg }
func (e *invalidRecordError) Unwrap() error { return ErrInvalidRecord }

// checkKeys rejects a produce to a compacted topic holding a record
// without a key, as Kafka's LogValidator does: the cleaner could never
// keep such a record, so it is refused at the door. Only compacted
// topics pay for decoding (and decompressing) the records.
func (p *Partition) checkKeys(batch []byte, h record.Header) error {
	if h.IsControl() {
		return nil
	}
	recs, err := record.Records(batch)
	if err != nil {
		return err
	}
	for _, r := range recs {
		if r.Key == nil {
			return &invalidRecordError{fmt.Sprintf("Compacted topic cannot accept message without key in topic partition %s-%d.", p.Topic, p.Index)}
		}
	}
	return nil
}

// defaultCleanerBackoff is Kafka's log.cleaner.backoff.ms.
const defaultCleanerBackoff = 15 * time.Second

// cleanerBackoff reads log.cleaner.backoff.ms (accepted by config as a
// Kafka key without a typed field) from the raw broker properties.
func cleanerBackoff(b *config.Broker) time.Duration {
	if b != nil {
		if v, ok := b.Raw["log.cleaner.backoff.ms"]; ok {
			if ms, err := strconv.ParseInt(v, 10, 64); err == nil && ms > 0 {
				return time.Duration(ms) * time.Millisecond
			}
		}
	}
	return defaultCleanerBackoff
}

// cleaner is the background log cleaner (Kafka's CleanerThread): every
// log.cleaner.backoff.ms it runs one pass over the compacted partitions.
func (m *Manager) cleaner() {
	defer m.wg.Done()
	tick := time.NewTicker(cleanerBackoff(m.cfg.Broker))
	defer tick.Stop()
	for {
		select {
		case <-m.closed:
			return
		case <-tick.C:
		}
		m.RunCleaner(time.Now())
	}
}

// CleanerResult summarises one cleaner pass.
type CleanerResult struct {
	Partitions int // partitions compacted
	Groups     int // segments swapped in
	BytesFreed int64
}

// RunCleaner runs one cleaner pass at now: each compacted partition
// whose dirty ratio exceeds min.cleanable.dirty.ratio (or whose oldest
// dirty record passed max.compaction.lag.ms) gets one cleaning round,
// filthiest first. A round's work is bounded by the offset map size; a
// partition with more to do gets another round on the next pass. It
// returns early when the manager closes. Tests call it directly.
func (m *Manager) RunCleaner(now time.Time) CleanerResult {
	type due struct {
		p     *Partition
		cc    plog.CompactConfig
		ratio float64
	}
	var todo []due
	for _, p := range m.All() {
		cfg := p.Config()
		if p.Err() != nil || !cfg.Compact {
			continue
		}
		cc := plog.CompactConfig{
			DeleteRetentionMs:      cfg.DeleteRetentionMs,
			MinCompactionLagMs:     cfg.MinCompactionLagMs,
			MaxCompactionLagMs:     cfg.MaxCompactionLagMs,
			MinCleanableDirtyRatio: cfg.MinCleanableDirtyRatio,
		}
		c, err := p.log.Cleanable(now, p.LastStableOffset(), cc)
		if err != nil {
			m.cleanerFailed(p, err)
			continue
		}
		if c.Due(cc.MinCleanableDirtyRatio) {
			todo = append(todo, due{p, cc, c.Ratio()})
		}
	}
	sort.Slice(todo, func(i, j int) bool { return todo[i].ratio > todo[j].ratio })
	var res CleanerResult
	for _, d := range todo {
		select {
		case <-m.closed:
			return res
		default:
		}
		r, err := d.p.log.Compact(now, d.p.LastStableOffset(), d.cc)
		if err != nil {
			m.cleanerFailed(d.p, err)
			continue
		}
		if r.Groups > 0 {
			res.Partitions++
			res.Groups += r.Groups
			res.BytesFreed += r.BytesBefore - r.BytesAfter
			m.logger.Info("compacted partition", "topic", d.p.Topic, "partition", d.p.Index,
				"bytes_before", r.BytesBefore, "bytes_after", r.BytesAfter, "records_kept", r.RecordsKept,
				"tombstones_dropped", r.TombstonesDropped)
		}
	}
	return res
}

func (m *Manager) cleanerFailed(p *Partition, err error) {
	switch {
	case errors.Is(err, plog.ErrClosed):
	case errors.Is(err, plog.ErrStorage):
		p.fail(err)
	default:
		m.logger.Warn("log cleaning failed", "topic", p.Topic, "partition", p.Index, "err", err)
	}
}
