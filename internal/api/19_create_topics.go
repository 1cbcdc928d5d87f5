package api

// CreateTopics: v0-7
//
// Behavior:
// * Every topic is validated and created independently by the controller;
//   one bad topic does not fail the others.
// * A name given more than once gets INVALID_REQUEST "Duplicate topic
//   name." (once) and is not created, as Kafka's ControllerApis does.
// * NumPartitions / ReplicationFactor of -1 take the broker defaults
//   (KIP-464); a replica assignment excludes both (INVALID_REQUEST).
// * ValidateOnly (v1+) runs every check and creates nothing.
// * TimeoutMillis bounds the wait for the metadata quorum; a timeout
//   answers REQUEST_TIMED_OUT. A timeout <= 0 (Kafka: "do not wait for
//   propagation") still creates the topic, bounded by the admin timeout.
//
// Version notes:
// * v1: ValidateOnly, ErrorMessage
// * v2: ThrottleMillis
// * v4: -1 defaults (KIP-464)
// * v5: NumPartitions, ReplicationFactor and Configs in the response
//   (KIP-525), flexible versions
// * v7: TopicID in the response

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/config"
	"strom/internal/controller"
)

func init() { register(19, 0, 7, handleCreateTopics) }

func handleCreateTopics(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	req := kreq.(*kmsg.CreateTopicsRequest)
	resp := req.ResponseKind().(*kmsg.CreateTopicsResponse)

	count := map[string]int{}
	for _, rt := range req.Topics {
		count[rt.Topic]++
	}
	var specs []controller.TopicSpec
	for _, rt := range req.Topics {
		if count[rt.Topic] != 1 {
			continue
		}
		spec := controller.TopicSpec{
			Name:              rt.Topic,
			NumPartitions:     rt.NumPartitions,
			ReplicationFactor: rt.ReplicationFactor,
		}
		if len(rt.ReplicaAssignment) > 0 {
			spec.Assignments = make(map[int32][]int32, len(rt.ReplicaAssignment))
			for _, a := range rt.ReplicaAssignment {
				spec.Assignments[a.Partition] = a.Replicas
			}
		}
		if len(rt.Configs) > 0 {
			spec.Configs = make(map[string]string, len(rt.Configs))
			for _, c := range rt.Configs {
				// A null value means "no override": Kafka skips it.
				if c.Value != nil {
					spec.Configs[c.Name] = *c.Value
				}
			}
		}
		specs = append(specs, spec)
	}

	ctx, cancel := adminContext(env, cc, req.TimeoutMillis)
	defer cancel()
	var results []controller.TopicResult
	if len(specs) > 0 {
		results = env.Controller.CreateTopics(ctx, specs, req.ValidateOnly)
	}
	byName := make(map[string]controller.TopicResult, len(results))
	for _, r := range results {
		byName[r.Name] = r
	}

	img := env.Controller.Image()
	done := map[string]bool{}
	for _, rt := range req.Topics {
		if done[rt.Topic] {
			continue
		}
		done[rt.Topic] = true
		st := kmsg.NewCreateTopicsResponseTopic()
		st.Topic = rt.Topic
		if count[rt.Topic] != 1 {
			st.ErrorCode = kerr.InvalidRequest.Code
			st.ErrorMessage = kmsg.StringPtr("Duplicate topic name.")
			resp.Topics = append(resp.Topics, st)
			continue
		}
		r := byName[rt.Topic]
		st.ErrorCode = errCode(r.Err)
		st.ErrorMessage = errMessage(r.Err)
		if r.Err == nil {
			st.NumPartitions = r.NumPartitions
			st.ReplicationFactor = r.ReplicationFactor
			if !req.ValidateOnly {
				st.TopicID = r.ID
			}
			// The configs a describe of the new topic would return:
			// the created topic's overrides, or the requested ones
			// when nothing was created.
			overrides := specConfigs(specs, rt.Topic)
			if t := img.Topic(rt.Topic); t != nil && !req.ValidateOnly {
				overrides = t.Configs
			}
			for _, e := range env.Config.DescribeTopic(overrides) {
				c := kmsg.NewCreateTopicsResponseTopicConfig()
				c.Name = e.Name
				c.Value = entryValue(e)
				c.ReadOnly = e.ReadOnly
				c.Source = int8(e.Source)
				c.IsSensitive = e.Sensitive
				st.Configs = append(st.Configs, c)
			}
		}
		resp.Topics = append(resp.Topics, st)
	}
	return Reply(resp)
}

func specConfigs(specs []controller.TopicSpec, name string) map[string]string {
	for _, s := range specs {
		if s.Name == name {
			return s.Configs
		}
	}
	return nil
}

// entryValue hides sensitive values, as Kafka does in every config
// listing.
func entryValue(e config.Entry) *string {
	if e.Sensitive {
		return nil
	}
	v := e.Value
	return &v
}

// adminContext bounds an admin request's wait for the metadata quorum by
// the request's own timeout, or by the broker's admin timeout when the
// request names none. Shared by the admin handlers.
func adminContext(env *Env, cc *ConnInfo, timeoutMillis int32) (context.Context, context.CancelFunc) {
	parent := context.Background()
	if cc != nil && cc.Ctx != nil {
		parent = cc.Ctx
	}
	d := time.Duration(timeoutMillis) * time.Millisecond
	if d <= 0 {
		d = env.AdminTimeout
	}
	if d <= 0 {
		d = 30 * time.Second
	}
	return context.WithTimeout(parent, d)
}
