package redact

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// keyFile is a multi-line secret as a key file holds it.
const keyFile = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n  QyNTUxOQAAACBu  \n-----END OPENSSH PRIVATE KEY-----"

func TestString(t *testing.T) {
	tests := []struct {
		name    string
		secrets []string
		in      string
		want    string
	}{
		{"no secrets", nil, "hunter2", "hunter2"},
		{"empty secret ignored", []string{""}, "abc", "abc"},
		{"echoed back", []string{"hunter2"}, "Password: hunter2\r\n", "Password: ********\r\n"},
		{"repeated", []string{"pw1"}, "pw1 and pw1 again", "******** and ******** again"},
		{"adjacent to text", []string{"s3cret"}, "xxs3cretyy", "xx********yy"},
		{"back to back", []string{"ab!"}, "ab!ab!", "****************"},
		{"prefix of another", []string{"abc", "abcdef"}, "abcdef abc abcd", "******** ******** ********d"},
		{"overlapping secrets", []string{"abcd", "cdef"}, "xabcdefx", "x********x"},
		{"self overlapping", []string{"aa"}, "aaa", "********"},
		{"short secret masks innocent text", []string{"a"}, "banana", "b********n********n********"},
		{"multi-line secret whole", []string{keyFile}, "key:\n" + keyFile + "\nend", "key:\n********\nend"},
		{"multi-line secret line by line", []string{keyFile}, "got b3BlbnNzaC1rZXktdjEAAAAA here", "got ******** here"},
		{"multi-line secret with CRLF", []string{"line-one\r\nline-two"}, "> line-two", "> ********"},
		{"short lines of a multi-line secret stay", []string{"}\nlong-enough\n}"}, "{ } long-enough", "{ } ********"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := New(tt.secrets...).String(tt.in); got != tt.want {
				t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// writeChunks writes in through a redacting writer in the given pieces.
func writeChunks(t *testing.T, r *Redactor, pieces []string) string {
	t.Helper()
	var out bytes.Buffer
	w := r.Writer(&out)
	for _, p := range pieces {
		n, err := w.Write([]byte(p))
		if err != nil || n != len(p) {
			t.Fatalf("Write(%q) = %d, %v", p, n, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestWriterSplitAtEveryBoundary(t *testing.T) {
	tests := []struct {
		name    string
		secrets []string
		in      string
	}{
		{"echoed back", []string{"hunter2"}, "Password: hunter2\r\nok\r\n"},
		{"repeated", []string{"pw1"}, "pw1 pw1pw1 done"},
		{"adjacent", []string{"s3cret"}, "xxs3cretyy"},
		{"prefix of another", []string{"abc", "abcdef"}, "abcdef abc abcdabc"},
		{"overlapping", []string{"abcd", "cdef"}, "xabcdefx abcd cdef"},
		{"near miss", []string{"hunter2"}, "hunter hunter3 hunte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New(tt.secrets...)
			want := r.String(tt.in)
			for i := 0; i <= len(tt.in); i++ {
				for j := i; j <= len(tt.in); j++ {
					got := writeChunks(t, r, []string{tt.in[:i], tt.in[i:j], tt.in[j:]})
					if got != want {
						t.Fatalf("split at %d,%d: got %q, want %q", i, j, got, want)
					}
				}
			}
		})
	}
}

func TestWriterByteAtATime(t *testing.T) {
	r := New("correct horse")
	in := "a correct horse, correct horse battery correct hors"
	var pieces []string
	for i := range len(in) {
		pieces = append(pieces, in[i:i+1])
	}
	got := writeChunks(t, r, pieces)
	if strings.Contains(got, "correct horse") {
		t.Fatalf("secret leaked: %q", got)
	}
	if want := "a ********, ******** battery correct hors"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// spy records every Write so a test can check that no single Write, and not
// the concatenation either, ever held a secret.
type spy struct {
	mu     sync.Mutex
	writes []string
}

func (s *spy) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes = append(s.writes, string(p))
	return len(p), nil
}

func (s *spy) all() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.writes, "")
}

func TestWriterHoldsBackOnlyPossibleSecret(t *testing.T) {
	r := New("topsecret")
	var out spy
	w := r.Writer(&out)
	fmt.Fprint(w, "line one\nand top")
	if got := out.all(); got != "line one\nand " {
		t.Fatalf("before the rest arrives: wrote %q", got)
	}
	fmt.Fprint(w, "secret!\n")
	if got := out.all(); got != "line one\nand ********!\n" {
		t.Fatalf("after: wrote %q", got)
	}
}

func TestAddWhileWriting(t *testing.T) {
	r := New()
	var out spy
	w := r.Writer(&out)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				fmt.Fprintf(w, "g%d line %d new-password-%d\n", g, i, i%3)
			}
		})
	}
	wg.Go(func() {
		for i := range 3 {
			r.Add(fmt.Sprintf("new-password-%d", i))
		}
	})
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// Writes after every Add returned must be masked; we cannot know which
	// came first, so only check that a late write is clean.
	fmt.Fprint(w, "late new-password-1 x")
	w.Close()
	if got := out.all(); !strings.HasSuffix(got, "late ******** x") {
		t.Fatalf("late write not masked: %q", got[max(0, len(got)-40):])
	}
}

func TestSafeCut(t *testing.T) {
	r := New("hunter2", "s3cr3t")
	tests := []struct {
		name string
		in   string
		want int
	}{
		{"no secret near the end", "xxxx", 4},
		{"a whole secret at the end", "xxhunter2", 9},
		{"the start of a secret at the end", "xxhunt", 2},
		{"one byte of a secret", "xxh", 2},
		{"the longest possible start wins", "xs3cr", 1},
		{"empty", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.SafeCut(tt.in); got != tt.want {
				t.Errorf("SafeCut(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

// TestWriterSecretAcrossLargeReads: a secret that straddles two reads of
// 64 KiB (as a PTY hands them over) is masked whole.
func TestWriterSecretAcrossLargeReads(t *testing.T) {
	const secret = "-----BEGIN KEY-----\nAAAAB3NzaC1yc2EAAAADAQABAAABAQ\n-----END KEY-----"
	r := New(secret)
	stream := strings.Repeat("x", 64<<10-20) + secret + strings.Repeat("y", 64<<10)
	for _, at := range []int{64<<10 - 19, 64<<10 - 1, 64 << 10, 64<<10 + 10} {
		got := writeChunks(t, r, []string{stream[:at], stream[at:]})
		want := strings.Repeat("x", 64<<10-20) + Mask + strings.Repeat("y", 64<<10)
		if got != want {
			t.Errorf("cut at %d: secret not masked whole (%d bytes out)", at, len(got))
		}
	}
}
