package server

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Metrics are registered once per process on the default registry, which
// the node's /metrics endpoint serves.
var (
	requestsTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Namespace: "strom", Name: "requests_total",
		Help: "Kafka protocol requests handled, by API.",
	}, []string{"api"})
	requestSeconds = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "strom", Name: "request_duration_seconds",
		Help:    "Time from a request being read to its response being written, by API.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10),
	}, []string{"api"})
	connectionsOpen = promauto.NewGauge(prometheus.GaugeOpts{
		Namespace: "strom", Name: "connections_open",
		Help: "Client connections currently open.",
	})
	connectionsClosedWithError = promauto.NewCounter(prometheus.CounterOpts{
		Namespace: "strom", Name: "connections_closed_error_total",
		Help: "Connections closed because of a malformed, oversized or undecodable request.",
	})
	bytesIn = promauto.NewCounter(prometheus.CounterOpts{
		Namespace: "strom", Name: "request_bytes_total", Help: "Request bytes read.",
	})
	bytesOut = promauto.NewCounter(prometheus.CounterOpts{
		Namespace: "strom", Name: "response_bytes_total", Help: "Response bytes written.",
	})
)

// apiMetrics are one API key's children of the labelled metrics, looked
// up once per key instead of hashing the label on every request.
type apiMetrics struct {
	total   prometheus.Counter
	seconds prometheus.Observer
}

var apiMetricsByKey [128]atomic.Pointer[apiMetrics]

func metricsFor(key int16) *apiMetrics {
	inRange := key >= 0 && int(key) < len(apiMetricsByKey)
	if inRange {
		if m := apiMetricsByKey[key].Load(); m != nil {
			return m
		}
	}
	name := kmsg.NameForKey(key)
	m := &apiMetrics{requestsTotal.WithLabelValues(name), requestSeconds.WithLabelValues(name)}
	if inRange {
		apiMetricsByKey[key].Store(m)
	}
	return m
}
