package runbook

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestExamples validates every runbook and inventory under examples/, so a
// walkthrough never ships a file drover would refuse.
func TestExamples(t *testing.T) {
	root := filepath.Join("..", "..", "examples")
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".toml") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skip("no example files")
	}
	for _, path := range files {
		t.Run(strings.TrimPrefix(path, root+string(filepath.Separator)), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var c Checker
			if err := c.Add(path, src); err != nil {
				t.Errorf("Add() =\n%v", err)
			}
		})
	}
}

// TestReadmeRunbooks validates every whole runbook (a TOML block with a
// [[stage]]) in the README, so its first example is one drover accepts.
func TestReadmeRunbooks(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```toml\n(.*?)```").FindAllSubmatchIndex(src, -1)
	n := 0
	for _, b := range blocks {
		body := src[b[2]:b[3]]
		if !bytes.Contains(body, []byte("[[stage]]")) {
			continue
		}
		n++
		line := bytes.Count(src[:b[2]], []byte("\n")) + 1
		var c Checker
		if err := c.Add(fmt.Sprintf("README.md (the block at line %d)", line), body); err != nil {
			t.Errorf("%v", err)
		}
	}
	if n == 0 {
		t.Error("no runbook in the README")
	}
}
