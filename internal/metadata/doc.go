// Package metadata owns the cluster metadata model: the closed set of
// metadata records that the Raft quorum replicates, their versioned
// encoding, and the immutable Image that results from applying them.
//
// # Contracts
//
//   - An *Image is immutable once published. Image.Apply never mutates its
//     receiver: it returns a new Image that shares every untouched topic,
//     partition slice and map with the old one (copy-on-write). Callers
//     must treat every field reachable from an Image as read-only.
//   - Apply is atomic: either every record of the batch applies and a new
//     Image is returned, or an error wrapping ErrInvalidRecord is returned
//     and nothing changed. Apply is deterministic, so every broker that
//     applies the same log reaches the same Image.
//   - Records are encoded as JSON objects with a type tag and a format
//     version (see Encode, EncodeBatch and docs/metadata.md). Decoding an
//     unknown version or type fails with ErrUnsupported rather than
//     guessing.
//
// # Concurrency
//
// The package does no I/O and starts no goroutines. Because images are
// immutable they may be read from any number of goroutines without locks;
// the controller publishes them through an atomic pointer.
package metadata
