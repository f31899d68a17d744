//go:build e2e

package e2e

import (
	"strings"
	"testing"
	"text/template"
)

// renderText fills a text/template (runbooks and scripts of the suite) with data.
func renderText(t testing.TB, text string, data any) string {
	t.Helper()
	tmpl, err := template.New("").Delims("{{", "}}").Parse(text)
	if err != nil {
		t.Fatalf("parse template: %v", err)
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, data); err != nil {
		t.Fatalf("render template: %v", err)
	}
	return b.String()
}
