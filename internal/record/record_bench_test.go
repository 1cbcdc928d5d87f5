package record_test

import (
	"fmt"
	"testing"

	"strom/internal/record"
	"strom/internal/record/recordtest"
)

// Produce-path costs per batch: what the broker pays for every batch it is
// sent (Validate: framing and CRC-32C) and what a consumer-side decode
// costs (Records), for the record sizes of bench/run.sh.
//
//	go test ./internal/record -run '^$' -bench . -benchmem

func benchBatches() []struct {
	name  string
	batch []byte
} {
	var out []struct {
		name  string
		batch []byte
	}
	for _, c := range []struct{ n, size int }{{1000, 100}, {64, 1024}, {1, 1024}} {
		out = append(out, struct {
			name  string
			batch []byte
		}{fmt.Sprintf("%dx%dB", c.n, c.size), recordtest.Values(c.n, c.size, 1)})
	}
	return out
}

func BenchmarkValidate(b *testing.B) {
	for _, c := range benchBatches() {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.batch)))
			for b.Loop() {
				if _, err := record.Validate(c.batch); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEach(b *testing.B) {
	for _, c := range benchBatches() {
		// A produce payload of 8 concatenated batches.
		var payload []byte
		for range 8 {
			payload = append(payload, c.batch...)
		}
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				if err := record.Each(payload, func(record.Header, []byte) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRecords(b *testing.B) {
	for _, c := range benchBatches() {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.batch)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := record.Records(c.batch); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
