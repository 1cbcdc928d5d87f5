package api

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/protocol.md from the handler registry")

// protocolDoc is where the protocol support table lives, relative to this
// package's directory.
var protocolDoc = filepath.Join("..", "..", "docs", "protocol.md")

func protocolTable() []byte {
	var b bytes.Buffer
	b.WriteString("# Kafka protocol support\n\n")
	b.WriteString("Generated from the handler registry in `internal/api` by\n")
	b.WriteString("`go test ./internal/api -run TestProtocolTable -update`; do not edit by hand.\n")
	b.WriteString("ApiVersions advertises exactly these ranges.\n\n")
	b.WriteString("| Key | API | Min version | Max version |\n")
	b.WriteString("| ---: | --- | ---: | ---: |\n")
	for _, v := range Supported() {
		fmt.Fprintf(&b, "| %d | %s | %d | %d |\n", v.Key, v.Name, v.Min, v.Max)
	}
	return b.Bytes()
}

// TestProtocolTable keeps docs/protocol.md in step with what the handler
// files register, so the documented table never drifts from ApiVersions.
func TestProtocolTable(t *testing.T) {
	want := protocolTable()
	if *update {
		if err := os.WriteFile(protocolDoc, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(protocolDoc)
	if err != nil {
		t.Fatalf("%v (run: go test ./internal/api -run TestProtocolTable -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is out of date; run: go test ./internal/api -run TestProtocolTable -update\nwant:\n%s", protocolDoc, want)
	}
}
