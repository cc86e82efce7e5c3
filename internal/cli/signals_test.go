package cli

import (
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"
)

// Defect 5, in process: the channels notifySignals makes, under the real
// Go runtime. Nobody reads the forwarded signals, so their channel fills and
// Go drops the rest; SIGTERM, sent last, must still arrive.
func TestStopSignalsSurviveAFullChannel(t *testing.T) {
	forwarded := []os.Signal{syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGHUP, syscall.SIGWINCH}
	for n := syscall.Signal(35); n <= 64; n++ {
		forwarded = append(forwarded, n)
	}
	signals, stops := notifySignals(forwarded, []os.Signal{syscall.SIGTERM})
	defer signal.Stop(signals)
	defer signal.Stop(stops)
	for round := 0; len(signals) < cap(signals); round++ {
		if round == 100 {
			t.Fatalf("the forwarded channel holds %d of %d after 100 storms", len(signals), cap(signals))
		}
		for _, sig := range forwarded {
			syscall.Kill(os.Getpid(), sig.(syscall.Signal))
		}
		time.Sleep(5 * time.Millisecond)
	}
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	select {
	case sig := <-stops:
		if sig != syscall.SIGTERM {
			t.Fatalf("got %v", sig)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("SIGTERM was lost behind a full channel of other signals")
	}
}
