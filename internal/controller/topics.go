package controller

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"strom/internal/config"
	"strom/internal/metadata"
)

// TopicSpec is one topic of a CreateTopics request.
type TopicSpec struct {
	Name              string
	NumPartitions     int32 // -1 = broker default num.partitions
	ReplicationFactor int16 // -1 = default.replication.factor
	// Assignments maps partition index to its replicas; when set,
	// NumPartitions and ReplicationFactor must both be -1.
	Assignments map[int32][]int32
	Configs     map[string]string
}

// TopicResult is the outcome for one TopicSpec.
type TopicResult struct {
	Name              string
	ID                metadata.TopicID // zero when validateOnly or on error
	NumPartitions     int32
	ReplicationFactor int16
	Err               error
}

// CreateTopics validates each spec independently and creates the valid
// ones (all in one atomic batch) unless validateOnly. Results are in spec
// order.
func (c *Controller) CreateTopics(ctx context.Context, specs []TopicSpec, validateOnly bool) []TopicResult {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	im := c.Image()
	results := make([]TopicResult, len(specs))

	counts := map[string]int{}
	for _, s := range specs {
		counts[s.Name]++
	}
	var recs []metadata.Record
	accepted := map[string]bool{} // names created earlier in this call
	var ok []int
	for i, s := range specs {
		r := &results[i]
		r.Name = s.Name
		r.NumPartitions, r.ReplicationFactor = -1, -1
		if counts[s.Name] > 1 {
			r.Err = reqErr(ErrInvalidRequest, fmt.Sprintf("Create topics request contains multiple entries for the topic '%s'.", s.Name))
			continue
		}
		trecs, np, rf, err := c.planTopicLocked(im, s, accepted)
		if err != nil {
			r.Err = err
			continue
		}
		r.NumPartitions, r.ReplicationFactor = np, rf
		if !validateOnly {
			r.ID = trecs[0].(metadata.TopicRecord).ID
		}
		accepted[s.Name] = true
		recs = append(recs, trecs...)
		ok = append(ok, i)
	}
	if validateOnly || len(recs) == 0 {
		return results
	}
	if _, err := c.commitLocked(ctx, recs); err != nil {
		for _, i := range ok {
			results[i].Err = err
			results[i].ID = metadata.ZeroTopicID
		}
		return results
	}
	for _, i := range ok {
		c.logger.Info("topic created", "topic", results[i].Name, "id", results[i].ID,
			"partitions", results[i].NumPartitions, "replication_factor", results[i].ReplicationFactor)
	}
	return results
}

// planTopicLocked validates s against im (and the names accepted earlier
// in the same request) and returns the records that create it.
func (c *Controller) planTopicLocked(im *metadata.Image, s TopicSpec, accepted map[string]bool) ([]metadata.Record, int32, int16, error) {
	if err := metadata.ValidTopicName(s.Name); err != nil {
		return nil, 0, 0, &reqError{Kind: ErrInvalidTopic, Msg: strings.TrimPrefix(err.Error(), metadata.ErrInvalidTopic.Error()+": "), Cause: err}
	}
	if im.Topic(s.Name) != nil || accepted[s.Name] {
		return nil, 0, 0, reqErr(ErrTopicExists, fmt.Sprintf("Topic '%s' already exists.", s.Name))
	}
	for _, name := range im.TopicNames() {
		if metadata.Collides(s.Name, name) {
			return nil, 0, 0, reqErr(ErrInvalidTopic, fmt.Sprintf("Topic '%s' collides with existing topic: %s", s.Name, name))
		}
	}
	for name := range accepted {
		if metadata.Collides(s.Name, name) {
			return nil, 0, 0, reqErr(ErrInvalidTopic, fmt.Sprintf("Topic '%s' collides with existing topic: %s", s.Name, name))
		}
	}
	live := im.LiveBrokers()
	var assign [][]int32
	switch {
	case len(s.Assignments) > 0:
		if s.NumPartitions != -1 || s.ReplicationFactor != -1 {
			return nil, 0, 0, reqErr(ErrInvalidRequest, "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.")
		}
		n := int32(len(s.Assignments))
		assign = make([][]int32, n)
		for p, replicas := range s.Assignments {
			if p < 0 || p >= n {
				return nil, 0, 0, reqErr(ErrInvalidReplicaAssignment, "Partitions should be a consecutive 0-based integer sequence.")
			}
			assign[p] = replicas
		}
		if err := checkAssignments(im, assign, len(assign[0])); err != nil {
			return nil, 0, 0, err
		}
	default:
		np, rf := s.NumPartitions, s.ReplicationFactor
		if np == -1 {
			np = c.cfg.Broker.NumPartitions
		}
		if rf == -1 {
			rf = c.cfg.Broker.DefaultReplicationFactor
		}
		if np <= 0 {
			return nil, 0, 0, reqErr(ErrInvalidPartitions, "Number of partitions was set to an invalid non-positive value.")
		}
		if rf <= 0 {
			return nil, 0, 0, reqErr(ErrInvalidReplicationFactor, "Replication factor must be larger than 0, or -1 to use the default value.")
		}
		if int(rf) > len(live) {
			return nil, 0, 0, reqErr(ErrInvalidReplicationFactor, fmt.Sprintf("Replication factor: %d larger than available brokers: %d.", rf, len(live)))
		}
		assign = c.placeLocked(live, 0, np, int(rf))
	}
	if err := validateTopicConfigs(s.Configs); err != nil {
		return nil, 0, 0, err
	}
	id := metadata.NewTopicID()
	recs := []metadata.Record{metadata.TopicRecord{Name: s.Name, ID: id, Configs: s.Configs}}
	recs = append(recs, partitionRecords(id, 0, assign)...)
	return recs, int32(len(assign)), int16(len(assign[0])), nil
}

func validateTopicConfigs(cfgs map[string]string) error {
	keys := make([]string, 0, len(cfgs))
	for k := range cfgs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := config.ValidateTopicConfig(k, cfgs[k]); err != nil {
			return &reqError{Kind: ErrInvalidConfig, Msg: err.Error(), Cause: err}
		}
	}
	if len(cfgs) > 0 {
		if err := config.ValidateTopicConfigs(cfgs); err != nil {
			return &reqError{Kind: ErrInvalidConfig, Msg: err.Error(), Cause: err}
		}
	}
	return nil
}

// checkAssignments applies Kafka's manual assignment rules: every list
// non-empty, of the same length rf, without duplicates, naming only
// registered brokers.
func checkAssignments(im *metadata.Image, assign [][]int32, rf int) error {
	for p, replicas := range assign {
		if len(replicas) == 0 {
			return reqErr(ErrInvalidReplicaAssignment, "The manual partition assignment includes an empty replica list.")
		}
		if len(replicas) != rf {
			return reqErr(ErrInvalidReplicaAssignment, fmt.Sprintf("The manual partition assignment includes a partition (%d) with %d replica(s), but this is not consistent with previous partitions, which have %d replica(s).", p, len(replicas), rf))
		}
		seen := map[int32]bool{}
		for _, b := range replicas {
			if seen[b] {
				return reqErr(ErrInvalidReplicaAssignment, fmt.Sprintf("The manual partition assignment includes the broker %d more than once.", b))
			}
			seen[b] = true
			if _, ok := im.Brokers[b]; !ok {
				return reqErr(ErrInvalidReplicaAssignment, fmt.Sprintf("The manual partition assignment includes broker %d, but no such broker is registered.", b))
			}
		}
	}
	return nil
}

// placeLocked assigns rf replicas to each of count partitions starting at
// index first, round-robin over the live brokers from a rotating offset
// so that leaders of successive topics spread over the cluster.
func (c *Controller) placeLocked(live []int32, first, count int32, rf int) [][]int32 {
	start := c.placeNext
	c.placeNext++
	out := make([][]int32, count)
	for i := range out {
		replicas := make([]int32, rf)
		for r := range replicas {
			replicas[r] = live[(start+int(first)+i+r)%len(live)]
		}
		out[i] = replicas
	}
	return out
}

func partitionRecords(id metadata.TopicID, first int32, assign [][]int32) []metadata.Record {
	recs := make([]metadata.Record, 0, len(assign))
	for i, replicas := range assign {
		recs = append(recs, metadata.PartitionRecord{
			TopicID: id, Index: first + int32(i), Replicas: slices.Clone(replicas), ISR: slices.Clone(replicas),
			Leader: replicas[0], LeaderEpoch: 0,
		})
	}
	return recs
}

// DeleteTopics deletes the named topics; the result for each name is nil
// or an error (ErrUnknownTopic, ErrTopicDeletionDisabled, ...).
func (c *Controller) DeleteTopics(ctx context.Context, names []string) []error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	im := c.Image()
	ids := make([]metadata.TopicID, len(names))
	errs := make([]error, len(names))
	for i, n := range names {
		t := im.Topic(n)
		if t == nil {
			errs[i] = reqErr(ErrUnknownTopic, "This server does not host this topic-partition.")
			continue
		}
		ids[i] = t.ID
	}
	return c.deleteLocked(ctx, im, ids, errs)
}

// DeleteTopicsByID is DeleteTopics addressing topics by id.
func (c *Controller) DeleteTopicsByID(ctx context.Context, ids []metadata.TopicID) []error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	im := c.Image()
	errs := make([]error, len(ids))
	for i, id := range ids {
		if im.TopicByID(id) == nil {
			errs[i] = reqErr(ErrUnknownTopic, "This server does not host this topic ID.")
		}
	}
	return c.deleteLocked(ctx, im, slices.Clone(ids), errs)
}

// deleteLocked removes the topics ids[i] for which errs[i] is nil.
func (c *Controller) deleteLocked(ctx context.Context, im *metadata.Image, ids []metadata.TopicID, errs []error) []error {
	seen := map[metadata.TopicID]int{}
	for i, id := range ids {
		if errs[i] == nil {
			seen[id]++
		}
	}
	var recs []metadata.Record
	var ok []int
	for i, id := range ids {
		if errs[i] != nil {
			continue
		}
		if !c.cfg.Broker.DeleteTopicEnable {
			errs[i] = reqErr(ErrTopicDeletionDisabled, "Topic deletion is disabled.")
			continue
		}
		if seen[id] > 1 {
			errs[i] = reqErr(ErrInvalidRequest, fmt.Sprintf("Duplicate topic in request: %s", im.TopicByID(id).Name))
			continue
		}
		recs = append(recs, metadata.RemoveTopic{ID: id})
		ok = append(ok, i)
	}
	if len(recs) == 0 {
		return errs
	}
	if _, err := c.commitLocked(ctx, recs); err != nil {
		for _, i := range ok {
			errs[i] = err
		}
		return errs
	}
	for _, i := range ok {
		c.logger.Info("topic deleted", "topic", im.TopicByID(ids[i]).Name, "id", ids[i])
	}
	return errs
}

// CreatePartitions grows topic to totalCount partitions. assignments, if
// non-nil, gives the replicas of each new partition.
func (c *Controller) CreatePartitions(ctx context.Context, topic string, totalCount int32, assignments [][]int32, validateOnly bool) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	im := c.Image()
	t := im.Topic(topic)
	if t == nil {
		return reqErr(ErrUnknownTopic, "This server does not host this topic-partition.")
	}
	cur := int32(len(t.Partitions))
	switch {
	case totalCount == cur:
		return reqErr(ErrInvalidPartitions, fmt.Sprintf("Topic already has %d partitions.", cur))
	case totalCount < cur:
		return reqErr(ErrInvalidPartitions, fmt.Sprintf("Topic currently has %d partitions, which is higher than the requested %d.", cur, totalCount))
	}
	add := totalCount - cur
	rf := int(t.ReplicationFactor())
	var assign [][]int32
	if assignments != nil {
		if int32(len(assignments)) != add {
			return reqErr(ErrInvalidReplicaAssignment, fmt.Sprintf("Increasing the number of partitions by %d but %d assignments provided.", add, len(assignments)))
		}
		if err := checkAssignments(im, assignments, rf); err != nil {
			return err
		}
		assign = assignments
	} else {
		live := im.LiveBrokers()
		if rf > len(live) {
			return reqErr(ErrInvalidReplicationFactor, fmt.Sprintf("Replication factor: %d larger than available brokers: %d.", rf, len(live)))
		}
		assign = c.placeLocked(live, cur, add, rf)
	}
	if validateOnly {
		return nil
	}
	if _, err := c.commitLocked(ctx, partitionRecords(t.ID, cur, assign)); err != nil {
		return err
	}
	c.logger.Info("partitions created", "topic", topic, "from", cur, "to", totalCount)
	return nil
}
