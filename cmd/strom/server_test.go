package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A bad value stops start-up with the key and the reason named, before
// anything is bound or written.
func TestServerRejectsBadConfig(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"server", "--override", "num.partitions=0", "--override", "log.dirs=" + dir}, "num.partitions"},
		{[]string{"server", "--override", "log.segment.bytes=abc", "--override", "log.dirs=" + dir}, "log.segment.bytes"},
		{[]string{"server", "--override", "listeners=SSL://127.0.0.1:0", "--override", "log.dirs=" + dir}, "listeners"},
		{[]string{"server", "--override", "novalue"}, "novalue"},
	} {
		r := strom(t, "", "", tc.args...)
		if r.code == 0 {
			t.Fatalf("%v: started despite a bad value", tc.args)
		}
		if !strings.Contains(r.stderr+r.stdout, tc.want) {
			t.Errorf("%v: error does not name %q:\n%s%s", tc.args, tc.want, r.stdout, r.stderr)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("a rejected start wrote %d entries into log.dirs", len(ents))
	}
}

// A properties file with Kafka's names is read; a missing file is an error
// naming it.
func TestServerConfigFileErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.properties")
	r := strom(t, "", "", "server", "--config", missing)
	if r.code == 0 || !strings.Contains(r.stderr+r.stdout, "nope.properties") {
		t.Fatalf("missing config file: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	bad := filepath.Join(t.TempDir(), "bad.properties")
	if err := os.WriteFile(bad, []byte("# Kafka-style\nnode.id=1\nmessage.max.bytes=-5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = strom(t, "", "", "server", "--config", bad)
	if r.code == 0 || !strings.Contains(r.stderr+r.stdout, "message.max.bytes") {
		t.Fatalf("bad value in file: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
