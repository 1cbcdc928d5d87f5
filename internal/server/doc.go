// Package server accepts Kafka protocol connections and runs the
// per-connection request pipeline.
//
// Each connection has one read goroutine and one write goroutine. The
// reader decodes frames and runs handlers in arrival order, so the effects
// of pipelined requests happen in the order the client sent them. A
// handler that has to wait (produce waiting for fsync, fetch long poll)
// hands back a deferred result; the writer resolves results strictly in
// order, so waits overlap but responses never reorder. At most
// maxInFlight results may be queued per connection: a client that stops
// reading its responses stops being read from, which bounds the memory it
// can pin.
//
// A frame larger than socket.request.max.bytes, a header or body that
// fails to decode, or an unknown API key closes that connection alone with
// a log line. A version outside the advertised range is answered, not
// dropped: ApiVersions gets the KIP-511 v0 reply listing what is
// supported; other keys get their response at the requested version with
// UNSUPPORTED_VERSION as the top-level error code (version.go). Only a
// version that cannot even be encoded, or a response without a top-level
// error code, closes the connection.
//
// Ownership: Server owns the listeners and every connection; Close stops
// accepting, closes all connections and waits for their goroutines.
package server
