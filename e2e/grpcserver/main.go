// Command grpcserver is a real grpc-go server with the standard health
// service, for e2e/grpc_test.go: probe and grpc-health-probe check it side
// by side. It is a module of its own, so that grpc-go stays out of probe's
// go.mod and binary.
//
//	grpcserver -listen 127.0.0.1:0|unix:/path -mode MODE [-cert F -key F [-client-ca F]]
//
// It prints the address it listens on, then serves until killed.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strings"
	"time"

	"golang.org/x/net/http2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "host:port, or unix:PATH")
	mode := flag.String("mode", "serving", "serving, not-serving, no-health, endless, goaway, silent or metadata")
	certFile := flag.String("cert", "", "server certificate (PEM), for TLS")
	keyFile := flag.String("key", "", "server key (PEM)")
	clientCA := flag.String("client-ca", "", "CA (PEM) that client certificates must chain to: mTLS")
	flag.Parse()

	network, addr := "tcp", *listen
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		network, addr = "unix", path
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ln.Addr())

	switch *mode {
	case "goaway":
		rawServe(ln, goAway)
		return
	case "silent":
		rawServe(ln, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
		return
	}

	var opts []grpc.ServerOption
	if *certFile != "" {
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			log.Fatal(err)
		}
		cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
		if *clientCA != "" {
			pem, err := os.ReadFile(*clientCA)
			if err != nil {
				log.Fatal(err)
			}
			cfg.ClientCAs = x509.NewCertPool()
			cfg.ClientCAs.AppendCertsFromPEM(pem)
			cfg.ClientAuth = tls.RequireAndVerifyClientCert
		}
		opts = append(opts, grpc.Creds(credentials.NewTLS(cfg)))
	}
	if *mode == "metadata" {
		opts = append(opts, grpc.UnaryInterceptor(checkMetadata))
	}
	srv := grpc.NewServer(opts...)
	switch *mode {
	case "serving", "not-serving":
		h := health.NewServer()
		if *mode == "not-serving" {
			h.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
		}
		h.SetServingStatus("helloworld.Greeter", healthpb.HealthCheckResponse_SERVING)
		h.SetServingStatus("down", healthpb.HealthCheckResponse_NOT_SERVING)
		healthpb.RegisterHealthServer(srv, h)
	case "metadata":
		h := health.NewServer()
		h.SetServingStatus("blackbox.metadata", healthpb.HealthCheckResponse_SERVING)
		h.SetServingStatus("user-agent", healthpb.HealthCheckResponse_SERVING)
		healthpb.RegisterHealthServer(srv, h)
	case "endless":
		healthpb.RegisterHealthServer(srv, endless{})
	case "no-health":
	default:
		log.Fatalf("unknown -mode %q", *mode)
	}
	log.Fatal(srv.Serve(ln))
}

// checkMetadata refuses a health check whose metadata is not what the
// service asked about wants, as an app's auth interceptor would: for
// "blackbox.metadata", what blackbox_exporter's TestGRPCConnectionWithMetadata
// sends (key1 twice, key2-bin the bytes "test", an authorization); for
// "user-agent", one user-agent, kube-probe's.
func checkMetadata(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	hc, _ := req.(*healthpb.HealthCheckRequest)
	switch hc.GetService() {
	case "blackbox.metadata":
		want := map[string][]string{"key1": {"value1", "value2"}, "key2-bin": {"test"}, "authorization": {"Bearer token"}}
		for k, v := range want {
			if got := md.Get(k); strings.Join(got, "\x00") != strings.Join(v, "\x00") {
				return nil, status.Errorf(codes.PermissionDenied, "metadata %s is %q, want %q", k, got, v)
			}
		}
	case "user-agent":
		if got := md.Get("user-agent"); len(got) != 1 || !strings.HasPrefix(got[0], "kube-probe/") {
			return nil, status.Errorf(codes.PermissionDenied, "user-agent is %q, want one, kube-probe's", got)
		}
	}
	return handler(ctx, req)
}

// endless sends the reply's headers, then never the message: a reply that
// never ends.
type endless struct {
	healthpb.UnimplementedHealthServer
}

func (endless) Check(ctx context.Context, _ *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	_ = grpc.SendHeader(ctx, metadata.Pairs("x-state", "thinking"))
	<-ctx.Done()
	time.Sleep(time.Minute) // past the client's deadline, too
	return nil, ctx.Err()
}

func rawServe(ln net.Listener, handle func(net.Conn)) {
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go func() {
			defer c.Close()
			handle(c)
		}()
	}
}

// goAway answers as grpc-go answers a client it has had enough of: its
// SETTINGS, then GOAWAY ENHANCE_YOUR_CALM "too_many_pings", refusing every
// stream, then it closes.
func goAway(c net.Conn) {
	preface := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(c, preface); err != nil {
		return
	}
	fr := http2.NewFramer(c, c)
	_ = fr.WriteSettings()
	_ = fr.WriteGoAway(0, http2.ErrCodeEnhanceYourCalm, []byte("too_many_pings"))
	time.Sleep(100 * time.Millisecond)
}
