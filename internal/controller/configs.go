package controller

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"strom/internal/config"
	"strom/internal/metadata"
)

// OpType is an incremental config operation. The values are Kafka's
// IncrementalAlterConfigs op codes.
type OpType int8

// Config operations.
const (
	OpSet      OpType = 0
	OpDelete   OpType = 1
	OpAppend   OpType = 2 // LIST-typed keys only
	OpSubtract OpType = 3 // LIST-typed keys only
)

// ConfigOp is one operation of AlterConfigs.
type ConfigOp struct {
	Key   string
	Value *string
	Op    OpType
}

// listKeys are the LIST-typed topic configs, read from the config
// package's own descriptions so the two never disagree.
var listKeys = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, e := range config.Default().DescribeTopic(nil) {
		if e.Type == "LIST" {
			m[e.Name] = true
		}
	}
	return m
})

// AlterConfigs changes the dynamic config overrides of one resource.
// With replaceAll (legacy AlterConfigs) the OpSet operations given become
// the complete set of overrides; otherwise the operations are applied
// incrementally. For brokers, name "" is the cluster-wide default and a
// decimal id addresses one broker; broker keys are not validated.
func (c *Controller) AlterConfigs(ctx context.Context, resType ResourceType, name string, ops []ConfigOp, replaceAll bool, validateOnly bool) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	im := c.Image()
	var current map[string]string
	switch resType {
	case ResourceTopic:
		t := im.Topic(name)
		if t == nil {
			return reqErr(ErrUnknownTopic, "This server does not host this topic-partition.")
		}
		current = t.Configs
	case ResourceBroker:
		if name == "" {
			current = im.BrokerConfigs
			break
		}
		if _, err := strconv.ParseInt(name, 10, 32); err != nil {
			return reqErr(ErrInvalidRequest, fmt.Sprintf("Invalid broker id: %q.", name))
		}
		current = im.PerBrokerConfigs[name]
	default:
		return reqErr(ErrInvalidRequest, fmt.Sprintf("Unsupported resource type %d.", resType))
	}

	next, err := c.applyOps(resType, current, ops, replaceAll)
	if err != nil {
		return err
	}
	if resType == ResourceTopic {
		if err := validateTopicConfigs(next); err != nil {
			return err
		}
	}
	recs := configDiff(resType, name, current, next)
	if validateOnly || len(recs) == 0 {
		return nil
	}
	if _, err := c.commitLocked(ctx, recs); err != nil {
		return err
	}
	c.logger.Info("configs altered", "resource", resType.String(), "name", name, "changes", len(recs))
	return nil
}

// applyOps returns the override map that results from ops.
func (c *Controller) applyOps(resType ResourceType, current map[string]string, ops []ConfigOp, replaceAll bool) (map[string]string, error) {
	next := maps.Clone(current)
	if replaceAll {
		next = map[string]string{}
	}
	if next == nil {
		next = map[string]string{}
	}
	seen := map[string]bool{}
	for _, op := range ops {
		if op.Key == "" {
			return nil, reqErr(ErrInvalidRequest, "Config key must not be empty.")
		}
		if seen[op.Key] {
			return nil, reqErr(ErrInvalidRequest, fmt.Sprintf("Error due to duplicate config keys: %s", op.Key))
		}
		seen[op.Key] = true
		if resType == ResourceTopic {
			// Any op on an unknown topic config is refused, as Kafka does.
			if err := config.ValidateTopicConfig(op.Key, ""); err != nil && isUnknown(err) {
				return nil, &reqError{Kind: ErrInvalidConfig, Msg: fmt.Sprintf("Unknown topic config name: %s", op.Key), Cause: err}
			}
		}
		if replaceAll && op.Op != OpSet {
			return nil, reqErr(ErrInvalidRequest, "AlterConfigs only sets values.")
		}
		switch op.Op {
		case OpSet:
			if op.Value == nil {
				if replaceAll {
					continue // legacy AlterConfigs: a null value means "no override"
				}
				return nil, reqErr(ErrInvalidRequest, fmt.Sprintf("Null value not supported for : %s", op.Key))
			}
			if resType == ResourceTopic {
				if err := config.ValidateTopicConfig(op.Key, *op.Value); err != nil {
					return nil, &reqError{Kind: ErrInvalidConfig, Msg: err.Error(), Cause: err}
				}
			}
			next[op.Key] = *op.Value
		case OpDelete:
			delete(next, op.Key)
		case OpAppend, OpSubtract:
			if resType != ResourceTopic || !listKeys()[op.Key] {
				return nil, reqErr(ErrInvalidConfig, fmt.Sprintf("Config value append/subtract is not allowed for config key: %s", op.Key))
			}
			if op.Value == nil {
				return nil, reqErr(ErrInvalidRequest, fmt.Sprintf("Null value not supported for : %s", op.Key))
			}
			old, ok := next[op.Key]
			if !ok {
				old, _ = c.cfg.Broker.TopicDefault(op.Key)
			}
			list := splitList(old)
			for _, item := range splitList(*op.Value) {
				if op.Op == OpAppend && !slices.Contains(list, item) {
					list = append(list, item)
				}
				if op.Op == OpSubtract {
					list = slices.DeleteFunc(list, func(s string) bool { return s == item })
				}
			}
			v := strings.Join(list, ",")
			if err := config.ValidateTopicConfig(op.Key, v); err != nil {
				return nil, &reqError{Kind: ErrInvalidConfig, Msg: err.Error(), Cause: err}
			}
			next[op.Key] = v
		default:
			return nil, reqErr(ErrInvalidRequest, fmt.Sprintf("Unknown config operation %d for %s.", op.Op, op.Key))
		}
	}
	return next, nil
}

func isUnknown(err error) bool { return errors.Is(err, config.ErrUnknownConfig) }

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// configDiff returns the ConfigRecords that turn cur into next, in key
// order so the log is deterministic.
func configDiff(resType ResourceType, name string, cur, next map[string]string) []metadata.Record {
	var recs []metadata.Record
	keys := slices.Sorted(maps.Keys(cur))
	for _, k := range keys {
		if _, ok := next[k]; !ok {
			recs = append(recs, metadata.ConfigRecord{ResourceType: resType, ResourceName: name, Key: k})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(next)) {
		if v, ok := cur[k]; !ok || v != next[k] {
			recs = append(recs, metadata.ConfigRecord{ResourceType: resType, ResourceName: name, Key: k, Value: new(next[k])})
		}
	}
	return recs
}
