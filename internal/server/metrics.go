package server

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
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
