package cli

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestBucketLayout checks that buckets are contiguous and that every value
// lands in a bucket whose representative is within the promised error.
func TestBucketLayout(t *testing.T) {
	prev := -1
	for v := uint64(0); v < 1<<20; v++ {
		b := bucketOf(v)
		if b != prev && b != prev+1 {
			t.Fatalf("bucketOf(%d) = %d after %d: gap", v, b, prev)
		}
		prev = b
		mid := bucketMid(b)
		diff := float64(mid) - float64(v)
		if diff < 0 {
			diff = -diff
		}
		if v > 0 && diff/float64(v) > 1.0/subCount {
			t.Fatalf("value %d reported as %d: error %.4f", v, mid, diff/float64(v))
		}
	}
	if b := bucketOf(1 << 62); b != numBuckets-1 {
		t.Fatalf("huge value in bucket %d, want last %d", b, numBuckets-1)
	}
}

// TestQuantilesAgainstSort compares the histogram with exact percentiles
// computed by sorting the same values.
func TestQuantilesAgainstSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h Histogram
	vals := make([]uint64, 100000)
	for i := range vals {
		vals[i] = uint64(r.ExpFloat64() * 3000) // µs, mean 3 ms, long tail
		h.Record(time.Duration(vals[i]) * time.Microsecond)
	}
	slices.Sort(vals)
	for _, q := range []float64{0.5, 0.95, 0.99, 0.999, 1} {
		idx := int(float64(len(vals))*q+0.999999) - 1
		want := float64(vals[idx])
		got := float64(h.Quantile(q) / time.Microsecond)
		if d := (got - want) / want; d > 0.005 || d < -0.005 {
			t.Errorf("q%.3f: got %v µs want %v µs", q, got, want)
		}
	}
	if h.Count() != uint64(len(vals)) {
		t.Fatalf("count %d", h.Count())
	}
	if got, want := h.Max(), time.Duration(vals[len(vals)-1])*time.Microsecond; got != want {
		t.Fatalf("max %v want %v", got, want)
	}
}

func TestHistogramConcurrent(t *testing.T) {
	var h Histogram
	var w Window
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				h.Record(time.Duration(g*1000+i) * time.Microsecond)
				w.Add(10, time.Millisecond)
			}
		}()
	}
	wg.Wait()
	if h.Count() != 8000 {
		t.Fatalf("count %d", h.Count())
	}
	if h.Max() != 7999*time.Microsecond {
		t.Fatalf("max %v", h.Max())
	}
	s := w.Take()
	if s.Records != 8000 || s.Bytes != 80000 || s.Mean != time.Millisecond {
		t.Fatalf("window %+v", s)
	}
	if s := w.Take(); s.Records != 0 {
		t.Fatalf("window not reset: %+v", s)
	}
}
