package replica

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"strom/internal/config"
	plog "strom/internal/log"
	"strom/internal/metadata"
	"strom/internal/record"
)

// Partition is one partition this broker leads.
type Partition struct {
	Topic   string
	Index   int32
	TopicID metadata.TopicID

	m   *Manager
	log *plog.Log

	hwm         atomic.Int64
	leaderEpoch atomic.Int32
	failed      atomic.Pointer[error]
	cfg         atomic.Pointer[config.Topic]

	// appendMu serialises appends so that offsets, producer sequences and
	// the dirty flag stay consistent.
	appendMu  sync.Mutex
	unflushed int64        // records appended since the last flush; guarded by appendMu
	dirty     atomic.Bool  // appended since the last sync
	flushNow  atomic.Bool  // the next flusher round must sync this partition
	lastFlush atomic.Int64 // unix nanos
}

// AppendResult reports where a produce request's batches landed.
type AppendResult struct {
	FirstOffset   int64
	LastOffset    int64
	LogAppendTime int64 // -1 unless the topic uses LogAppendTime
	LogStart      int64
}

// Config returns the topic's effective configuration.
func (p *Partition) Config() config.Topic { return *p.cfg.Load() }

// LeaderEpoch is the partition's current leader epoch.
func (p *Partition) LeaderEpoch() int32 { return p.leaderEpoch.Load() }

// HighWatermark is the offset below which records are committed and visible.
func (p *Partition) HighWatermark() int64 { return p.hwm.Load() }

// LogStartOffset is the first offset still in the log.
func (p *Partition) LogStartOffset() int64 { return p.log.StartOffset() }

// LogEndOffset is the next offset to be assigned.
func (p *Partition) LogEndOffset() int64 { return p.log.EndOffset() }

// Size is the log's size on disk in bytes.
func (p *Partition) Size() int64 { return p.log.Size() }

// Err reports why the partition is offline, or nil.
func (p *Partition) Err() error {
	if e := p.failed.Load(); e != nil {
		return *e
	}
	return nil
}

func (p *Partition) fail(err error) {
	wrapped := fmt.Errorf("%w: %s-%d: %v", ErrStorage, p.Topic, p.Index, err)
	if p.failed.CompareAndSwap(nil, &wrapped) {
		p.m.logger.Error("partition offline after storage error", "topic", p.Topic, "partition", p.Index, "err", err)
		p.m.notify()
	}
}

// Append validates and appends the batches of one produce request.
// It returns once the batches are in the log (not necessarily on disk);
// WaitCommitted waits for the high watermark.
func (p *Partition) Append(batches []byte, now time.Time) (AppendResult, error) {
	if err := p.Err(); err != nil {
		return AppendResult{}, err
	}
	cfg := p.Config()
	hdrs, raw, err := record.Batches(batches)
	if err != nil {
		return AppendResult{}, err
	}
	for i := range raw {
		if int64(len(raw[i])) > int64(cfg.MaxMessageBytes) {
			return AppendResult{}, fmt.Errorf("%w: batch of %d bytes exceeds max.message.bytes %d", ErrMessageTooLarge, len(raw[i]), cfg.MaxMessageBytes)
		}
		if cfg.Compact {
			if err := p.checkKeys(raw[i], hdrs[i]); err != nil {
				return AppendResult{}, err
			}
		}
	}
	res := AppendResult{FirstOffset: -1, LogAppendTime: -1}
	p.appendMu.Lock()
	defer p.appendMu.Unlock()
	var records int64
	for i := range raw {
		r, err := p.log.Append(raw[i], now, plog.AppendOptions{LogAppendTime: cfg.LogAppendTime, LeaderEpoch: p.LeaderEpoch()})
		if err != nil {
			if errors.Is(err, plog.ErrStorage) {
				p.fail(err)
			}
			if i == 0 {
				return AppendResult{}, err
			}
			break
		}
		if res.FirstOffset < 0 {
			res.FirstOffset = r.FirstOffset
		}
		res.LastOffset = r.LastOffset
		if r.LogAppendTime >= 0 {
			res.LogAppendTime = r.LogAppendTime
		}
		if !r.Duplicate {
			records += int64(hdrs[i].NumRecords)
		}
	}
	res.LogStart = p.log.StartOffset()
	p.afterAppendLocked(records, cfg)
	return res, nil
}

// afterAppendLocked decides who makes the new records committed: the
// group-commit flusher (sync mode) or nobody but the clock (relaxed mode).
func (p *Partition) afterAppendLocked(records int64, cfg config.Topic) {
	if records == 0 {
		return
	}
	p.dirty.Store(true)
	if cfg.FlushMessages <= 1 {
		p.flushNow.Store(true)
		p.m.wakeFlusher()
		return
	}
	p.unflushed += records
	p.advanceHWM(p.log.EndOffset())
	if p.unflushed >= cfg.FlushMessages {
		p.unflushed = 0
		p.flushNow.Store(true)
		p.m.wakeFlusher()
	}
}

func (p *Partition) advanceHWM(to int64) {
	for {
		cur := p.hwm.Load()
		if to <= cur {
			return
		}
		if p.hwm.CompareAndSwap(cur, to) {
			p.m.notify()
			return
		}
	}
}

// flush syncs the log and, in sync mode, moves the high watermark to what
// the sync covered. Called only by the flusher goroutine.
func (p *Partition) flush() {
	if p.Err() != nil {
		return
	}
	end := p.log.EndOffset()
	if err := p.log.Sync(); err != nil {
		p.fail(err)
		return
	}
	p.lastFlush.Store(time.Now().UnixNano())
	p.advanceHWM(end)
}

// WaitCommitted blocks until offset is below the high watermark, the
// partition fails, or ctx ends.
func (p *Partition) WaitCommitted(ctx context.Context, offset int64) error {
	for {
		ch := p.m.Signal()
		if p.HighWatermark() > offset {
			return nil
		}
		if err := p.Err(); err != nil {
			return err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-p.m.closed:
			return ErrClosed
		}
	}
}

// Read returns whole batches starting with the one containing offset,
// bounded by maxBytes (at least one batch) and by the high watermark.
func (p *Partition) Read(offset int64, maxBytes int32) ([]byte, error) {
	return p.log.Read(offset, maxBytes, p.HighWatermark())
}

// DeleteRecords moves the log start offset forward; -1 means the high watermark.
func (p *Partition) DeleteRecords(offset int64) (int64, error) {
	hwm := p.HighWatermark()
	if offset == -1 {
		offset = hwm
	}
	if offset < 0 || offset > hwm {
		return -1, plog.ErrOffsetOutOfRange
	}
	if err := p.log.SetStartOffset(offset); err != nil {
		if errors.Is(err, plog.ErrStorage) {
			p.fail(err)
		}
		return -1, err
	}
	return p.log.StartOffset(), nil
}

// OffsetForTimestamp finds the first committed record at or after ts.
func (p *Partition) OffsetForTimestamp(ts int64) (offset, timestamp int64, found bool) {
	off, t, ok := p.log.OffsetForTimestamp(ts)
	if !ok || off >= p.HighWatermark() {
		return -1, -1, false
	}
	return off, t, true
}

// MaxTimestamp returns the committed record with the largest timestamp.
func (p *Partition) MaxTimestamp() (offset, timestamp int64) {
	off, ts := p.log.MaxTimestamp()
	if off >= p.HighWatermark() {
		return -1, -1
	}
	return off, ts
}

// EndOffsetForEpoch answers OffsetForLeaderEpoch: the end offset of the
// largest epoch at or below epoch, and that epoch.
func (p *Partition) EndOffsetForEpoch(epoch int32) (int64, int32) {
	return p.log.EndOffsetForEpoch(epoch)
}

// LastStableOffset is where read_committed consumers stop: the high
// watermark, or the first offset of the oldest open transaction if that
// is lower (KIP-98).
func (p *Partition) LastStableOffset() int64 {
	hwm := p.HighWatermark()
	if first, ok := p.log.FirstUnstableOffset(); ok && first < hwm {
		return first
	}
	return hwm
}

// ReadCommitted is Read for read_committed consumers: bounded by the last
// stable offset instead of the high watermark.
func (p *Partition) ReadCommitted(offset int64, maxBytes int32) ([]byte, error) {
	return p.log.Read(offset, maxBytes, p.LastStableOffset())
}

// AbortedTxns lists the aborted transactions that may cover [from, to).
func (p *Partition) AbortedTxns(from, to int64) []plog.AbortedTxn {
	return p.log.AbortedTxns(from, to)
}

// Producers lists the producer state of this partition (DescribeProducers).
func (p *Partition) Producers() []plog.ProducerState { return p.log.Producers() }

// AppendControl appends an end-transaction marker (COMMIT or ABORT) for
// producerID/epoch; the transaction coordinator is its only caller. Like
// Append it returns once the marker is in the log; WaitCommitted waits
// for it to be durable. A marker with an epoch older than the producer's
// is refused (the producer was fenced after this transaction began).
func (p *Partition) AppendControl(producerID int64, epoch int16, commit bool, now time.Time) (int64, error) {
	if err := p.Err(); err != nil {
		return -1, err
	}
	batch := plog.MarkerBatch(producerID, epoch, commit, 0, now)
	p.appendMu.Lock()
	defer p.appendMu.Unlock()
	r, err := p.log.Append(batch, now, plog.AppendOptions{LeaderEpoch: p.LeaderEpoch()})
	if err != nil {
		if errors.Is(err, plog.ErrStorage) {
			p.fail(err)
		}
		return -1, err
	}
	p.afterAppendLocked(1, p.Config())
	return r.LastOffset, nil
}
