package log

import (
	"sync"
	"testing"

	"strom/internal/record"
	"strom/internal/record/recordtest"
	"strom/internal/vfs"
)

// TestConcurrentReadAppendSyncRetention runs readers, Sync and retention
// against an appender; -race checks the locking, the assertions check
// that every read returns whole, valid, contiguous batches.
func TestConcurrentReadAppendSyncRetention(t *testing.T) {
	cfg := smallCfg()
	cfg.RetentionBytes = 20000
	l := mustOpen(t, vfs.NewMem(), "/d", cfg)
	defer l.Close()
	done := make(chan struct{})
	var wg sync.WaitGroup
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				select {
				case <-done:
					return
				default:
				}
				start, end := l.StartOffset(), l.EndOffset()
				if end == start {
					continue
				}
				b, err := l.Read(start+int64(i)%(end-start), 2048, end)
				if err != nil {
					continue // retention may have moved the start
				}
				if len(b) > 0 {
					if _, _, err := record.Batches(b); err != nil {
						t.Errorf("bad read: %v", err)
						return
					}
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 200; i++ {
			if err := l.Sync(); err != nil {
				t.Errorf("sync: %v", err)
				return
			}
		}
	}()
	for i := 0; i < 1000; i++ {
		if _, err := l.Append(recordtest.Values(1, 100, int64(i)), t0, AppendOptions{}); err != nil {
			t.Fatal(err)
		}
		if i%100 == 0 {
			if _, err := l.ApplyRetention(t0); err != nil {
				t.Fatal(err)
			}
		}
	}
	close(done)
	wg.Wait()
}
