// Package vfs is the only way Strom touches the disk.
//
// It owns the FS and File interfaces (modelled on pebble's vfs.FS) and three
// implementations:
//
//   - Default: the operating system's filesystem.
//   - MemFS (NewMem): an in-memory filesystem that remembers what was made
//     durable. CrashClone returns the state a power loss would leave behind:
//     file contents as of their last File.Sync and directory entries as of
//     their directory's last SyncDir. Storage crash tests run on it.
//   - NewFaulty: wraps another FS and lets a test inject errors (ENOSPC,
//     EIO, ...) per operation and path.
//
// Contracts: paths are cleaned with filepath.Clean; MemFS directories are
// durable as soon as they are created (only files and their directory
// entries need syncing), which is a simplification of real filesystems
// that the storage layer does not rely on beyond SyncDir after creating or
// renaming files.
//
// Concurrency: every FS and File here is safe for concurrent use. A single
// MemFS file handle serialises Read/Write/Seek on its own position;
// ReadAt/WriteAt are positional and may run concurrently with each other.
package vfs
