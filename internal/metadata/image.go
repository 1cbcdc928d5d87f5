package metadata

import (
	"fmt"
	"maps"
	"slices"
	"sort"
)

// Image is an immutable view of the cluster metadata after applying the
// log up to Offset. See the package comment for the sharing rules.
type Image struct {
	Offset     uint64 // raft index of the last applied record batch
	ClusterID  string
	Brokers    map[int32]Broker
	Topics     map[string]*Topic // by name
	TopicsByID map[TopicID]*Topic
	// BrokerConfigs holds the cluster-wide dynamic broker config
	// overrides (Kafka's default broker resource "").
	BrokerConfigs map[string]string
	// PerBrokerConfigs holds dynamic overrides of single brokers, keyed
	// by the decimal broker id (the config resource name).
	PerBrokerConfigs map[string]map[string]string
}

// Broker is a registered broker.
type Broker struct {
	ID     int32
	Host   string
	Port   int32
	Rack   string
	Fenced bool
	Epoch  int64
}

// Topic is a topic and its partitions; Partitions[i].Index == i.
type Topic struct {
	Name       string
	ID         TopicID
	Partitions []Partition
	Configs    map[string]string // topic overrides only
}

// Partition is the replica assignment and leadership of one partition.
type Partition struct {
	Index          int32
	Leader         int32 // -1 when there is no leader
	LeaderEpoch    int32
	PartitionEpoch int32
	Replicas       []int32
	ISR            []int32
}

// Empty returns the image of an empty log. Every map is non-nil.
func Empty() *Image {
	return &Image{
		Brokers:          map[int32]Broker{},
		Topics:           map[string]*Topic{},
		TopicsByID:       map[TopicID]*Topic{},
		BrokerConfigs:    map[string]string{},
		PerBrokerConfigs: map[string]map[string]string{},
	}
}

// Topic returns the topic called name, or nil if absent.
func (im *Image) Topic(name string) *Topic { return im.Topics[name] }

// TopicByID returns the topic with the id, or nil if absent.
func (im *Image) TopicByID(id TopicID) *Topic { return im.TopicsByID[id] }

// LiveBrokers returns the ids of the unfenced brokers in ascending order.
func (im *Image) LiveBrokers() []int32 {
	ids := make([]int32, 0, len(im.Brokers))
	for id, b := range im.Brokers {
		if !b.Fenced {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// TopicNames returns the topic names in ascending order.
func (im *Image) TopicNames() []string {
	names := make([]string, 0, len(im.Topics))
	for n := range im.Topics {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Partition returns partition p of topic name, or false.
func (im *Image) Partition(name string, p int32) (Partition, bool) {
	t := im.Topics[name]
	if t == nil || p < 0 || int(p) >= len(t.Partitions) {
		return Partition{}, false
	}
	return t.Partitions[p], true
}

// ReplicationFactor is the number of replicas of partition 0 (all
// partitions of a topic are created with the same count).
func (t *Topic) ReplicationFactor() int16 {
	if len(t.Partitions) == 0 {
		return 0
	}
	return int16(len(t.Partitions[0].Replicas))
}

// builder applies records to a copy of an image, cloning each map and
// topic at most once, on first write.
type builder struct {
	old, im        *Image
	brokersCloned  bool
	topicsCloned   bool // Topics and TopicsByID together
	bcfgCloned     bool
	perBrokerClone bool
	touched        map[TopicID]bool // topics already cloned into im
	cfgOwned       map[TopicID]bool // topics whose Configs map is private to im
}

// Apply returns the image that results from applying recs, atomically, as
// the batch at raft index offset. It never mutates im.
func (im *Image) Apply(recs []Record, offset uint64) (*Image, error) {
	next := *im
	next.Offset = offset
	b := &builder{old: im, im: &next, touched: map[TopicID]bool{}, cfgOwned: map[TopicID]bool{}}
	for i, r := range recs {
		if err := b.apply(r); err != nil {
			return nil, fmt.Errorf("record %d of batch at offset %d: %w", i, offset, err)
		}
	}
	return &next, nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidRecord, fmt.Sprintf(format, args...))
}

func (b *builder) apply(r Record) error {
	switch r := r.(type) {
	case *ClusterIDRecord:
		return b.apply(*r)
	case *RegisterBroker:
		return b.apply(*r)
	case *FenceBroker:
		return b.apply(*r)
	case *TopicRecord:
		return b.apply(*r)
	case *PartitionRecord:
		return b.apply(*r)
	case *PartitionChange:
		return b.apply(*r)
	case *RemoveTopic:
		return b.apply(*r)
	case *ConfigRecord:
		return b.apply(*r)

	case ClusterIDRecord:
		if r.ClusterID == "" {
			return invalid("empty cluster id")
		}
		if b.im.ClusterID != "" && b.im.ClusterID != r.ClusterID {
			return invalid("cluster id %q already set to %q", r.ClusterID, b.im.ClusterID)
		}
		b.im.ClusterID = r.ClusterID
	case RegisterBroker:
		if r.ID < 0 {
			return invalid("broker id %d", r.ID)
		}
		b.cloneBrokers()
		b.im.Brokers[r.ID] = Broker{ID: r.ID, Host: r.Host, Port: r.Port, Rack: r.Rack, Fenced: r.Fenced, Epoch: r.Epoch}
	case FenceBroker:
		br, ok := b.im.Brokers[r.ID]
		if !ok {
			return invalid("fence unknown broker %d", r.ID)
		}
		b.cloneBrokers()
		br.Fenced = r.Fenced
		b.im.Brokers[r.ID] = br
	case TopicRecord:
		if err := ValidTopicName(r.Name); err != nil {
			return invalid("%v", err)
		}
		if r.ID.IsZero() {
			return invalid("topic %q has the zero id", r.Name)
		}
		if b.im.Topics[r.Name] != nil {
			return invalid("topic %q exists", r.Name)
		}
		if b.im.TopicsByID[r.ID] != nil {
			return invalid("topic id %s exists", r.ID)
		}
		b.cloneTopics()
		t := &Topic{Name: r.Name, ID: r.ID, Configs: maps.Clone(r.Configs)}
		if t.Configs == nil {
			t.Configs = map[string]string{}
		}
		b.im.Topics[t.Name] = t
		b.im.TopicsByID[t.ID] = t
		b.touched[t.ID] = true
		b.cfgOwned[t.ID] = true
	case PartitionRecord:
		t, err := b.writableTopic(r.TopicID)
		if err != nil {
			return err
		}
		if r.Index < 0 || int(r.Index) > len(t.Partitions) {
			return invalid("partition %d of topic %q with %d partitions", r.Index, t.Name, len(t.Partitions))
		}
		if len(r.Replicas) == 0 {
			return invalid("partition %d of topic %q has no replicas", r.Index, t.Name)
		}
		p := Partition{
			Index: r.Index, Leader: r.Leader, LeaderEpoch: r.LeaderEpoch, PartitionEpoch: r.PartitionEpoch,
			Replicas: slices.Clone(r.Replicas), ISR: slices.Clone(r.ISR),
		}
		if int(r.Index) == len(t.Partitions) {
			t.Partitions = append(t.Partitions, p)
		} else {
			t.Partitions[r.Index] = p
		}
	case PartitionChange:
		t, err := b.writableTopic(r.TopicID)
		if err != nil {
			return err
		}
		if r.Index < 0 || int(r.Index) >= len(t.Partitions) {
			return invalid("change of unknown partition %d of topic %q", r.Index, t.Name)
		}
		p := t.Partitions[r.Index]
		if r.Leader != nil && *r.Leader != p.Leader {
			p.Leader = *r.Leader
			p.LeaderEpoch++
		}
		if r.ISR != nil {
			p.ISR = slices.Clone(r.ISR)
		}
		if r.Replicas != nil {
			p.Replicas = slices.Clone(r.Replicas)
		}
		p.PartitionEpoch++
		t.Partitions[r.Index] = p
	case RemoveTopic:
		t := b.im.TopicsByID[r.ID]
		if t == nil {
			return invalid("remove unknown topic id %s", r.ID)
		}
		b.cloneTopics()
		delete(b.im.Topics, t.Name)
		delete(b.im.TopicsByID, t.ID)
		delete(b.touched, t.ID)
		delete(b.cfgOwned, t.ID)
	case ConfigRecord:
		return b.applyConfig(r)
	default:
		return fmt.Errorf("%w: record type %T", ErrUnsupported, r)
	}
	return nil
}

func (b *builder) applyConfig(r ConfigRecord) error {
	if r.Key == "" {
		return invalid("empty config key")
	}
	set := func(m map[string]string) {
		if r.Value == nil {
			delete(m, r.Key)
		} else {
			m[r.Key] = *r.Value
		}
	}
	switch r.ResourceType {
	case ResourceTopic:
		t := b.im.Topics[r.ResourceName]
		if t == nil {
			return invalid("config for unknown topic %q", r.ResourceName)
		}
		t, err := b.writableTopic(t.ID)
		if err != nil {
			return err
		}
		if !b.cfgOwned[t.ID] {
			t.Configs = maps.Clone(t.Configs)
			if t.Configs == nil {
				t.Configs = map[string]string{}
			}
			b.cfgOwned[t.ID] = true
		}
		set(t.Configs)
	case ResourceBroker:
		if r.ResourceName == "" {
			if !b.bcfgCloned {
				b.im.BrokerConfigs = maps.Clone(b.im.BrokerConfigs)
				if b.im.BrokerConfigs == nil {
					b.im.BrokerConfigs = map[string]string{}
				}
				b.bcfgCloned = true
			}
			set(b.im.BrokerConfigs)
			return nil
		}
		if !b.perBrokerClone {
			// Clone the outer map and every inner map: per-broker
			// overrides are few, and this keeps the rule simple.
			m := make(map[string]map[string]string, len(b.im.PerBrokerConfigs)+1)
			for k, v := range b.im.PerBrokerConfigs {
				m[k] = maps.Clone(v)
			}
			b.im.PerBrokerConfigs = m
			b.perBrokerClone = true
		}
		m := b.im.PerBrokerConfigs[r.ResourceName]
		if m == nil {
			m = map[string]string{}
			b.im.PerBrokerConfigs[r.ResourceName] = m
		}
		set(m)
		if len(m) == 0 {
			delete(b.im.PerBrokerConfigs, r.ResourceName)
		}
	default:
		return invalid("config resource type %d", r.ResourceType)
	}
	return nil
}

func (b *builder) cloneBrokers() {
	if !b.brokersCloned {
		b.im.Brokers = maps.Clone(b.im.Brokers)
		if b.im.Brokers == nil {
			b.im.Brokers = map[int32]Broker{}
		}
		b.brokersCloned = true
	}
}

func (b *builder) cloneTopics() {
	if !b.topicsCloned {
		b.im.Topics = maps.Clone(b.im.Topics)
		b.im.TopicsByID = maps.Clone(b.im.TopicsByID)
		if b.im.Topics == nil {
			b.im.Topics = map[string]*Topic{}
		}
		if b.im.TopicsByID == nil {
			b.im.TopicsByID = map[TopicID]*Topic{}
		}
		b.topicsCloned = true
	}
}

// writableTopic returns a copy of the topic private to this batch,
// cloning it (and its partition slice) on first write.
func (b *builder) writableTopic(id TopicID) (*Topic, error) {
	t := b.im.TopicsByID[id]
	if t == nil {
		return nil, invalid("unknown topic id %s", id)
	}
	if b.touched[id] {
		return t, nil
	}
	b.cloneTopics()
	c := *t
	c.Partitions = slices.Clone(t.Partitions)
	b.im.Topics[c.Name] = &c
	b.im.TopicsByID[id] = &c
	b.touched[id] = true
	return &c, nil
}
