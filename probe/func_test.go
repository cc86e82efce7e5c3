package probe_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/probe"
)

// Target.Func's error is the result's line, and unwraps to its cause.
func TestTargetFunc(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer ok.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) }))
	defer down.Close()
	// A peer that accepts and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	hang := "http://" + ln.Addr().String() + "/"
	marker := probe.Marker{Path: filepath.Join(t.TempDir(), "draining")}
	sigterm := errors.New("received SIGTERM")
	cancelled, cancel := context.WithCancelCause(context.Background())
	cancel(sigterm)
	ignoresItsContext := probe.Target{Name: "slow", Kind: "func", Check: probe.CheckFunc(func(context.Context) error {
		time.Sleep(time.Second)
		return nil
	})}

	for _, c := range []struct {
		name   string
		target string        // parsed, unless check is set
		check  *probe.Target // a target built by hand
		opt    probe.Options // Timeout 2s when zero
		ctx    context.Context
		marker bool    // the shutdown marker exists
		prefix string  // of the error's text; "" for nil
		is     []error // errors.Is holds for each
		as     func(error) bool
	}{
		{name: "healthy", target: ok.URL},
		{name: "a status refused", target: down.URL, prefix: "unhealthy " + down.URL + ": HTTP 502 Bad Gateway",
			as: func(err error) bool { var s *checks.StatusError; return errors.As(err, &s) && s.Status == 502 }},
		{name: "the deadline", target: hang, opt: probe.Options{Timeout: 100 * time.Millisecond},
			prefix: "unhealthy " + hang + ": timeout after ", is: []error{context.DeadlineExceeded}},
		{name: "cancelled with a cause", target: hang, ctx: cancelled,
			prefix: "unhealthy " + hang + ": received SIGTERM after ", is: []error{context.Canceled, sigterm}},
		{name: "a check that ignores its deadline", check: &ignoresItsContext, opt: probe.Options{Timeout: 50 * time.Millisecond},
			prefix: "unhealthy slow: timeout after ", is: []error{context.DeadlineExceeded}},
		{name: "draining", target: ok.URL, opt: probe.Options{Marker: marker.Path}, marker: true,
			prefix: "draining " + ok.URL + ": shutdown marker " + marker.Path + " present for ", is: []error{probe.ErrDraining},
			as: func(err error) bool { var d *probe.DrainingError; return errors.As(err, &d) && d.Path == marker.Path }},
		{name: "a secret is masked", target: "redis://:hunter2@" + ln.Addr().String(), opt: probe.Options{Timeout: 50 * time.Millisecond},
			prefix: "unhealthy redis://***@" + ln.Addr().String() + ": timeout after "},
	} {
		t.Run(c.name, func(t *testing.T) {
			var target probe.Target
			if c.check != nil {
				target = *c.check
			} else if target, err = probe.ParseTarget(c.target); err != nil {
				t.Fatal(err)
			}
			if c.opt.Timeout == 0 {
				c.opt.Timeout = 2 * time.Second
			}
			if c.ctx == nil {
				c.ctx = context.Background()
			}
			if c.marker {
				if _, err := marker.Create("test"); err != nil {
					t.Fatal(err)
				}
				defer marker.Remove()
			}
			err := target.Func(c.opt)(c.ctx)
			if c.prefix == "" {
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), c.prefix) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %q, want one line starting %q", err, c.prefix)
			}
			for _, want := range c.is {
				if !errors.Is(err, want) {
					t.Errorf("errors.Is(%v, %v) is false", err, want)
				}
			}
			if c.as != nil && !c.as(err) {
				t.Errorf("errors.As found no cause in %v", err)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the secret is in %q", err)
			}
		})
	}
}
