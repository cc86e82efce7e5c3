// Command library is a Go service that embeds probe's checks, as a library,
// in its own binary: "app healthcheck" checks the running app and exits 0
// or 1, so that a FROM scratch image needs one binary, and its HEALTHCHECK
// runs that binary (Dockerfile beside this file).
//
//	app               serve on $PORT (8080)
//	app healthcheck   check it: one line, exit 0 (healthy) or 1
//
// On SIGTERM it drains as probe exec does: it creates the shutdown marker,
// so that its health check reports draining at once, keeps serving for
// $DRAIN (5s), then shuts down and removes the marker.
package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/probe"
)

func main() {
	port := cmp.Or(os.Getenv("PORT"), "8080")
	if len(os.Args) > 1 && os.Args[1] == "healthcheck" {
		os.Exit(healthcheck(os.Stdout, port, probe.DefaultMarker))
	}
	drain, err := time.ParseDuration(cmp.Or(os.Getenv("DRAIN"), "5s"))
	if err != nil {
		log.Fatalf("DRAIN: %v", err)
	}
	if err := serve(port, drain, probe.DefaultMarker); err != nil {
		log.Fatal(err)
	}
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

// serve serves until SIGTERM or SIGINT, then drains and stops.
func serve(port string, drain time.Duration, marker string) error {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"status":"UP"}`)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "hello from the library example") })
	srv := &http.Server{Addr: ":" + port, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	m := probe.Marker{Path: marker}
	if _, err := m.Remove(); err != nil { // one left by a run that was killed
		log.Printf("warning: %v", err)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe() }()
	log.Printf("serving on :%s", port)
	select {
	case err := <-done:
		return err
	case sig := <-stop:
		if _, err := m.Create(fmt.Sprintf("received %s at %s", sig, time.Now().UTC().Format(time.RFC3339))); err != nil {
			log.Printf("%v; health checks will not report draining", err)
		}
		log.Printf("received %s: draining for %s", sig, drain)
		time.Sleep(drain)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(ctx)
	if _, rerr := m.Remove(); rerr != nil {
		log.Print(rerr)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	log.Print("stopped")
	return err
}
