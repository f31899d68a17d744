package expect

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"
)

// TestSilentIsNotStuck: a command that is quiet after a whole line is
// working, not waiting at a prompt; only an unfinished line is a prompt.
func TestSilentIsNotStuck(t *testing.T) {
	tests := []struct {
		name      string
		output    string
		wantStuck bool
	}{
		{"quiet after a whole line", "copying files\n", false},
		{"quiet with no output at all", "", false},
		{"prompt left unanswered", "Overwrite (y/n)? ", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, w := io.Pipe()
			done := make(chan error, 1)
			go func() {
				_, err := Run(context.Background(), r, io.Discard, Options{IdleTimeout: 30 * time.Millisecond})
				done <- err
			}()
			if tt.output != "" {
				w.Write([]byte(tt.output))
			}
			select {
			case err := <-done:
				var stuck *StuckError
				if !tt.wantStuck || !errors.As(err, &stuck) {
					t.Fatalf("Run ended early with %v", err)
				}
				return
			case <-time.After(300 * time.Millisecond): // ten idle timeouts
			}
			if tt.wantStuck {
				t.Fatal("an unanswered prompt was not reported as stuck")
			}
			w.Close()
			if err := <-done; err != nil {
				t.Errorf("Run after EOF = %v, want nil", err)
			}
		})
	}
}
