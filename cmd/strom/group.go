package main

// strom group: list, describe, reset-offsets and delete consumer groups,
// the counterpart of kafka-consumer-groups.sh. Everything goes through
// kadm, so it works against any Kafka-compatible broker.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"strom/internal/cli"
)

type groupOpts struct {
	g    *globals
	json bool

	topics   []string
	earliest bool
	latest   bool
	toOffset int64
	datetime string
	shiftBy  int64
	execute  bool
}

func newGroupCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "group",
		Short: "List, describe, reset and delete consumer groups",
		Long: `Consumer group administration (kafka-consumer-groups.sh).

  strom group list
  strom group describe GROUP
  strom group reset-offsets GROUP --topic T --to-earliest [--execute]
  strom group delete GROUP`,
	}
	cmd.AddCommand(newGroupListCmd(g), newGroupDescribeCmd(g), newGroupResetCmd(g), newGroupDeleteCmd(g))
	return cmd
}

func newGroupListCmd(g *globals) *cobra.Command {
	o := &groupOpts{g: g}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List consumer groups with their state",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return o.list(cmd) },
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON")
	return cmd
}

func newGroupDescribeCmd(g *globals) *cobra.Command {
	o := &groupOpts{g: g}
	cmd := &cobra.Command{
		Use:   "describe GROUP...",
		Short: "Show state, members, committed offsets and lag",
		Args:  cobra.MinimumNArgs(1),
		RunE:  func(cmd *cobra.Command, args []string) error { return o.describe(cmd, args) },
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON")
	return cmd
}

func newGroupResetCmd(g *globals) *cobra.Command {
	o := &groupOpts{g: g, toOffset: -1}
	cmd := &cobra.Command{
		Use:   "reset-offsets GROUP --topic T (--to-earliest|--to-latest|--to-offset N|--to-datetime T|--shift-by N) [--execute]",
		Short: "Move a group's committed offsets (dry run unless --execute)",
		Long: `Plans new committed offsets for every partition of the topics and prints
the plan. Nothing changes without --execute. The group must have no
active members, as in Kafka: stop its consumers first.

--to-datetime takes RFC 3339 (2024-05-01T12:00:00Z), a date-time without
zone (2024-05-01T12:00:00, local time) or Unix milliseconds.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return o.reset(cmd, args[0]) },
	}
	fs := cmd.Flags()
	fs.StringArrayVar(&o.topics, "topic", nil, "topic to reset (repeatable)")
	fs.BoolVar(&o.earliest, "to-earliest", false, "reset to the log start offset")
	fs.BoolVar(&o.latest, "to-latest", false, "reset to the log end offset")
	fs.Int64Var(&o.toOffset, "to-offset", -1, "reset to this offset (clamped to the log)")
	fs.StringVar(&o.datetime, "to-datetime", "", "reset to the first offset at or after this time")
	fs.Int64Var(&o.shiftBy, "shift-by", 0, "move the committed offset by N (negative: back)")
	fs.BoolVar(&o.execute, "execute", false, "apply the plan")
	fs.BoolVar(&o.json, "json", false, "print JSON")
	return cmd
}

func newGroupDeleteCmd(g *globals) *cobra.Command {
	o := &groupOpts{g: g}
	cmd := &cobra.Command{
		Use:   "delete GROUP...",
		Short: "Delete groups that have no members, with their committed offsets",
		Args:  cobra.MinimumNArgs(1),
		RunE:  func(cmd *cobra.Command, args []string) error { return o.delete(cmd, args) },
	}
	return cmd
}

func (o *groupOpts) ctx(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	return context.WithTimeout(cmd.Context(), o.g.timeout)
}

func (o *groupOpts) list(cmd *cobra.Command) error {
	adm, cl, err := o.g.admin()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := o.ctx(cmd)
	defer cancel()
	lgs, err := adm.ListGroups(ctx)
	if err != nil {
		return o.g.unreachable(fmt.Errorf("listing groups: %w", err))
	}
	type row struct {
		Group        string `json:"group"`
		State        string `json:"state"`
		ProtocolType string `json:"protocol_type"`
	}
	rows := []row{}
	for _, lg := range lgs.Sorted() {
		rows = append(rows, row{lg.Group, lg.State, lg.ProtocolType})
	}
	if o.json {
		return cli.WriteJSON(cmd.OutOrStdout(), rows)
	}
	t := cli.NewTable(cmd.OutOrStdout(), "GROUP", "STATE", "PROTOCOL-TYPE")
	for _, r := range rows {
		t.Row(r.Group, r.State, dash(r.ProtocolType))
	}
	return t.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

type memberJSON struct {
	MemberID   string   `json:"member_id"`
	InstanceID *string  `json:"instance_id,omitempty"`
	ClientID   string   `json:"client_id"`
	Host       string   `json:"host"`
	Assigned   []string `json:"assigned"`
}

type partJSON struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Committed int64  `json:"committed_offset"`
	End       int64  `json:"log_end_offset"`
	Lag       int64  `json:"lag"`
	MemberID  string `json:"member_id,omitempty"`
}

type groupJSON struct {
	Group      string       `json:"group"`
	State      string       `json:"state"`
	Protocol   string       `json:"protocol"`
	Members    []memberJSON `json:"members"`
	Partitions []partJSON   `json:"partitions"`
	TotalLag   int64        `json:"total_lag"`
}

func (o *groupOpts) describe(cmd *cobra.Command, groups []string) error {
	adm, cl, err := o.g.admin()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := o.ctx(cmd)
	defer cancel()
	lags, err := adm.Lag(ctx, groups...)
	if err != nil {
		return o.g.unreachable(fmt.Errorf("describing groups: %w", err))
	}
	var out []groupJSON
	var errs []error
	for _, name := range groups {
		l, ok := lags[name]
		if !ok {
			errs = append(errs, fmt.Errorf("group %q: no answer from the broker", name))
			continue
		}
		if err := l.Error(); err != nil {
			errs = append(errs, cli.ResourceError("group", name, err, ""))
			continue
		}
		if l.State == "Dead" {
			// A KIP-848 group is invisible to DescribeGroups (it answers
			// Dead, as Kafka does); ask ConsumerGroupDescribe instead.
			if gj, ok := describeConsumerGroup(ctx, adm, name); ok {
				out = append(out, gj)
				continue
			}
			errs = append(errs, fmt.Errorf("group %q does not exist", name))
			continue
		}
		gj := groupJSON{Group: name, State: l.State, Protocol: l.Protocol, Members: []memberJSON{}, Partitions: []partJSON{}}
		for _, m := range l.Members {
			mj := memberJSON{MemberID: m.MemberID, InstanceID: m.InstanceID, ClientID: m.ClientID, Host: m.ClientHost, Assigned: []string{}}
			if ca, ok := m.Assigned.AsConsumer(); ok {
				for _, t := range ca.Topics {
					for _, p := range t.Partitions {
						mj.Assigned = append(mj.Assigned, t.Topic+"-"+strconv.Itoa(int(p)))
					}
				}
			}
			gj.Members = append(gj.Members, mj)
		}
		for _, ml := range l.Lag.Sorted() {
			pj := partJSON{Topic: ml.Topic, Partition: ml.Partition, Committed: ml.Commit.At, End: ml.End.Offset, Lag: ml.Lag}
			if ml.Member != nil {
				pj.MemberID = ml.Member.MemberID
			}
			if pj.Lag > 0 {
				gj.TotalLag += pj.Lag
			}
			gj.Partitions = append(gj.Partitions, pj)
		}
		out = append(out, gj)
	}
	if o.json {
		if err := cli.WriteJSON(cmd.OutOrStdout(), out); err != nil {
			return err
		}
		return errors.Join(errs...)
	}
	w := cmd.OutOrStdout()
	for i, gj := range out {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "Group %s: state %s, protocol %s, %d member(s), total lag %d\n", gj.Group, gj.State, dash(gj.Protocol), len(gj.Members), gj.TotalLag)
		if len(gj.Members) > 0 {
			fmt.Fprintln(w)
			t := cli.NewTable(w, "MEMBER-ID", "CLIENT-ID", "HOST", "ASSIGNED")
			for _, m := range gj.Members {
				t.Row(m.MemberID, m.ClientID, m.Host, dash(strings.Join(m.Assigned, ",")))
			}
			t.Flush()
		}
		fmt.Fprintln(w)
		t := cli.NewTable(w, "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "MEMBER-ID")
		for _, p := range gj.Partitions {
			cur, lag := strconv.FormatInt(p.Committed, 10), strconv.FormatInt(p.Lag, 10)
			if p.Committed < 0 {
				cur = "-"
			}
			if p.Lag < 0 {
				lag = "-"
			}
			t.Row(p.Topic, p.Partition, cur, p.End, lag, dash(p.MemberID))
		}
		t.Flush()
	}
	return errors.Join(errs...)
}

// parseDatetime accepts RFC 3339, a zone-less local date-time, or Unix millis.
func parseDatetime(s string) (int64, error) {
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return ms, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, fmt.Errorf("cannot parse %q as a date-time (e.g. 2024-05-01T12:00:00Z or Unix milliseconds)", s)
}

type planRow struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Current   int64  `json:"current_offset"`
	New       int64  `json:"new_offset"`
}

func (o *groupOpts) reset(cmd *cobra.Command, group string) error {
	modes := 0
	fs := cmd.Flags()
	for _, f := range []string{"to-earliest", "to-latest", "to-offset", "to-datetime", "shift-by"} {
		if fs.Changed(f) {
			modes++
		}
	}
	if modes != 1 {
		return usagef("reset-offsets needs exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by")
	}
	if len(o.topics) == 0 {
		return usagef("reset-offsets needs --topic")
	}
	var at int64
	if fs.Changed("to-datetime") {
		ms, err := parseDatetime(o.datetime)
		if err != nil {
			return usageError{err}
		}
		at = ms
	}
	adm, cl, err := o.g.admin()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := o.ctx(cmd)
	defer cancel()

	ds, err := adm.DescribeGroups(ctx, group)
	if err != nil {
		return o.g.unreachable(fmt.Errorf("describing group: %w", err))
	}
	if d := ds[group]; len(d.Members) > 0 {
		return fmt.Errorf("group %q has %d active member(s) (state %s): stop its consumers before resetting offsets", group, len(d.Members), d.State)
	}
	starts, err := adm.ListStartOffsets(ctx, o.topics...)
	if err != nil {
		return o.g.unreachable(err)
	}
	ends, err := adm.ListEndOffsets(ctx, o.topics...)
	if err != nil {
		return o.g.unreachable(err)
	}
	var byTime kadm.ListedOffsets
	if fs.Changed("to-datetime") {
		if byTime, err = adm.ListOffsetsAfterMilli(ctx, at, o.topics...); err != nil {
			return o.g.unreachable(err)
		}
	}
	cur, err := adm.FetchOffsetsForTopics(ctx, group, o.topics...)
	if err != nil {
		return o.g.unreachable(err)
	}
	var plan []planRow
	var errs []error
	ends.Each(func(e kadm.ListedOffset) {
		if e.Err != nil {
			errs = append(errs, fmt.Errorf("%s-%d: %w", e.Topic, e.Partition, e.Err))
			return
		}
		s, _ := starts.Lookup(e.Topic, e.Partition)
		c, _ := cur.Lookup(e.Topic, e.Partition)
		current := c.At
		var n int64
		switch {
		case o.earliest:
			n = s.Offset
		case o.latest:
			n = e.Offset
		case fs.Changed("to-offset"):
			n = o.toOffset
		case fs.Changed("to-datetime"):
			n = e.Offset
			if bt, ok := byTime.Lookup(e.Topic, e.Partition); ok && bt.Err == nil && bt.Offset >= 0 {
				n = bt.Offset
			}
		default:
			base := current
			if base < 0 {
				base = s.Offset
			}
			n = base + o.shiftBy
		}
		// Like Kafka, never plan an offset outside the log.
		n = max(min(n, e.Offset), s.Offset)
		plan = append(plan, planRow{e.Topic, e.Partition, current, n})
	})
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	sort.Slice(plan, func(i, j int) bool {
		if plan[i].Topic != plan[j].Topic {
			return plan[i].Topic < plan[j].Topic
		}
		return plan[i].Partition < plan[j].Partition
	})
	if o.execute {
		var os kadm.Offsets
		for _, p := range plan {
			os.Add(kadm.Offset{Topic: p.Topic, Partition: p.Partition, At: p.New, LeaderEpoch: -1})
		}
		if err := adm.CommitAllOffsets(ctx, group, os); err != nil {
			return fmt.Errorf("committing new offsets for group %q: %w", group, err)
		}
	}
	if o.json {
		return cli.WriteJSON(cmd.OutOrStdout(), map[string]any{"group": group, "executed": o.execute, "plan": plan})
	}
	w := cmd.OutOrStdout()
	t := cli.NewTable(w, "TOPIC", "PARTITION", "CURRENT-OFFSET", "NEW-OFFSET")
	for _, p := range plan {
		c := strconv.FormatInt(p.Current, 10)
		if p.Current < 0 {
			c = "-"
		}
		t.Row(p.Topic, p.Partition, c, p.New)
	}
	t.Flush()
	if o.execute {
		fmt.Fprintf(w, "Offsets of group %s reset.\n", group)
	} else {
		fmt.Fprintln(w, "Dry run: nothing changed. Add --execute to apply.")
	}
	return nil
}

func (o *groupOpts) delete(cmd *cobra.Command, groups []string) error {
	adm, cl, err := o.g.admin()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := o.ctx(cmd)
	defer cancel()
	resps, err := adm.DeleteGroups(ctx, groups...)
	if err != nil {
		return o.g.unreachable(fmt.Errorf("deleting groups: %w", err))
	}
	var errs []error
	for _, name := range groups {
		r, ok := resps[name]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("group %q: no answer from the broker", name))
		case r.Err != nil:
			errs = append(errs, cli.ResourceError("group", name, r.Err, ""))
		default:
			fmt.Fprintf(cmd.OutOrStdout(), "Deleted group %s.\n", name)
		}
	}
	return errors.Join(errs...)
}

// describeConsumerGroup describes a KIP-848 group: members and their
// assignments from ConsumerGroupDescribe, lag from committed and end
// offsets. ok is false when no such group exists.
func describeConsumerGroup(ctx context.Context, adm *kadm.Client, name string) (groupJSON, bool) {
	ds, err := adm.DescribeConsumerGroups(ctx, name)
	if err != nil {
		return groupJSON{}, false
	}
	d, ok := ds[name]
	if !ok || d.Err != nil || d.State == "" || d.State == "Dead" {
		return groupJSON{}, false
	}
	gj := groupJSON{Group: name, State: d.State, Protocol: d.AssignorName + " (consumer protocol)", Members: []memberJSON{}, Partitions: []partJSON{}}
	owner := map[string]string{}
	for _, m := range d.Members {
		mj := memberJSON{MemberID: m.MemberID, InstanceID: m.InstanceID, ClientID: m.ClientID, Host: m.ClientHost, Assigned: []string{}}
		for t, ps := range m.Assignment {
			for p := range ps {
				tp := t + "-" + strconv.Itoa(int(p))
				mj.Assigned = append(mj.Assigned, tp)
				owner[tp] = m.MemberID
			}
		}
		sort.Strings(mj.Assigned)
		gj.Members = append(gj.Members, mj)
	}
	offs, err := adm.FetchOffsets(ctx, name)
	if err != nil {
		return gj, true
	}
	// Every partition that is committed or assigned, as kafka-consumer-groups
	// shows them: an assigned partition without a commit lags by its end.
	type tp struct {
		topic string
		part  int32
	}
	committed := map[tp]int64{}
	topicSet := map[string]bool{}
	for _, o := range offs.Sorted() {
		committed[tp{o.Topic, o.Partition}] = o.At
		topicSet[o.Topic] = true
	}
	for _, m := range d.Members {
		for t, ps := range m.Assignment {
			topicSet[t] = true
			for p := range ps {
				if _, ok := committed[tp{t, p}]; !ok {
					committed[tp{t, p}] = -1
				}
			}
		}
	}
	topics := make([]string, 0, len(topicSet))
	for t := range topicSet {
		topics = append(topics, t)
	}
	ends, err := adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return gj, true
	}
	keys := make([]tp, 0, len(committed))
	for k := range committed {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].topic != keys[j].topic {
			return keys[i].topic < keys[j].topic
		}
		return keys[i].part < keys[j].part
	})
	for _, k := range keys {
		at := committed[k]
		pj := partJSON{Topic: k.topic, Partition: k.part, Committed: at, End: -1, Lag: -1,
			MemberID: owner[k.topic+"-"+strconv.Itoa(int(k.part))]}
		if e, ok := ends.Lookup(k.topic, k.part); ok && e.Err == nil {
			pj.End = e.Offset
			pj.Lag = max(e.Offset-max(at, 0), 0)
			gj.TotalLag += pj.Lag
		}
		gj.Partitions = append(gj.Partitions, pj)
	}
	return gj, true
}
