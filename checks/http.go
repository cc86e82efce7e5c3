package checks

import (
	"cmp"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/probe-sh/probe/internal/netpolicy"
	"github.com/probe-sh/probe/internal/patched/fasthttp"
	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/internal/text"
	"github.com/probe-sh/probe/internal/wire/h2"
	"github.com/probe-sh/probe/internal/wire/jsonpath"
)

// maxHeaderBytes bounds the response headers; larger ones fail the check
// rather than grow the probe's memory.
const maxHeaderBytes = 16 << 10

// HTTP checks an http:// or https:// URL. It passes when the final response's
// status is in Status and its body matches every ExpectBody and no RejectBody.
type HTTP struct {
	URL          *url.URL
	Method       string       // GET when empty
	Body         string       // request body
	Header       []Header     // a Host header is sent as Host and used for TLS SNI
	Status       StatusRanges // 200-399 when empty
	ExpectBody   []*regexp.Regexp
	RejectBody   []*regexp.Regexp
	MaxBody      int         // larger bodies fail the check; 1 MiB when zero
	MaxRedirects int         // 0: a 3xx is judged by Status, not followed
	TLS          *tls.Config // verified system roots when nil
	UserAgent    string      // sent unless Header sets another; "probe" when empty
	ExpectJSON   []JSONAssertion
	ExpectHeader []HeaderMatch // each must be present (unless Optional) and match
	RejectHeader []HeaderMatch // none may be present (and match, when it has a pattern)
	CertExpiry   time.Duration // fail when a certificate presented expires within it; 0 for none
	Socket       string        // a Unix socket to connect to, in place of the URL's host and port
	HTTP2        bool          // speak HTTP/2: prior knowledge (h2c) for http://, ALPN h2 for https://

	// SameHostRedirects follows redirects to the target's own host name
	// only (on any port): a redirect to another host is not followed, and
	// its 3xx is the final response, judged by Status. The kubelet's
	// httpGet policy.
	SameHostRedirects bool
}

// reply is what one request returned, copied out of fasthttp's pooled objects.
type reply struct {
	status   int
	location string
	body     []byte
	headers  []Header // the fields as the server sent them, in order
	// offHost is the host of a redirect not followed (SameHostRedirects).
	offHost string
}

// Run performs the request, follows up to MaxRedirects redirects, and judges
// the final response.
func (h HTTP) Run(ctx context.Context, tr *Trace) (string, error) {
	u, method, body, header := h.URL, h.Method, h.Body, h.Header
	if method == "" {
		method = fasthttp.MethodGet
	}
	visited := map[string]bool{}
	for hop := 0; ; hop++ {
		visited[u.String()] = true
		r, err := h.do(ctx, tr, u, method, body, header)
		if err != nil {
			var ce *ConnError
			if hop > 0 && errors.As(err, &ce) && errors.Is(err, netpolicy.ErrNotLoopback) {
				ce.Msg = "a redirect to " + sanitize.Redact(u) + ": " + ce.Msg
			}
			return "", err
		}
		tr.SetHTTPStatus(r.status)
		if !isRedirect(r.status) || r.location == "" || h.MaxRedirects == 0 {
			return h.judge(r)
		}
		next, err := u.Parse(r.location)
		if err != nil || (next.Scheme != "http" && next.Scheme != "https") {
			return "", &ReplyError{Msg: fmt.Sprintf("redirect %d to an unusable Location %q", r.status, sanitize.Clip(sanitize.RedactText(r.location), 80))}
		}
		if h.SameHostRedirects && !strings.EqualFold(next.Hostname(), h.URL.Hostname()) {
			// The kubelet's policy: the redirect is the answer.
			r.offHost = next.Hostname()
			return h.judge(r)
		}
		if hop == h.MaxRedirects {
			return "", &ReplyError{Field: "MaxRedirects", Msg: fmt.Sprintf("too many redirects: still %d after %d", r.status, hop)}
		}
		if visited[next.String()] {
			return "", &ReplyError{Msg: fmt.Sprintf("redirect loop: %d back to %s after %s", r.status, sanitize.Redact(next), text.Plural(hop+1, "redirect"))}
		}
		if next.Host != u.Host {
			// Credentials are for the host they were given for, as curl does.
			header = withoutCredentials(header)
			next.User = nil
		}
		if r.status == 303 || (r.status <= 302 && method == fasthttp.MethodPost) {
			method, body = fasthttp.MethodGet, ""
		}
		tr.Enter(PhaseRedirect)
		u = next
	}
}

// maxBody is MaxBody, or 1 MiB when it is not set.
func (h HTTP) maxBody() int {
	if h.MaxBody <= 0 {
		return 1 << 20
	}
	return h.MaxBody
}

func isRedirect(status int) bool {
	switch status {
	case 301, 302, 303, 307, 308:
		return true
	}
	return false
}

// judge passes the final response, or says why not.
func (h HTTP) judge(r *reply) (string, error) {
	want := h.Status
	if len(want) == 0 {
		want = defaultStatus
	}
	if !want.Contains(r.status) {
		return "", &StatusError{Status: r.status, Want: want}
	}
	body := r.body
	if len(h.ExpectBody)+len(h.RejectBody)+len(h.ExpectJSON) > 0 {
		var err error
		if body, err = decodeBody(r, h.maxBody()); err != nil {
			return "", err
		}
	}
	for _, re := range h.ExpectBody {
		if !re.Match(body) {
			return "", &ReplyError{Field: "ExpectBody", Msg: fmt.Sprintf("HTTP %d, but the body does not match %q: %s", r.status, re, sanitize.Excerpt(body, 60))}
		}
	}
	for _, re := range h.RejectBody {
		if loc := re.FindIndex(body); loc != nil {
			return "", &ReplyError{Field: "RejectBody", Msg: fmt.Sprintf("HTTP %d, but the body matches %q: %s", r.status, re, sanitize.Excerpt(body[loc[0]:], 60))}
		}
	}
	if err := judgeHeaders(r, h.ExpectHeader, h.RejectHeader); err != nil {
		return "", err
	}
	if len(h.ExpectJSON) > 0 {
		doc, err := jsonpath.Decode(body)
		if err != nil {
			return "", &ReplyError{Field: "ExpectJSON", Msg: fmt.Sprintf("HTTP %d, but the body cannot be read as JSON: %s: %s", r.status, err, sanitize.Excerpt(body, 40)), Err: err}
		}
		for _, a := range h.ExpectJSON {
			if why := a.check(doc); why != "" {
				return "", &ReplyError{Field: "ExpectJSON", Msg: why}
			}
		}
	}
	seen := fmt.Sprintf("HTTP %d %s", r.status, fasthttp.StatusMessage(r.status))
	if r.offHost != "" {
		seen += fmt.Sprintf(", a redirect to another host (%s), not followed", sanitize.Clip(r.offHost, 80))
	}
	return seen, nil
}

// judgeHeaders checks --expect-header and --reject-header. A header whose
// value is a credential (Set-Cookie, Authorization) is named, never shown.
func judgeHeaders(r *reply, expect, reject []HeaderMatch) error {
	values := func(name string) []string {
		var out []string
		for _, hd := range r.headers {
			if strings.EqualFold(hd.Name, name) {
				out = append(out, hd.Value)
			}
		}
		return out
	}
	shown := func(name, v string) string {
		if sanitize.IsSecretHeader(name) {
			return "(a value not shown)"
		}
		return sanitize.Excerpt([]byte(v), 60)
	}
	for _, m := range expect {
		vs := values(m.Name)
		if len(vs) == 0 && m.Optional {
			continue
		}
		if len(vs) == 0 {
			return &ReplyError{Field: "ExpectHeader", Msg: fmt.Sprintf("HTTP %d, but the reply has no %s header", r.status, m.Name)}
		}
		if m.Pattern != nil && !slices.ContainsFunc(vs, m.Pattern.MatchString) {
			return &ReplyError{Field: "ExpectHeader", Msg: fmt.Sprintf("HTTP %d, but %s is %s, which does not match %q", r.status, m.Name, shown(m.Name, vs[0]), m.Pattern)}
		}
	}
	for _, m := range reject {
		for _, v := range values(m.Name) {
			if m.Pattern == nil || m.Pattern.MatchString(v) {
				return &ReplyError{Field: "RejectHeader", Msg: fmt.Sprintf("HTTP %d, but the reply has %s: %s", r.status, m.Name, shown(m.Name, v))}
			}
		}
	}
	return nil
}

func (h HTTP) do(ctx context.Context, tr *Trace, u *url.URL, method, body string, header []Header) (*reply, error) {
	host, port := u.Hostname(), u.Port()
	isTLS := u.Scheme == "https"
	if port == "" {
		port = "80"
		if isTLS {
			port = "443"
		}
	}
	serverName := host
	for _, hd := range header {
		if strings.EqualFold(hd.Name, "Host") {
			serverName = hostOnly(hd.Value)
		}
	}
	if h.HTTP2 {
		return h.doH2(ctx, tr, u, method, body, header, serverName)
	}
	maxBody := h.maxBody()
	var traced *tracedConn
	hc := &fasthttp.HostClient{
		Addr:  net.JoinHostPort(host, port),
		IsTLS: isTLS,
		// The dial is ours: loopback without DNS, dual-stack racing, our TLS
		// handshake (for SNI from -H Host and clear certificate errors), and
		// the phase timings that -v shows.
		DialTimeout: func(string, time.Duration) (net.Conn, error) {
			conn, err := dialTo(ctx, tr, h.Socket, host, port)
			if err != nil {
				return nil, err
			}
			if isTLS {
				cfg := h.TLS
				if cfg == nil {
					cfg = &tls.Config{}
				}
				tc, err := handshake(ctx, tr, conn, cfg, serverName, h.CertExpiry)
				if err != nil {
					conn.Close()
					return nil, err
				}
				conn = tc
			}
			tr.Enter(PhaseFirstByte)
			traced = &tracedConn{Conn: conn, trace: tr}
			return traced, nil
		},
		MaxIdemponentCallAttempts: 1,
		MaxResponseBodySize:       maxBody,
		ReadBufferSize:            maxHeaderBytes,
		NoDefaultUserAgentHeader:  true,
		DisablePathNormalizing:    true,
		MaxConns:                  1,
	}
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseResponse(resp)
	h.request(req, u, method, body, header)

	err := hc.DoDeadline(req, resp, deadline(ctx))
	if err != nil {
		if traced != nil && traced.err != nil && !errors.Is(traced.err, io.EOF) && !IsTimeout(traced.err) {
			// fasthttp reports some read errors (a TLS alert among them) as a
			// closed connection; the socket's own error says more.
			err = traced.err
		}
		var head []byte
		if traced != nil {
			head = traced.head
		}
		err = h.explain(ctx, err, tr.phase(), head)
		if traced != nil && len(head) == 0 && !IsTimeout(err) && !isTLS && speaksH2C(ctx, h.Socket, host, port) {
			// Accepted, then dropped without a byte: HTTP/2-only servers
			// do that to an HTTP/1.1 request.
			return nil, &ProtocolError{Field: "HTTP2", Msg: "http2: the server speaks only HTTP/2 (h2c), and dropped the HTTP/1.1 request: check it over HTTP/2"}
		}
		return nil, err
	}
	tr.Finish()
	status := resp.StatusCode()
	tr.SetReply(fmt.Sprintf("%s %d bytes: %s", resp.Header.Protocol(), len(resp.Body()), sanitize.Excerpt(resp.Body(), 200)))
	r := &reply{
		status:   status,
		location: string(resp.Header.Peek(fasthttp.HeaderLocation)),
		body:     append([]byte(nil), resp.Body()...), // resp goes back to the pool
	}
	// The fields as the server sent them: All would add a Content-Type
	// never sent (text/plain; charset=utf-8) and a Connection: close, and
	// keep one of two Content-Type or Content-Encoding fields.
	for k, v := range resp.Header.Received() {
		r.headers = append(r.headers, Header{Name: string(k), Value: string(v)})
	}
	return r, nil
}

// request fills req for one HTTP/1.1 request, on a connection it closes.
func (h HTTP) request(req *fasthttp.Request, u *url.URL, method, body string, header []Header) {
	// The userinfo is sent as requestHeaders says, not as fasthttp would.
	noUser := *u
	noUser.User = nil
	req.SetRequestURI(noUser.String())
	if zone := strings.IndexByte(u.Host, '%'); zone >= 0 {
		// An IPv6 zone (fe80::1%eth0) names this machine's interface: it
		// must not leave it in the Host header (RFC 6874, 4).
		req.Header.SetHost(withoutZone(u.Host))
		req.UseHostHeader = true
	}
	req.Header.SetMethod(method)
	for _, hd := range h.requestHeaders(u, header) {
		if strings.EqualFold(hd.Name, "Host") {
			req.Header.SetHost(hd.Value)
			req.UseHostHeader = true
			continue
		}
		req.Header.Add(hd.Name, hd.Value)
	}
	if body != "" {
		req.SetBodyString(body)
	}
	req.SetConnectionClose()
}

// doH2 is do over HTTP/2 (h2.go): one connection, one stream.
func (h HTTP) doH2(ctx context.Context, tr *Trace, u *url.URL, method, body string, header []Header, serverName string) (*reply, error) {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	conn, err := dialTo(ctx, tr, h.Socket, u.Hostname(), port)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if u.Scheme == "https" {
		cfg := h.TLS
		if cfg == nil {
			cfg = &tls.Config{}
		}
		tc, err := handshakeH2(ctx, tr, conn, cfg, serverName, h.CertExpiry)
		if err != nil {
			return nil, err
		}
		defer tc.Close()
		conn = tc
	}
	req := h2Request{method: method, scheme: u.Scheme, authority: withoutZone(u.Host), path: u.RequestURI(),
		body: []byte(body), maxBody: h.maxBody()}
	for _, hd := range h.requestHeaders(u, header) {
		if strings.EqualFold(hd.Name, "Host") {
			req.authority = hd.Value
			continue
		}
		req.header = append(req.header, hd)
	}
	r, err := h2RoundTrip(ctx, tr, conn, req)
	var pe *ProtocolError
	if errors.As(err, &pe) && pe.dropped && u.Scheme == "http" {
		pe.Msg += " (is it a TLS port? then use https://)"
	}
	if err != nil {
		return nil, err
	}
	tr.SetReply(fmt.Sprintf("%s %d bytes: %s", r.protocol, len(r.body), sanitize.Excerpt(r.body, 200)))
	location, _ := r.get("location")
	return &reply{status: r.status, location: location, body: r.body, headers: r.header}, nil
}

// explain turns a fasthttp error into one line that says what went wrong.
// It goes by the error's type and by what the connection saw (the phase,
// the reply's first bytes), never by an error's text; fasthttp's own text
// is shown, not read, for a reply it could not parse.
func (h HTTP) explain(ctx context.Context, err error, phase string, head []byte) error {
	var (
		small  *fasthttp.ErrSmallBuffer
		conn   *ConnError
		tlsErr *TLSError
		remote *net.OpError
	)
	switch {
	case IsTimeout(err) || ctx.Err() != nil:
		return context.DeadlineExceeded
	case h2.IsSettings(head):
		// grpc-go answers with its SETTINGS, then hangs up.
		return &ProtocolError{Field: "HTTP2", Msg: "http2: the server answered with HTTP/2 frames: it speaks only HTTP/2 (h2c; gRPC?): check it over HTTP/2, or with grpc://"}
	case errors.As(err, &conn) || errors.As(err, &tlsErr):
		return err // ours, from the dial
	case errors.As(err, &remote) && remote.Op == "remote error":
		return refusedAfterHandshake(remote)
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		return &ReplyError{Field: "MaxBody", Msg: fmt.Sprintf("response body is larger than %s", Size(h.maxBody())), Err: err}
	case errors.As(err, &small) || errors.Is(err, fasthttp.ErrSmallReadBuffer):
		return &ReplyError{Msg: fmt.Sprintf("response headers are larger than %s", Size(maxHeaderBytes)), Err: err}
	case errors.Is(err, syscall.ECONNRESET):
		if phase == PhaseResponse {
			return &ConnError{Op: "read", Host: h.URL.Hostname(), Msg: "connection reset by peer in the middle of the response", Err: err}
		}
		return &ConnError{Op: "read", Host: h.URL.Hostname(), Msg: "connection reset by peer before any response", Err: err}
	case errors.Is(err, fasthttp.ErrConnectionClosed) || (errors.Is(err, io.EOF) && phase == PhaseFirstByte):
		return &ConnError{Op: "read", Host: h.URL.Hostname(), Msg: "empty reply: the server closed the connection without answering", Err: err}
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return &ConnError{Op: "read", Host: h.URL.Hostname(), Msg: "connection closed in the middle of the response", Err: err}
	case len(head) > 0 && !strings.HasPrefix(string(head), "HTTP/"):
		return &ProtocolError{Msg: fmt.Sprintf("not an HTTP response: it starts with %s", sanitize.Excerpt(head, 40)), Err: err}
	case len(head) > 0:
		return &ProtocolError{Msg: fmt.Sprintf("invalid HTTP response: %s", sanitize.Clip(strings.TrimPrefix(err.Error(), "error when reading response headers: "), 160)), Err: err}
	}
	return &ProtocolError{Msg: fmt.Sprintf("http: %s", sanitize.Clip(err.Error(), 200)), Err: err}
}

// tracedConn marks the first byte of the reply. Its Handshake method tells
// fasthttp that TLS is already done (see fasthttp's dialAddr).
type tracedConn struct {
	net.Conn
	trace *Trace
	read  bool
	err   error  // the last read error, which fasthttp may hide
	head  []byte // the reply's first bytes, to show what came instead of HTTP
}

// Read notes the first byte of the reply and keeps the reply's first bytes.
func (c *tracedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil {
		c.err = err
	}
	if n > 0 && !c.read {
		c.read = true
		c.trace.Enter(PhaseResponse)
	}
	if room := 48 - len(c.head); room > 0 && n > 0 {
		c.head = append(c.head, p[:min(n, room)]...)
	}
	return n, err
}

// Handshake is a no-op: the dial already did the TLS handshake.
func (c *tracedConn) Handshake() error { return nil }

// withoutZone drops the zone of an IPv6 literal: [fe80::1%eth0]:80 becomes
// [fe80::1]:80.
func withoutZone(hostport string) string {
	i := strings.IndexByte(hostport, '%')
	j := strings.IndexByte(hostport, ']')
	if i < 0 || j < i {
		return hostport
	}
	return hostport[:i] + hostport[j:]
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}

// requestHeaders are the fields of a request to u, but for Host, which
// each protocol sends its own way: probe's own first (User-Agent, Accept:
// */* as curl, wget and the kubelet send it, and the URL's userinfo as
// Basic credentials), then those of -H, in order. A -H field replaces
// probe's own of its name, and one with an empty value removes it, as with
// curl and the kubelet (-H 'Accept:'); any other empty field is sent empty.
func (h HTTP) requestHeaders(u *url.URL, header []Header) []Header {
	own := []Header{{"User-Agent", cmp.Or(h.UserAgent, "probe")}, {"Accept", "*/*"}}
	if u.User != nil {
		pass, _ := u.User.Password()
		own = append(own, Header{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pass))})
	}
	isOwn := func(name string) bool {
		return slices.ContainsFunc(own, func(o Header) bool { return strings.EqualFold(o.Name, name) })
	}
	out := make([]Header, 0, len(own)+len(header))
	for _, o := range own {
		if !slices.ContainsFunc(header, func(hd Header) bool { return strings.EqualFold(hd.Name, o.Name) }) {
			out = append(out, o)
		}
	}
	for _, hd := range header {
		if hd.Value != "" || !isOwn(hd.Name) {
			out = append(out, hd)
		}
	}
	return out
}

func withoutCredentials(in []Header) []Header {
	out := make([]Header, 0, len(in))
	for _, hd := range in {
		if !sanitize.IsSecretHeader(hd.Name) && !strings.EqualFold(hd.Name, "Host") {
			out = append(out, hd)
		}
	}
	return out
}
