package broker

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"strom/test/harness"
)

// The admin port serves Prometheus metrics, including per-partition
// gauges that follow what was produced.
func TestMetricsEndpoint(t *testing.T) {
	b := harness.Start(t, "strom.admin.listen=127.0.0.1:0")
	admin := b.Node().AdminAddr()
	if admin == "" {
		t.Fatal("admin listener not started")
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := 0; i < 3; i++ {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "metered", Value: []byte("x")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	text := string(body)
	for _, want := range []string{
		`strom_partition_high_watermark{partition="0",topic="metered"} 3`,
		`strom_partition_log_end_offset{partition="0",topic="metered"} 3`,
		`strom_requests_total{api="Produce"}`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
