package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"

	"strom/internal/cli"
)

// topicDescription is what `topic describe` shows, in the shape --json
// prints it.
type topicDescription struct {
	Topic             string                 `json:"topic"`
	ID                string                 `json:"id"`
	Internal          bool                   `json:"internal"`
	ReplicationFactor int                    `json:"replication_factor"`
	Partitions        []partitionDescription `json:"partitions"`
	Configs           []configDescription    `json:"configs"`
}

type partitionDescription struct {
	Partition      int32   `json:"partition"`
	Leader         int32   `json:"leader"`
	LeaderEpoch    int32   `json:"leader_epoch"`
	Replicas       []int32 `json:"replicas"`
	ISR            []int32 `json:"isr"`
	LogStartOffset int64   `json:"log_start_offset"` // -1: unknown
	LogEndOffset   int64   `json:"log_end_offset"`   // -1: unknown
	Error          string  `json:"error,omitempty"`
}

type configDescription struct {
	Name      string  `json:"name"`
	Value     *string `json:"value"`
	Source    string  `json:"source"`
	Sensitive bool    `json:"sensitive,omitempty"`
}

func (o *topicOpts) describe(cmd *cobra.Command, names []string) error {
	adm, cl, err := o.g.admin()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := o.ctx(cmd)
	defer cancel()

	tds, err := adm.ListTopicsWithInternal(ctx, names...)
	if err != nil {
		return o.g.unreachable(fmt.Errorf("describing topics: %w", err))
	}
	if len(names) == 0 {
		if !o.internal {
			tds.FilterInternal()
		}
		names = tds.Names()
	}
	var errs []error
	var found []string
	for _, n := range names {
		td, ok := tds[n]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("topic %q: no answer from the broker", n))
		case td.Err != nil:
			errs = append(errs, cli.ResourceError("topic", n, td.Err, ""))
		default:
			found = append(found, n)
		}
	}
	var descs []topicDescription
	if len(found) > 0 {
		// Offsets and configs are best effort: a partition without a
		// leader still deserves its row, with "-" for what is unknown.
		starts, _ := adm.ListStartOffsets(ctx, found...)
		ends, _ := adm.ListEndOffsets(ctx, found...)
		rcs, cerr := adm.DescribeTopicConfigs(ctx, found...)
		for _, n := range found {
			d := describeOne(tds[n], starts, ends)
			if rc, err := rcs.On(n, nil); err == nil && rc.Err == nil {
				d.Configs = o.configsOf(rc)
			} else if rc.Err != nil {
				errs = append(errs, cli.ResourceError("topic", n, fmt.Errorf("describing configs: %w", rc.Err), rc.ErrMessage))
			} else if cerr != nil {
				errs = append(errs, fmt.Errorf("topic %q: describing configs: %w", n, cerr))
			}
			descs = append(descs, d)
		}
	}
	if o.json {
		if descs == nil {
			descs = []topicDescription{}
		}
		if err := cli.WriteJSON(cmd.OutOrStdout(), descs); err != nil {
			return err
		}
	} else {
		for i, d := range descs {
			if i > 0 {
				fmt.Fprintln(cmd.OutOrStdout())
			}
			if err := o.printDescription(cmd.OutOrStdout(), d); err != nil {
				return err
			}
		}
	}
	return errors.Join(errs...)
}

func describeOne(td kadm.TopicDetail, starts, ends kadm.ListedOffsets) topicDescription {
	d := topicDescription{Topic: td.Topic, ID: base64.RawURLEncoding.EncodeToString(td.ID[:]), Internal: td.IsInternal, Configs: []configDescription{}}
	for _, p := range td.Partitions.Sorted() {
		pd := partitionDescription{
			Partition: p.Partition, Leader: p.Leader, LeaderEpoch: p.LeaderEpoch,
			Replicas: p.Replicas, ISR: p.ISR, LogStartOffset: -1, LogEndOffset: -1,
		}
		if p.Err != nil {
			pd.Error = p.Err.Error()
		}
		if lo, ok := starts.Lookup(td.Topic, p.Partition); ok && lo.Err == nil {
			pd.LogStartOffset = lo.Offset
		}
		if lo, ok := ends.Lookup(td.Topic, p.Partition); ok && lo.Err == nil {
			pd.LogEndOffset = lo.Offset
		}
		if len(p.Replicas) > d.ReplicationFactor {
			d.ReplicationFactor = len(p.Replicas)
		}
		d.Partitions = append(d.Partitions, pd)
	}
	return d
}

// configsOf keeps the overrides set on the topic itself unless
// --all-configs: the rest are broker defaults, dozens of lines of noise.
func (o *topicOpts) configsOf(rc kadm.ResourceConfig) []configDescription {
	out := []configDescription{}
	for _, c := range rc.Configs {
		if !o.allConfigs && c.Source != kmsg.ConfigSourceDynamicTopicConfig {
			continue
		}
		out = append(out, configDescription{Name: c.Key, Value: c.Value, Source: c.Source.String(), Sensitive: c.Sensitive})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (o *topicOpts) printDescription(w io.Writer, d topicDescription) error {
	fmt.Fprintf(w, "Topic: %s  ID: %s  Partitions: %d  Replication factor: %d\n",
		d.Topic, d.ID, len(d.Partitions), d.ReplicationFactor)
	header := []any{"  PARTITION", "LEADER", "REPLICAS", "ISR", "LOG-START", "LOG-END"}
	anyErr := false
	for _, p := range d.Partitions {
		anyErr = anyErr || p.Error != ""
	}
	if anyErr {
		header = append(header, "ERROR")
	}
	t := cli.NewTable(w, header...)
	for _, p := range d.Partitions {
		row := []any{"  " + strconv.Itoa(int(p.Partition)), p.Leader, ints(p.Replicas), ints(p.ISR), offset(p.LogStartOffset), offset(p.LogEndOffset)}
		if anyErr {
			row = append(row, p.Error)
		}
		t.Row(row...)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	switch {
	case len(d.Configs) == 0 && !o.allConfigs:
		fmt.Fprintln(w, "  Configs: none overridden (--all-configs shows the defaults)")
		return nil
	case len(d.Configs) == 0:
		fmt.Fprintln(w, "  Configs: none reported")
		return nil
	}
	t = cli.NewTable(w, "  CONFIG", "VALUE", "SOURCE")
	for _, c := range d.Configs {
		v := "(null)"
		switch {
		case c.Sensitive:
			v = "(sensitive)"
		case c.Value != nil:
			v = *c.Value
		}
		t.Row("  "+c.Name, v, c.Source)
	}
	return t.Flush()
}

func ints(xs []int32) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(int(x))
	}
	return strings.Join(s, ",")
}

func offset(o int64) string {
	if o < 0 {
		return "-"
	}
	return strconv.FormatInt(o, 10)
}
