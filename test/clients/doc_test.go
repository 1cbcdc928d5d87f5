// Package clients checks that unmodified Go Kafka clients (franz-go, sarama,
// kafka-go) work against the broker started by test/harness. Each test makes
// its own topic and checks counts, keys, values, headers and offsets exactly.
package clients
