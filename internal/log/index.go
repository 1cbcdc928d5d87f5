package log

import (
	"encoding/binary"
	"sort"
)

// Index entry sizes on disk.
const (
	offsetEntrySize = 8  // relative offset uint32 + position uint32
	timeEntrySize   = 12 // timestamp int64 + relative offset uint32
)

// offsetEntry maps the base offset of a batch (relative to the segment's
// base offset) to the batch's file position.
type offsetEntry struct {
	rel uint32
	pos uint32
}

// timeEntry records that every batch up to the one at rel (relative base
// offset) has a max timestamp <= ts; ts is the segment's running maximum.
type timeEntry struct {
	ts  int64
	rel uint32
}

// lookupPos returns the position of the last indexed batch whose base
// offset is <= rel, or 0: scanning forward from there finds the batch
// containing rel.
func lookupPos(idx []offsetEntry, rel uint32) int64 {
	i := sort.Search(len(idx), func(i int) bool { return idx[i].rel > rel })
	if i == 0 {
		return 0
	}
	return int64(idx[i-1].pos)
}

// lookupTime returns the relative offset of the last time entry whose
// timestamp is < ts, and whether there is one. No batch before that
// entry's batch holds a timestamp >= ts.
func lookupTime(tidx []timeEntry, ts int64) (uint32, bool) {
	i := sort.Search(len(tidx), func(i int) bool { return tidx[i].ts >= ts })
	if i == 0 {
		return 0, false
	}
	return tidx[i-1].rel, true
}

func encodeOffsetIndex(idx []offsetEntry) []byte {
	b := make([]byte, 0, len(idx)*offsetEntrySize)
	for _, e := range idx {
		b = binary.BigEndian.AppendUint32(b, e.rel)
		b = binary.BigEndian.AppendUint32(b, e.pos)
	}
	return b
}

func encodeTimeIndex(tidx []timeEntry) []byte {
	b := make([]byte, 0, len(tidx)*timeEntrySize)
	for _, e := range tidx {
		b = binary.BigEndian.AppendUint64(b, uint64(e.ts))
		b = binary.BigEndian.AppendUint32(b, e.rel)
	}
	return b
}

// decodeOffsetIndex parses and checks an offset index: whole entries,
// strictly increasing offsets and positions, positions inside the log
// file, offsets below limitRel. ok is false if the index is damaged.
func decodeOffsetIndex(b []byte, logSize int64, limitRel uint64) ([]offsetEntry, bool) {
	if len(b)%offsetEntrySize != 0 {
		return nil, false
	}
	idx := make([]offsetEntry, 0, len(b)/offsetEntrySize)
	for ; len(b) > 0; b = b[offsetEntrySize:] {
		e := offsetEntry{rel: binary.BigEndian.Uint32(b), pos: binary.BigEndian.Uint32(b[4:])}
		if n := len(idx); n > 0 && (e.rel <= idx[n-1].rel || e.pos <= idx[n-1].pos) {
			return nil, false
		}
		if int64(e.pos) >= logSize || uint64(e.rel) >= limitRel {
			return nil, false
		}
		idx = append(idx, e)
	}
	return idx, true
}

// decodeTimeIndex parses and checks a time index like decodeOffsetIndex.
func decodeTimeIndex(b []byte, limitRel uint64) ([]timeEntry, bool) {
	if len(b)%timeEntrySize != 0 {
		return nil, false
	}
	tidx := make([]timeEntry, 0, len(b)/timeEntrySize)
	for ; len(b) > 0; b = b[timeEntrySize:] {
		e := timeEntry{ts: int64(binary.BigEndian.Uint64(b)), rel: binary.BigEndian.Uint32(b[8:])}
		if n := len(tidx); n > 0 && (e.ts <= tidx[n-1].ts || e.rel < tidx[n-1].rel) {
			return nil, false
		}
		if uint64(e.rel) >= limitRel {
			return nil, false
		}
		tidx = append(tidx, e)
	}
	return tidx, true
}
