package serve

import (
	"encoding/json"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/probe-sh/probe/internal/monitor"
	"github.com/probe-sh/probe/internal/patched/fasthttp"
	"github.com/probe-sh/probe/probe"
)

const notFound = "not found: try /livez, /readyz, /healthz, /status or /metrics\n"

func (s *Server) handle(c *fasthttp.RequestCtx) {
	c.Response.Header.Set("Cache-Control", "no-store")
	if !c.IsGet() && !c.IsHead() {
		c.Response.Header.Set("Allow", "GET, HEAD")
		text(c, fasthttp.StatusMethodNotAllowed, "method not allowed: use GET or HEAD\n")
		return
	}
	if len(c.Request.Body()) > 0 || c.Request.Header.ContentLength() > 0 {
		c.SetConnectionClose()
		text(c, fasthttp.StatusRequestEntityTooLarge, "request bodies are not accepted\n")
		return
	}
	switch path := string(c.Path()); path {
	case "/livez":
		if c.QueryArgs().Has("verbose") {
			verbose(c, "livez", []namedCheck{{"ping", true}})
			return
		}
		text(c, fasthttp.StatusOK, "alive\n")
	case "/readyz", "/healthz":
		if c.QueryArgs().Has("verbose") {
			snap := s.Monitor.Snapshot()
			verbose(c, path[1:], s.readyChecks(snap, s.Verdict(snap)))
			return
		}
		v := s.readiness()
		code := fasthttp.StatusOK
		if !v.Ready {
			code = fasthttp.StatusServiceUnavailable
		}
		text(c, code, v.Reason+"\n")
	case "/status":
		c.SetContentType("application/json")
		body, _ := json.Marshal(s.status(time.Now()))
		c.SetBody(append(body, '\n'))
	case "/metrics":
		c.SetContentType("text/plain; version=0.0.4; charset=utf-8")
		c.SetBodyString(s.metrics())
	default:
		text(c, fasthttp.StatusNotFound, notFound)
	}
}

func text(c *fasthttp.RequestCtx, code int, body string) {
	c.SetStatusCode(code)
	c.SetContentType("text/plain; charset=utf-8")
	c.SetBodyString(body)
}

// Status is the JSON document of /status.
type Status struct {
	Ready    bool           `json:"ready"`
	Reason   string         `json:"reason"`
	Draining bool           `json:"draining"`
	Time     time.Time      `json:"time"`
	Targets  []TargetStatus `json:"targets"`
}

// TargetStatus is one target in /status.
type TargetStatus struct {
	Target               string     `json:"target"`
	Kind                 string     `json:"kind"`
	Up                   bool       `json:"up"`               // after the thresholds
	State                string     `json:"state,omitempty"`  // of the latest check: healthy or unhealthy
	Detail               string     `json:"detail,omitempty"` // what the latest check saw, or why it failed
	Phase                string     `json:"phase,omitempty"`  // the phase that failed
	CheckedAt            *time.Time `json:"checked_at"`       // null until the first check ends
	DurationMS           float64    `json:"duration_ms"`      // of the latest check
	ConsecutiveSuccesses int        `json:"consecutive_successes"`
	ConsecutiveFailures  int        `json:"consecutive_failures"`
	LastChange           time.Time  `json:"last_change"` // when up last changed, or when monitoring began
	Checks               uint64     `json:"checks"`
	Failures             uint64     `json:"failures"`
}

func (s *Server) status(now time.Time) Status {
	snap := s.Monitor.Snapshot()
	v := s.Verdict(snap)
	out := Status{Ready: v.Ready, Reason: v.Reason, Draining: v.Draining, Time: now.UTC(), Targets: make([]TargetStatus, len(snap))}
	for i, st := range snap {
		t := TargetStatus{Target: st.Target, Kind: st.Kind, Up: st.Up,
			ConsecutiveSuccesses: st.ConsecutiveSuccesses, ConsecutiveFailures: st.ConsecutiveFailures,
			LastChange: st.LastChange.UTC(), Checks: st.Checks, Failures: st.Failures}
		if r := st.Last; r != nil {
			at := st.CheckedAt.UTC()
			t.State, t.Detail, t.Phase, t.CheckedAt = r.State.String(), r.Detail, r.Phase, &at
			t.DurationMS = float64(r.Duration.Microseconds()) / 1000
		}
		out.Targets[i] = t
	}
	return out
}

// metrics renders the Prometheus text exposition format.
func (s *Server) metrics() string {
	snap := s.Monitor.Snapshot()
	v := s.Verdict(snap)
	var b strings.Builder
	family := func(name, kind, help string) {
		b.WriteString("# HELP " + name + " " + help + "\n# TYPE " + name + " " + kind + "\n")
	}
	sample := func(name, labels string, v float64) {
		b.WriteString(name + labels + " " + strconv.FormatFloat(v, 'f', -1, 64) + "\n")
	}
	// As prometheus/client_golang's version collector writes it for a
	// program named probe: the labels in its (sorted) order.
	family("probe_build_info", "gauge", "A metric with a constant '1' value labeled by version, revision, branch, goversion from which probe was built, and the goos and goarch for the build.")
	sample("probe_build_info", `{branch="",goarch="`+runtime.GOARCH+`",goos="`+runtime.GOOS+`",goversion="`+escapeLabel(runtime.Version())+
		`",revision="`+escapeLabel(s.Build.Revision)+`",tags="`+escapeLabel(s.Build.Tags)+`",version="`+escapeLabel(s.Build.Version)+`"}`, 1)
	family("probe_ready", "gauge", "Whether /readyz answers 200: every target up and not draining.")
	sample("probe_ready", "", bool01(v.Ready))
	family("probe_draining", "gauge", "Whether the shutdown marker exists or probe serve received a stop signal.")
	sample("probe_draining", "", bool01(v.Draining))

	if s.conns != nil {
		family("probe_serve_connections", "gauge", "Connections open to probe serve.")
		sample("probe_serve_connections", "", float64(s.conns.open()))
		family("probe_serve_connections_closed_total", "counter", "Connections probe serve closed to make room, because one address held too many or all slots were taken.")
		sample("probe_serve_connections_closed_total", "", float64(s.conns.evicted.Load()))
	}

	type column struct {
		name, kind, help string
		value            func(monitor.Status) (float64, bool)
	}
	columns := []column{
		{"probe_up", "gauge", "Whether the target is up, after the success and failure thresholds.",
			func(st monitor.Status) (float64, bool) { return bool01(st.Up), true }},
		{"probe_success", "gauge", "Whether the latest check of the target passed.",
			func(st monitor.Status) (float64, bool) {
				return bool01(st.Last != nil && st.Last.State == probe.Healthy), st.Last != nil
			}},
		{"probe_duration_seconds", "gauge", "How long the latest check of the target took.",
			func(st monitor.Status) (float64, bool) {
				if st.Last == nil {
					return 0, false
				}
				return st.Last.Duration.Seconds(), true
			}},
		{"probe_last_check_timestamp_seconds", "gauge", "When the latest check of the target ended, in Unix time.",
			func(st monitor.Status) (float64, bool) { return unix(st.CheckedAt), st.Last != nil }},
		{"probe_last_change_timestamp_seconds", "gauge", "When the target last went up or down (or monitoring began), in Unix time.",
			func(st monitor.Status) (float64, bool) { return unix(st.LastChange), true }},
		{"probe_tls_cert_expiry_timestamp_seconds", "gauge", "When the first certificate the target presented expires, in Unix time, as of the latest check that reached TLS.",
			func(st monitor.Status) (float64, bool) {
				if st.Last == nil || st.Last.CertExpiry.IsZero() {
					return 0, false
				}
				return float64(st.Last.CertExpiry.Unix()), true
			}},
		// blackbox_exporter's names, for the dashboards and alerts written
		// for it: the final response's status (0 when none came) of an
		// HTTP target, and the certificate expiry, which is probe's own
		// above.
		{"probe_http_status_code", "gauge", "Response HTTP status code of the latest check of an HTTP target, as blackbox_exporter names it; 0 when no response came.",
			func(st monitor.Status) (float64, bool) {
				if st.Last == nil || st.Kind != "http" {
					return 0, false
				}
				return float64(st.Last.HTTPStatus), true
			}},
		{"probe_ssl_earliest_cert_expiry", "gauge", "When the first certificate the target presented expires, in Unix time, as blackbox_exporter names it (the value of probe_tls_cert_expiry_timestamp_seconds).",
			func(st monitor.Status) (float64, bool) {
				if st.Last == nil || st.Last.CertExpiry.IsZero() {
					return 0, false
				}
				return float64(st.Last.CertExpiry.Unix()), true
			}},
		{"probe_consecutive_failures", "gauge", "Failed checks of the target in a row.",
			func(st monitor.Status) (float64, bool) { return float64(st.ConsecutiveFailures), true }},
		{"probe_checks_total", "counter", "Checks of the target so far.",
			func(st monitor.Status) (float64, bool) { return float64(st.Checks), true }},
		{"probe_check_failures_total", "counter", "Failed checks of the target so far.",
			func(st monitor.Status) (float64, bool) { return float64(st.Failures), true }},
	}
	for _, col := range columns {
		family(col.name, col.kind, col.help)
		for _, st := range snap {
			if v, ok := col.value(st); ok {
				sample(col.name, `{target="`+escapeLabel(st.Target)+`",kind="`+escapeLabel(st.Kind)+`"}`, v)
			}
		}
	}
	return b.String()
}

func bool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func unix(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// escapeLabel escapes a label value as the text format asks: backslash,
// double quote and line feed.
func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}
