package runbook

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"
	"time"
)

// text is a runbook value that is a Go text/template, rendered per host.
type text struct {
	set   bool
	src   string
	path  []string // key path, for positions
	where string   // "run in [[stage.step]]", for messages
	shell bool     // a shell command: host values must be safe or quoted
}

// hostValues are the template values every host has, besides the params.
var hostValues = []string{"host", "addr", "user", "vars", "run_id"}

// templateFuncs are the functions templates may call; today is the date of
// now.
func templateFuncs(now time.Time) template.FuncMap {
	return template.FuncMap{
		"today": func() string { return now.Format(time.DateOnly) },
		"quote": quoteValue,
		"eq":    equal,
		"ne": func(a any, bs ...any) (bool, error) {
			eq, err := equal(a, bs...)
			return !eq, err
		},
	}
}

// parseTemplate parses src with the option and functions of every runbook
// template.
func parseTemplate(name, src string, now time.Time) (*template.Template, error) {
	return template.New(name).Option("missingkey=error").Funcs(templateFuncs(now)).Parse(src)
}

var templateErrPrefix = regexp.MustCompile(`^template: [^:]*:\d+(:\d+)?: (executing "[^"]*" )?`)

// templateError shortens a text/template error to its useful part:
// `at <.vars.dc>: map has no entry for key "dc"`.
func templateError(err error) string {
	return templateErrPrefix.ReplaceAllString(err.Error(), "")
}

// text reads key k of t as a template, checks that it parses and that every
// value it names is in refs.
func (d *decoder) text(t *table, k string, refs map[string]bool) text {
	s, ok := d.str(t, k)
	if !ok {
		return text{}
	}
	x := text{set: true, src: s, path: t.keyPath(k), where: t.where(k)}
	tmpl, err := parseTemplate(k, s, time.Time{})
	if err != nil {
		d.keyErrorf(t, k, "bad template: %s", templateError(err))
		return x
	}
	for _, name := range templateRefs(tmpl) {
		if refs[name] {
			continue
		}
		msg := fmt.Sprintf("template names .%s, which is not a param or a host value", name)
		if name == "root" {
			msg = "template names .root, but the runbook has no [release] root"
		} else if s := suggest(name, slices.Sorted(maps.Keys(refs))); s != "" {
			msg += "; did you mean ." + s + "?"
		}
		d.keyErrorf(t, k, "%s", msg)
	}
	return x
}

// templateRefs lists the top-level values a template names (.x and $.x),
// outside range and with blocks, whose dot is something else.
func templateRefs(t *template.Template) []string {
	refs := map[string]bool{}
	if t.Tree != nil {
		collectRefs(t.Tree.Root, refs)
	}
	return slices.Sorted(maps.Keys(refs))
}

func collectRefs(n parse.Node, refs map[string]bool) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, c := range n.Nodes {
				collectRefs(c, refs)
			}
		}
	case *parse.ActionNode:
		collectRefs(n.Pipe, refs)
	case *parse.PipeNode:
		if n != nil {
			for _, c := range n.Cmds {
				collectRefs(c, refs)
			}
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			collectRefs(a, refs)
		}
	case *parse.FieldNode:
		refs[n.Ident[0]] = true
	case *parse.VariableNode:
		if len(n.Ident) > 1 && n.Ident[0] == "$" {
			refs[n.Ident[1]] = true
		}
	case *parse.ChainNode:
		collectRefs(n.Node, refs)
	case *parse.IfNode:
		collectBranchRefs(&n.BranchNode, refs, true)
	case *parse.RangeNode:
		collectBranchRefs(&n.BranchNode, refs, false)
	case *parse.WithNode:
		collectBranchRefs(&n.BranchNode, refs, false)
	case *parse.TemplateNode:
		collectRefs(n.Pipe, refs)
	}
}

// collectBranchRefs walks the condition of a branch, and its bodies when
// they keep the dot.
func collectBranchRefs(b *parse.BranchNode, refs map[string]bool, sameDot bool) {
	collectRefs(b.Pipe, refs)
	if sameDot {
		collectRefs(b.List, refs)
	}
	collectRefs(b.ElseList, refs)
}

// containsAction reports whether src is a template rather than a literal.
func containsAction(src string) bool { return strings.Contains(src, "{{") }
