// Package layering checks the import rules from STYLE.md, so the
// architecture stays visible in the folder names.
package layering

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// forbidden maps an import to the only package path prefixes allowed to
// import it.
var forbidden = map[string][]string{
	"strom/internal/node":   {"strom/cmd/", "strom/test/", "strom/bench"},
	"strom/internal/server": {"strom/internal/node", "strom/test/", "strom/bench"},
	"strom/cmd/strom":       {},
}

// lower lists packages that sit below the protocol layer and must not
// reach up into it.
var lower = []string{"strom/internal/log", "strom/internal/record", "strom/internal/vfs", "strom/internal/raft", "strom/internal/metadata", "strom/internal/config"}

func TestForbiddenImports(t *testing.T) {
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		pkg := "strom/" + filepath.ToSlash(rel)
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if allowed, ok := forbidden[p]; ok && !hasPrefix(pkg, allowed) {
				t.Errorf("%s imports %s; only %v may", path, p, allowed)
			}
			if hasPrefix(pkg, lower) && (strings.HasPrefix(p, "strom/internal/api") || strings.HasPrefix(p, "strom/internal/replica") || strings.HasPrefix(p, "strom/internal/coordinator")) {
				t.Errorf("%s (a lower layer) imports %s", path, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatal("not run from the module: ", err)
	}
}

func hasPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
