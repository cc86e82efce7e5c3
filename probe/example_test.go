package probe_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/probe"
)

// A service checks its own dependencies, as probe does on the command line:
// parse the targets, run them under one deadline, exit with the report's
// code.
func ExampleRun() {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"status":"UP","components":{"db":{"status":"UP"}}}`)
	}))
	defer app.Close()

	status, _ := checks.ParseJSONAssertion("components.db.status=UP")
	target, err := probe.ParseTarget(app.URL+"/healthz", checks.HTTP{ExpectJSON: []checks.JSONAssertion{status}})
	if err != nil {
		fmt.Println(err)
		return
	}
	report := probe.Run(context.Background(), []probe.Target{target}, probe.Options{Timeout: 2 * time.Second})
	for _, r := range report.Results {
		fmt.Println(r.State, r.Kind, r.Detail)
	}
	fmt.Println("exit", report.ExitCode())
	// Output:
	// healthy http HTTP 200 OK
	// exit 0
}

// ParseTarget reads a target as probe's command line does: the scheme
// names the kind, and the target's secrets are masked in its name and
// listed for Run to mask in results.
func ExampleParseTarget() {
	target, err := probe.ParseTarget("redis://:hunter2@cache.internal:6380")
	fmt.Println(target.Name, target.Kind, err)
	redis := target.Check.(checks.Redis)
	fmt.Println(redis.Host, redis.Port, len(target.Secrets) > 0)

	_, err = probe.ParseTarget("tcp://db.internal")
	fmt.Println(err)
	_, err = probe.ParseTarget("ftp://files.internal/")
	fmt.Println(err)
	// Output:
	// redis://***@cache.internal:6380 redis <nil>
	// cache.internal 6380 true
	// target "tcp://db.internal" needs a port, as in tcp://db.internal:6379
	// target "ftp://files.internal/" has an unknown scheme "ftp": use http, https, grpc, grpcs, tcp, tls, unix, postgres, redis, rediss, mysql, memcached, amqp, amqps, nats, nats+tls, mqtt, mqtts, mongodb, kafka, dns, file or listen
}

// Templates give the options a URL does not say, one per kind: each target
// copies the template of its kind and sets what its URL says.
func ExampleParseTarget_templates() {
	templates := []probe.Check{
		checks.HTTP{Status: checks.StatusRanges{{Lo: 200, Hi: 299}}, Header: []checks.Header{{Name: "Authorization", Value: "Bearer t0ken"}}},
		checks.Postgres{User: "app"}, // the user when the URL names none
	}
	for _, raw := range []string{"https://api.internal/healthz", "postgres://db.internal/orders"} {
		target, err := probe.ParseTarget(raw, templates...)
		if err != nil {
			fmt.Println(err)
			continue
		}
		switch c := target.Check.(type) {
		case checks.HTTP:
			fmt.Println(target.Name, c.URL.Host, c.Status, len(target.Secrets), "secrets")
		case checks.Postgres:
			fmt.Println(target.Name, c.User, c.Database)
		}
	}
	// Output:
	// https://api.internal/healthz api.internal 200-299 2 secrets
	// postgres://db.internal/orders app orders
}

// A program names the options of its own configuration where a check's
// condition fails: Describe writes each failure's Detail from the check's
// error, by its type and Field.
func ExampleOptions_describe() {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer app.Close()
	target, _ := probe.ParseTarget(app.URL + "/healthz")
	describe := func(err error) string {
		var status *checks.StatusError
		if errors.As(err, &status) {
			return err.Error() + " (health.status in app.yaml)"
		}
		return err.Error()
	}
	report := probe.Run(context.Background(), []probe.Target{target}, probe.Options{Timeout: 2 * time.Second, Describe: describe})
	fmt.Println(report.Results[0].State, report.Results[0].Detail)
	// Output: unhealthy HTTP 503 Service Unavailable, want 200-399 (health.status in app.yaml)
}

// The shutdown marker turns every verdict into draining: probe exec creates
// it on SIGTERM, so that load balancers stop routing before the app stops.
func ExampleMarker() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	marker := probe.Marker{Path: filepath.Join(dir, "probe.draining")}
	if _, err := marker.Create("going away"); err != nil {
		fmt.Println(err)
		return
	}
	target := probe.Target{Name: "app", Kind: "test", Check: checks.File{Path: "/"}}
	report := probe.Run(context.Background(), []probe.Target{target}, probe.Options{Marker: marker.Path})
	fmt.Println(report.State, report.ExitCode())
	// Output: draining 1
}

// healthCheck has the shape of github.com/alexliesenfeld/health's Check
// (its Name and Check fields), declared here so that this module does not
// depend on it. With the library itself:
//
//	checker := health.NewChecker(health.WithCheck(health.Check{Name: "api", Check: target.Func(opt)}))
type healthCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

// A probe target as a check of a health library: Func gives the
// func(ctx) error it takes, nil while the target is healthy, an error
// of one line otherwise, which unwraps to its cause.
func ExampleTarget_Func() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer api.Close()
	target, err := probe.ParseTarget(api.URL + "/healthz")
	if err != nil {
		fmt.Println(err)
		return
	}
	check := healthCheck{Name: "api", Check: target.Func(probe.Options{Timeout: 2 * time.Second})}

	err = check.Check(context.Background())
	// "unhealthy http://127.0.0.1:PORT/healthz: HTTP 503 Service Unavailable, ..."
	fmt.Println(strings.HasPrefix(err.Error(), "unhealthy "+api.URL+"/healthz: HTTP 503 Service Unavailable"))
	var status *checks.StatusError
	fmt.Println(errors.As(err, &status), status.Status)
	// Output:
	// true
	// true 503
}

// healthConfig has the shape of github.com/hellofresh/health-go's Config
// (v5), declared here so that this module does not depend on it. With the
// library itself:
//
//	h, _ := health.New(health.WithChecks(health.Config{Name: "db", Timeout: 2 * time.Second, Check: target.Func(opt)}))
type healthConfig struct {
	Name      string
	Timeout   time.Duration
	SkipOnErr bool
	Check     func(ctx context.Context) error
}

// The shutdown marker reaches the health library too: while it exists,
// the target's func says draining, and the error is ErrDraining.
func ExampleTarget_Func_healthGo() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	marker := probe.Marker{Path: filepath.Join(dir, "probe.draining")}
	target, _ := probe.ParseTarget("tcp://127.0.0.1:5432")
	db := healthConfig{Name: "db", Timeout: 2 * time.Second, Check: target.Func(probe.Options{Marker: marker.Path})}

	marker.Create("going away")
	err := db.Check(context.Background())
	fmt.Println(errors.Is(err, probe.ErrDraining), strings.HasPrefix(err.Error(), "draining tcp://127.0.0.1:5432: shutdown marker "))
	// Output: true true
}

// A func(ctx) error as a probe check: a client's PingContext, or a
// check written for a health library, runs under Run's deadline, and its
// result prints as probe's do.
func ExampleCheckFunc() {
	ping := func(ctx context.Context) error { return errors.New("connection refused by the primary") }
	cache := healthCheck{Name: "cache", Check: func(ctx context.Context) error { return nil }}

	report := probe.Run(context.Background(), []probe.Target{
		{Name: "db", Kind: "func", Check: probe.CheckFunc(ping)},
		{Name: cache.Name, Kind: "func", Check: probe.CheckFunc(cache.Check)},
	}, probe.Options{Timeout: time.Second})
	for _, r := range report.Results {
		fmt.Println(r.State, r.Target+":", r.Detail)
	}
	fmt.Println("exit", report.ExitCode())
	// Output:
	// unhealthy db: connection refused by the primary
	// healthy cache: ok
	// exit 1
}

// A net/http server that drains itself on SIGTERM, as probe exec would
// from outside: the hook tells the drain each connection's state, the
// readiness endpoint and Connection: close follow Draining, and Run shuts
// the server down once no request is in flight and none has come for
// Quiet. Here the context's end stands for SIGTERM.
func ExampleDrain() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	drain := &probe.Drain{Marker: filepath.Join(dir, "probe.draining"), Min: time.Millisecond, Quiet: 50 * time.Millisecond}

	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if drain.Draining() {
			w.Header().Set("Connection", "close") // clients reconnect elsewhere
			if r.URL.Path == "/readyz" {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		}
	})}
	srv.ConnState = probe.ConnState[http.ConnState](drain)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(ln)

	ctx, stop := context.WithCancel(context.Background())
	stop() // SIGTERM
	err := drain.Run(ctx, srv.Shutdown)
	_, statErr := os.Stat(drain.Marker)
	fmt.Println(drain.Draining(), err, os.IsNotExist(statErr))
	// Output: true <nil> true
}
