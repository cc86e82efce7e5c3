package checks

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/probe-sh/probe/internal/netpolicy"
)

// TestOneDialPoint: dialNet is the only code of checks that opens a
// socket, so --loopback-only, which it enforces, covers every kind, every
// address of a race (the one-address path included), every redirect hop
// and every name server. A dial written anywhere else fails here.
func TestOneDialPoint(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	dials := map[string]bool{ // what opens a socket, in net and crypto/tls
		"Dial": true, "DialContext": true, "DialTimeout": true, "DialTCP": true, "DialUDP": true, "DialUnix": true, "DialIP": true,
		"Dialer": true, "DialWithDialer": true, "ListenPacket": true, "ListenUDP": true, "ListenIP": true, "ListenUnixgram": true,
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if ok && fn.Recv == nil && fn.Name.Name == "dialNet" {
				continue
			}
			ast.Inspect(decl, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok || !dials[sel.Sel.Name] {
					return true
				}
				if x, ok := sel.X.(*ast.Ident); ok && (x.Name == "net" || x.Name == "tls") || sel.Sel.Name == "DialContext" {
					t.Errorf("%s: %s.%s opens a socket outside dialNet, which --loopback-only cannot see", fset.Position(sel.Pos()), exprName(sel.X), sel.Sel.Name)
				}
				return true
			})
		}
	}
}

func exprName(e ast.Expr) string {
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return "(...)"
}

// TestLoopbackOnlyNameServer: under the policy, the resolver asks its name
// servers through dialNet, so one that is not loopback (a cluster's
// 10.96.0.10) is never asked, and the lookup's error names it; one on
// loopback (Docker's 127.0.0.11) is. Without the policy the resolver is
// the usual one.
func TestLoopbackOnlyNameServer(t *testing.T) {
	saved := resolver
	resolver = &net.Resolver{PreferGo: true} // as in the binary: /etc/resolv.conf's servers
	defer func() { resolver = saved }()

	if r := resolverFor(context.Background(), new(atomic.Pointer[string])); r != resolver {
		t.Errorf("without the policy: %p, want the usual resolver %p", r, resolver)
	}
	ctx := netpolicy.WithLoopbackOnly(context.Background())
	var refused atomic.Pointer[string]
	r := resolverFor(ctx, &refused)
	if r == resolver || r.Dial == nil {
		t.Fatal("under the policy, the usual resolver, which dials past dialNet")
	}
	conn, err := r.Dial(ctx, "udp", "10.96.0.10:53")
	if conn != nil || !errors.Is(err, netpolicy.ErrNotLoopback) || refused.Load() == nil || *refused.Load() != "10.96.0.10:53" {
		t.Errorf("name server 10.96.0.10:53: %v, %v, refused %v; want refused as not loopback", conn, err, refused.Load())
	}
	refused.Store(nil)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	conn, err = r.Dial(ctx, "udp", pc.LocalAddr().String())
	if err != nil || refused.Load() != nil {
		t.Fatalf("name server on loopback %s: %v, refused %v", pc.LocalAddr(), err, refused.Load())
	}
	conn.Close()
}

// TestLoopbackOnlyControl: the policy is checked again where the socket
// connects, on the address it connects to (net.Dialer.Control), so even a
// name handed to dialNet would be judged by what it resolved to.
func TestLoopbackOnlyControl(t *testing.T) {
	on := guard(netpolicy.WithLoopbackOnly(context.Background()))
	off := guard(context.Background())
	for _, c := range []struct {
		network, address string
		allowed          bool
	}{
		{"tcp4", "127.0.0.1:80", true},
		{"tcp6", "[::1]:80", true},
		{"unix", "/run/app.sock", true},
		{"tcp4", "10.255.255.1:80", false},
		{"tcp6", "[::ffff:10.255.255.1]:80", false},
		{"udp4", "0.0.0.0:53", false},
	} {
		err := on(c.network, c.address, nil)
		if c.allowed != (err == nil) || err != nil && !errors.Is(err, netpolicy.ErrNotLoopback) {
			t.Errorf("%s %s: %v, want allowed %v", c.network, c.address, err, c.allowed)
		}
		if err := off(c.network, c.address, nil); err != nil {
			t.Errorf("%s %s without the policy: %v", c.network, c.address, err)
		}
	}
}
