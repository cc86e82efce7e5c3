package testserver

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Kinds lists every server Start knows, for error messages and docs.
var Kinds = []string{
	"http", "https", "https-expired", "https-wronghost", "https-selfsigned", "https-mtls", "https-sni", "https-chain", "https-shortroot",
	"silent", "drip", "endless", "bigheaders", "garbage", "reset", "empty",
	"grpc", "grpcs", "grpcs-mtls", "grpc-nohealth", "h2c", "h2-goaway", "h2-flood", "h2-endless",
	"redis", "redis-noauth", "redis-echo", "memcached", "postgres", "mysql", "amqp", "nats", "nats-ldm", "mqtt", "mqtt-unavailable", "mqtt-denied", "dns",
	"mongodb", "mongodb-recovering", "mongodb-unauthorized", "kafka", "kafka-electing", "banner", "ssh", "slow200",
}

// Server is one running test server.
type Server struct {
	Addr string // host:port it listens on
	ln   net.Listener
	pc   net.PacketConn // a UDP server's (dns)
	mu   sync.Mutex
	conn map[net.Conn]bool
	stop chan struct{}
	wg   sync.WaitGroup
	http *http.Server
}

// Start listens on addr ("127.0.0.1:0", "[::1]:0", "127.0.0.1:8080") with the
// given network ("tcp", "tcp4", "tcp6") and serves kind.
func Start(kind, network, addr string) (*Server, error) {
	if kind == "dns" {
		return startDNS(addr)
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		return nil, err
	}
	s := &Server{Addr: ln.Addr().String(), ln: ln, conn: map[net.Conn]bool{}, stop: make(chan struct{})}
	p := Certs()
	var tlsCfg *tls.Config
	switch kind {
	case "https":
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{p.Good}}
	case "https-expired":
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{p.Expired}}
	case "https-wronghost":
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{p.WrongHost}}
	case "https-selfsigned":
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{p.SelfSigned}}
	case "https-mtls":
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{p.Good}, ClientCAs: p.CAPool, ClientAuth: tls.RequireAndVerifyClientCert}
	case "grpcs":
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{p.Good}}
	case "grpcs-mtls":
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{p.Good}, ClientCAs: p.CAPool, ClientAuth: tls.RequireAndVerifyClientCert}
	case "https-chain":
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{p.Chained}}
	case "https-shortroot":
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{p.ShortRoot}}
	case "https-sni":
		// As Caddy: a certificate per name, and none without a name.
		tlsCfg = &tls.Config{GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			if hello.ServerName == "" {
				return nil, errors.New("no server name")
			}
			return &p.Good, nil
		}}
	}
	switch {
	case strings.HasPrefix(kind, "grpc") || kind == "h2c":
		// HTTP/2 only, as gRPC servers are.
		handler := GRPCHealth(kind != "grpc-nohealth")
		if kind == "h2c" {
			handler = App()
		}
		s.http = &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0), TLSConfig: tlsCfg}
		h2Only(s.http)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if tlsCfg != nil {
				_ = s.http.ServeTLS(ln, "", "")
				return
			}
			_ = s.http.Serve(ln)
		}()
	case kind == "http" || tlsCfg != nil:
		if tlsCfg != nil {
			ln = tls.NewListener(ln, tlsCfg)
		}
		s.http = &http.Server{Handler: App(), ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
		s.http.SetKeepAlivesEnabled(false)
		s.wg.Add(1)
		go func() { defer s.wg.Done(); _ = s.http.Serve(ln) }()
	default:
		handle, ok := rawKinds[kind]
		if !ok {
			ln.Close()
			return nil, fmt.Errorf("unknown test server kind %q; known: %s", kind, strings.Join(Kinds, ", "))
		}
		s.wg.Add(1)
		go s.acceptLoop(handle)
	}
	return s, nil
}

// Close stops the server and every connection it holds.
func (s *Server) Close() {
	close(s.stop)
	if s.http != nil {
		s.http.Close()
	}
	if s.pc != nil {
		s.pc.Close()
	}
	if s.ln != nil {
		s.ln.Close()
	}
	s.mu.Lock()
	for c := range s.conn {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Server) acceptLoop(handle func(net.Conn, <-chan struct{})) {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conn[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() {
				c.Close()
				s.mu.Lock()
				delete(s.conn, c)
				s.mu.Unlock()
			}()
			handle(c, s.stop)
		}()
	}
}

// readRequest reads an HTTP request head, so a peer's reply comes after it.
func readRequest(c net.Conn) {
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadString('\n')
		if err != nil || line == "\r\n" || line == "\n" {
			return
		}
	}
}

func sleep(d time.Duration, stop <-chan struct{}) bool {
	select {
	case <-time.After(d):
		return true
	case <-stop:
		return false
	}
}

var rawKinds = map[string]func(net.Conn, <-chan struct{}){
	"h2-goaway":  goAway,
	"h2-flood":   h2Flood,
	"h2-endless": h2Endless,
	// silent accepts and never answers.
	"silent": func(c net.Conn, stop <-chan struct{}) {
		go io.Copy(io.Discard, c) //nolint:errcheck
		<-stop
	},
	// drip sends its headers one byte every 50 ms, for ever.
	"drip": func(c net.Conn, stop <-chan struct{}) {
		readRequest(c)
		head := "HTTP/1.1 200 OK\r\nX-Drip: " + strings.Repeat("a", 1<<20)
		for i := range len(head) {
			if _, err := c.Write([]byte{head[i]}); err != nil || !sleep(50*time.Millisecond, stop) {
				return
			}
		}
	},
	// endless sends a chunked body that never ends.
	"endless": func(c net.Conn, stop <-chan struct{}) {
		readRequest(c)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") //nolint:errcheck
		chunk := fmt.Sprintf("%x\r\n%s\r\n", 4096, strings.Repeat("x", 4096))
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := io.WriteString(c, chunk); err != nil {
				return
			}
		}
	},
	// bigheaders sends 64 KiB of headers.
	"bigheaders": func(c net.Conn, _ <-chan struct{}) {
		readRequest(c)
		var b strings.Builder
		b.WriteString("HTTP/1.1 200 OK\r\n")
		for i := range 1024 {
			fmt.Fprintf(&b, "X-Filler-%d: %s\r\n", i, strings.Repeat("f", 50))
		}
		b.WriteString("Content-Length: 0\r\n\r\n")
		io.WriteString(c, b.String()) //nolint:errcheck
	},
	// garbage answers with something that is not HTTP.
	"garbage": func(c net.Conn, _ <-chan struct{}) {
		readRequest(c)
		io.WriteString(c, "SSH-2.0-OpenSSH_9.2\r\n\x00\x01\x02 not http\r\n\r\n") //nolint:errcheck
	},
	// reset sends half a response, then a TCP reset.
	"reset": func(c net.Conn, _ <-chan struct{}) {
		readRequest(c)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial") //nolint:errcheck
		time.Sleep(20 * time.Millisecond)
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0) //nolint:errcheck
		}
	},
	// empty reads the request and closes without a byte.
	"empty": func(c net.Conn, _ <-chan struct{}) {
		readRequest(c)
	},
	// redis answers PING with +PONG, inline or as a RESP array.
	"redis": func(c net.Conn, _ <-chan struct{}) {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		br := bufio.NewReader(c)
		for {
			cmd, err := readRedisCommand(br)
			if err != nil {
				return
			}
			if strings.EqualFold(cmd, "PING") {
				io.WriteString(c, "+PONG\r\n") //nolint:errcheck
			} else {
				io.WriteString(c, "-ERR unknown command\r\n") //nolint:errcheck
			}
		}
	},
	// redis-echo refuses every password, and echoes it in its error, as a
	// hostile or careless server could.
	"redis-echo": func(c net.Conn, _ <-chan struct{}) {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		br := bufio.NewReader(c)
		for {
			args, err := readRedisArgs(br)
			if err != nil || len(args) == 0 {
				return
			}
			io.WriteString(c, "-WRONGPASS invalid password "+strings.Join(args[1:], " ")+"\r\n") //nolint:errcheck
		}
	},
	// redis-noauth wants a password: it answers every command with
	// -NOAUTH and keeps the connection open, as Redis does.
	"redis-noauth": func(c net.Conn, _ <-chan struct{}) {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		br := bufio.NewReader(c)
		for {
			if _, err := br.ReadString('\n'); err != nil {
				return
			}
			io.WriteString(c, "-NOAUTH Authentication required.\r\n") //nolint:errcheck
		}
	},
	// nats greets with INFO and answers PING with PONG, as nats-server;
	// nats-ldm is one in lame duck mode (shutting down).
	"nats":     natsServer(""),
	"nats-ldm": natsServer(`,"ldm":true`),
	// mongodb answers every OP_MSG as a standalone mongod does hello;
	// mongodb-recovering as a member of a replica set that is starting or
	// recovering; mongodb-unauthorized refuses hello, as a server that
	// requires a login for every command.
	"mongodb":              mongodbServer(bsonDoc(bsonBool("isWritablePrimary", true), bsonDouble("ok", 1))),
	"mongodb-recovering":   mongodbServer(bsonDoc(bsonBool("isWritablePrimary", false), bsonBool("secondary", false), bsonString("setName", "rs0"), bsonDouble("ok", 1))),
	"mongodb-unauthorized": mongodbServer(bsonDoc(bsonDouble("ok", 0), bsonString("errmsg", "command hello requires authentication"), bsonInt32("code", 13), bsonString("codeName", "Unauthorized"))),
	// kafka answers ApiVersions and Metadata as a one-broker cluster, its
	// own controller; kafka-electing as one with no controller yet.
	"kafka":          kafkaServer(1),
	"kafka-electing": kafkaServer(-1),
	// mqtt accepts CONNECT with CONNACK, as a broker with no password;
	// mqtt-unavailable answers return code 3, server unavailable, and
	// mqtt-denied 5, not authorized.
	"mqtt":             mqttServer(0),
	"mqtt-unavailable": mqttServer(3),
	"mqtt-denied":      mqttServer(5),
	// memcached answers version and stats, and ERROR to anything else,
	// keeping the connection open.
	"memcached": func(c net.Conn, _ <-chan struct{}) {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		br := bufio.NewReader(c)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			switch strings.TrimSpace(line) {
			case "version":
				io.WriteString(c, "VERSION 1.6.18\r\n") //nolint:errcheck
			case "stats":
				io.WriteString(c, "STAT pid 1\r\nSTAT uptime 5\r\nEND\r\n") //nolint:errcheck
			default:
				io.WriteString(c, "ERROR\r\n") //nolint:errcheck
			}
		}
	},
	// postgres answers a StartupMessage as a server with SCRAM passwords
	// does: it asks for one.
	"postgres": func(c net.Conn, _ <-chan struct{}) {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		head := make([]byte, 4)
		if _, err := io.ReadFull(c, head); err != nil {
			return
		}
		n := int(head[0])<<24 | int(head[1])<<16 | int(head[2])<<8 | int(head[3])
		if n < 8 || n > 10000 {
			return
		}
		if _, err := io.ReadFull(c, make([]byte, n-4)); err != nil {
			return
		}
		body := "\x00\x00\x00\x0aSCRAM-SHA-256\x00\x00"
		io.WriteString(c, "R"+string([]byte{0, 0, 0, byte(len(body) + 4)})+body) //nolint:errcheck
		time.Sleep(100 * time.Millisecond)
	},
	// mysql greets as MariaDB 10.11 does, with protocol 10, and asks the
	// login that follows to authenticate with mysql_native_password.
	"mysql": func(c net.Conn, _ <-chan struct{}) {
		payload := "\x0a5.5.5-10.11.19-MariaDB\x00\x2a\x00\x00\x00abcdefgh\x00\xfe\xf7\x2d\x02\x00\xff\x81\x15" +
			strings.Repeat("\x00", 10) + "ijklmnopqrst\x00mysql_native_password\x00"
		io.WriteString(c, string([]byte{byte(len(payload)), 0, 0, 0})+payload) //nolint:errcheck
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		head := make([]byte, 4)
		if _, err := io.ReadFull(c, head); err != nil {
			return
		}
		if _, err := io.ReadFull(c, make([]byte, int(head[0])|int(head[1])<<8|int(head[2])<<16)); err != nil {
			return
		}
		payload = "\xfemysql_native_password\x00abcdefghijklmnopqrst\x00"
		io.WriteString(c, string([]byte{byte(len(payload)), 0, 0, 2})+payload) //nolint:errcheck
		time.Sleep(100 * time.Millisecond)
	},
	// amqp answers the AMQP 0-9-1 header with a Connection.Start.
	"amqp": func(c net.Conn, _ <-chan struct{}) {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadFull(c, make([]byte, 8)); err != nil {
			return
		}
		table := "\x07productS\x00\x00\x00\x08RabbitMQ\x07versionS\x00\x00\x00\x063.10.8"
		payload := "\x00\x0a\x00\x0a\x00\x09" + string([]byte{0, 0, 0, byte(len(table))}) + table
		io.WriteString(c, "\x01\x00\x00"+string([]byte{0, 0, 0, byte(len(payload))})+payload+"\xce") //nolint:errcheck
		time.Sleep(100 * time.Millisecond)
	},
	// ssh greets as OpenSSH does.
	"ssh": func(c net.Conn, _ <-chan struct{}) {
		io.WriteString(c, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n") //nolint:errcheck
		time.Sleep(500 * time.Millisecond)
	},
	// banner greets first, as SMTP or SSH servers do.
	"banner": func(c net.Conn, _ <-chan struct{}) {
		io.WriteString(c, "220 test.example ESMTP ready\r\n") //nolint:errcheck
		time.Sleep(100 * time.Millisecond)
	},
	// slow200 answers 200 after 200 ms.
	"slow200": func(c net.Conn, stop <-chan struct{}) {
		readRequest(c)
		if sleep(200*time.Millisecond, stop) {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok") //nolint:errcheck
		}
	},
}

// App is the healthy test app:
//
//	/healthz          200 {"status":"UP"}
//	/status/NNN       status NNN
//	/redirect         302 to /healthz
//	/redirect-to?url= 302 to url
//	/loop             302 to /loop2, which redirects back
//	/self             302 to itself
//	/echo             200, the method, Host and request headers as text
//	/post-only        200 for POST, 405 otherwise
//	/big              200 with a 2 MiB body
//	/echo-query       200, the raw query as the body and in X-Echo
//	/actuator/health  Spring Boot Actuator's health JSON: db DOWN, 503
//	/actuator/health/up  the same, all UP, 200
//	/aspnet/health    ASP.NET Core's health checks JSON (HealthChecks.UI's writer), redis Unhealthy
//	/headers          200 with X-App-Version: 1.2.3, a Set-Cookie and JSON
//	/html             200 with an HTML page
//	/no-content-type  200 "ok" without Content-Type; /empty-content-type, with an empty one
//	/accept-json      200 JSON when Accept allows it, 406 without Accept, as content-negotiating apps
//	/gzip             200 {"status":"UP"} gzip-encoded, asked or not; /gzip-gzip twice; /gzip-bomb 8 MiB of zeros
func App() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/no-content-type", func(w http.ResponseWriter, _ *http.Request) {
		w.Header()["Content-Type"] = nil // no sniffing: no Content-Type at all
		io.WriteString(w, "ok")          //nolint:errcheck
	})
	mux.HandleFunc("/empty-content-type", func(w http.ResponseWriter, _ *http.Request) {
		w.Header()["Content-Type"] = []string{""}
		io.WriteString(w, "ok") //nolint:errcheck
	})
	mux.HandleFunc("/accept-json", func(w http.ResponseWriter, r *http.Request) {
		accept := r.Header.Values("Accept")
		if len(accept) == 0 || !strings.Contains(strings.Join(accept, ","), "*/*") && !strings.Contains(strings.Join(accept, ","), "application/json") {
			w.WriteHeader(http.StatusNotAcceptable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"UP"}`) //nolint:errcheck
	})
	mux.HandleFunc("/gzip", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(Gzip([]byte(`{"status":"UP"}`))) //nolint:errcheck
	})
	bomb := sync.OnceValue(func() []byte { return Gzip(make([]byte, 8<<20)) })
	mux.HandleFunc("/gzip-bomb", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bomb()) //nolint:errcheck
	})
	mux.HandleFunc("/gzip-gzip", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip, gzip")
		w.Write(Gzip(Gzip([]byte(`{"status":"UP"}`)))) //nolint:errcheck
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"UP"}`) //nolint:errcheck
	})
	mux.HandleFunc("/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		code, err := strconv.Atoi(r.PathValue("code"))
		if err != nil || code < 100 || code > 599 {
			code = 400
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, "status %d", code)
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/healthz", http.StatusFound)
	})
	mux.HandleFunc("/redirect-to", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("url"), http.StatusFound)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop2", http.StatusFound)
	})
	mux.HandleFunc("/loop2", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	mux.HandleFunc("/self", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/self", http.StatusFound)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "method=%s\nhost=%s\n", r.Method, r.Host)
		if r.TLS != nil {
			fmt.Fprintf(w, "sni=%s\n", r.TLS.ServerName)
		}
		names := make([]string, 0, len(r.Header))
		for n := range r.Header {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(w, "%s=%s\n", n, strings.Join(r.Header[n], ","))
		}
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "body=%s\nproto=%s\n", body, r.Proto)
	})
	// A debug endpoint that echoes the request's headers in an encoding
	// a server commonly writes: JSON (Go's, with \u0026 for &), HTML,
	// base64, the Basic credentials decoded, or a 500's JSON error
	// (?as=json|html|base64|basic|status).
	mux.HandleFunc("/echo-headers", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("as") {
		case "html":
			fmt.Fprintf(w, "<pre>Authorization: %s</pre>", html.EscapeString(r.Header.Get("Authorization")))
		case "base64":
			io.WriteString(w, base64.StdEncoding.EncodeToString([]byte("Authorization: "+r.Header.Get("Authorization")))) //nolint:errcheck
		case "basic":
			user, pass, _ := r.BasicAuth()
			fmt.Fprintf(w, "user %s, password %s", user, pass)
		case "status":
			w.WriteHeader(http.StatusInternalServerError)
			json.NewEncoder(w).Encode(map[string]string{"error": "bad token " + r.Header.Get("Authorization")}) //nolint:errcheck
		default:
			json.NewEncoder(w).Encode(r.Header) //nolint:errcheck
		}
	})
	mux.HandleFunc("/post-only", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		io.WriteString(w, "posted") //nolint:errcheck
	})
	mux.HandleFunc("/echo-query", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Echo", r.URL.RawQuery)
		io.WriteString(w, r.URL.RawQuery) //nolint:errcheck
	})
	mux.HandleFunc("/actuator/health", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.spring-boot.actuator.v3+json")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"status":"DOWN","components":{"db":{"status":"DOWN","details":{"database":"PostgreSQL","error":"org.springframework.jdbc.CannotGetJdbcConnectionException: Failed to obtain JDBC Connection"}},"diskSpace":{"status":"UP","details":{"total":499963174912,"free":91420016640,"threshold":10485760,"path":"/app/.","exists":true}},"livenessState":{"status":"UP"},"ping":{"status":"UP"},"readinessState":{"status":"UP"}},"groups":["liveness","readiness"]}`) //nolint:errcheck
	})
	mux.HandleFunc("/actuator/health/up", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.spring-boot.actuator.v3+json")
		io.WriteString(w, `{"status":"UP","components":{"db":{"status":"UP","details":{"database":"PostgreSQL","validationQuery":"isValid()"}},"diskSpace":{"status":"UP","details":{"total":499963174912,"free":91420016640,"threshold":10485760,"path":"/app/.","exists":true}},"ping":{"status":"UP"}},"groups":["liveness","readiness"]}`) //nolint:errcheck
	})
	mux.HandleFunc("/aspnet/health", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"status":"Unhealthy","totalDuration":"00:00:00.0223315","entries":{"npgsql":{"data":{},"duration":"00:00:00.0145067","status":"Healthy","tags":["db","ready"]},"redis":{"data":{},"description":"It was not possible to connect to the redis server(s).","duration":"00:00:00.0078152","exception":"It was not possible to connect to the redis server(s).","status":"Unhealthy","tags":["cache"]}}}`) //nolint:errcheck
	})
	mux.HandleFunc("/headers", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-App-Version", "1.2.3")
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Set-Cookie", "session=C00KIE-SECRET; HttpOnly")
		io.WriteString(w, `{"checks":[{"name":"db","status":"pass"},{"name":"cache","status":"warn"}],"version":"1.2.3","count":2,"ok":true,"nothing":null}`) //nolint:errcheck
	})
	mux.HandleFunc("/html", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<!doctype html><html><body>OK</body></html>") //nolint:errcheck
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, _ *http.Request) {
		w.Write(make([]byte, 2<<20)) //nolint:errcheck
	})
	return mux
}

// readRedisCommand reads an inline command or a RESP array, and returns its
// first word.
// readRedisArgs reads a command sent as a RESP array: every argument.
func readRedisArgs(br *bufio.Reader) ([]string, error) {
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "*") {
		return nil, err
	}
	n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
	var args []string
	for range min(n, 16) {
		head, err := br.ReadString('\n') // $LEN
		if err != nil {
			return nil, err
		}
		size, _ := strconv.Atoi(strings.TrimSpace(head[1:]))
		arg := make([]byte, size+2)
		if _, err := io.ReadFull(br, arg); err != nil {
			return nil, err
		}
		args = append(args, string(arg[:size]))
	}
	return args, nil
}

func readRedisCommand(br *bufio.Reader) (string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSpace(line)
	if !strings.HasPrefix(line, "*") {
		return strings.Fields(line + " x")[0], nil
	}
	n, _ := strconv.Atoi(line[1:])
	var first string
	for i := range n {
		if _, err := br.ReadString('\n'); err != nil { // $LEN
			return "", err
		}
		arg, err := br.ReadString('\n')
		if err != nil {
			return "", err
		}
		if i == 0 {
			first = strings.TrimSpace(arg)
		}
	}
	return first, nil
}

// startDNS serves DNS over UDP on addr: every A question is answered
// 127.0.0.1, every name under nxdomain.test. NXDOMAIN, anything else
// NOERROR with no record.
func startDNS(addr string) (*Server, error) {
	pc, err := net.ListenPacket("udp4", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{Addr: pc.LocalAddr().String(), pc: pc, conn: map[net.Conn]bool{}, stop: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			q := buf[:n]
			end := 12
			for end < n && q[end] != 0 {
				end += int(q[end]) + 1
			}
			if n < 12 || end+5 > n {
				continue
			}
			name := strings.ToLower(string(q[12:end]))
			r := append([]byte(nil), q[:2]...)
			qtype := uint16(q[end+1])<<8 | uint16(q[end+2])
			switch {
			case strings.HasSuffix(name, "\x08nxdomain\x04test"):
				r = append(r, 0x81, 0x83, 0, 1, 0, 0, 0, 0, 0, 0)
				r = append(r, q[12:end+5]...)
			// Hostile answers (issue 34): an A record for another name
			// only; a CNAME and an A record for a third name; an A record
			// of 3 bytes; a CNAME chain done right.
			case strings.HasSuffix(name, "\x07offname\x04test"):
				r = append(r, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0)
				r = append(r, q[12:end+5]...)
				r = append(r, "\x04evil\x07example\x00\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x0a\x06\x06\x06"...)
			case strings.HasSuffix(name, "\x08offchain\x04test"):
				r = append(r, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0)
				r = append(r, q[12:end+5]...)
				r = append(r, "\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x3c\x00\x0b\x04real\x04test\x00"...)
				r = append(r, "\x05third\x04test\x00\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x0a\x06\x06\x06"...)
			case strings.HasSuffix(name, "\x08badrdata\x04test"):
				r = append(r, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0)
				r = append(r, q[12:end+5]...)
				r = append(r, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 3, 10, 6, 6)
			case strings.HasSuffix(name, "\x05chain\x04test") && qtype == 1:
				r = append(r, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0)
				r = append(r, q[12:end+5]...)
				r = append(r, "\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x3c\x00\x0b\x04real\x04test\x00"...)
				real := len(r) - 11 // the CNAME's target, for the A record's owner
				r = append(r, 0xc0|byte(real>>8), byte(real), 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 9, 9, 9)
			case qtype == 1:
				r = append(r, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0)
				r = append(r, q[12:end+5]...)
				r = append(r, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1)
			default:
				r = append(r, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0)
				r = append(r, q[12:end+5]...)
			}
			pc.WriteTo(r, from) //nolint:errcheck
		}
	}()
	return s, nil
}

func natsServer(extra string) func(net.Conn, <-chan struct{}) {
	return func(c net.Conn, _ <-chan struct{}) {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, `INFO {"server_id":"TEST","server_name":"probe-test","version":"2.9.10","proto":1,"max_payload":1048576`+extra+"}\r\n") //nolint:errcheck
		br := bufio.NewReader(c)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			switch {
			case strings.HasPrefix(line, "CONNECT ") && strings.Contains(line, `"verbose":true`):
				io.WriteString(c, "+OK\r\n") //nolint:errcheck
			case strings.TrimSpace(line) == "PING":
				io.WriteString(c, "PONG\r\n") //nolint:errcheck
			}
		}
	}
}

// mongodbServer answers every OP_MSG with doc.
func mongodbServer(doc []byte) func(net.Conn, <-chan struct{}) {
	return func(c net.Conn, _ <-chan struct{}) {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			head := make([]byte, 16)
			if _, err := io.ReadFull(c, head); err != nil {
				return
			}
			n := binary.LittleEndian.Uint32(head)
			if n < 16 || n > 1<<20 {
				return
			}
			if _, err := io.ReadFull(c, make([]byte, n-16)); err != nil {
				return
			}
			out := make([]byte, 16, 64)
			copy(out[8:], head[4:8])
			binary.LittleEndian.PutUint32(out[12:], 2013)
			out = append(append(out, 0, 0, 0, 0, 0), doc...)
			binary.LittleEndian.PutUint32(out, uint32(len(out)))
			c.Write(out) //nolint:errcheck
		}
	}
}

// bsonDoc is a BSON document of the elements.
func bsonDoc(elems ...[]byte) []byte {
	doc := []byte{0, 0, 0, 0}
	for _, e := range elems {
		doc = append(doc, e...)
	}
	doc = append(doc, 0)
	binary.LittleEndian.PutUint32(doc, uint32(len(doc)))
	return doc
}

func bsonBool(k string, v bool) []byte {
	b := append(append([]byte{0x08}, k...), 0, 0)
	if v {
		b[len(b)-1] = 1
	}
	return b
}

func bsonDouble(k string, v float64) []byte {
	return binary.LittleEndian.AppendUint64(append(append([]byte{0x01}, k...), 0), math.Float64bits(v))
}

func bsonInt32(k string, v int32) []byte {
	return binary.LittleEndian.AppendUint32(append(append([]byte{0x10}, k...), 0), uint32(v))
}

func bsonString(k, v string) []byte {
	b := binary.LittleEndian.AppendUint32(append(append([]byte{0x02}, k...), 0), uint32(len(v)+1))
	return append(append(b, v...), 0)
}

// kafkaServer answers ApiVersions and Metadata as a one-broker cluster whose
// controller is controller (-1: none yet).
func kafkaServer(controller int32) func(net.Conn, <-chan struct{}) {
	return func(c net.Conn, _ <-chan struct{}) {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			var size [4]byte
			if _, err := io.ReadFull(c, size[:]); err != nil {
				return
			}
			n := binary.BigEndian.Uint32(size[:])
			if n < 8 || n > 1<<20 {
				return
			}
			req := make([]byte, n)
			if _, err := io.ReadFull(c, req); err != nil {
				return
			}
			// ApiVersions v0: keys 18 (0-3) and 3 (0-8); Metadata v8.
			body := []byte{0, 0, 0, 0, 0, 2, 0, 18, 0, 0, 0, 3, 0, 3, 0, 0, 0, 8}
			if binary.BigEndian.Uint16(req) == 3 {
				body = []byte{0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 9}
				body = append(body, "127.0.0.1"...)
				body = append(body, 0, 0, 0x23, 0x84, 0xff, 0xff, 0, 4)
				body = append(body, "test"...)
				body = binary.BigEndian.AppendUint32(body, uint32(controller))
				body = append(body, 0, 0, 0, 0, 0, 0, 0, 0)
			}
			out := binary.BigEndian.AppendUint32(nil, uint32(4+len(body)))
			out = append(append(out, req[4:8]...), body...)
			c.Write(out) //nolint:errcheck
		}
	}
}

// mqttServer answers CONNECT with a CONNACK of return code rc.
func mqttServer(rc byte) func(net.Conn, <-chan struct{}) {
	return func(c net.Conn, _ <-chan struct{}) {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		var h [2]byte
		if _, err := io.ReadFull(c, h[:]); err != nil || h[0] != 0x10 {
			return
		}
		if _, err := io.ReadFull(c, make([]byte, h[1])); err != nil {
			return
		}
		c.Write([]byte{0x20, 2, 0, rc}) //nolint:errcheck
		io.Copy(io.Discard, c)          //nolint:errcheck
	}
}

// Gzip compresses b with gzip.
func Gzip(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b) //nolint:errcheck
	zw.Close()  //nolint:errcheck
	return buf.Bytes()
}
