package checks_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"syscall"
	"time"

	"github.com/probe-sh/probe/checks"
)

// An HTTP check with a JSON assertion, run by itself under a deadline of
// its caller's: the body must say that the database component is UP.
func ExampleHTTP() {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"status":"UP","components":{"db":{"status":"DOWN"}}}`)
	}))
	defer app.Close()
	u, _ := url.Parse(app.URL + "/actuator/health")
	db, _ := checks.ParseJSONAssertion("components.db.status=UP")
	check := checks.HTTP{URL: u, ExpectJSON: []checks.JSONAssertion{db}}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	seen, err := check.Run(ctx, checks.NewTrace())
	fmt.Printf("seen %q\n", seen)
	fmt.Println(err)
	// Which condition failed, to name it as the program's users know it.
	var reply *checks.ReplyError
	if errors.As(err, &reply) {
		fmt.Println("field", reply.Field)
	}
	// Output:
	// seen ""
	// components.db.status is "DOWN", want "UP"
	// field ExpectJSON
}

// A failure keeps its cause, as Go's net errors do: a refused connection
// is a *ConnError, and errors.Is and errors.As reach the system's error
// and the *net.OpError of each address tried.
func ExampleConnError() {
	ln, _ := net.Listen("tcp4", "127.0.0.1:0")
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close() // nothing listens there now

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := checks.TCP{Host: "127.0.0.1", Port: port}.Run(ctx, nil)
	var conn *checks.ConnError
	var op *net.OpError
	fmt.Println(errors.As(err, &conn), conn.Op, errors.Is(err, syscall.ECONNREFUSED), errors.As(err, &op))
	// Output: true connect true true
}

// A PostgreSQL check: a server that asks for a password is accepting
// connections, as pg_isready says too; probe sends none, and stops there.
func ExamplePostgres() {
	db := fakePostgres() // a stand-in for postgres on loopback
	defer db.Close()
	host, port, _ := net.SplitHostPort(db.Addr().String())

	check := checks.Postgres{Host: host, Port: port, User: "app", Database: "orders"}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	tr := checks.NewTrace()
	seen, err := check.Run(ctx, tr)
	fmt.Println(seen, err)
	for _, m := range tr.Snapshot().Marks {
		fmt.Println("phase", m.Phase)
	}
	// Output:
	// accepting connections: it asks user app for a password (SASL, SCRAM-SHA-256); probe sends none and stops there <nil>
	// phase connect
	// phase reply
}

// fakePostgres answers every StartupMessage with AuthenticationSASL, as a
// server with SCRAM-SHA-256 does.
func fakePostgres() net.Listener {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			head := make([]byte, 4)
			if _, err := io.ReadFull(c, head); err == nil {
				n := int(head[0])<<24 | int(head[1])<<16 | int(head[2])<<8 | int(head[3])
				_, _ = io.CopyN(io.Discard, c, int64(n-4))
				body := "\x00\x00\x00\x0aSCRAM-SHA-256\x00\x00"
				_, _ = c.Write([]byte("R\x00\x00\x00" + string(rune(len(body)+4)) + body))
			}
			c.Close()
		}
	}()
	return ln
}
