package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"

	"strom/internal/cli"
)

// topicOpts holds every flag a topic operation may read. Each command gets
// its own copy; the parent `strom topic` command carries all of them so the
// kafka-topics.sh spelling (`strom topic --create --topic x`) works too.
type topicOpts struct {
	g           *globals
	topics      []string
	partitions  int32
	rf          int16
	configs     []string
	ifNotExists bool
	ifExists    bool
	internal    bool
	allConfigs  bool
	json        bool
	set, del    []string
}

func (o *topicOpts) topicFlag(fs *pflag.FlagSet) {
	fs.StringArrayVar(&o.topics, "topic", nil, "topic name (repeatable; positional names work too)")
}

func (o *topicOpts) createFlags(fs *pflag.FlagSet) {
	fs.Int32Var(&o.partitions, "partitions", -1, "number of partitions (-1: broker default num.partitions)")
	fs.Int16Var(&o.rf, "replication-factor", -1, "replicas per partition (-1: broker default default.replication.factor)")
	fs.StringArrayVar(&o.configs, "config", nil, "topic config key=value (repeatable), e.g. --config retention.ms=3600000")
	fs.BoolVar(&o.ifNotExists, "if-not-exists", false, "succeed if the topic already exists")
}

// names merges positional topic names with --topic flags.
func (o *topicOpts) names(args []string) []string {
	return append(append([]string(nil), args...), o.topics...)
}

func newTopicCmd(g *globals) *cobra.Command {
	o := &topicOpts{g: g}
	var create, list, describe, del, alter bool
	cmd := &cobra.Command{
		Use:     "topic",
		Aliases: []string{"topics"},
		Short:   "Create, list, describe, alter and delete topics (kafka-topics.sh)",
		Example: `  strom topic create dataengineering --partitions 1 --replication-factor 1
  strom topic list
  strom topic describe dataengineering
  strom topic --create --topic dataengineering --partitions 3   # kafka-topics.sh spelling`,
		RunE: func(cmd *cobra.Command, args []string) error {
			names := o.names(args)
			switch {
			case create:
				return o.create(cmd, names)
			case list:
				return o.list(cmd)
			case describe:
				return o.describe(cmd, names)
			case del:
				return o.delete(cmd, names)
			case alter:
				if cmd.Flags().Changed("partitions") {
					if err := o.addPartitions(cmd, names); err != nil {
						return err
					}
				}
				if len(o.configs) > 0 {
					o.set = o.configs
					return o.alterConfig(cmd, names)
				}
				if !cmd.Flags().Changed("partitions") {
					return usagef("--alter needs --partitions N or --config key=value")
				}
				return nil
			}
			return cmd.Help()
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&create, "create", false, "create the --topic")
	fs.BoolVar(&list, "list", false, "list topics")
	fs.BoolVar(&describe, "describe", false, "describe the --topic (all topics without --topic)")
	fs.BoolVar(&del, "delete", false, "delete the --topic")
	fs.BoolVar(&alter, "alter", false, "add partitions (--partitions) or set configs (--config)")
	fs.BoolVar(&o.ifExists, "if-exists", false, "with --delete or --alter: succeed if the topic does not exist")
	fs.BoolVar(&o.internal, "internal", false, "include internal topics (__consumer_offsets, ...)")
	fs.BoolVar(&o.allConfigs, "all-configs", false, "with --describe: show every config, not only overrides")
	fs.BoolVar(&o.json, "json", false, "print JSON")
	o.topicFlag(fs)
	o.createFlags(fs)

	cmd.AddCommand(
		newTopicCreateCmd(g),
		newTopicListCmd(g),
		newTopicDescribeCmd(g),
		newTopicDeleteCmd(g),
		newTopicAlterConfigCmd(g),
		newTopicAddPartitionsCmd(g),
	)
	return cmd
}

func newTopicCreateCmd(g *globals) *cobra.Command {
	o := &topicOpts{g: g}
	cmd := &cobra.Command{
		Use:   "create NAME... [--partitions N] [--replication-factor N] [--config k=v ...]",
		Short: "Create topics",
		RunE:  func(cmd *cobra.Command, args []string) error { return o.create(cmd, o.names(args)) },
	}
	o.topicFlag(cmd.Flags())
	o.createFlags(cmd.Flags())
	return cmd
}

func newTopicListCmd(g *globals) *cobra.Command {
	o := &topicOpts{g: g}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List topic names, one per line",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return o.list(cmd) },
	}
	cmd.Flags().BoolVar(&o.internal, "internal", false, "include internal topics (__consumer_offsets, ...)")
	cmd.Flags().BoolVar(&o.json, "json", false, "print a JSON array")
	return cmd
}

func newTopicDescribeCmd(g *globals) *cobra.Command {
	o := &topicOpts{g: g}
	cmd := &cobra.Command{
		Use:   "describe [NAME...]",
		Short: "Show partitions (leader, replicas, ISR, offsets) and configs",
		RunE:  func(cmd *cobra.Command, args []string) error { return o.describe(cmd, o.names(args)) },
	}
	o.topicFlag(cmd.Flags())
	cmd.Flags().BoolVar(&o.internal, "internal", false, "with no names: include internal topics")
	cmd.Flags().BoolVar(&o.allConfigs, "all-configs", false, "show every config, not only overrides")
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON")
	return cmd
}

func newTopicDeleteCmd(g *globals) *cobra.Command {
	o := &topicOpts{g: g}
	cmd := &cobra.Command{
		Use:   "delete NAME...",
		Short: "Delete topics and all their records",
		RunE:  func(cmd *cobra.Command, args []string) error { return o.delete(cmd, o.names(args)) },
	}
	o.topicFlag(cmd.Flags())
	cmd.Flags().BoolVar(&o.ifExists, "if-exists", false, "succeed if the topic does not exist")
	return cmd
}

func newTopicAlterConfigCmd(g *globals) *cobra.Command {
	o := &topicOpts{g: g}
	cmd := &cobra.Command{
		Use:   "alter-config NAME... [--set k=v ...] [--delete k ...]",
		Short: "Set or remove topic config overrides (kafka-configs.sh --alter)",
		RunE:  func(cmd *cobra.Command, args []string) error { return o.alterConfig(cmd, o.names(args)) },
	}
	o.topicFlag(cmd.Flags())
	cmd.Flags().StringArrayVar(&o.set, "set", nil, "set key=value (repeatable)")
	cmd.Flags().StringArrayVar(&o.del, "delete", nil, "remove the override for key, back to the default (repeatable)")
	return cmd
}

func newTopicAddPartitionsCmd(g *globals) *cobra.Command {
	o := &topicOpts{g: g}
	cmd := &cobra.Command{
		Use:   "add-partitions NAME... --partitions TOTAL",
		Short: "Grow topics to TOTAL partitions (partitions cannot shrink)",
		RunE:  func(cmd *cobra.Command, args []string) error { return o.addPartitions(cmd, o.names(args)) },
	}
	o.topicFlag(cmd.Flags())
	cmd.Flags().Int32Var(&o.partitions, "partitions", 0, "total number of partitions wanted")
	return cmd
}

// ctx bounds one admin operation by --request-timeout.
func (o *topicOpts) ctx(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	return context.WithTimeout(cmd.Context(), o.g.timeout)
}

func needNames(names []string, what string) error {
	if len(names) == 0 {
		return usagef("%s needs a topic name (positional or --topic NAME)", what)
	}
	return nil
}

func (o *topicOpts) create(cmd *cobra.Command, names []string) error {
	if err := needNames(names, "create"); err != nil {
		return err
	}
	kv, err := cli.ParseKV(o.configs)
	if err != nil {
		return usageError{fmt.Errorf("--config: %w", err)}
	}
	configs := make(map[string]*string, len(kv))
	for k, v := range kv {
		configs[k] = kadm.StringPtr(v)
	}
	adm, cl, err := o.g.admin()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := o.ctx(cmd)
	defer cancel()
	resps, err := adm.CreateTopics(ctx, o.partitions, o.rf, configs, names...)
	if err != nil {
		return o.g.unreachable(fmt.Errorf("creating topics: %w", err))
	}
	var errs []error
	for _, name := range names {
		r, ok := resps[name]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("topic %q: no answer from the broker", name))
		case errors.Is(r.Err, kerr.TopicAlreadyExists) && o.ifNotExists:
		case r.Err != nil:
			errs = append(errs, cli.ResourceError("topic", name, r.Err, r.ErrMessage))
		default:
			fmt.Fprintf(cmd.OutOrStdout(), "Created topic %s.\n", name)
		}
	}
	return errors.Join(errs...)
}

func (o *topicOpts) list(cmd *cobra.Command) error {
	adm, cl, err := o.g.admin()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := o.ctx(cmd)
	defer cancel()
	tds, err := adm.ListTopicsWithInternal(ctx)
	if err != nil {
		return o.g.unreachable(fmt.Errorf("listing topics: %w", err))
	}
	if !o.internal {
		tds.FilterInternal()
		for name := range tds {
			if strings.HasPrefix(name, "__") {
				delete(tds, name)
			}
		}
	}
	names := tds.Names()
	if o.json {
		if names == nil {
			names = []string{}
		}
		return cli.WriteJSON(cmd.OutOrStdout(), names)
	}
	var b strings.Builder
	for _, n := range names {
		b.WriteString(n)
		b.WriteByte('\n')
	}
	_, err = fmt.Fprint(cmd.OutOrStdout(), b.String())
	return err
}

func (o *topicOpts) delete(cmd *cobra.Command, names []string) error {
	if err := needNames(names, "delete"); err != nil {
		return err
	}
	adm, cl, err := o.g.admin()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := o.ctx(cmd)
	defer cancel()
	resps, err := adm.DeleteTopics(ctx, names...)
	if err != nil {
		return o.g.unreachable(fmt.Errorf("deleting topics: %w", err))
	}
	var errs []error
	for _, name := range names {
		r, ok := resps[name]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("topic %q: no answer from the broker", name))
		case errors.Is(r.Err, kerr.UnknownTopicOrPartition) && o.ifExists:
		case r.Err != nil:
			errs = append(errs, cli.ResourceError("topic", name, r.Err, r.ErrMessage))
		default:
			fmt.Fprintf(cmd.OutOrStdout(), "Deleted topic %s.\n", name)
		}
	}
	return errors.Join(errs...)
}

func (o *topicOpts) alterConfig(cmd *cobra.Command, names []string) error {
	if err := needNames(names, "alter-config"); err != nil {
		return err
	}
	kv, err := cli.ParseKV(o.set)
	if err != nil {
		return usageError{fmt.Errorf("--set: %w", err)}
	}
	if len(kv) == 0 && len(o.del) == 0 {
		return usagef("nothing to change: give --set key=value or --delete key")
	}
	var alters []kadm.AlterConfig
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		alters = append(alters, kadm.AlterConfig{Op: kadm.SetConfig, Name: k, Value: kadm.StringPtr(kv[k])})
	}
	for _, k := range o.del {
		alters = append(alters, kadm.AlterConfig{Op: kadm.DeleteConfig, Name: k})
	}
	adm, cl, err := o.g.admin()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := o.ctx(cmd)
	defer cancel()
	resps, err := adm.AlterTopicConfigs(ctx, alters, names...)
	if err != nil {
		return o.g.unreachable(fmt.Errorf("altering configs: %w", err))
	}
	var errs []error
	for _, name := range names {
		r, err := resps.On(name, nil)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("topic %q: no answer from the broker", name))
		case r.Err != nil:
			errs = append(errs, cli.ResourceError("topic", name, r.Err, r.ErrMessage))
		default:
			fmt.Fprintf(cmd.OutOrStdout(), "Updated config of topic %s.\n", name)
		}
	}
	return errors.Join(errs...)
}

func (o *topicOpts) addPartitions(cmd *cobra.Command, names []string) error {
	if err := needNames(names, "add-partitions"); err != nil {
		return err
	}
	if o.partitions <= 0 {
		return usagef("--partitions TOTAL is required and must be positive")
	}
	adm, cl, err := o.g.admin()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := o.ctx(cmd)
	defer cancel()
	resps, err := adm.UpdatePartitions(ctx, int(o.partitions), names...)
	if err != nil {
		return o.g.unreachable(fmt.Errorf("adding partitions: %w", err))
	}
	var errs []error
	for _, name := range names {
		r, ok := resps[name]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("topic %q: no answer from the broker", name))
		case errors.Is(r.Err, kerr.UnknownTopicOrPartition) && o.ifExists:
		case r.Err != nil:
			errs = append(errs, cli.ResourceError("topic", name, r.Err, r.ErrMessage))
		default:
			fmt.Fprintf(cmd.OutOrStdout(), "Topic %s now has %d partitions.\n", name, o.partitions)
		}
	}
	return errors.Join(errs...)
}
