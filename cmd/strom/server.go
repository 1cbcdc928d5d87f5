package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"strom/internal/config"
	"strom/internal/node"
)

func newServerCmd() *cobra.Command {
	var (
		configPath string
		overrides  []string
		logLevel   string
		logJSON    bool
	)
	cmd := &cobra.Command{
		Use:   "server [server.properties]",
		Short: "Run a Strom broker (no config file needed)",
		Long: `Run a Strom broker.

With no arguments it listens on 127.0.0.1:9092 and keeps its data in the
default data directory (see 'Data directory' in the README). Kafka's
server.properties names are understood; --override sets any of them, as
kafka-server-start.sh --override does.`,
		Example: `  strom server
  strom server --config server.properties
  strom server --override log.dirs=/var/lib/strom --override listeners=PLAINTEXT://0.0.0.0:9092`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if configPath != "" {
					return fmt.Errorf("give the properties file either as an argument or with --config, not both")
				}
				configPath = args[0]
			}
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return fmt.Errorf("--log-level: %w", err)
			}
			opts := &slog.HandlerOptions{Level: level}
			var h slog.Handler = slog.NewTextHandler(os.Stderr, opts)
			if logJSON {
				h = slog.NewJSONHandler(os.Stderr, opts)
			}
			logger := slog.New(h)
			slog.SetDefault(logger)

			cfg, warnings, err := config.Load(configPath, overrides)
			if err != nil {
				return err
			}
			for _, w := range warnings {
				logger.Warn(w)
			}
			start := time.Now()
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			n, err := node.Start(ctx, cfg, logger)
			if err != nil {
				return err
			}
			addrs := make([]string, 0, len(n.Addrs()))
			for _, a := range n.Addrs() {
				addrs = append(addrs, a.String())
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Strom broker %d started in %s\n", cfg.NodeID, time.Since(start).Round(time.Millisecond))
			fmt.Fprintf(out, "  listening on  %s\n", strings.Join(addrs, ", "))
			fmt.Fprintf(out, "  data in       %s\n", strings.Join(cfg.LogDirs, ", "))
			fmt.Fprintf(out, "  cluster id    %s\n", n.ClusterID())
			if a := n.AdminAddr(); a != "" {
				fmt.Fprintf(out, "  metrics at    http://%s/metrics\n", a)
			}
			fmt.Fprintf(out, "Press Ctrl-C to stop.\n")
			<-ctx.Done()
			logger.Info("shutting down")
			return n.Close()
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "Kafka-style server.properties file (optional)")
	cmd.Flags().StringArrayVar(&overrides, "override", nil, "set a property, key=value (repeatable)")
	cmd.Flags().StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	cmd.Flags().BoolVar(&logJSON, "log-json", false, "log as JSON lines")
	return cmd
}
