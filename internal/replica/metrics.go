package replica

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Collector exposes per-partition gauges, read from the partitions at
// scrape time so the append path pays nothing for them.
type Collector struct{ m *Manager }

// NewCollector returns a Prometheus collector for m's partitions.
func NewCollector(m *Manager) *Collector { return &Collector{m} }

var (
	descLogEnd = prometheus.NewDesc("strom_partition_log_end_offset",
		"Next offset to be assigned in the partition.", []string{"topic", "partition"}, nil)
	descLogStart = prometheus.NewDesc("strom_partition_log_start_offset",
		"First offset still in the partition's log.", []string{"topic", "partition"}, nil)
	descHWM = prometheus.NewDesc("strom_partition_high_watermark",
		"Offset below which records are committed (durable) and visible to consumers.", []string{"topic", "partition"}, nil)
	descSize = prometheus.NewDesc("strom_partition_log_size_bytes",
		"Bytes of segment files on disk.", []string{"topic", "partition"}, nil)
	descOffline = prometheus.NewDesc("strom_partition_offline",
		"1 when the partition is offline after a storage error.", []string{"topic", "partition"}, nil)
)

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descLogEnd, descLogStart, descHWM, descSize, descOffline} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.m.All() {
		labels := []string{p.Topic, strconv.Itoa(int(p.Index))}
		ch <- prometheus.MustNewConstMetric(descLogEnd, prometheus.GaugeValue, float64(p.LogEndOffset()), labels...)
		ch <- prometheus.MustNewConstMetric(descLogStart, prometheus.GaugeValue, float64(p.LogStartOffset()), labels...)
		ch <- prometheus.MustNewConstMetric(descHWM, prometheus.GaugeValue, float64(p.HighWatermark()), labels...)
		ch <- prometheus.MustNewConstMetric(descSize, prometheus.GaugeValue, float64(p.Size()), labels...)
		off := 0.0
		if p.Err() != nil {
			off = 1
		}
		ch <- prometheus.MustNewConstMetric(descOffline, prometheus.GaugeValue, off, labels...)
	}
}
