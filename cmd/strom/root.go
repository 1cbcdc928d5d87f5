package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"strom/internal/cli"
)

// globals are the flags every client command shares.
type globals struct {
	bootstrap string
	zookeeper string
	timeout   time.Duration
}

func newRootCmd() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "strom",
		Short: "Strom: a Kafka-compatible event streaming platform in one binary",
		Long: `Strom speaks the Apache Kafka protocol. 'strom server' runs a broker; the
other commands are its client tools (the kafka-*.sh scripts, in one place).`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return exitIfZookeeper(cmd)
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.bootstrap, "bootstrap-server", cli.DefaultBootstrap, "broker address(es) to connect to, comma-separated HOST:PORT list")
	pf.StringVar(&g.zookeeper, "zookeeper", "", "not needed by Strom (prints how to connect instead)")
	_ = pf.MarkHidden("zookeeper")
	pf.DurationVar(&g.timeout, "request-timeout", 30*time.Second, "how long admin requests wait for the cluster")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })

	root.AddCommand(
		newServerCmd(),
		newTopicCmd(g),
		newProduceCmd(g),
		newConsumeCmd(g),
		newGroupCmd(g),
		newPerfCmd(g),
		newVersionCmd(),
	)
	root.SetGlobalNormalizationFunc(normalizeFlagName)
	return root
}

// normalizeFlagName maps Kafka's other spellings of a flag onto ours:
// kafka-console-producer's --broker-list, and the --replicationfactor typo
// that circulates in tutorials.
func normalizeFlagName(_ *pflag.FlagSet, name string) pflag.NormalizedName {
	switch name {
	case "broker-list", "bootstrap-servers", "brokers":
		name = "bootstrap-server"
	case "replicationfactor", "replication_factor":
		name = "replication-factor"
	case "from_beginning":
		name = "from-beginning"
	}
	return pflag.NormalizedName(name)
}

// normalizeArgs repairs how Kafka command lines get mangled in notes and
// chats before cobra sees them: an en or em dash where "--" was meant
// ("–from-beginning") and single-dash long flags ("-topic"). A single-dash
// word is rewritten only if it names a long flag somewhere in the tree, and
// Strom defines no shorthand flags, so no real shorthand is shadowed.
func normalizeArgs(root *cobra.Command, args []string) []string {
	known := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		add := func(f *pflag.Flag) { known[f.Name] = true }
		c.Flags().VisitAll(add)
		c.PersistentFlags().VisitAll(add)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	known["help"] = true
	for _, alias := range []string{"broker-list", "bootstrap-servers", "replicationfactor"} {
		known[alias] = true
	}

	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		for _, dash := range []string{"\u2013", "\u2014"} {
			if strings.HasPrefix(a, dash) {
				a = "--" + strings.TrimLeft(strings.TrimPrefix(a, dash), "-")
			}
		}
		if len(a) > 2 && a[0] == '-' && a[1] != '-' {
			name, _, _ := strings.Cut(a[1:], "=")
			if known[name] {
				a = "-" + a
			}
		}
		out = append(out, a)
	}
	return out
}

// client builds a franz-go client for the seed brokers plus opts.
func (g *globals) client(opts ...kgo.Opt) (*kgo.Client, error) {
	seeds, err := cli.Brokers(g.bootstrap)
	if err != nil {
		return nil, usageError{err}
	}
	base := []kgo.Opt{
		kgo.SeedBrokers(seeds...),
		kgo.ClientID("strom-cli"),
		kgo.DialTimeout(5 * time.Second),
	}
	cl, err := kgo.NewClient(append(base, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("creating client: %w", err)
	}
	return cl, nil
}

// admin returns an admin client; close it with the returned kgo client.
func (g *globals) admin() (*kadm.Client, *kgo.Client, error) {
	cl, err := g.client()
	if err != nil {
		return nil, nil, err
	}
	return kadm.NewClient(cl), cl, nil
}

// unreachable explains errors that mean no broker could be reached.
func (g *globals) unreachable(err error) error {
	return cli.Unreachable(g.bootstrap, err)
}
