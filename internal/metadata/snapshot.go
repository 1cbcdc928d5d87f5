package metadata

import (
	"fmt"
	"slices"
	"strconv"
)

// Records returns a batch that rebuilds im when applied to Empty(). It is
// the content of a metadata snapshot: an image is persisted as the
// records that produce it, so snapshots and the log share one codec.
func (im *Image) Records() []Record {
	var recs []Record
	if im.ClusterID != "" {
		recs = append(recs, ClusterIDRecord{ClusterID: im.ClusterID})
	}
	ids := make([]int32, 0, len(im.Brokers))
	for id := range im.Brokers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		b := im.Brokers[id]
		recs = append(recs, RegisterBroker{ID: b.ID, Host: b.Host, Port: b.Port, Rack: b.Rack, Epoch: b.Epoch, Fenced: b.Fenced})
	}
	for _, k := range sortedKeys(im.BrokerConfigs) {
		recs = append(recs, ConfigRecord{ResourceType: ResourceBroker, Key: k, Value: new(im.BrokerConfigs[k])})
	}
	names := make([]string, 0, len(im.PerBrokerConfigs))
	for n := range im.PerBrokerConfigs {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		m := im.PerBrokerConfigs[n]
		for _, k := range sortedKeys(m) {
			recs = append(recs, ConfigRecord{ResourceType: ResourceBroker, ResourceName: n, Key: k, Value: new(m[k])})
		}
	}
	for _, name := range im.TopicNames() {
		t := im.Topics[name]
		recs = append(recs, TopicRecord{Name: t.Name, ID: t.ID, Configs: t.Configs})
		for _, p := range t.Partitions {
			recs = append(recs, PartitionRecord{
				TopicID: t.ID, Index: p.Index, Replicas: p.Replicas, ISR: p.ISR,
				Leader: p.Leader, LeaderEpoch: p.LeaderEpoch, PartitionEpoch: p.PartitionEpoch,
			})
		}
	}
	return recs
}

// EncodeImage encodes im for a snapshot: its offset followed by the batch
// of Records. Layout: decimal offset, '\n', EncodeBatch(im.Records()).
func EncodeImage(im *Image) []byte {
	b := strconv.AppendUint(nil, im.Offset, 10)
	b = append(b, '\n')
	return append(b, EncodeBatch(im.Records())...)
}

// DecodeImage decodes a snapshot written by EncodeImage.
func DecodeImage(b []byte) (*Image, error) {
	i := slices.Index(b, '\n')
	if i < 0 {
		return nil, fmt.Errorf("%w: image without offset line", ErrCorrupt)
	}
	off, err := strconv.ParseUint(string(b[:i]), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%w: image offset: %v", ErrCorrupt, err)
	}
	recs, err := DecodeBatch(b[i+1:])
	if err != nil {
		return nil, fmt.Errorf("decode image: %w", err)
	}
	im, err := Empty().Apply(recs, off)
	if err != nil {
		return nil, fmt.Errorf("decode image: %w", err)
	}
	return im, nil
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
