package metadata

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidTopic is wrapped by ValidTopicName failures.
var ErrInvalidTopic = errors.New("invalid topic")

// maxTopicNameLen is Kafka's limit: 255 minus the room a partition
// directory suffix ("-" plus a partition number) and a ".deleted" style
// marker need on file systems with 255-byte names.
const maxTopicNameLen = 249

// ValidTopicName applies Kafka's topic naming rules exactly (the rules of
// org.apache.kafka.common.internals.Topic.validate), so clients' test
// suites that probe the edges see the same answers.
func ValidTopicName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: topic name is illegal, it can't be empty", ErrInvalidTopic)
	}
	if name == "." || name == ".." {
		return fmt.Errorf("%w: topic name cannot be \".\" or \"..\"", ErrInvalidTopic)
	}
	if len(name) > maxTopicNameLen {
		return fmt.Errorf("%w: topic name is illegal, it can't be longer than %d characters, topic name: %s",
			ErrInvalidTopic, maxTopicNameLen, name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return fmt.Errorf("%w: topic name %q is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'",
				ErrInvalidTopic, name)
		}
	}
	return nil
}

// Collides reports whether two distinct topic names would map to the same
// metric name: Kafka replaces '.' with '_' in metric names, so "a.b" and
// "a_b" cannot coexist.
func Collides(a, b string) bool {
	return a != b && unifyCollisionChars(a) == unifyCollisionChars(b)
}

func unifyCollisionChars(s string) string { return strings.ReplaceAll(s, ".", "_") }

// TopicID is a topic's immutable identity (a random UUID). It survives
// renames of nothing (topics cannot be renamed) but distinguishes a
// re-created topic from the deleted one of the same name.
type TopicID [16]byte

// ZeroTopicID is Kafka's Uuid.ZERO_UUID, reserved to mean "no id".
var ZeroTopicID TopicID

// String renders the id as Kafka does: URL-safe base64 without padding
// (22 characters).
func (id TopicID) String() string { return base64.RawURLEncoding.EncodeToString(id[:]) }

// IsZero reports whether id is the reserved zero id.
func (id TopicID) IsZero() bool { return id == ZeroTopicID }

// MarshalText implements encoding.TextMarshaler so ids read well in JSON
// records and can be map keys.
func (id TopicID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *TopicID) UnmarshalText(b []byte) error {
	p, err := ParseTopicID(string(b))
	if err != nil {
		return err
	}
	*id = p
	return nil
}

// ParseTopicID parses Kafka's base64url string form.
func ParseTopicID(s string) (TopicID, error) {
	var id TopicID
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return id, fmt.Errorf("parse topic id %q: %w", s, err)
	}
	if len(b) != len(id) {
		return id, fmt.Errorf("parse topic id %q: %d bytes, want %d", s, len(b), len(id))
	}
	copy(id[:], b)
	return id, nil
}

// NewTopicID returns a random version-4 UUID. Like Kafka's
// Uuid.randomUuid it never returns the zero id nor one whose string form
// starts with '-', which command-line tools would mistake for a flag.
func NewTopicID() TopicID {
	for {
		var id TopicID
		if _, err := rand.Read(id[:]); err != nil {
			// crypto/rand does not fail on supported platforms.
			panic(fmt.Sprintf("metadata: crypto/rand: %v", err))
		}
		id[6] = id[6]&0x0f | 0x40
		id[8] = id[8]&0x3f | 0x80
		if !id.IsZero() && !strings.HasPrefix(id.String(), "-") {
			return id
		}
	}
}

// NewClusterID returns a KRaft-style cluster id: the 22-character
// base64url form of a random UUID.
func NewClusterID() string { return NewTopicID().String() }
