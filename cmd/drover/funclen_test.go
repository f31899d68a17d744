package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// maxFuncLines is the longest a function of drover's code may be, from
// its func line to its closing brace. Tests are exempt: a table test's
// length is its table.
const maxFuncLines = 50

// TestFunctionLength keeps every function of the module short.
func TestFunctionLength(t *testing.T) {
	long, err := longFuncs("../..", maxFuncLines)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range long {
		t.Errorf("%s: over %d lines; split it by concept", l, maxFuncLines)
	}
}

// TestFunctionLengthCatches shows the check failing for a long function.
func TestFunctionLengthCatches(t *testing.T) {
	dir := t.TempDir()
	src := "package p\n\nfunc long() {\n" + strings.Repeat("\tprintln()\n", maxFuncLines) + "}\n\nfunc short() {}\n"
	if err := writeFile(filepath.Join(dir, "p.go"), src); err != nil {
		t.Fatal(err)
	}
	long, err := longFuncs(dir, maxFuncLines)
	if err != nil {
		t.Fatal(err)
	}
	if len(long) != 1 || !strings.Contains(long[0], "long (52 lines)") {
		t.Fatalf("longFuncs = %q, want only long at 52 lines", long)
	}
}

// longFuncs lists the functions and methods of the non-test Go files below
// root that are longer than max lines, as "FILE:LINE NAME (N lines)".
func longFuncs(root string, max int) ([]string, error) {
	var out []string
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root:
			return filepath.SkipDir
		case d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go"):
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			start, end := fset.Position(fn.Pos()), fset.Position(fn.End())
			if n := end.Line - start.Line + 1; n > max {
				out = append(out, fmt.Sprintf("%s:%d %s (%d lines)", path, start.Line, fn.Name.Name, n))
			}
		}
		return nil
	})
	return out, err
}

func writeFile(name, text string) error { return os.WriteFile(name, []byte(text), 0o644) }
