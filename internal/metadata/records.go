package metadata

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Errors returned by Decode and Apply.
var (
	// ErrUnsupported marks a record of an unknown format version or type.
	ErrUnsupported = errors.New("unsupported metadata record")
	// ErrCorrupt marks bytes that are not a well-formed record.
	ErrCorrupt = errors.New("corrupt metadata record")
	// ErrInvalidRecord marks a well-formed record that cannot apply to
	// the image (for example a partition of an unknown topic).
	ErrInvalidRecord = errors.New("invalid metadata record")
)

// FormatVersion is the version written by Encode. Decoders accept
// versions up to and including it.
const FormatVersion = 1

// RecordType tags each record in its encoding. The strings are part of
// the on-disk format: never rename one.
type RecordType string

// The closed set of record types.
const (
	TypeClusterID       RecordType = "cluster_id"
	TypeRegisterBroker  RecordType = "register_broker"
	TypeFenceBroker     RecordType = "fence_broker"
	TypeTopic           RecordType = "topic"
	TypePartition       RecordType = "partition"
	TypePartitionChange RecordType = "partition_change"
	TypeRemoveTopic     RecordType = "remove_topic"
	TypeConfig          RecordType = "config"
)

// Record is one metadata record. The set is closed: only the types in
// this package implement it.
type Record interface {
	Type() RecordType
}

// ClusterIDRecord fixes the cluster id. It is the first record of a new
// cluster's log; a later one with a different id is rejected.
type ClusterIDRecord struct {
	ClusterID string `json:"cluster_id"`
}

// RegisterBroker adds or replaces a broker registration. Epoch grows with
// every registration of the same broker id.
type RegisterBroker struct {
	ID     int32  `json:"id"`
	Host   string `json:"host"`
	Port   int32  `json:"port"`
	Rack   string `json:"rack,omitempty"`
	Epoch  int64  `json:"epoch"`
	Fenced bool   `json:"fenced,omitempty"`
}

// FenceBroker fences or unfences a registered broker. Fenced brokers are
// not "live": placement skips them.
type FenceBroker struct {
	ID     int32 `json:"id"`
	Fenced bool  `json:"fenced"`
}

// TopicRecord creates a topic. Its partitions follow as PartitionRecords
// in the same batch.
type TopicRecord struct {
	Name    string            `json:"name"`
	ID      TopicID           `json:"id"`
	Configs map[string]string `json:"configs,omitempty"`
}

// PartitionRecord creates (Index == current count) or replaces a
// partition of an existing topic.
type PartitionRecord struct {
	TopicID        TopicID `json:"topic_id"`
	Index          int32   `json:"index"`
	Replicas       []int32 `json:"replicas"`
	ISR            []int32 `json:"isr"`
	Leader         int32   `json:"leader"`
	LeaderEpoch    int32   `json:"leader_epoch"`
	PartitionEpoch int32   `json:"partition_epoch,omitempty"`
}

// PartitionChange changes an existing partition. Nil fields are left
// unchanged. Every change bumps PartitionEpoch; a change of leader also
// bumps LeaderEpoch, as KRaft does, so followers can detect and truncate
// a divergent log.
type PartitionChange struct {
	TopicID  TopicID `json:"topic_id"`
	Index    int32   `json:"index"`
	Leader   *int32  `json:"leader,omitempty"`
	ISR      []int32 `json:"isr"`      // nil (JSON null) = unchanged; empty = no replica in sync
	Replicas []int32 `json:"replicas"` // nil (JSON null) = unchanged
}

// RemoveTopic deletes a topic, its partitions and its config overrides.
type RemoveTopic struct {
	ID TopicID `json:"id"`
}

// ResourceType is the config resource a ConfigRecord addresses. The
// values are Kafka's ConfigResource.Type codes so API handlers can pass
// them through.
type ResourceType int8

// Config resource types.
const (
	ResourceTopic  ResourceType = 2
	ResourceBroker ResourceType = 4
)

// String names the resource type.
func (t ResourceType) String() string {
	switch t {
	case ResourceTopic:
		return "topic"
	case ResourceBroker:
		return "broker"
	}
	return fmt.Sprintf("resource(%d)", int8(t))
}

// ConfigRecord sets (Value != nil) or removes (Value == nil) one dynamic
// config override. For brokers, ResourceName "" is the cluster-wide
// default and a decimal broker id addresses one broker.
type ConfigRecord struct {
	ResourceType ResourceType `json:"resource_type"`
	ResourceName string       `json:"resource_name"`
	Key          string       `json:"key"`
	Value        *string      `json:"value"`
}

// Type implements Record.
func (ClusterIDRecord) Type() RecordType { return TypeClusterID }

// Type implements Record.
func (RegisterBroker) Type() RecordType { return TypeRegisterBroker }

// Type implements Record.
func (FenceBroker) Type() RecordType { return TypeFenceBroker }

// Type implements Record.
func (TopicRecord) Type() RecordType { return TypeTopic }

// Type implements Record.
func (PartitionRecord) Type() RecordType { return TypePartition }

// Type implements Record.
func (PartitionChange) Type() RecordType { return TypePartitionChange }

// Type implements Record.
func (RemoveTopic) Type() RecordType { return TypeRemoveTopic }

// Type implements Record.
func (ConfigRecord) Type() RecordType { return TypeConfig }

// envelope is one record on the wire: {"v":1,"type":"topic","data":{...}}.
type envelope struct {
	V    int             `json:"v"`
	Type RecordType      `json:"type"`
	Data json.RawMessage `json:"data"`
}

// batchEnvelope is a batch: {"v":1,"records":[envelope...]}. A batch is
// the unit of atomicity: one Raft entry, applied all or nothing.
type batchEnvelope struct {
	V       int        `json:"v"`
	Records []envelope `json:"records"`
}

func toEnvelope(r Record) envelope {
	data, err := json.Marshal(r)
	if err != nil {
		// Every record type is plain data; Marshal cannot fail.
		panic(fmt.Sprintf("metadata: encode %s: %v", r.Type(), err))
	}
	return envelope{V: FormatVersion, Type: r.Type(), Data: data}
}

// Encode encodes one record.
func Encode(r Record) []byte {
	b, _ := json.Marshal(toEnvelope(r))
	return b
}

// Decode decodes one record encoded by Encode.
func Decode(b []byte) (Record, error) {
	var e envelope
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return fromEnvelope(e)
}

// EncodeBatch encodes records as one atomic batch.
func EncodeBatch(recs []Record) []byte {
	be := batchEnvelope{V: FormatVersion, Records: make([]envelope, len(recs))}
	for i, r := range recs {
		be.Records[i] = toEnvelope(r)
	}
	b, _ := json.Marshal(be)
	return b
}

// DecodeBatch decodes a batch encoded by EncodeBatch.
func DecodeBatch(b []byte) ([]Record, error) {
	var be batchEnvelope
	if err := json.Unmarshal(b, &be); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if be.V < 1 || be.V > FormatVersion {
		return nil, fmt.Errorf("%w: batch version %d", ErrUnsupported, be.V)
	}
	recs := make([]Record, 0, len(be.Records))
	for _, e := range be.Records {
		r, err := fromEnvelope(e)
		if err != nil {
			return nil, err
		}
		recs = append(recs, r)
	}
	return recs, nil
}

func fromEnvelope(e envelope) (Record, error) {
	if e.V < 1 || e.V > FormatVersion {
		return nil, fmt.Errorf("%w: record version %d", ErrUnsupported, e.V)
	}
	var r Record
	var err error
	switch e.Type {
	case TypeClusterID:
		r, err = decodeAs[ClusterIDRecord](e.Data)
	case TypeRegisterBroker:
		r, err = decodeAs[RegisterBroker](e.Data)
	case TypeFenceBroker:
		r, err = decodeAs[FenceBroker](e.Data)
	case TypeTopic:
		r, err = decodeAs[TopicRecord](e.Data)
	case TypePartition:
		r, err = decodeAs[PartitionRecord](e.Data)
	case TypePartitionChange:
		r, err = decodeAs[PartitionChange](e.Data)
	case TypeRemoveTopic:
		r, err = decodeAs[RemoveTopic](e.Data)
	case TypeConfig:
		r, err = decodeAs[ConfigRecord](e.Data)
	default:
		return nil, fmt.Errorf("%w: record type %q", ErrUnsupported, e.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, e.Type, err)
	}
	return r, nil
}

func decodeAs[T Record](data json.RawMessage) (Record, error) {
	var v T
	if len(data) == 0 {
		return nil, errors.New("missing data")
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	return v, nil
}
