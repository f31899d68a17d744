package ui

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/drover-sh/drover/internal/engine"
	"github.com/drover-sh/drover/internal/inventory"
)

// AskFunc prints a prompt on the terminal and reads the answer: one key
// press, or a line where keys cannot be read one at a time.
type AskFunc func(ctx context.Context, prompt string) (string, error)

// Gate asks a person at the terminal. It implements engine.Gate; the engine
// already serialises questions, so only one is on screen at a time.
type Gate struct {
	w   io.Writer // where the question's context is printed (the terminal)
	st  *Style
	ask AskFunc
}

var _ engine.Gate = (*Gate)(nil)

// NewGate returns a gate that prints to w and reads answers with ask.
func NewGate(w io.Writer, st *Style, ask AskFunc) *Gate { return &Gate{w: w, st: st, ask: ask} }

// Ask implements engine.Gate: it shows what is at stake and the answers,
// and asks again until it gets one it knows.
func (g *Gate) Ask(ctx context.Context, q engine.Question) (engine.Answer, error) {
	q = sanitizeQuestion(q) // the tail and the error are what a host printed
	fmt.Fprintln(g.w, g.describe(q))
	for {
		line, err := g.ask(ctx, g.prompt(q))
		if err != nil {
			return engine.Quit, err
		}
		if a, ok := parseAnswer(line, q.Kind == engine.AskRetry); ok {
			return a, nil
		}
		fmt.Fprintln(g.w, g.st.Warn.Render("answer y, n, a"+retryKey(q)+" or q"))
	}
}

// describe is the context above the prompt: what would happen on yes.
func (g *Gate) describe(q engine.Question) string {
	var b strings.Builder
	title := g.st.Prompt.Render("? " + QuestionTitle(q))
	b.WriteString(title)
	if q.Waiting > 0 {
		b.WriteString(g.st.Dim.Render(fmt.Sprintf("  (%d more waiting)", q.Waiting)))
	}
	if len(q.Hosts) > 0 && q.Host == "" {
		b.WriteString("\n  hosts: " + g.st.Host.Render(inventory.Compress(q.Hosts)))
	}
	if q.Err != "" {
		b.WriteString("\n  " + g.st.Fail.Render("failed: "+q.Err))
	}
	for _, l := range q.Tail {
		b.WriteString("\n  " + g.st.Dim.Render("│ ") + l)
	}
	return b.String()
}

// QuestionTitle says in one line what a question is about, safe to print.
func QuestionTitle(q engine.Question) string {
	return Sanitize(questionTitle(q))
}

func questionTitle(q engine.Question) string {
	switch q.Kind {
	case engine.AskStage:
		return fmt.Sprintf("start stage %s on %s?", q.Stage, plural(len(q.Hosts), "host"))
	case engine.AskBatch:
		return fmt.Sprintf("stage %s: start batch %d of %d (%s)?", q.Stage, q.Batch, q.Batches, plural(len(q.Hosts), "host"))
	case engine.AskHost:
		return fmt.Sprintf("stage %s: start %s?", q.Stage, q.Host)
	case engine.AskConfirm:
		return fmt.Sprintf("stage %s, %s: %s", q.Stage, q.Host, q.Text)
	case engine.AskUndo:
		return fmt.Sprintf("the run aborted: undo stage %s on %s?", q.Stage, plural(len(q.Hosts), "host"))
	case engine.AskRetry:
		return fmt.Sprintf("%s failed in stage %s: retry the step?", q.Host, q.Stage)
	}
	return q.Text
}

// prompt lists the answers, each with its one-key shortcut.
func (g *Gate) prompt(q engine.Question) string {
	keys := []string{g.key("y", "es"), g.key("n", "o"), g.key("a", "ll")}
	if q.Kind == engine.AskRetry {
		keys = append(keys, g.key("r", "etry"))
	}
	keys = append(keys, g.key("q", "uit"))
	return "  " + strings.Join(keys, " ") + g.st.Prompt.Render(" > ")
}

// key is one answer: the key to type in brackets, then the rest of the word.
func (g *Gate) key(k, rest string) string {
	return g.st.Dim.Render("[") + g.st.Emph.Render(k) + g.st.Dim.Render("]"+rest)
}

func retryKey(q engine.Question) string {
	if q.Kind == engine.AskRetry {
		return " [r]etry"
	}
	return ""
}

// parseAnswer reads y, n, a, r, q (or the whole words).
func parseAnswer(s string, retry bool) (engine.Answer, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "y", "yes":
		return engine.Yes, true
	case "n", "no":
		return engine.No, true
	case "a", "all":
		return engine.All, true
	case "q", "quit":
		return engine.Quit, true
	case "r", "retry":
		return engine.Retry, retry
	}
	return 0, false
}
