// Command kafkaserver runs kfake, franz-go's Kafka cluster in a process
// (the Kafka protocol, in Go, with no JVM), for probe's kafka:// tests: the
// closest real implementation that builds from the Go module proxy. It
// prints the brokers' addresses, one line, then serves until killed.
//
//	kafkaserver [-brokers 3] [-mode ready|electing]
//
// In electing mode, Metadata lists the brokers and no controller, as a
// cluster that is electing one does.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func main() {
	brokers := flag.Int("brokers", 3, "how many brokers")
	mode := flag.String("mode", "ready", "ready or electing")
	flag.Parse()
	c, err := kfake.NewCluster(kfake.NumBrokers(*brokers), kfake.ClusterID("probe-e2e"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if *mode == "electing" {
		c.ControlKey(3, func(req kmsg.Request) (kmsg.Response, error, bool) {
			c.KeepControl()
			resp := req.(*kmsg.MetadataRequest).ResponseKind().(*kmsg.MetadataResponse)
			for i, addr := range c.ListenAddrs() {
				b := kmsg.NewMetadataResponseBroker()
				b.NodeID = int32(i)
				b.Host, b.Port = "127.0.0.1", port(addr)
				resp.Brokers = append(resp.Brokers, b)
			}
			resp.ControllerID = -1
			return resp, nil, true
		})
	}
	fmt.Println(strings.Join(c.ListenAddrs(), " "))
	select {}
}

func port(addr string) int32 {
	var p int32
	fmt.Sscanf(addr[strings.LastIndex(addr, ":")+1:], "%d", &p)
	return p
}
