package cli

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// Histogram records latencies in microseconds with bounded relative error,
// in constant memory, from many goroutines at once without a lock.
//
// Layout (HDR style): values below 2^(subBits+1) µs (1.024 ms) each have
// their own bucket, so sub-millisecond latencies are exact to the
// microsecond. Above that every power of two is split into 2^subBits equal
// buckets, which bounds the error of any reported percentile by
// 1/2^subBits (0.2%). The exact maximum and sum are kept beside the
// buckets, so max and mean are exact. A perf run of ten million records
// costs the same 135 KiB as a run of ten.
type Histogram struct {
	counts [numBuckets]atomic.Uint64
	n      atomic.Uint64
	sumUs  atomic.Uint64
	maxUs  atomic.Uint64
}

const (
	subBits    = 9
	subCount   = 1 << subBits
	maxShift   = 40 // 2^(40+subBits+1) µs is far beyond any useful latency
	numBuckets = (maxShift + 2) << subBits
)

// bucketOf maps a value to its bucket; see Histogram for the layout.
func bucketOf(v uint64) int {
	l := bits.Len64(v)
	if l <= subBits+1 {
		return int(v)
	}
	shift := l - (subBits + 1)
	if shift > maxShift {
		return numBuckets - 1
	}
	return (shift+1)<<subBits + int(v>>shift) - subCount
}

// bucketMid is a representative value of bucket i: its exact value in the
// linear range, its midpoint above it.
func bucketMid(i int) uint64 {
	if i < 2*subCount {
		return uint64(i)
	}
	shift := i>>subBits - 1
	low := uint64(i&(subCount-1)+subCount) << shift
	return low + (uint64(1)<<shift)/2
}

// Record adds one latency. Negative durations (clock steps between two
// goroutines' reads) count as zero rather than being dropped, so the count
// still equals the number of records.
func (h *Histogram) Record(d time.Duration) {
	us := uint64(0)
	if d > 0 {
		us = uint64(d / time.Microsecond)
	}
	h.counts[bucketOf(us)].Add(1)
	h.n.Add(1)
	h.sumUs.Add(us)
	for {
		m := h.maxUs.Load()
		if us <= m || h.maxUs.CompareAndSwap(m, us) {
			break
		}
	}
}

// Count is the number of recorded values.
func (h *Histogram) Count() uint64 { return h.n.Load() }

// Max is the largest recorded value.
func (h *Histogram) Max() time.Duration { return time.Duration(h.maxUs.Load()) * time.Microsecond }

// Mean is the exact arithmetic mean, zero when empty.
func (h *Histogram) Mean() time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	return time.Duration(h.sumUs.Load()/n) * time.Microsecond
}

// Quantile returns the value at quantile q in [0, 1] by the nearest-rank
// method: the smallest recorded value with at least ceil(q*n) values at or
// below it. It is meant to be called once recording has finished.
func (h *Histogram) Quantile(q float64) time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(n)))
	if rank < 1 {
		rank = 1
	}
	maxUs := h.maxUs.Load()
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			v := bucketMid(i)
			if v > maxUs {
				v = maxUs
			}
			return time.Duration(v) * time.Microsecond
		}
	}
	return time.Duration(maxUs) * time.Microsecond
}

// Window accumulates what one progress line reports: records, bytes and
// latency since the last Take. Safe for concurrent use.
type Window struct {
	n, bytes, sumUs, maxUs atomic.Int64
}

// Add counts one record of size bytes that took d.
func (w *Window) Add(bytes int, d time.Duration) {
	us := int64(d / time.Microsecond)
	if us < 0 {
		us = 0
	}
	w.n.Add(1)
	w.bytes.Add(int64(bytes))
	w.sumUs.Add(us)
	for {
		m := w.maxUs.Load()
		if us <= m || w.maxUs.CompareAndSwap(m, us) {
			break
		}
	}
}

// WindowStats is a snapshot taken by Window.Take.
type WindowStats struct {
	Records, Bytes int64
	Mean, Max      time.Duration
}

// Take returns the stats since the previous Take and starts a new window.
// A record added during Take may be split between two windows; progress
// lines tolerate that, the final summary does not use Window.
func (w *Window) Take() WindowStats {
	n := w.n.Swap(0)
	s := WindowStats{Records: n, Bytes: w.bytes.Swap(0)}
	sum := w.sumUs.Swap(0)
	s.Max = time.Duration(w.maxUs.Swap(0)) * time.Microsecond
	if n > 0 {
		s.Mean = time.Duration(sum/n) * time.Microsecond
	}
	return s
}
