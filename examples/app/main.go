// Command app is the small demo app that probe checks in the examples and
// the demo. It serves /healthz, can be told to fail, and shuts down
// gracefully on SIGTERM, finishing the requests in flight. While probe exec
// drains (its shutdown marker exists), every answer says Connection: close.
//
//	GET  /healthz                200 {"status":"UP"}, or 503 {"status":"DOWN"} while failing
//	POST /admin/health?up=false  make /healthz fail; up=true heals it
//	POST /admin/exit?code=N      exit at once with code N (0 to 255): a crash
//	GET  /work?ms=N              answer after N milliseconds (a slow request)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("listen", "127.0.0.1:8080", "address to serve on")
	grace := flag.Duration("shutdown-timeout", 10*time.Second, "longest wait for requests in flight on SIGTERM")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("app: ")

	var down atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"status":"DOWN"}`)
			return
		}
		fmt.Fprint(w, `{"status":"UP"}`)
	})
	mux.HandleFunc("POST /admin/health", func(w http.ResponseWriter, r *http.Request) {
		up, err := strconv.ParseBool(r.URL.Query().Get("up"))
		if err != nil {
			http.Error(w, "want ?up=true or ?up=false", http.StatusBadRequest)
			return
		}
		down.Store(!up)
		fmt.Fprintf(w, "up=%v\n", up)
	})
	crash := make(chan int, 1)
	mux.HandleFunc("POST /admin/exit", func(w http.ResponseWriter, r *http.Request) {
		code, err := strconv.Atoi(r.URL.Query().Get("code"))
		if err != nil || code < 0 || code > 255 {
			http.Error(w, "want ?code=N, 0 to 255", http.StatusBadRequest)
			return
		}
		body := fmt.Sprintf("exiting with code %d\n", code)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		fmt.Fprint(w, body)
		http.NewResponseController(w).Flush()
		crash <- code
	})
	mux.HandleFunc("GET /work", func(w http.ResponseWriter, r *http.Request) {
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		time.Sleep(time.Duration(ms) * time.Millisecond)
		fmt.Fprintf(w, "done after %dms\n", ms)
	})

	// Keep-alive connections stay on the replica they were opened to, past
	// the moment a load balancer lets go of it (kube-proxy, IPVS and
	// Swarm's VIP rewrite a connection once). While probe exec drains,
	// each answer says Connection: close, so that clients reconnect
	// through the balancer, to the other replicas; the drain then sees
	// this app's traffic stop, and no connection is left for the app's
	// own shutdown to close under a client about to send on it.
	marker := os.Getenv("PROBE_MARKER")
	if marker == "" {
		marker = "/dev/shm/probe.draining" // probe.DefaultMarker
	}
	var draining atomic.Bool
	go func() {
		for ; ; time.Sleep(100 * time.Millisecond) {
			_, err := os.Stat(marker)
			draining.Store(err == nil)
		}
	}()
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if draining.Load() {
			w.Header().Set("Connection", "close")
		}
		mux.ServeHTTP(w, r)
	})

	srv := &http.Server{Addr: *addr, Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Printf("serving on %s", *addr)

	select {
	case err := <-errc:
		log.Fatalf("cannot serve: %v", err)
	case code := <-crash:
		log.Printf("exiting with code %d, as asked", code)
		os.Exit(code)
	case sig := <-stop:
		log.Printf("%s: finishing requests in flight, then exiting", sig)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatalf("shutdown: %v", err)
	}
	log.Printf("bye")
}
