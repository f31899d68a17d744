package sshtest

import (
	"io"
	"os"
	"sync"

	gliderssh "github.com/gliderlabs/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// session is one "session" channel: its requests, its command and the
// goroutines that move the command's input and output.
type session struct {
	host *Host
	ch   gossh.Channel
	user string
	env  []string
	pty  *ptyRequest
	cmd  *command // nil until exec or shell
	wg   sync.WaitGroup
}

// Payloads of the channel requests, as in RFC 4254 section 6.
type (
	ptyRequest struct {
		Term                         string
		Columns, Rows, Width, Height uint32
		Modes                        string
	}
	windowChange struct {
		Columns, Rows, Width, Height uint32
	}
	envRequest   struct{ Name, Value string }
	execRequest  struct{ Command string }
	signalRequst struct{ Signal string }
	exitStatus   struct{ Status uint32 }
	exitSignal   struct {
		Signal     string
		CoreDumped bool
		Error      string
		Lang       string
	}
)

// handleSession serves one session channel until the client closes it or
// the connection goes; then it hangs up the command and waits for it.
func (h *Host) handleSession(_ *gliderssh.Server, conn *gossh.ServerConn, nc gossh.NewChannel, _ gliderssh.Context) {
	if !h.enterSession() {
		_ = nc.Reject(gossh.ResourceShortage, "host is shutting down")
		return
	}
	defer h.sessions.Done()
	ch, reqs, err := nc.Accept()
	if err != nil {
		return
	}
	s := &session{host: h, ch: ch, user: conn.User()}
	for req := range reqs {
		s.handle(req)
	}
	if s.cmd != nil {
		s.cmd.hangup()
	}
	s.wg.Wait()
	_ = ch.Close()
}

func (s *session) handle(req *gossh.Request) {
	switch req.Type {
	case "env":
		var r envRequest
		ok := gossh.Unmarshal(req.Payload, &r) == nil && s.cmd == nil
		if ok {
			s.env = append(s.env, r.Name+"="+r.Value)
		}
		reply(req, ok)
	case "pty-req":
		var r ptyRequest
		ok := gossh.Unmarshal(req.Payload, &r) == nil && s.cmd == nil && s.pty == nil
		if ok {
			s.pty = &r
		}
		reply(req, ok)
	case "window-change":
		var r windowChange
		ok := gossh.Unmarshal(req.Payload, &r) == nil && s.pty != nil
		if ok && s.cmd != nil {
			ok = s.cmd.resize(r.Rows, r.Columns) == nil
		}
		reply(req, ok)
	case "exec":
		var r execRequest
		if gossh.Unmarshal(req.Payload, &r) != nil {
			reply(req, false)
			return
		}
		s.start(req, r.Command)
	case "shell":
		s.start(req, "")
	case "signal":
		var r signalRequst
		ok := gossh.Unmarshal(req.Payload, &r) == nil && s.cmd != nil
		if ok {
			ok = s.cmd.signal(r.Signal) == nil
		}
		reply(req, ok)
	default:
		reply(req, false)
	}
}

func reply(req *gossh.Request, ok bool) {
	if req.WantReply {
		_ = req.Reply(ok, nil)
	}
}

// start runs line (the login shell when empty), answers req, then moves
// input and output until the command is over.
func (s *session) start(req *gossh.Request, line string) {
	if s.cmd != nil {
		reply(req, false)
		return
	}
	cmd, err := startCommand(s.host, s.spec(line))
	if err != nil {
		_, _ = io.WriteString(s.ch.Stderr(), "sshtest: "+err.Error()+"\r\n")
		reply(req, false)
		return
	}
	s.cmd = cmd
	reply(req, true)
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		cmd.feed(s.ch)
	}()
	go func() {
		defer s.wg.Done()
		s.finish(cmd.run(s.ch))
	}()
}

// finish reports how the command ended and closes the channel, as sshd
// does: EOF, exit-status or exit-signal, close.
func (s *session) finish(st *os.ProcessState) {
	_ = s.ch.CloseWrite()
	if sig := signalOf(st); sig != "" {
		_, _ = s.ch.SendRequest("exit-signal", false, gossh.Marshal(exitSignal{Signal: sig}))
	} else {
		_, _ = s.ch.SendRequest("exit-status", false, gossh.Marshal(exitStatus{Status: uint32(st.ExitCode())}))
	}
	_ = s.ch.Close()
}

func (s *session) spec(line string) commandSpec {
	o := s.host.opts
	env := []string{
		"HOME=" + s.host.Dir,
		"USER=" + s.user,
		"LOGNAME=" + s.user,
		"SHELL=" + o.Shell,
		"PATH=" + pathEnv(),
		"DROVER_SANDBOX_HOST=" + s.host.Name,
	}
	spec := commandSpec{shell: o.Shell, line: line, dir: s.host.Dir, pty: s.pty}
	if s.pty != nil {
		env = append(env, "TERM="+s.pty.Term)
	}
	spec.env = append(append(env, o.Env...), s.env...)
	return spec
}

func pathEnv() string {
	if p := os.Getenv("PATH"); p != "" {
		return p
	}
	return "/usr/local/bin:/usr/bin:/bin"
}
