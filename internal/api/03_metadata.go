package api

// Metadata: v0-12
//
// Behavior:
// * A null topic list (v1+), or an empty one at v0, means every topic.
// * A requested topic that does not exist is created only when the broker
//   allows it (auto.create.topics.enable) AND the request asks for it
//   (allow_auto_topic_creation, implied before v4), so a client that only
//   reads metadata cannot resurrect a topic that was just deleted.
//   An invalid name gets INVALID_TOPIC_EXCEPTION and is never created.
// * A freshly created topic whose partitions are not open yet is reported
//   with LEADER_NOT_AVAILABLE, which clients retry, as Kafka does.
// * v10+ may name topics by ID; unknown IDs get UNKNOWN_TOPIC_ID.
// * Authorized operations are not computed (no ACLs yet): the field is
//   left at Kafka's "not requested" value.

import (
	"context"
	"errors"
	"sort"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/controller"
	"strom/internal/metadata"
)

func init() { register(3, 0, 12, handleMetadata) }

func isInternalTopic(name string) bool {
	return name == "__consumer_offsets" || name == "__transaction_state"
}

func handleMetadata(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	req := kreq.(*kmsg.MetadataRequest)
	resp := req.ResponseKind().(*kmsg.MetadataResponse)
	img := env.Controller.Image()

	ids := make([]int32, 0, len(img.Brokers))
	for id := range img.Brokers {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		b := img.Brokers[id]
		if b.Fenced {
			continue
		}
		mb := kmsg.NewMetadataResponseBroker()
		mb.NodeID, mb.Host, mb.Port = b.ID, b.Host, b.Port
		if b.Rack != "" {
			rack := b.Rack
			mb.Rack = &rack
		}
		resp.Brokers = append(resp.Brokers, mb)
	}
	cid := env.Controller.ClusterID()
	resp.ClusterID = &cid
	resp.ControllerID = env.NodeID

	all := req.Topics == nil || (req.Version == 0 && len(req.Topics) == 0)
	if all {
		names := make([]string, 0, len(img.Topics))
		for n := range img.Topics {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			resp.Topics = append(resp.Topics, topicMetadata(env, img.Topics[n]))
		}
		return Reply(resp)
	}

	allowAuto := env.Config.AutoCreateTopics && (req.Version < 4 || req.AllowAutoTopicCreation)
	seen := map[string]bool{}
	var toCreate []string
	for _, rt := range req.Topics {
		var t *metadata.Topic
		var name string
		if req.Version >= 10 && rt.TopicID != [16]byte{} {
			t = img.TopicsByID[metadata.TopicID(rt.TopicID)]
			if t == nil {
				mt := kmsg.NewMetadataResponseTopic()
				mt.TopicID = rt.TopicID
				mt.ErrorCode = kerr.UnknownTopicID.Code
				resp.Topics = append(resp.Topics, mt)
				continue
			}
			name = t.Name
		} else if rt.Topic == nil {
			continue
		} else {
			name = *rt.Topic
			t = img.Topic(name)
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		if t != nil {
			resp.Topics = append(resp.Topics, topicMetadata(env, t))
			continue
		}
		if err := metadata.ValidTopicName(name); err != nil {
			resp.Topics = append(resp.Topics, topicError(name, kerr.InvalidTopicException.Code))
			continue
		}
		if !allowAuto {
			resp.Topics = append(resp.Topics, topicError(name, kerr.UnknownTopicOrPartition.Code))
			continue
		}
		toCreate = append(toCreate, name)
	}
	if len(toCreate) > 0 {
		resp.Topics = append(resp.Topics, autoCreate(env, toCreate)...)
	}
	return Reply(resp)
}

func autoCreate(env *Env, names []string) []kmsg.MetadataResponseTopic {
	specs := make([]controller.TopicSpec, len(names))
	for i, n := range names {
		specs[i] = controller.TopicSpec{Name: n, NumPartitions: -1, ReplicationFactor: -1}
	}
	ctx, cancel := context.WithTimeout(context.Background(), env.AdminTimeout)
	defer cancel()
	results := env.Controller.CreateTopics(ctx, specs, false)
	img := env.Controller.Image()
	out := make([]kmsg.MetadataResponseTopic, 0, len(names))
	for i, r := range results {
		if r.Err != nil && !errors.Is(r.Err, controller.ErrTopicExists) {
			env.Logger.Warn("auto-creating topic failed", "topic", names[i], "err", r.Err)
			out = append(out, topicError(names[i], errCode(r.Err)))
			continue
		}
		env.Logger.Info("auto-created topic", "topic", names[i])
		t := img.Topic(names[i])
		if t == nil {
			out = append(out, topicError(names[i], kerr.LeaderNotAvailable.Code))
			continue
		}
		out = append(out, topicMetadata(env, t))
	}
	return out
}

func topicError(name string, code int16) kmsg.MetadataResponseTopic {
	mt := kmsg.NewMetadataResponseTopic()
	n := name
	mt.Topic = &n
	mt.ErrorCode = code
	mt.IsInternal = isInternalTopic(name)
	return mt
}

func topicMetadata(env *Env, t *metadata.Topic) kmsg.MetadataResponseTopic {
	mt := kmsg.NewMetadataResponseTopic()
	n := t.Name
	mt.Topic = &n
	mt.TopicID = t.ID
	mt.IsInternal = isInternalTopic(t.Name)
	for _, p := range t.Partitions {
		mp := kmsg.NewMetadataResponseTopicPartition()
		mp.Partition = p.Index
		mp.Leader = p.Leader
		mp.LeaderEpoch = p.LeaderEpoch
		mp.Replicas = append([]int32(nil), p.Replicas...)
		mp.ISR = append([]int32(nil), p.ISR...)
		mp.OfflineReplicas = []int32{}
		if p.Leader == env.NodeID {
			if part, err := env.Replicas.Partition(t.Name, p.Index); err != nil {
				// Created in the image but not opened here yet.
				mp.ErrorCode = kerr.LeaderNotAvailable.Code
			} else if part.Err() != nil {
				mp.ErrorCode = kerr.KafkaStorageError.Code
				mp.OfflineReplicas = []int32{env.NodeID}
			}
		}
		mt.Partitions = append(mt.Partitions, mp)
	}
	return mt
}
