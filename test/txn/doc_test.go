// Package txn tests transactions and exactly-once end to end with real
// clients: franz-go transactional producers and GroupTransactSession,
// read_committed and read_uncommitted consumers, fencing, coordinator
// timeouts (with a controlled clock and in real time), broker restarts,
// and librdkafka through /usr/bin/python3 and confluent_kafka (skipped,
// saying so, when the module is missing).
package txn
