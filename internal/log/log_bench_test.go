package log_test

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"strom/internal/log"
	"strom/internal/record/recordtest"
	"strom/internal/vfs"
)

// The partition log's share of scenario (a) of bench/run.sh, without the
// network: append 64 KiB batches (64 records of 1 KiB), with and without an
// fsync per batch, and read them back as a fetch would.
//
//	go test ./internal/log -run '^$' -bench 'Batch64K|Fetch1MiB' -benchmem
//
// The log lives on the real filesystem under the test's temporary
// directory, so Sync is a real fsync and its figure depends on the disk.
// (vfs.NewMem is no guide to CPU cost: it copies to model crashes.)

func openBench(b *testing.B) *log.Log {
	b.Helper()
	l, err := log.Open(vfs.Default, b.TempDir(), log.DefaultConfig(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	return l
}

func BenchmarkAppendBatch64K(b *testing.B) {
	batch := recordtest.Values(64, 1024, time.Now().UnixMilli())
	for _, sync := range []bool{false, true} {
		name := "nosync"
		if sync {
			name = "fsync-each"
		}
		b.Run(name, func(b *testing.B) {
			l := openBench(b)
			buf := make([]byte, len(batch))
			b.SetBytes(int64(len(batch)))
			now := time.Now()
			for b.Loop() {
				copy(buf, batch) // Append rewrites the batch in place
				if _, err := l.Append(buf, now, log.AppendOptions{}); err != nil {
					b.Fatal(err)
				}
				if sync {
					if err := l.Sync(); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

func BenchmarkReadFetch1MiB(b *testing.B) {
	batch := recordtest.Values(64, 1024, time.Now().UnixMilli())
	const batches = 256 // 16 MiB
	l := openBench(b)
	buf := make([]byte, len(batch))
	now := time.Now()
	for range batches {
		copy(buf, batch)
		if _, err := l.Append(buf, now, log.AppendOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	if err := l.Sync(); err != nil {
		b.Fatal(err)
	}
	end := int64(batches * 64)
	// 1 MiB per read: strom perf's consumer allows 8 MiB per partition,
	// but a partition rarely has that much new data per fetch.
	const maxBytes = 1 << 20
	b.SetBytes(maxBytes)
	b.ReportAllocs()
	off := int64(0)
	for b.Loop() {
		out, err := l.Read(off, maxBytes, end)
		if err != nil {
			b.Fatal(err)
		}
		if len(out) == 0 {
			b.Fatal("empty read")
		}
		off += int64(len(out) / len(batch) * 64)
		if off >= end {
			off = 0
		}
	}
}
