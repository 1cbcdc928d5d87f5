package api

// DeleteTopics: v0-6
//
// Behavior:
// * v0-5 name topics; v6 names or topic IDs, one of the two per entry:
//   both -> INVALID_REQUEST "You may not specify both topic name and topic
//   id.", neither -> INVALID_REQUEST.
// * A name or ID listed twice gets one INVALID_REQUEST answer and is not
//   deleted, as in Kafka's ControllerApis.
// * An unknown name is UNKNOWN_TOPIC_OR_PARTITION, an unknown ID
//   UNKNOWN_TOPIC_ID; delete.topic.enable=false is TOPIC_DELETION_DISABLED.
// * Partition logs are removed by the replica manager when it applies the
//   image without the topic, not by this handler.
//
// Version notes:
// * v1: ThrottleMillis
// * v4: flexible versions
// * v5: ErrorMessage
// * v6: Topics with TopicID (KIP-516)

import (
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/controller"
	"strom/internal/metadata"
)

func init() { register(20, 0, 6, handleDeleteTopics) }

func handleDeleteTopics(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	req := kreq.(*kmsg.DeleteTopicsRequest)
	resp := req.ResponseKind().(*kmsg.DeleteTopicsResponse)

	entries := req.Topics
	if req.Version <= 5 {
		entries = make([]kmsg.DeleteTopicsRequestTopic, 0, len(req.TopicNames))
		for _, n := range req.TopicNames {
			t := kmsg.NewDeleteTopicsRequestTopic()
			t.Topic = kmsg.StringPtr(n)
			entries = append(entries, t)
		}
	}

	type slot struct {
		name string
		id   metadata.TopicID
		err  error
	}
	slots := make([]slot, len(entries))
	names := map[string]int{}
	ids := map[metadata.TopicID]int{}
	for _, e := range entries {
		if e.Topic != nil {
			names[*e.Topic]++
		} else {
			ids[e.TopicID]++
		}
	}
	img := env.Controller.Image()
	var delNames []string
	var delIdx []int
	var delIDs []metadata.TopicID
	var delIDIdx []int
	for i, e := range entries {
		s := &slots[i]
		id := metadata.TopicID(e.TopicID)
		switch {
		case e.Topic != nil && !id.IsZero():
			s.name, s.id = *e.Topic, id
			s.err = invalidRequest("You may not specify both topic name and topic id.")
		case e.Topic == nil && id.IsZero():
			s.err = invalidRequest("Neither topic name nor id were specified.")
		case e.Topic != nil:
			s.name = *e.Topic
			if names[s.name] > 1 {
				s.err = invalidRequest("Duplicate topic name.")
				break
			}
			if t := img.Topic(s.name); t != nil {
				s.id = t.ID
			}
			delNames = append(delNames, s.name)
			delIdx = append(delIdx, i)
		default:
			s.id = id
			if ids[id] > 1 {
				s.err = invalidRequest("Duplicate topic id.")
				break
			}
			t := img.TopicByID(id)
			if t == nil {
				// The controller only knows names' sentinel; an
				// unknown ID has its own code.
				s.err = kerr.UnknownTopicID
				break
			}
			s.name = t.Name
			delIDs = append(delIDs, id)
			delIDIdx = append(delIDIdx, i)
		}
	}

	ctx, cancel := adminContext(env, cc, req.TimeoutMillis)
	defer cancel()
	if len(delNames) > 0 {
		for j, err := range env.Controller.DeleteTopics(ctx, delNames) {
			slots[delIdx[j]].err = err
		}
	}
	if len(delIDs) > 0 {
		for j, err := range env.Controller.DeleteTopicsByID(ctx, delIDs) {
			if errors.Is(err, controller.ErrUnknownTopic) {
				// Deleted concurrently between our image read
				// and the controller's: still an unknown ID.
				err = kerr.UnknownTopicID
			}
			slots[delIDIdx[j]].err = err
		}
	}

	reported := map[string]bool{}
	for _, s := range slots {
		if dupKey := s.name + "/" + s.id.String(); names[s.name] > 1 || ids[s.id] > 1 {
			// Kafka answers a duplicated name or id once.
			if reported[dupKey] {
				continue
			}
			reported[dupKey] = true
		}
		st := kmsg.NewDeleteTopicsResponseTopic()
		if s.name != "" || req.Version <= 5 {
			st.Topic = kmsg.StringPtr(s.name)
		}
		st.TopicID = s.id
		st.ErrorCode = errCode(s.err)
		st.ErrorMessage = errMessage(s.err)
		resp.Topics = append(resp.Topics, st)
	}
	return Reply(resp)
}
