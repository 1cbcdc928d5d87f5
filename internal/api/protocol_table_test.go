package api

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/protocol.md and the README's protocol table from the handler registry")

// protocolDoc is where the protocol support table lives, relative to this
// package's directory.
var protocolDoc = filepath.Join("..", "..", "docs", "protocol.md")

// readme is the project README; its protocol table sits between these markers.
var (
	readme      = filepath.Join("..", "..", "README.md")
	readmeStart = []byte("<!-- protocol-table:start -->\n")
	readmeEnd   = []byte("<!-- protocol-table:end -->\n")
)

func protocolTable() []byte {
	var b bytes.Buffer
	b.WriteString("# Kafka protocol support\n\n")
	b.WriteString("Generated from the handler registry in `internal/api` by\n")
	b.WriteString("`go test ./internal/api -run TestProtocolTable -update`; do not edit by hand.\n")
	b.WriteString("ApiVersions advertises exactly these ranges.\n\n")
	b.Write(protocolRows())
	return b.Bytes()
}

func protocolRows() []byte {
	var b bytes.Buffer
	b.WriteString("| Key | API | Min version | Max version |\n")
	b.WriteString("| ---: | --- | ---: | ---: |\n")
	for _, v := range Supported() {
		fmt.Fprintf(&b, "| %d | %s | %d | %d |\n", v.Key, v.Name, v.Min, v.Max)
	}
	return b.Bytes()
}

// readmeWithTable returns the README with its protocol table replaced.
func readmeWithTable(t *testing.T) (old, updated []byte) {
	old, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(old, readmeStart)
	j := bytes.Index(old, readmeEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %q ... %q markers", readmeStart, readmeEnd)
	}
	var b bytes.Buffer
	b.Write(old[:i+len(readmeStart)])
	b.Write(protocolRows())
	b.Write(old[j:])
	return old, b.Bytes()
}

// TestProtocolTable keeps docs/protocol.md in step with what the handler
// files register, so the documented table never drifts from ApiVersions.
func TestProtocolTable(t *testing.T) {
	want := protocolTable()
	oldReadme, newReadme := readmeWithTable(t)
	if *update {
		if err := os.WriteFile(protocolDoc, want, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(readme, newReadme, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(oldReadme, newReadme) {
		t.Fatalf("README.md's protocol table is out of date; run: go test ./internal/api -run TestProtocolTable -update")
	}
	got, err := os.ReadFile(protocolDoc)
	if err != nil {
		t.Fatalf("%v (run: go test ./internal/api -run TestProtocolTable -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is out of date; run: go test ./internal/api -run TestProtocolTable -update\nwant:\n%s", protocolDoc, want)
	}
}
