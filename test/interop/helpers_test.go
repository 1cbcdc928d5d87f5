// Package interop proves that unmodified, independently written Kafka
// clients work against the broker started by test/harness: kcat and
// python3-confluent-kafka (both librdkafka) and python3-kafka (kafka-python).
// The tools are driven with os/exec under a context timeout. A test skips,
// loudly, only when its tool is not installed; with
// STROM_INTEROP_REQUIRE_TOOLS=1 (set by .ci/run) a missing tool fails.
package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"strom/test/clients/ktest"
)

// toolTimeout bounds every external program run.
const toolTimeout = 60 * time.Second

const python = ktest.Python

func needKcat(t *testing.T) string { return ktest.NeedTool(t, "kcat") }

// run executes name with args and stdin under toolTimeout and returns
// stdout; it fails the test on a non-zero exit, showing stderr.
func run(t *testing.T, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1")
	cmd.WaitDelay = 5 * time.Second // do not hang on pipes held by a stray child
	var stdout, stderr bytes.Buffer
	cmd.Stdin = bytes.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	if err != nil {
		t.Fatalf("%s %q failed after %v: %v (ctx: %v)\nstdout:\n%s\nstderr:\n%s",
			name, args, time.Since(start).Round(time.Millisecond), err, ctx.Err(), stdout.Bytes(), stderr.Bytes())
	}
	if stderr.Len() > 0 {
		t.Logf("%s %q stderr:\n%s", filepath.Base(name), args, stderr.Bytes())
	}
	return stdout.Bytes()
}

// runPython runs testdata/script with args and decodes its JSON stdout.
func runPython(t *testing.T, out any, script string, args ...string) {
	t.Helper()
	stdout := run(t, nil, python, append([]string{filepath.Join("testdata", script)}, args...)...)
	if err := json.Unmarshal(bytes.TrimSpace(stdout), out); err != nil {
		t.Fatalf("%s: decode JSON: %v\n%s", script, err, stdout)
	}
	t.Logf("%s %v -> %s", script, args, bytes.TrimSpace(stdout))
}
