package traffic

import (
	"bufio"
	"encoding/binary"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/probe-sh/probe/internal/sockdiag"
)

// TestMain doubles as the helper process of TestPortsOfDescendants.
func TestMain(m *testing.M) {
	if os.Getenv("TRAFFIC_HELPER") == "listen" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			os.Exit(3)
		}
		os.Stdout.WriteString(strconv.Itoa(ln.Addr().(*net.TCPAddr).Port) + "\n")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func port(ln net.Listener) uint16 { return uint16(ln.Addr().(*net.TCPAddr).Port) }

// conn samples the one connection on p; it fails the test unless there is
// exactly one.
func conn(t *testing.T, p uint16) Conn {
	t.Helper()
	conns, err := Conns(Ports{p: IPv4})
	if err != nil {
		t.Fatal(err)
	}
	if len(conns) != 1 {
		t.Fatalf("%d connections on port %d, want the 1 the test made: %+v", len(conns), p, conns)
	}
	return conns[0]
}

// connected returns both ends of a loopback connection, and the port the
// server side listens on; first, when set, is sent by the client before
// the server accepts.
func connected(t *testing.T, first string) (client, server net.Conn, p uint16) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	if client, err = net.Dial("tcp", ln.Addr().String()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	if first != "" {
		if _, err := client.Write([]byte(first)); err != nil {
			t.Fatal(err)
		}
	}
	if server, err = ln.Accept(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	return client, server, port(ln)
}

func TestConnsFollowARequest(t *testing.T) {
	client, server, p := connected(t, "")

	// The times have a resolution of a jiffy (1 to 10 ms): wait more than
	// one between the steps.
	const step = 50 * time.Millisecond
	time.Sleep(step)
	if c := conn(t, p); c.InFlight() || c.Local.Port() != p || c.Remote.Addr().String() != "127.0.0.1" || c.DataSegsIn != 0 {
		t.Errorf("an idle connection: %+v, in flight %v", c, c.InFlight())
	} else if c.LastRecv < step/2 {
		t.Errorf("an idle connection received data %s ago, want at least %s", c.LastRecv, step/2)
	}

	if _, err := client.Write([]byte("GET / HTTP/1.1\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(step)
	if c := conn(t, p); !c.InFlight() || c.RecvQ == 0 {
		t.Errorf("a request not read yet: %+v, in flight %v", c, c.InFlight())
	}
	buf := make([]byte, 100)
	if _, err := server.Read(buf); err != nil {
		t.Fatal(err)
	}
	time.Sleep(step)
	if c := conn(t, p); !c.InFlight() || c.RecvQ != 0 || c.LastRecv >= c.LastSent || c.DataSegsIn != 1 || c.DataSegsOut != 0 {
		t.Errorf("a request read, not answered: %+v, in flight %v", c, c.InFlight())
	}
	if _, err := server.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Read(buf); err != nil {
		t.Fatal(err)
	}
	time.Sleep(step)
	if c := conn(t, p); c.InFlight() || c.DataSegsOut != 1 {
		t.Errorf("a request answered: %+v, in flight %v", c, c.InFlight())
	}

	// A second request on the same connection, sent at once (no jiffy
	// between): in flight until answered.
	if _, err := client.Write([]byte("GET / HTTP/1.1\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := server.Read(buf); err != nil {
		t.Fatal(err)
	}
	if c := conn(t, p); !c.InFlight() || c.DataSegsIn != 2 {
		t.Errorf("a second request read, not answered: %+v, in flight %v", c, c.InFlight())
	}
}

// A client that connects and sends its request at once: the connection's
// first data arrives in the same millisecond it was accepted, so only the
// segment counts say a request is in flight.
func TestConnsFirstRequestAtOnce(t *testing.T) {
	_, server, p := connected(t, "GET / HTTP/1.1\r\n\r\n")
	buf := make([]byte, 100)
	if _, err := server.Read(buf); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if c := conn(t, p); !c.InFlight() {
		t.Errorf("a first request read, not answered: %+v, in flight %v", c, c.InFlight())
	}
}

func TestPortsOfDescendants(t *testing.T) {
	own, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "TRAFFIC_HELPER=listen")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	child, _ := strconv.Atoi(strings.TrimSpace(line))

	ports, err := Listening("/proc", os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if ports[uint16(child)] != IPv4 {
		t.Errorf("the ports of the test's descendants are %v, without the child's %d", ports, child)
	}
	if ports[port(own)] != 0 {
		t.Errorf("the ports of the test's descendants are %v, with the test's own %d", ports, port(own))
	}
}

// A dump from a hostile or buggy kernel: short messages, attributes whose
// length runs past the end or is zero; parseConn must not panic or loop.
func FuzzParseConn(f *testing.F) {
	msg := make([]byte, sockdiag.MsgLen+8+tcpiLastDataRecv+4)
	msg[0] = 2 // AF_INET
	binary.BigEndian.PutUint16(msg[4:], 8080)
	binary.NativeEndian.PutUint16(msg[sockdiag.MsgLen:], uint16(8+tcpiLastDataRecv))
	binary.NativeEndian.PutUint16(msg[sockdiag.MsgLen+2:], sockdiag.AttrInfo)
	f.Add(msg)
	f.Add(msg[:sockdiag.MsgLen+3])
	f.Add(msg[:10])
	f.Fuzz(func(t *testing.T, b []byte) {
		c, ok := parseConn(b, Ports{8080: IPv4})
		if ok && c.Local.Port() != 8080 {
			t.Errorf("a connection on port %d, not 8080", c.Local.Port())
		}
	})
}

// BenchmarkConns is one sample of an adaptive drain: a netlink dump of the
// established sockets, with 100 connections on the app's port.
func BenchmarkConns(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	for range 100 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		s, err := ln.Accept()
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
	}
	ports := Ports{port(ln): IPv4}
	b.ReportAllocs()
	for b.Loop() {
		conns, err := Conns(ports)
		if err != nil || len(conns) != 100 {
			b.Fatalf("%d connections, %v", len(conns), err)
		}
	}
}

// BenchmarkListening reads the listening ports of this process's descendants:
// the whole of /proc, done once a second during a drain.
func BenchmarkListening(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Listening("/proc", os.Getpid()); err != nil {
			b.Fatal(err)
		}
	}
}
