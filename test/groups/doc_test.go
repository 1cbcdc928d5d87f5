// Package groups tests consumer groups and committed offsets against an
// in-process Strom broker with real clients: franz-go, sarama, kafka-go,
// and through /usr/bin/python3 and kcat, librdkafka and kafka-python.
// Tests that need an external client skip, naming what is missing.
//
// Timing: brokers run with group.initial.rebalance.delay.ms=0 and a low
// group.min.session.timeout.ms, and clients heartbeat often, so
// rebalances take milliseconds; waits are bounded polls of observable
// outcomes (records consumed, group described), never sleeps.
package groups
