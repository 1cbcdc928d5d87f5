// Package cli holds the pieces the strom command-line tools share: parsing of
// broker lists and key=value flags, turning Kafka error codes into one-line
// messages a person can act on, aligned table output, record formatting for
// the console consumer, and the latency histogram the perf tools report from.
//
// Nothing here talks to a broker by itself; the commands in cmd/strom own
// their franz-go clients and pass records and errors in. Histogram and
// Window are safe for concurrent use (producer callbacks run on franz-go's
// goroutines); everything else is meant for one goroutine.
package cli
