package log

import "hash/maphash"

// offsetMap maps a key to the offset of its latest record in the part of
// the log a cleaning round has read (Kafka's SkimpyOffsetMap). Keys are
// stored as a 128-bit hash so memory per entry is fixed whatever the key
// size; two keys colliding (about 2^-128 per pair) would make the older
// one's latest record look superseded, the same trade-off Kafka makes
// with MD5. Seeds are random per map, so a collision never repeats.
type offsetMap struct {
	s1, s2 maphash.Seed
	m      map[[2]uint64]int64
	limit  int
}

func newOffsetMap(limit int) *offsetMap {
	return &offsetMap{s1: maphash.MakeSeed(), s2: maphash.MakeSeed(), m: map[[2]uint64]int64{}, limit: limit}
}

func (m *offsetMap) hash(key []byte) [2]uint64 {
	return [2]uint64{maphash.Bytes(m.s1, key), maphash.Bytes(m.s2, key)}
}

func (m *offsetMap) put(key []byte, off int64) { m.m[m.hash(key)] = off }

func (m *offsetMap) get(key []byte) (int64, bool) {
	off, ok := m.m[m.hash(key)]
	return off, ok
}

// room reports whether n more keys surely fit under the limit.
func (m *offsetMap) room(n int) bool { return len(m.m)+n <= m.limit }

func (m *offsetMap) len() int { return len(m.m) }
