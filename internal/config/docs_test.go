package config

import (
	"os"
	"strings"
	"testing"
)

// TestDocsListEveryKey keeps docs/configuration.md in step with the
// registries: every broker property and topic config has a table row.
func TestDocsListEveryKey(t *testing.T) {
	body, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatalf("docs/configuration.md must exist: %v", err)
	}
	doc := string(body)
	for _, k := range brokerKeys {
		if !strings.Contains(doc, "| `"+k.name+"` |") {
			t.Errorf("docs/configuration.md lacks broker property %s", k.name)
		}
	}
	for _, n := range TopicConfigNames() {
		if !strings.Contains(doc, "| `"+n+"` |") {
			t.Errorf("docs/configuration.md lacks topic config %s", n)
		}
	}
}
