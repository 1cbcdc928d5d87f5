package controller

import (
	"testing"

	"strom/internal/metadata"
	"strom/internal/vfs"
)

// A subscriber that joins right after a restart must first see the fully
// replayed image: the replica manager took partitions missing from a stale
// first image for orphans and deleted their directories (a CI flake in
// test/groups lost every committed offset that way).
func TestSubscribeAfterRestartSeesReplayedImage(t *testing.T) {
	fsys := vfs.NewMem()
	cfg := testConfig(fsys)
	for round := 0; round < 20; round++ {
		c := start(t, cfg)
		if round == 0 {
			specs := make([]TopicSpec, 10)
			for i := range specs {
				specs[i] = TopicSpec{Name: "t" + string(rune('a'+i)), NumPartitions: 3, ReplicationFactor: 1}
			}
			for _, r := range c.CreateTopics(ctxT(t), specs, false) {
				if r.Err != nil {
					t.Fatal(r.Err)
				}
			}
		}
		var first *metadata.Image
		c.Subscribe(func(prev, next *metadata.Image) {
			if first == nil {
				first = next
			}
		})
		if got := len(first.Topics); got != 10 {
			c.Close()
			t.Fatalf("round %d: first image delivered to a new subscriber has %d topics, want 10", round, got)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
