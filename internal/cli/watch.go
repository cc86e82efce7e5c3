package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/probe-sh/probe/internal/logline"
	"github.com/probe-sh/probe/internal/render"
	"github.com/probe-sh/probe/internal/signals"
	"github.com/probe-sh/probe/internal/watch"
	"github.com/probe-sh/probe/probe"
)

// WatchCmd is probe watch: check targets every interval and show them over
// time, for incidents: live on a terminal, as lines of changes in a log,
// and a summary at Ctrl-C or after --count.
type WatchCmd struct {
	Interval  time.Duration `default:"1s" help:"From the start of one check of a target to the start of the next; each check has its own --timeout."`
	Count     int           `help:"Stop after this many checks of every target, and print the summary; 0 watches until Ctrl-C."`
	LogFormat string        `enum:"text,json,logfmt" default:"text" placeholder:"FORMAT" help:"How the lines of changes are written when the output is not a terminal: text, or one json or logfmt record a line with the fields time, level, probe, msg, target and state."`
	Targets   []string      `arg:"" name:"target" help:"What to watch, as for the default command. ${target_flags}"`
	TargetFlags
}

func (c *WatchCmd) targetFlags() *TargetFlags { return &c.TargetFlags }

// minWatchInterval keeps a typo (--interval 1ms) from becoming a flood.
const minWatchInterval = 10 * time.Millisecond

// Run watches until Ctrl-C (or SIGTERM) or --count, then prints the
// summary; it exits 0 when the last check of every target passed.
func (c *WatchCmd) Run(g *Globals, env *Env) error {
	switch {
	case len(c.Targets) == 0:
		return errors.New("no target given: try probe watch http://127.0.0.1:8080/healthz")
	case c.Interval < minWatchInterval:
		return fmt.Errorf("--interval must be at least %s, got %s", minWatchInterval, c.Interval)
	case c.Count < 0:
		return fmt.Errorf("--count cannot be negative, got %d", c.Count)
	}
	format, err := logline.ParseFormat(c.LogFormat)
	if err != nil {
		return fmt.Errorf("--log-format: %w", err)
	}
	opt, targets, err := g.prepare(func() ([]probe.Target, error) { return c.build(c.Targets, g.ProcRoot, env.Stamp) })
	if err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(g.context())
	defer cancel()
	stop := make(chan os.Signal, 2)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(stop)
	watched := make(chan struct{})
	defer close(watched)
	go func() {
		select {
		case <-stop:
			cancel() // the summary, once the checks in flight return
		case <-watched:
			return
		}
		var sig os.Signal
		select {
		case sig = <-stop:
		case <-watched:
			return
		}
		// A second Ctrl-C exits now, whatever holds the summary: a check
		// that ignores its context, a terminal or pipe that takes no more
		// output.
		exitNow(env.Stderr, fmt.Sprintf("probe: received %s again: exiting without the summary\n", signals.Name(sig)))
	}()

	w := &watch.Watcher{Targets: targets, Interval: c.Interval, Count: c.Count, Options: opt}
	// What goes on while watching: live on a terminal, lines of changes
	// otherwise. With -o json, stdout is the summary's alone.
	progress := env.Stdout
	if g.Output == "json" {
		progress = env.Stderr
	}
	start := time.Now()
	var done func()
	switch {
	case g.Quiet:
		done = func() {}
	case format == logline.Text && isTerminal(progress):
		done = c.live(ctx, w, progress, start)
	default:
		done = c.log(ctx, w, &logline.Logger{W: progress, Format: format, Cmd: "watch"})
	}
	tallies := w.Run(ctx)
	done()

	now := time.Now()
	if !g.Quiet {
		var werr error
		if g.Output == "json" {
			werr = render.WatchJSON(env.Stdout, now.Sub(start), c.Interval, now, tallies)
		} else {
			werr = render.WatchSummary(env.Stdout, now.Sub(start), now, tallies)
		}
		if werr != nil {
			return fmt.Errorf("cannot write the summary: %w", werr)
		}
	}
	if !render.WatchHealthy(tallies) {
		return exitCode(1)
	}
	return nil
}

// exitNow writes line, unless that blocks for more than 50ms, and exits 1.
func exitNow(w io.Writer, line string) {
	written := make(chan struct{})
	go func() {
		_, _ = io.WriteString(w, line)
		close(written)
	}()
	select {
	case <-written:
	case <-time.After(50 * time.Millisecond):
	}
	os.Exit(1)
}

// live redraws the view ten times a second until the watch ends; the
// returned func draws it a last time and returns.
func (c *WatchCmd) live(ctx context.Context, w *watch.Watcher, out io.Writer, start time.Time) func() {
	draw := render.WatchLive(out, render.Screen{Width: terminalWidth(out), Color: os.Getenv("NO_COLOR") == "", UTF8: utf8Locale()})
	var mu sync.Mutex
	redraw := func() {
		mu.Lock()
		defer mu.Unlock()
		draw(time.Since(start).Truncate(100*time.Millisecond), c.Interval, w.Snapshot())
	}
	quit := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			redraw()
			select {
			case <-tick.C:
			case <-quit:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() {
		close(quit)
		<-finished
		redraw()
	}
}

// log writes a line when a target's state changes (its first check
// included), and one a minute per target with its counts: the lines of
// render in text, records of log in JSON or logfmt.
func (c *WatchCmd) log(ctx context.Context, w *watch.Watcher, log *logline.Logger) func() {
	out := log.W
	var mu sync.Mutex
	last := make([]probe.State, len(w.Targets))
	w.OnResult = func(i int, r probe.Result) {
		mu.Lock()
		defer mu.Unlock()
		if last[i] != r.State {
			last[i] = r.State
			if log.Format == logline.Text {
				render.WatchChange(out, time.Now().Add(-r.Duration), r)
			} else {
				level := logline.Info
				if r.State != probe.Healthy {
					level = logline.Warn
				}
				log.Log(level, render.WatchChangeMsg(r), logline.Target(r.Target), logline.State(r.State.String()))
			}
		}
	}
	quit := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(time.Minute)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				mu.Lock()
				if log.Format == logline.Text {
					render.WatchMinute(out, time.Now(), w.Snapshot())
				} else {
					for _, t := range w.Snapshot() {
						log.Log(logline.Info, render.WatchMinuteMsg(t), logline.Target(t.Target), logline.State(t.State.String()))
					}
				}
				mu.Unlock()
			case <-quit:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() { close(quit); <-finished }
}

// terminalWidth reads the terminal's width at each redraw, so that a
// resized window is followed.
func terminalWidth(w io.Writer) func() int {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	return func() int {
		ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
		if err != nil {
			return 0
		}
		return int(ws.Col)
	}
}

// utf8Locale reports whether the locale's character set is UTF-8, as the
// C library decides it: LC_ALL, then LC_CTYPE, then LANG.
func utf8Locale() bool {
	for _, name := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if v := os.Getenv(name); v != "" {
			v = strings.ToLower(v)
			return strings.Contains(v, "utf-8") || strings.Contains(v, "utf8")
		}
	}
	return false
}
