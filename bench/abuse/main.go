// Command abuse measures how probe serve answers health checks while
// another address abuses it (issue 19, defect 2), so that two builds can be
// compared side by side in one run:
//
//	go run ./bench/abuse -probe bin/probe -probe /tmp/old-probe
//
// For each binary and each kind of abuse it starts probe serve on loopback,
// has 127.0.0.2 hold -conns connections (reopening each one the server
// closes), and meanwhile sends a /readyz from 127.0.0.1 every -every on a
// new connection, as a kubelet or a load balancer does. It prints the share
// of those answered 200 within -wait, and their latency.
//
//	slowloris   half a request, one more header line every second
//	keepalive   a whole request, then the connection kept idle
//	burst       -burst clients from 127.0.0.1 at once, each one /readyz
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/probe-sh/probe/internal/testserver"
)

func fatal(v ...any) { fmt.Fprintln(os.Stderr, v...); os.Exit(1) }
func fatalf(format string, v ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", v...)
	os.Exit(1)
}

type binaries []string

func (b *binaries) String() string     { return strings.Join(*b, ",") }
func (b *binaries) Set(s string) error { *b = append(*b, s); return nil }

var (
	probes   binaries
	conns    = flag.Int("conns", 1100, "abusive connections held from 127.0.0.2")
	duration = flag.Duration("duration", 10*time.Second, "how long health checks are measured under abuse")
	every    = flag.Duration("every", 20*time.Millisecond, "one health check this often")
	wait     = flag.Duration("wait", time.Second, "a health check fails unless answered 200 within this")
	burst    = flag.Int("burst", 5000, "clients at once in the burst")
	kinds    = flag.String("kinds", "slowloris,keepalive,burst", "which abuses")
)

func main() {
	flag.Var(&probes, "probe", "a probe binary; repeat to compare")
	flag.Parse()
	log.SetFlags(0)
	log.SetOutput(io.Discard) // net/http's notes on the connections the server closes
	if len(probes) == 0 {
		fatal("give -probe BINARY, once per build to compare")
	}
	app, err := testserver.Start("http", "tcp4", "127.0.0.1:0")
	if err != nil {
		fatal(err)
	}
	defer app.Close()
	fmt.Printf("%d abusive connections from 127.0.0.2; a /readyz from 127.0.0.1 every %s for %s, each on a new connection, failed unless 200 within %s\n\n",
		*conns, *every, *duration, *wait)
	fmt.Println("| build | abuse | health checks | answered 200 | p50 | p99 | max |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, kind := range strings.Split(*kinds, ",") {
		for _, p := range probes {
			row := measure(p, app.Addr, kind)
			fmt.Printf("| %s | %s | %s |\n", p, kind, row)
		}
	}
}

// measure runs one probe serve under one abuse.
func measure(probe, app, kind string) string {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(probe, "serve", "-q", "--listen", addr, "--interval", "1s", "--marker", "/nonexistent/marker", "http://"+app+"/healthz")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if code, _ := check(addr); code == 200 {
			break
		}
		if time.Now().After(end) {
			fatalf("%s serve never became ready", probe)
		}
	}
	if kind == "burst" {
		return burstOnce(addr)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var wg sync.WaitGroup
	for range *conns {
		wg.Go(func() { hold(ctx, addr, kind) })
	}
	time.Sleep(2 * time.Second) // let the abuse build up
	var lat []time.Duration
	total, ok := 0, 0
	tick := time.NewTicker(*every)
	var mu sync.Mutex
	var checks sync.WaitGroup
	for end := time.Now().Add(*duration); time.Now().Before(end); <-tick.C {
		total++
		checks.Go(func() {
			start := time.Now()
			code, _ := check(addr)
			took := time.Since(start)
			mu.Lock()
			defer mu.Unlock()
			if code == 200 {
				ok++
				lat = append(lat, took)
			} else {
				lat = append(lat, *wait)
			}
		})
	}
	tick.Stop()
	checks.Wait()
	stop()
	wg.Wait()
	return summary(total, ok, lat)
}

func summary(total, ok int, lat []time.Duration) string {
	slices.Sort(lat)
	q := func(p float64) string {
		if len(lat) == 0 {
			return "-"
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))].Round(10 * time.Microsecond).String()
	}
	return fmt.Sprintf("%d | %.1f%% | %s | %s | %s", total, 100*float64(ok)/float64(max(total, 1)), q(0.5), q(0.99), q(1))
}

// check is one health check on a new connection from 127.0.0.1.
func check(addr string) (int, error) {
	c := &http.Client{Timeout: *wait, Transport: &http.Transport{DisableKeepAlives: true,
		DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}}).DialContext}}
	resp, err := c.Get("http://" + addr + "/readyz")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// hold keeps one abusive connection open from 127.0.0.2, reopening it
// whenever the server closes it, until ctx ends.
func hold(ctx context.Context, addr, kind string) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	for ctx.Err() == nil {
		c, err := d.DialContext(ctx, "tcp4", addr)
		if err != nil {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		closed := make(chan struct{})
		go func() {
			defer close(closed)
			br := bufio.NewReader(c)
			for {
				if _, err := br.ReadByte(); err != nil {
					return
				}
			}
		}()
		if kind == "keepalive" {
			io.WriteString(c, "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
		} else {
			io.WriteString(c, "GET /readyz HTTP/1.1\r\nHost: x\r\n")
		}
		t := time.NewTicker(time.Second)
	dribble:
		for {
			select {
			case <-ctx.Done():
				break dribble
			case <-closed:
				break dribble
			case <-t.C:
				if kind == "slowloris" {
					io.WriteString(c, "X-a: b\r\n")
				}
			}
		}
		t.Stop()
		c.Close()
		<-closed
	}
}

// burstOnce sends -burst health checks at once from 127.0.0.1.
func burstOnce(addr string) string {
	var ok atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range *burst {
		wg.Go(func() {
			<-start
			t := time.Now()
			code, _ := check(addr)
			took := time.Since(t)
			if code == 200 {
				ok.Add(1)
			} else {
				took = *wait
			}
			mu.Lock()
			lat = append(lat, took)
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	return summary(*burst, int(ok.Load()), lat)
}
