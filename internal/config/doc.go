// Package config owns Strom's static configuration: the broker properties
// read from a Kafka-style server.properties file (plus command-line
// overrides) and the registry of topic-level configs (retention.ms,
// cleanup.policy, ...) with their defaults, validators and broker synonyms.
//
// Strom deliberately reuses Kafka's property names, defaults and validation
// rules so that an existing server.properties, kafka-configs.sh invocation or
// admin client works unchanged, and so that DescribeConfigs reports what a
// real Kafka 3.x/4.x broker would. Where Strom's default differs from Kafka's
// (durability: log.flush.interval.messages=1; single-node replication factors
// of internal topics) the difference is documented in docs/configuration.md
// and on the field.
//
// Contracts:
//
//   - Default returns a Broker that is valid and usable with no file at all.
//   - FromMap and Load never return a partially valid Broker: either every
//     value passed validation, or an error naming the key and the reason is
//     returned. Errors wrap ErrInvalidValue (bad value) or ErrUnknownConfig
//     (unknown topic config) and are of type *Error.
//   - Unknown broker keys are not errors; they produce warnings, because
//     operators routinely carry over keys from a Kafka installation.
//   - Topic configs are validated one key at a time by ValidateTopicConfig
//     and as a whole (cross-key rules) by ResolveTopic.
//   - Source values are Kafka's DescribeConfigs numeric sources, so the API
//     layer converts with kmsg.ConfigSource(src); Entry.Type strings are
//     kmsg.ConfigType names (kmsg.ParseConfigType).
//
// Concurrency: a *Broker is a plain value. It is built once at start-up and
// must be treated as read-only afterwards; all methods only read it, so any
// number of goroutines may call them concurrently. The package has no
// mutable global state (its tables are built at init and never modified).
package config
