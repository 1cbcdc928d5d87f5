package api

// DescribeConfigs: v0-4
//
// Behavior:
// * TOPIC resources: every topic config with its effective value and
//   source (topic override, static broker config or default); unknown
//   topic -> UNKNOWN_TOPIC_OR_PARTITION, invalid name ->
//   INVALID_TOPIC_EXCEPTION.
// * BROKER resources: the name must be this broker's id, listing every
//   broker config; the empty name is Kafka's cluster-wide default
//   resource and lists only the dynamic defaults (so usually nothing);
//   any other name -> INVALID_REQUEST.
// * ConfigNames null lists every key; a list keeps only those names
//   (unknown names are silently absent, an empty list returns nothing),
//   as Kafka's ConfigHelper does.
// * Synonyms only when IncludeSynonyms (v1+); documentation only when
//   IncludeDocumentation (v3+); sensitive values are null.
// * Other resource types -> INVALID_REQUEST.
//
// Version notes:
// * v1: IncludeSynonyms, Source and ConfigSynonyms (IsDefault is v0 only)
// * v2: ThrottleMillis
// * v3: IncludeDocumentation, ConfigType, Documentation
// * v4: flexible versions

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/config"
	"strom/internal/metadata"
	"strom/internal/replica"
)

func init() { register(32, 0, 4, handleDescribeConfigs) }

func handleDescribeConfigs(env *Env, cc *ConnInfo, kreq kmsg.Request) Result {
	req := kreq.(*kmsg.DescribeConfigsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeConfigsResponse)
	img := env.Controller.Image()
	for i := range req.Resources {
		rr := &req.Resources[i]
		r := kmsg.NewDescribeConfigsResponseResource()
		r.ResourceType = rr.ResourceType
		r.ResourceName = rr.ResourceName
		entries, err := describeResource(env, img, rr)
		if err != nil {
			r.ErrorCode = errCode(err)
			r.ErrorMessage = errMessage(err)
			resp.Resources = append(resp.Resources, r)
			continue
		}
		var keep map[string]bool
		if rr.ConfigNames != nil {
			keep = make(map[string]bool, len(rr.ConfigNames))
			for _, n := range rr.ConfigNames {
				keep[n] = true
			}
		}
		for _, e := range entries {
			if keep != nil && !keep[e.Name] {
				continue
			}
			r.Configs = append(r.Configs, describeEntry(e, req.IncludeSynonyms, req.IncludeDocumentation))
		}
		resp.Resources = append(resp.Resources, r)
	}
	return Reply(resp)
}

func describeResource(env *Env, img *metadata.Image, rr *kmsg.DescribeConfigsRequestResource) ([]config.Entry, error) {
	switch rr.ResourceType {
	case kmsg.ConfigResourceTypeTopic:
		if err := metadata.ValidTopicName(rr.ResourceName); err != nil {
			return nil, err
		}
		t := img.Topic(rr.ResourceName)
		if t == nil {
			return nil, fmt.Errorf("%w: topic %q does not exist", replica.ErrUnknownTopicOrPartition, rr.ResourceName)
		}
		return env.Config.DescribeTopic(t.Configs), nil
	case kmsg.ConfigResourceTypeBroker:
		if rr.ResourceName == "" {
			return dynamicDefaults(img), nil
		}
		if err := checkBrokerResource(env, rr.ResourceName); err != nil {
			return nil, err
		}
		return env.Config.DescribeBroker(), nil
	default:
		return nil, invalidRequest(fmt.Sprintf("Unsupported resource type: %s", rr.ResourceType))
	}
}

// checkBrokerResource accepts only this broker's id: a broker can only
// speak for its own configs, and clients route per-broker requests.
func checkBrokerResource(env *Env, name string) error {
	id, err := strconv.ParseInt(name, 10, 32)
	if err != nil {
		return invalidRequest(fmt.Sprintf("Broker id must be an integer, but it is: %s", name))
	}
	if int32(id) != env.NodeID {
		return invalidRequest(fmt.Sprintf("Unexpected broker id, expected %d or empty string, but received %s", env.NodeID, name))
	}
	return nil
}

// dynamicDefaults lists the cluster-wide dynamic broker overrides, what
// Kafka answers for the empty broker resource name.
func dynamicDefaults(img *metadata.Image) []config.Entry {
	out := make([]config.Entry, 0, len(img.BrokerConfigs))
	for k, v := range img.BrokerConfigs {
		out = append(out, config.Entry{Name: k, Value: v, Source: config.Source(kmsg.ConfigSourceDynamicDefaultBrokerConfig)})
	}
	slices.SortFunc(out, func(a, b config.Entry) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func describeEntry(e config.Entry, synonyms, docs bool) kmsg.DescribeConfigsResponseResourceConfig {
	c := kmsg.NewDescribeConfigsResponseResourceConfig()
	c.Name = e.Name
	c.Value = entryValue(e)
	c.ReadOnly = e.ReadOnly
	c.Source = kmsg.ConfigSource(e.Source)
	// v0 has no source; IsDefault is its only hint.
	c.IsDefault = c.Source == kmsg.ConfigSourceDefaultConfig
	c.IsSensitive = e.Sensitive
	if t, err := kmsg.ParseConfigType(e.Type); err == nil {
		c.ConfigType = t
	}
	if docs && e.Doc != "" {
		c.Documentation = kmsg.StringPtr(e.Doc)
	}
	if synonyms {
		for _, s := range e.Synonyms {
			syn := kmsg.NewDescribeConfigsResponseResourceConfigConfigSynonym()
			syn.Name = s.Name
			syn.Source = kmsg.ConfigSource(s.Source)
			if !e.Sensitive {
				syn.Value = kmsg.StringPtr(s.Value)
			}
			c.ConfigSynonyms = append(c.ConfigSynonyms, syn)
		}
	}
	return c
}
