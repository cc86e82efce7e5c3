// Package signals names and parses signals as a Dockerfile's STOPSIGNAL
// does (SIGTERM, QUIT, 15, SIGRTMIN+3), for every command that handles
// them: exec, wait and serve.
package signals

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// signalNames are the names a Dockerfile's STOPSIGNAL uses.
var signalNames = []struct {
	name string
	sig  syscall.Signal
}{
	{"SIGHUP", syscall.SIGHUP}, {"SIGINT", syscall.SIGINT}, {"SIGQUIT", syscall.SIGQUIT},
	{"SIGILL", syscall.SIGILL}, {"SIGTRAP", syscall.SIGTRAP}, {"SIGABRT", syscall.SIGABRT},
	{"SIGBUS", syscall.SIGBUS}, {"SIGFPE", syscall.SIGFPE}, {"SIGKILL", syscall.SIGKILL},
	{"SIGUSR1", syscall.SIGUSR1}, {"SIGSEGV", syscall.SIGSEGV}, {"SIGUSR2", syscall.SIGUSR2},
	{"SIGPIPE", syscall.SIGPIPE}, {"SIGALRM", syscall.SIGALRM}, {"SIGTERM", syscall.SIGTERM},
	{"SIGSTKFLT", syscall.SIGSTKFLT}, {"SIGCHLD", syscall.SIGCHLD}, {"SIGCONT", syscall.SIGCONT},
	{"SIGSTOP", syscall.SIGSTOP}, {"SIGTSTP", syscall.SIGTSTP}, {"SIGTTIN", syscall.SIGTTIN},
	{"SIGTTOU", syscall.SIGTTOU}, {"SIGURG", syscall.SIGURG}, {"SIGXCPU", syscall.SIGXCPU},
	{"SIGXFSZ", syscall.SIGXFSZ}, {"SIGVTALRM", syscall.SIGVTALRM}, {"SIGPROF", syscall.SIGPROF},
	{"SIGWINCH", syscall.SIGWINCH}, {"SIGIO", syscall.SIGIO}, {"SIGPWR", syscall.SIGPWR},
	{"SIGSYS", syscall.SIGSYS},
}

// Name names a signal as a Dockerfile does (SIGTERM), not as Go
// does ("terminated"); real-time signals are SIGRTMIN+N.
func Name(sig os.Signal) string {
	n, ok := sig.(syscall.Signal)
	if !ok {
		return sig.String()
	}
	for _, s := range signalNames {
		if s.sig == n {
			return s.name
		}
	}
	if n >= 34 && n <= 64 {
		return "SIGRTMIN+" + strconv.Itoa(int(n)-34)
	}
	return fmt.Sprintf("signal %d", int(n))
}

// Parse reads a signal as STOPSIGNAL takes it: SIGQUIT, QUIT, 3, or
// SIGRTMIN+N.
func Parse(s string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > 64 {
			return 0, fmt.Errorf("signal %d is not from 1 to 64", n)
		}
		return syscall.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	switch name {
	case "SIGRTMIN":
		return 34, nil
	case "SIGRTMAX":
		return 64, nil
	}
	if rest, ok := strings.CutPrefix(name, "SIGRTMIN+"); ok {
		if n, err := strconv.Atoi(rest); err == nil && n >= 0 && n <= 30 {
			return syscall.Signal(34 + n), nil
		}
	}
	if rest, ok := strings.CutPrefix(name, "SIGRTMAX-"); ok {
		if n, err := strconv.Atoi(rest); err == nil && n >= 0 && n <= 30 {
			return syscall.Signal(64 - n), nil
		}
	}
	for _, sig := range signalNames {
		if sig.name == name {
			return sig.sig, nil
		}
	}
	return 0, fmt.Errorf("%q is not a signal name such as SIGTERM, SIGQUIT or 15", s)
}
