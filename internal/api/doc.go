// Package api holds the Kafka protocol handlers: one file per API key,
// named after it (00_produce.go, 01_fetch.go, ...), each opening with a
// header comment that gives the served versions and the behaviour clients
// can rely on, and registering its version range in init. ApiVersions,
// docs/protocol.md and the README's protocol table are all built from that
// registry (registry.go), so what is advertised is what is implemented.
//
// Contracts: handlers receive a request already decoded at a version
// inside their registered range and return a Result. They run on the
// connection's read goroutine, in request order, so their effects
// (appends, metadata proposals, group state changes) happen in the order
// the client sent them; anything that waits (durability, long polls,
// rebalances) goes into Result.Later, which the connection's writer
// resolves in order. Kafka error codes exist only here: the packages
// below return wrapped sentinel errors and errors.go maps them.
//
// Concurrency: handlers share the read-only Env; all mutable state lives
// behind the services it points to (controller, replica manager,
// coordinators), each with its own owner.
package api
