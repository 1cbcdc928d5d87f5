package group

// Persistence of KIP-848 consumer groups in __consumer_offsets.
//
// Kafka stores these groups as several record types (key versions 3 to
// 8: group metadata, member metadata, target assignment, current member
// assignment), whose schemas kmsg does not carry. Strom writes one
// record per group instead, holding the whole group, with a key version
// of its own that Kafka never uses, so neither side misreads the other:
//
//	key   = int16 version (1848) | int16 length | group id (UTF-8)
//	value = int16 value version (0) | JSON of consumerSnapshot
//	        (null value: tombstone, the group was deleted or became classic)
//
// The topic is compacted, so only the latest record per group survives.
// Committed offsets stay in Kafka's offset commit records.

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// consumerKeyVersion is the key version of a consumer group record.
const consumerKeyVersion = 1848

func consumerKey(group string) []byte {
	b := make([]byte, 4, 4+len(group))
	binary.BigEndian.PutUint16(b, consumerKeyVersion)
	binary.BigEndian.PutUint16(b[2:], uint16(len(group)))
	return append(b, group...)
}

func decodeConsumerKey(key []byte) (string, error) {
	if len(key) < 4 || binary.BigEndian.Uint16(key) != consumerKeyVersion {
		return "", errors.New("not a consumer group key")
	}
	n := int(binary.BigEndian.Uint16(key[2:]))
	if len(key) != 4+n {
		return "", fmt.Errorf("consumer group key: length %d, have %d bytes", n, len(key)-4)
	}
	return string(key[4:]), nil
}

type consumerSnapshot struct {
	Epoch       int32            `json:"epoch"`
	AssignEpoch int32            `json:"assignment_epoch"`
	Assignor    string           `json:"assignor"`
	SubMeta     string           `json:"subscription_metadata"`
	Members     []memberSnapshot `json:"members"`
}

type memberSnapshot struct {
	ID                 string       `json:"id"`
	InstanceID         *string      `json:"instance_id,omitempty"`
	RackID             *string      `json:"rack_id,omitempty"`
	ClientID           string       `json:"client_id"`
	ClientHost         string       `json:"client_host"`
	Epoch              int32        `json:"epoch"`
	PrevEpoch          int32        `json:"previous_epoch"`
	State              int8         `json:"state"`
	RebalanceTimeoutMs int64        `json:"rebalance_timeout_ms"`
	Topics             []string     `json:"topics"`
	Regex              *string      `json:"regex,omitempty"`
	Assignor           string       `json:"assignor,omitempty"`
	Assigned           []topicParts `json:"assigned"`
	Revoking           []topicParts `json:"revoking"`
	Target             []topicParts `json:"target"`
}

type topicParts struct {
	ID         []byte  `json:"id"`
	Partitions []int32 `json:"partitions"`
	Since      []int32 `json:"since,omitempty"` // per partition: the epoch it was given at
}

func toParts(a Assignment, since map[tpKey]int32) []topicParts {
	var out []topicParts
	for _, id := range a.sortedIDs() {
		tp := topicParts{ID: append([]byte(nil), id[:]...), Partitions: a[id]}
		if since != nil {
			for _, p := range a[id] {
				tp.Since = append(tp.Since, since[tpKey{id, p}])
			}
		}
		out = append(out, tp)
	}
	return out
}

func fromParts(tps []topicParts, since map[tpKey]int32) (Assignment, error) {
	a := Assignment{}
	for _, tp := range tps {
		if len(tp.ID) != 16 {
			return nil, fmt.Errorf("topic id of %d bytes", len(tp.ID))
		}
		var id topicID
		copy(id[:], tp.ID)
		for i, p := range tp.Partitions {
			k := tpKey{id, p}
			a.add(k)
			if since != nil && i < len(tp.Since) {
				since[k] = tp.Since[i]
			}
		}
	}
	return a, nil
}

// Snapshot is the group's record value.
func (g *ConsumerGroup) Snapshot() []byte {
	s := consumerSnapshot{Epoch: g.epoch, AssignEpoch: g.assignEpoch, Assignor: g.assignor, SubMeta: g.subMeta}
	for _, m := range g.Members() {
		s.Members = append(s.Members, memberSnapshot{
			ID: m.ID, InstanceID: m.InstanceID, RackID: m.RackID, ClientID: m.ClientID, ClientHost: m.ClientHost,
			Epoch: m.Epoch, PrevEpoch: m.PrevEpoch, State: int8(m.state),
			RebalanceTimeoutMs: m.RebalanceTimeout.Milliseconds(),
			Topics:             m.Topics, Regex: m.Regex, Assignor: m.Assignor,
			Assigned: toParts(m.Assigned, m.since), Revoking: toParts(m.Revoking, m.since), Target: toParts(m.Target, nil),
		})
	}
	js, _ := json.Marshal(s) // plain data: cannot fail
	return append([]byte{0, 0}, js...)
}

// RestoreConsumerGroup rebuilds a group from its record value. Members
// get a fresh session from now: those whose clients are gone expire.
func RestoreConsumerGroup(id string, value []byte, rules *ConsumerRules, now time.Time) (*ConsumerGroup, error) {
	if len(value) < 2 {
		return nil, errors.New("consumer group record: short value")
	}
	if v := binary.BigEndian.Uint16(value); v != 0 {
		return nil, fmt.Errorf("consumer group record: unknown value version %d", v)
	}
	var s consumerSnapshot
	if err := json.Unmarshal(value[2:], &s); err != nil {
		return nil, fmt.Errorf("consumer group record: %w", err)
	}
	g := NewConsumerGroup(id, rules)
	g.epoch, g.assignEpoch, g.assignor, g.subMeta = s.Epoch, s.AssignEpoch, s.Assignor, s.SubMeta
	for _, ms := range s.Members {
		m := &ConsumerMember{
			ID: ms.ID, InstanceID: ms.InstanceID, RackID: ms.RackID, ClientID: ms.ClientID, ClientHost: ms.ClientHost,
			Epoch: ms.Epoch, PrevEpoch: ms.PrevEpoch, state: memberState(ms.State),
			RebalanceTimeout: time.Duration(ms.RebalanceTimeoutMs) * time.Millisecond,
			Topics:           ms.Topics, Regex: ms.Regex, Assignor: ms.Assignor,
			since:    map[tpKey]int32{},
			deadline: now.Add(rules.SessionTimeout),
		}
		if m.state < memberStable || m.state > memberUnreleased {
			return nil, fmt.Errorf("consumer group record: member state %d", ms.State)
		}
		var err error
		if m.Assigned, err = fromParts(ms.Assigned, m.since); err != nil {
			return nil, err
		}
		if m.Revoking, err = fromParts(ms.Revoking, m.since); err != nil {
			return nil, err
		}
		if m.Target, err = fromParts(ms.Target, nil); err != nil {
			return nil, err
		}
		if m.Regex != nil {
			if m.re, err = compileRegex(*m.Regex); err != nil {
				return nil, err
			}
		}
		if m.state == memberUnrevoked {
			m.revokeBy = now.Add(m.RebalanceTimeout)
		}
		g.members[m.ID] = m
		if m.InstanceID != nil {
			g.static[*m.InstanceID] = m.ID
		}
		claim := func(k tpKey) { g.owners[k] = m.ID }
		m.Assigned.each(claim)
		m.Revoking.each(claim)
	}
	return g, nil
}
