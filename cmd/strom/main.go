package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal restore the default handling, so a
		// second Ctrl-C kills a command stuck flushing to a dead broker.
		<-ctx.Done()
		stop()
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// usageError marks a mistake on the command line: exit code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// silentError carries an exit code for a failure that has already been
// reported to the user (per-record delivery errors, for instance).
type silentError struct{ code int }

func (e silentError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// zookeeperHint is printed for --zookeeper, which Kafka users carry over
// from old scripts; Strom keeps its metadata in its own Raft quorum.
const zookeeperHint = "Strom needs no ZooKeeper: use --bootstrap-server HOST:PORT instead (default 127.0.0.1:9092)"

// run executes one command line and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd()
	args = normalizeArgs(root, args)
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "--zookeeper" || strings.HasPrefix(a, "--zookeeper=") {
			fmt.Fprintln(stderr, zookeeperHint)
			return 2
		}
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var silent silentError
	if errors.As(err, &silent) {
		return silent.code
	}
	for _, line := range strings.Split(strings.TrimRight(err.Error(), "\n"), "\n") {
		fmt.Fprintln(stderr, "Error:", line)
	}
	var usage usageError
	if errors.As(err, &usage) {
		fmt.Fprintln(stderr, "Run 'strom help' or add --help for usage.")
		return 2
	}
	if strings.HasPrefix(err.Error(), "unknown command") || strings.HasPrefix(err.Error(), "unknown flag") {
		return 2
	}
	return 1
}

// exitIfZookeeper is the same check as in run, for callers that build the
// command tree themselves.
func exitIfZookeeper(cmd *cobra.Command) error {
	if f := cmd.Flags().Lookup("zookeeper"); f != nil && f.Changed {
		fmt.Fprintln(cmd.ErrOrStderr(), zookeeperHint)
		return silentError{code: 2}
	}
	return nil
}
