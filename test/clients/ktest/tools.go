package ktest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Python is the interpreter the interop tests use: Debian's, with the
// python3-confluent-kafka and python3-kafka packages.
const Python = "/usr/bin/python3"

// MissingTool skips the test loudly because an external client is not
// installed, or fails it when STROM_INTEROP_REQUIRE_TOOLS=1 (as .ci/run
// sets), so CI can never pass with those tests skipped.
func MissingTool(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("STROM_INTEROP_REQUIRE_TOOLS") == "1" {
		t.Fatalf("%s not installed but STROM_INTEROP_REQUIRE_TOOLS=1", what)
	}
	t.Skipf("SKIPPING: %s not installed; CI installs it", what)
}

// NeedTool returns the path of a program on PATH, or calls MissingTool.
func NeedTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		MissingTool(t, name)
	}
	return p
}

// NeedPython checks that Python can import module, or calls MissingTool.
func NeedPython(t testing.TB, module string) {
	t.Helper()
	if _, err := os.Stat(Python); err != nil {
		MissingTool(t, Python)
	}
	if err := exec.Command(Python, "-c", "import "+module).Run(); err != nil {
		MissingTool(t, "python module "+module+" (apt install python3-"+strings.ReplaceAll(module, "_", "-")+")")
	}
}
