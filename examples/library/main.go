// Command library is a Go service that embeds probe as a library in its
// own binary: its checks, so that "app healthcheck" checks the running app
// and exits 0 or 1 (a FROM scratch image needs one binary, and its
// HEALTHCHECK runs that binary: Dockerfile beside this file), and its
// drain, so that no probe exec is needed either.
//
//	app               serve on $HOST:$PORT (all interfaces, 8080)
//	app healthcheck   check it: one line, exit 0 (healthy) or 1
//
//	GET /healthz      {"status":"UP"}: alive, draining or not
//	GET /readyz       200, or 503 while draining
//	GET /work?ms=N    a reply whose body pauses N ms after its first line
//
// On SIGTERM it drains as probe exec does, from inside (probe.Drain): it
// creates the shutdown marker, so that its health check reports draining at
// once, and keeps serving, every reply with Connection: close, until no
// request is in flight and none has come for half a second, at least
// $DRAIN_MIN (2s) and at most $DRAIN_MAX (8s); then it shuts down and
// removes the marker. A reply that pauses mid-body is in flight: the
// server's own connection states say so, where the kernel's cannot.
package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/probe"
)

func main() {
	port := cmp.Or(os.Getenv("PORT"), "8080")
	marker := cmp.Or(os.Getenv("PROBE_MARKER"), probe.DefaultMarker)
	if len(os.Args) > 1 && os.Args[1] == "healthcheck" {
		os.Exit(healthcheck(os.Stdout, port, marker))
	}
	drain := &probe.Drain{Marker: marker, Logf: log.Printf}
	for _, env := range []struct {
		name string
		d    *time.Duration
	}{{"DRAIN_MIN", &drain.Min}, {"DRAIN_MAX", &drain.Max}} {
		if s := os.Getenv(env.name); s != "" {
			var err error
			if *env.d, err = time.ParseDuration(s); err != nil {
				log.Fatalf("%s: %v", env.name, err)
			}
		}
	}
	if err := serve(net.JoinHostPort(os.Getenv("HOST"), port), drain); err != nil {
		log.Fatal(err)
	}
	log.Print("stopped")
}

// healthcheck checks the app as a HEALTHCHECK runs it: the body must say
// status UP, within 2s, and the shutdown marker turns it into draining.
// It writes one line per target, as probe does, and returns the exit code.
func healthcheck(w io.Writer, port, marker string) int {
	up, err := checks.ParseJSONAssertion("status=UP")
	if err != nil {
		fmt.Fprintln(w, err)
		return 1
	}
	target, err := probe.ParseTarget("http://127.0.0.1:"+port+"/healthz",
		checks.HTTP{ExpectJSON: []checks.JSONAssertion{up}, UserAgent: "library-example"})
	if err != nil {
		fmt.Fprintln(w, err)
		return 1
	}
	report := probe.Run(context.Background(), []probe.Target{target}, probe.Options{Timeout: 2 * time.Second, Marker: marker})
	for _, r := range report.Results {
		fmt.Fprintf(w, "%s %s: %s\n", r.State, r.Target, r.Detail)
	}
	return report.ExitCode()
}

// serve serves on addr until SIGTERM or SIGINT, then drains and stops.
func serve(addr string, drain *probe.Drain) error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"status":"UP"}`)
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if drain.Draining() {
			http.Error(w, "draining", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.HandleFunc("GET /work", func(w http.ResponseWriter, r *http.Request) {
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		fmt.Fprintln(w, "working")
		w.(http.Flusher).Flush()
		time.Sleep(time.Duration(ms) * time.Millisecond)
		fmt.Fprintf(w, "done after %dms\n", ms)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "hello from the library example") })
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if drain.Draining() {
			// Keep-alive clients reconnect, through the balancer, to
			// the other replicas (docs/draining.md).
			w.Header().Set("Connection", "close")
		}
		mux.ServeHTTP(w, r)
	}), ReadHeaderTimeout: 5 * time.Second}
	srv.ConnState = probe.ConnState[http.ConnState](drain)

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	log.Printf("serving on %s", ln.Addr())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	// The drain ends with srv.Shutdown, which waits for the requests still
	// in flight: a second SIGTERM, or the orchestrator's SIGKILL, bounds it.
	err = drain.Run(context.Background(), srv.Shutdown)
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(serr, err)
	}
	return err
}
