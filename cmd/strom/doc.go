// Command strom is Strom's single binary: the broker (`strom server`) and
// the client tools a Kafka user reaches for (topic, produce, consume, perf).
//
// The client commands speak to any Kafka-compatible broker through
// franz-go's kgo and kadm; Strom writes no client of its own. Flags follow
// Kafka's scripts where a Kafka user would type them (--bootstrap-server,
// --topic, --create, --from-beginning, --partitions, --replication-factor),
// and the translation from each kafka-*.sh script is in docs/cli.md.
//
// Exit codes: 0 success, 1 an operation failed (the broker refused, a record
// was not delivered, a timeout), 2 the command line was wrong. Errors are
// printed as one "Error: ..." line each, never as a Go stack.
//
// run is the whole program minus os.Exit, so tests execute commands
// in-process with their own stdin, stdout and context.
package main
