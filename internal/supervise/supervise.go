// Package supervise runs a command the way probe exec does, as PID 1 of a
// container: it forwards signals, reaps zombies, and on SIGTERM drains
// first, so that load balancers stop sending traffic before the app stops
// taking it.
//
// The drain, in order: a stop signal arrives; the shutdown marker is created
// at once, so every health check reports draining; the command keeps
// serving, until its traffic has stopped (Adaptive, drain.go) or for
// DrainDelay (a second stop signal cuts either short); the signal is passed
// on; the command exits; the marker is removed; the supervisor returns the
// command's exit code.
package supervise

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
	"unsafe"

	"github.com/probe-sh/probe/internal/logline"
	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/internal/signals"
	"github.com/probe-sh/probe/probe"
)

// Supervisor runs one command until it exits.
type Supervisor struct {
	Path string   // the executable, as exec.LookPath found it
	Args []string // the command line; Args[0] names it in messages
	Env  []string

	// Marker is the shutdown marker's path; empty means none, and the
	// drain is only a delay.
	Marker     string
	DrainDelay time.Duration

	// Adaptive, when set, ends the drain once the app's traffic has
	// stopped, within its bounds, instead of after DrainDelay.
	Adaptive *Adaptive

	// Group runs the command in a process group of its own and sends
	// every signal to the whole group, as tini -g does: for a shell
	// entrypoint whose children must hear SIGTERM too. When the command
	// exits while others of its group still run, the supervisor waits for
	// them: after a stop signal, as long as they take (the orchestrator's
	// grace period bounds it); when the command exited by itself, they
	// get SIGTERM and GroupGrace to exit, then SIGKILL, so that the
	// restart policy can act.
	Group      bool
	GroupGrace time.Duration

	// Unhealthy, when it delivers a reason, stops the command as a stop
	// signal would, with the drain, by HealSignal (SIGTERM when zero); the
	// command gets GroupGrace to exit after it, then SIGKILL (a stopped or
	// hung app ignores SIGTERM), and the code is never 0, so that the
	// restart policy starts the container again.
	Unhealthy  <-chan string
	HealSignal syscall.Signal
	// HealCode, when set, is the exit code after a stop for Unhealthy,
	// whatever the command's own: the code a restart rule matches.
	HealCode int

	// OnDrain, when set, is called when the drain begins, with why.
	OnDrain func(why string)
	// OnStart, when set, is called once the command has started.
	OnStart func()

	// Log gets one record per event of the command's life; nil keeps
	// quiet.
	Log *logline.Logger
}

// Forwarded are the signals to catch and pass on: every signal but those
// that cannot be caught (SIGKILL, SIGSTOP, and 32 to 34, which C libraries
// and the Go runtime reserve: a Go program cannot catch them), SIGCHLD (it
// means a child exited, and is handled here), SIGURG (the Go runtime sends
// it to itself to preempt goroutines), SIGPIPE (see Caught), and the ones
// that report a fault of probe's own (SIGILL, SIGTRAP, SIGBUS, SIGFPE,
// SIGSEGV).
func Forwarded() []os.Signal {
	skip := map[syscall.Signal]bool{
		syscall.SIGKILL: true, syscall.SIGSTOP: true, syscall.SIGCHLD: true, syscall.SIGURG: true, syscall.SIGPIPE: true,
		syscall.SIGILL: true, syscall.SIGTRAP: true, syscall.SIGBUS: true, syscall.SIGFPE: true, syscall.SIGSEGV: true,
	}
	var sigs []os.Signal
	for n := syscall.Signal(1); n <= 64; n++ {
		if !skip[n] && !Reserved(n) {
			sigs = append(sigs, n)
		}
	}
	return sigs
}

// Reserved reports whether sig is one of 32 to 34: C libraries take 32 and
// 33 for their threads and musl takes 34, so the Go runtime keeps them, and
// signal.Notify has no effect on them. 34 (SIGRTMIN) kills probe exec when
// it is not PID 1; as PID 1 the kernel drops it.
func Reserved(sig syscall.Signal) bool {
	return sig >= 32 && sig <= 34
}

// Caught are the signals probe exec catches without passing them on.
// SIGPIPE: a write to a closed stderr (a log collector gone) raises it in
// probe itself, and passing it on would kill the app (issue 19: exit 141,
// 12 ms after SIGTERM, with no drain). Caught, not ignored: an ignored signal
// stays ignored in the command after exec.
func Caught() []os.Signal { return []os.Signal{syscall.SIGPIPE} }

// Run starts the command and supervises it until it exits. forwarded must
// already receive Forwarded but the stop signals, and stops the stop
// signals (signal.Notify), so that none is lost before the command starts.
// The stop signals have their own channel so that a storm of other signals,
// which Go drops once a channel is full, can never crowd out a SIGTERM.
// The code is the command's exit code, or 128+N when signal N killed it, as
// a shell reports it; err is set only when the command could not start.
func (s *Supervisor) Run(forwarded, stops <-chan os.Signal) (code int, err error) {
	children := make(chan os.Signal, 1)
	signal.Notify(children, syscall.SIGCHLD)
	defer signal.Stop(children)
	// The command's orphans are re-parented to PID 1 and must be reaped
	// there. When probe exec is not PID 1, this makes it their parent.
	setSubreaper()
	s.checkMarker()
	l, err := s.start()
	if err != nil {
		return 1, err
	}
	defer l.stopSampling()
	if s.OnStart != nil {
		s.OnStart()
	}
	for {
		done := false
		select {
		case <-children:
			done = l.reaped()
		case <-l.poll:
			reap(l.pid)
			done = l.groupGone()
		case why := <-s.Unhealthy:
			l.unhealthy(why)
		case <-l.kill:
			s.warnf("%s still runs %s after %s: sending SIGKILL", l.name, s.GroupGrace, signals.Name(l.stopSig))
			_ = syscall.Kill(l.target, syscall.SIGKILL)
			l.kill = nil
		case <-l.grace:
			s.warnf("the rest of the process group of %s still runs %s after SIGTERM: sending SIGKILL", l.name, s.GroupGrace)
			_ = syscall.Kill(l.target, syscall.SIGKILL)
			l.grace = nil
		case sig := <-forwarded:
			_ = syscall.Kill(l.target, sig.(syscall.Signal))
		case sig := <-stops:
			l.stopSignal(sig)
		case <-l.delay:
			l.pass(l.stopSig, "drain delay of "+s.DrainDelay.String()+" over")
		case now := <-l.samples:
			l.sampled(now)
		}
		if done {
			return l.finish(), nil
		}
	}
}

// life is one run of the command, and what has happened to it so far: the
// supervisor's loop hands each event to one of its methods.
type life struct {
	s      *Supervisor
	pid    int    // the command
	target int    // who gets the signals: the command, or -pid, its whole group
	name   string // the command, for messages
	to     string // the command, or the command and its process group

	stopSig    os.Signal // the stop signal that began the drain
	drainStart time.Time
	delay      <-chan time.Time // set while a fixed drain runs
	passedOn   bool             // the stop signal has gone to the command
	marked     bool             // the shutdown marker was created
	healing    bool             // stopped for Unhealthy
	kill       <-chan time.Time // set once a healing stop has been passed on
	leftovers  bool             // the command has exited, the rest of its group runs
	grace      <-chan time.Time // set while the rest of the group has GroupGrace to exit
	poll       <-chan time.Time // while the rest of the group runs: its last process may not be a child of probe's
	sample     *time.Ticker     // set while an adaptive drain watches the traffic
	samples    <-chan time.Time
	watching   *drainState
	code       int
}

// start starts the command.
func (s *Supervisor) start() (*life, error) {
	attr := &syscall.ProcAttr{
		Env: s.Env,
		// The command writes straight to probe's stdout and stderr:
		// nothing is copied, buffered or swallowed.
		Files: []uintptr{0, 1, 2},
	}
	if s.Group {
		// A group of its own; on a terminal (docker run -it) it becomes
		// the terminal's foreground group, or a shell reading its input
		// would be stopped by SIGTTIN.
		attr.Sys = &syscall.SysProcAttr{Setpgid: true, Foreground: foreground(0), Ctty: 0}
	}
	pid, err := syscall.ForkExec(s.Path, s.Args, attr)
	if err != nil {
		return nil, fmt.Errorf("cannot run %q: %w", s.Args[0], err)
	}
	l := &life{s: s, pid: pid, target: pid, name: filepath.Base(s.Args[0])}
	l.to = l.name
	if s.Group {
		l.target, l.to = -pid, l.name+" and its process group"
	}
	return l, nil
}

// pass passes sig on to the command; why says what ended the drain.
func (l *life) pass(sig os.Signal, why string) {
	l.s.logf("%s: passing %s on to %s", why, signals.Name(sig), l.to)
	l.passedOn, l.delay = true, nil
	l.stopSampling()
	_ = syscall.Kill(l.target, sig.(syscall.Signal))
	if l.healing {
		// A stopped app (SIGSTOP, a debugger) would never act on it: wake
		// it, as systemd does after SIGTERM.
		_ = syscall.Kill(l.target, syscall.SIGCONT)
		l.kill = time.After(l.s.GroupGrace)
	}
}

// drain begins the drain for sig; why says what started it, passing what
// will be done to the command at its end.
func (l *life) drain(sig os.Signal, why, passing string) {
	s := l.s
	l.stopSig, l.drainStart = sig, time.Now()
	l.marked = s.mark(why)
	if s.OnDrain != nil {
		s.OnDrain(why)
	}
	if a := s.Adaptive; a != nil {
		s.logf("%s: draining until the app's traffic stops (at least %s, at most %s) before %s %s%s", why, a.Min, a.Max, passing, l.name, s.markerNote(l.marked))
		l.watching = &drainState{a: a, start: l.drainStart}
		l.sample = time.NewTicker(max(a.Every, time.Millisecond))
		l.samples = l.sample.C
		return
	}
	if s.DrainDelay <= 0 {
		l.pass(sig, why)
		return
	}
	s.logf("%s: draining for %s before %s %s%s", why, s.DrainDelay, passing, l.name, s.markerNote(l.marked))
	l.delay = time.After(s.DrainDelay)
}

// stopSampling ends the adaptive drain's watch, if one runs.
func (l *life) stopSampling() {
	if l.sample != nil {
		l.sample.Stop()
		l.sample, l.samples, l.watching = nil, nil, nil
	}
}

// sampled takes one sample of the app's traffic during an adaptive drain.
func (l *life) sampled(now time.Time) {
	if done, why := l.watching.step(now); done {
		l.pass(l.stopSig, why)
	} else if l.watching.failed != nil && !l.watching.warned {
		l.watching.warned = true
		l.s.warnf("cannot see the app's traffic (%v): until it can, only the drain maximum of %s ends the drain", l.watching.failed, l.watching.a.Max)
	}
}

// stopSignal handles a stop signal: the first begins the drain, a second
// cuts it short, and once the signal has been passed on, more go straight
// to the command.
func (l *life) stopSignal(sig os.Signal) {
	switch {
	case l.passedOn:
		_ = syscall.Kill(l.target, sig.(syscall.Signal))
	case l.stopSig == nil:
		l.drain(sig, "received "+signals.Name(sig), "passing it on to")
	default:
		l.pass(sig, fmt.Sprintf("received %s after %s of the drain", signals.Name(sig), time.Since(l.drainStart).Round(time.Millisecond)))
	}
}

// unhealthy stops the command for Unhealthy, with the drain, unless it is
// already stopping.
func (l *life) unhealthy(why string) {
	if l.stopSig != nil || l.passedOn {
		return
	}
	l.healing = true
	sig := l.s.HealSignal
	if sig == 0 {
		sig = syscall.SIGTERM
	}
	l.drain(sig, why, "sending "+signals.Name(sig)+" to")
}

// reaped reaps what has exited, and reports whether the supervision is
// over: the command has exited, and with Group, the rest of its group too.
func (l *life) reaped() bool {
	s := l.s
	status, done := reap(l.pid)
	if l.leftovers {
		return l.groupGone()
	}
	if !done {
		return false
	}
	l.code = exitCode(status)
	s.logf("%s %s", l.name, describe(status, l.code))
	switch {
	case l.healing && s.HealCode != 0:
		l.code = s.HealCode
		s.logf("exiting with code %d, the code chosen for a stop of an unhealthy app", l.code)
	case l.healing && l.code == 0:
		l.code = 1
		s.logf("exiting with code 1 all the same, so that the restart policy starts it again")
	}
	if !s.Group || !groupRuns(l.pid) {
		return true
	}
	// The shell is gone, but what it started still runs: as PID 1,
	// exiting now would kill it mid-work.
	l.leftovers, l.poll = true, time.Tick(200*time.Millisecond)
	if l.passedOn {
		s.logf("waiting for the rest of its process group to exit")
		return false
	}
	sig := os.Signal(syscall.SIGTERM)
	if l.stopSig != nil {
		sig = l.stopSig
	}
	s.logf("passing %s on to the rest of its process group, and waiting up to %s for it to exit", signals.Name(sig), s.GroupGrace)
	l.passedOn, l.delay, l.grace = true, nil, time.After(s.GroupGrace)
	_ = syscall.Kill(l.target, sig.(syscall.Signal))
	return false
}

// groupGone reports whether the rest of the command's group has exited,
// and says so when it has.
func (l *life) groupGone() bool {
	if groupRuns(l.pid) {
		return false
	}
	l.s.logf("the rest of the process group of %s has exited", l.name)
	return true
}

// finish removes the marker the drain created, and returns the code.
func (l *life) finish() int {
	if l.marked {
		if _, err := (probe.Marker{Path: l.s.Marker}).Remove(); err != nil {
			l.s.warnf("%v", err)
		}
	}
	return l.code
}

// checkMarker removes a marker left by an earlier run (a container killed
// while draining, then restarted), which would report draining forever, and
// says at start, in one line, when the marker cannot be created.
func (s *Supervisor) checkMarker() {
	if s.Marker == "" {
		return
	}
	m := probe.Marker{Path: s.Marker}
	// Only a marker that is there needs removing: on a read-only /dev/shm,
	// removing one that is not there fails too, and the warning would be
	// wrong (issue 19).
	if present, _, _ := m.Since(); present {
		if _, err := m.Remove(); err != nil {
			s.warnf("warning: %v; health checks will report draining until it is gone", err)
			return
		}
		s.logf("removed the shutdown marker %s left by an earlier run", s.Marker)
	}
	const writable = 2 // W_OK
	if err := syscall.Access(filepath.Dir(s.Marker), writable); err != nil {
		s.warnf("warning: cannot create the shutdown marker %s: %v; health checks will not report draining on SIGTERM (set --marker to a writable path)", s.Marker, err)
	}
}

// mark creates the marker; it reports whether the marker is there.
func (s *Supervisor) mark(why string) bool {
	if s.Marker == "" {
		return false
	}
	m := probe.Marker{Path: s.Marker}
	if _, err := m.Create(sanitize.Printable("probe exec: " + why + " at " + time.Now().UTC().Format(time.RFC3339))); err != nil {
		s.warnf("%v; health checks will not report draining", err)
		return false
	}
	return true
}

func (s *Supervisor) markerNote(marked bool) string {
	if !marked {
		return ""
	}
	return " (shutdown marker " + s.Marker + " created: health checks report draining)"
}

func (s *Supervisor) logf(format string, args ...any) { s.Log.Printf(format, args...) }

func (s *Supervisor) warnf(format string, args ...any) { s.Log.Warnf(format, args...) }

// reap collects every child that has exited: the command, and any orphan
// re-parented here. done is set when the command itself has exited.
func reap(pid int) (status syscall.WaitStatus, done bool) {
	for {
		var ws syscall.WaitStatus
		got, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil || got <= 0: // ECHILD, or nobody else has exited yet
			return status, done
		case got == pid:
			status, done = ws, true
		}
	}
}

// groupRuns reports whether any process of the group pgid is left. A
// process of probe's own that has exited is reaped before this is asked.
func groupRuns(pgid int) bool {
	return syscall.Kill(-pgid, 0) != syscall.ESRCH
}

// foreground reports whether fd is a terminal whose foreground process
// group is probe's own: only then can the command's group take it over.
func foreground(fd int) bool {
	var pgrp int32
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.TIOCGPGRP, uintptr(unsafe.Pointer(&pgrp)))
	return errno == 0 && int(pgrp) == syscall.Getpgrp()
}

// exitCode is the command's code as a shell gives it: 128+N for signal N.
func exitCode(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

func describe(ws syscall.WaitStatus, code int) string {
	if ws.Signaled() {
		return fmt.Sprintf("was killed by %s (exit code %d)", signals.Name(ws.Signal()), code)
	}
	return fmt.Sprintf("exited with code %d", code)
}

// setSubreaper makes this process the parent of its orphaned descendants
// (prctl PR_SET_CHILD_SUBREAPER), as PID 1 is.
func setSubreaper() {
	const prSetChildSubreaper = 36
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
}
