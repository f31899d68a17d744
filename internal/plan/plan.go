// Package plan holds the immutable values of one run: the targeted hosts,
// the stages with their batches and gates, and every step already rendered
// for every host. It does no I/O: it is built by package runbook and run by
// package engine, and its functions are pure.
package plan

import (
	"regexp"
	"time"

	"github.com/drover-sh/drover/internal/inventory"
)

// Plan is a fully resolved run. Nothing in it is a template any more.
type Plan struct {
	Name        string            // runbook name
	Description string            // runbook description
	File        string            // the runbook file ("embedded:cutover.toml" for shipped ones)
	Params      map[string]string // every param's value, after defaults and --set
	Hosts       []inventory.Host  // targeted hosts, in inventory order, no duplicates
	Release     *Release          // nil when the runbook has no [release]
	Secrets     map[string]Secret // declared secrets by name
	Tunnels     []Tunnel          // open on every host while it runs
	HAProxy     []HAProxy         // load balancers haproxy steps act on, all together
	Stages      []Stage
}

// Release is the [release] table.
type Release struct {
	Root string // releases live in Root/releases/ID, Root/current points at one
	Keep int    // releases kept after a good switch; 0 keeps all
}

// Secret says where a secret's value comes from. The value itself is never
// part of a plan.
type Secret struct {
	Name   string
	Prompt string // asked on the terminal, once, when first needed
	Env    string // environment variable
	File   string // file holding the value (trailing newline dropped)
}

// Tunnel forwards a port on each host back to an address the control
// machine can reach, while the host runs.
type Tunnel struct {
	Remote string // listen address on the host, e.g. "127.0.0.1:9418"
	Local  string // address dialled from the control machine
	// Serve is a local directory the run serves over HTTP on a loopback
	// port of its own, which the tunnel forwards to (Local is then empty).
	Serve string
}

// Gate is when a stage asks a person before going on.
type Gate string

const (
	GateNone  Gate = "none"
	GateStage Gate = "stage"
	GateBatch Gate = "batch"
	GateHost  Gate = "host"
)

// Stage is a barrier in the run: every host finishes it before any host
// starts the next.
type Stage struct {
	Name        string
	Parallel    int         // hosts in flight at most; >= 1
	Batches     []BatchSize // batch sizes; see Batches
	MaxFail     Threshold
	Gate        Gate
	UndoOnAbort bool
	// Steps and Undo are rendered per host: Steps[host.Name].
	Steps map[string][]Step
	Undo  map[string][]Step
}

// StepsFor returns the host's pipeline in this stage.
func (s Stage) StepsFor(host string) []Step { return s.Steps[host] }

// UndoFor returns the host's undo steps in this stage.
func (s Stage) UndoFor(host string) []Step { return s.Undo[host] }

// Threshold is a max_fail value: a count, or a percentage of the stage's
// hosts. The zero value tolerates no failure.
type Threshold struct {
	Count     int
	Percent   float64 // used when IsPercent
	IsPercent bool
}

// Kind is what a step does. Exactly one per step.
type Kind string

const (
	KindRun       Kind = "run"
	KindUpload    Kind = "upload"
	KindSwitchrel Kind = "switchrel"
	KindWatch     Kind = "watch"
	KindLocal     Kind = "local"
	KindConfirm   Kind = "confirm"
	KindPause     Kind = "pause"
	KindHTTP      Kind = "http"
	KindHAProxy   Kind = "haproxy"
	KindFetch     Kind = "fetch"
)

// NoBase is the upload base that sends the whole tree.
const NoBase = "none"

// HTTP step "via" values.
const (
	ViaSSH    = "ssh"    // dialled through the host's SSH connection
	ViaDirect = "direct" // dialled from the control machine
)

// HAProxy is one [haproxy] table: a load balancer's runtime API and the
// backend the run's hosts are servers of.
type HAProxy struct {
	Socket  string            // runtime API: "HOST:PORT" or a unix socket path
	Via     string            // inventory host whose SSH connection reaches Socket; "" dials from here
	Backend string            // backend name
	Servers map[string]string // host name -> server name in Backend, rendered
}

// Name names the load balancer in messages: "web@127.0.0.1:9999".
func (h HAProxy) Name() string { return h.Backend + "@" + h.Socket }

// Step is one rendered step of one host's pipeline.
type Step struct {
	Name string // as written, or derived from the kind ("run: systemctl restart app")
	Kind Kind
	// Arg is the kind's value: the command for run and local, the local path
	// for upload, the release id or "previous" for switchrel, the log path for
	// watch, the question for confirm.
	Arg string
	To  string // upload: remote path
	// Base is, for an upload of a directory, the release on the host whose
	// unchanged files the new tree links instead of receiving: "" for the
	// release current points to when To is ROOT/releases/ID, NoBase for
	// none (the whole tree is sent).
	Base string
	// Sha256 is, for a fetch, the hex SHA-256 the download must have; ""
	// checks a file a serve tunnel serves against the local file's hash,
	// and any other download against nothing.
	Sha256 string
	Once   bool          // local: once per stage instead of once per host
	Pause  time.Duration // pause: how long
	// EnvSecrets names the secrets a local step gets in its environment, as
	// DROVER_SECRET_<NAME>; no other secret reaches a local command.
	EnvSecrets []string

	// http: Arg is the URL. Status 0 accepts any 2xx; Body, when set, must
	// match the response body; Interval is the wait between attempts; Via
	// is ViaSSH or ViaDirect.
	Status   int
	Body     *regexp.Regexp
	Interval time.Duration
	Via      string

	// haproxy: Arg is "drain", "disable" or "enable"; Wait waits for 0
	// current sessions (drain, disable) or for the server to be UP (enable).
	// Backend and Server, when set, name the backend and the host's server
	// on every load balancer instead of the [haproxy] table's.
	Wait    bool
	Backend string
	Server  string

	Timeout     time.Duration // whole step; default 10m
	IdleTimeout time.Duration // no output and no rule matched; default 60s
	Sudo        bool
	PTY         bool  // run: always in a pseudo-terminal (pty = true), e.g. so ^C reaches it
	OkExit      []int // exit codes that count as success; default [0]
	Retries     int
	RetryDelay  time.Duration
	SkipIf      string         // skip when this command exits 0 on the host
	Until       *regexp.Regexp // run/watch: success when output matches
	FailOn      *regexp.Regexp // run/watch: failure when output matches
	Expect      []ExpectRule   // the runbook's [[expect]] rules, then the step's
}

// NeedsPTY reports whether a run step must run in a pseudo-terminal.
func (s Step) NeedsPTY() bool {
	return s.PTY || len(s.Expect) > 0 || s.Sudo || s.Until != nil || s.FailOn != nil
}

// ExpectRule answers or fails on a prompt.
type ExpectRule struct {
	Match      *regexp.Regexp
	Send       string // reply, a newline is added; rendered
	SendSecret string // name of the secret to reply with
	Fail       string // when set, a match fails the step with this message
	Max        int    // how often the rule may fire; default 1
}
