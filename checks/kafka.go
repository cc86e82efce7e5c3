package checks

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/internal/wire/kafka"
)

// Kafka checks that a Kafka broker serves clients, with no JVM tools: it
// asks for ApiVersions (which every broker answers, whatever its version),
// then for Metadata without topics, and passes when the cluster has
// brokers and a known controller. A broker that is starting, or a cluster
// that is electing a controller, says so.
type Kafka struct {
	Host, Port string
	Socket     string // a Unix socket to connect to, in place of Host:Port
}

// kafkaMaxReply bounds a reply: ApiVersions and a Metadata without topics
// are small, whatever the cluster.
const kafkaMaxReply = 1 << 20

// Run asks the broker.
func (k Kafka) Run(ctx context.Context, tr *Trace) (string, error) {
	c, err := dialConversation(ctx, tr, k.Socket, k.Host, k.Port, nil, 0)
	if err != nil {
		return "", err
	}
	defer c.Close()
	// ApiVersions v0: every broker since 0.10 answers it, and one that does
	// not take v0 still answers in v0's format, with UNSUPPORTED_VERSION.
	// Correlation IDs of its own, so that a reply replayed or meant for
	// another client is not taken for the broker's.
	id := kafka.CorrelationID()
	if err := c.send(kafka.Request(kafka.APIVersionsKey, 0, id, nil)); err != nil {
		return "", err
	}
	body, err := kafkaReply(c, id)
	if err != nil {
		return "", err
	}
	av, err := kafka.ParseAPIVersions(body)
	if err != nil {
		how := "is not one"
		if errors.Is(err, kafka.ErrCutShort) {
			how = "is cut short"
		}
		return "", notProtocol("not a Kafka broker: its ApiVersions reply %s: %s", how, sanitize.Excerpt(c.seen, 40))
	}
	// The versions it takes: of Metadata, which probe speaks from 1 to 8
	// (the ones before the flexible encoding), and of ApiVersions.
	md := av.Metadata
	switch {
	case av.Code == kafka.ErrUnsupportedVersion && !md.OK:
		// The broker does not take ApiVersions v0; since Kafka 2.4 it
		// names the versions it takes (KIP-511), and a client retries
		// with one. Every broker since 0.10 takes v0, so one that does
		// not is not a broker probe speaks to.
		tr.Finish()
		takes := "it names no version it takes"
		if av.APIVersions.OK {
			takes = fmt.Sprintf("it takes v%d to v%d", av.APIVersions.Min, av.APIVersions.Max)
		}
		return "", &ProtocolError{Msg: fmt.Sprintf("ApiVersions: UNSUPPORTED_VERSION (error 35): the broker does not take ApiVersions v0, which probe speaks (%s)", takes)}
	case av.Code != 0 && av.Code != kafka.ErrUnsupportedVersion:
		tr.Finish()
		return "", &ServerError{Code: strconv.Itoa(int(av.Code)), Msg: "ApiVersions: " + kafka.ErrorText(av.Code)}
	case !md.OK:
		return "", notProtocol("not a Kafka broker: its ApiVersions reply lists no Metadata API (key 3)")
	case md.Min < 0 || md.Min > md.Max:
		return "", notProtocol("not a Kafka broker: it takes Metadata versions %d to %d", md.Min, md.Max)
	case md.Max < 1 || md.Min > 8:
		tr.Finish()
		return "", notProtocol("the broker takes Metadata versions %d to %d; probe speaks 1 to 8", md.Min, md.Max)
	}
	version := min(md.Max, 8)
	if err := c.send(kafka.Request(kafka.MetadataKey, version, id+1, kafka.MetadataRequest(version))); err != nil {
		return "", err
	}
	if body, err = kafkaReply(c, id+1); err != nil {
		return "", err
	}
	tr.Finish()
	meta, err := kafka.ParseMetadata(body, version)
	if err != nil {
		return "", &ProtocolError{Msg: fmt.Sprintf("not a Kafka broker: %v: %s", err, sanitize.Excerpt(c.seen, 40)), Err: err}
	}
	switch {
	case meta.Brokers == 0:
		return "", &ServerError{Msg: "Metadata lists no broker: the cluster is not formed"}
	case meta.Controller < 0:
		return "", &ServerError{Msg: fmt.Sprintf("no controller: %d broker(s), and the cluster is electing one", meta.Brokers)}
	}
	seen := fmt.Sprintf("%d broker(s), controller %d", meta.Brokers, meta.Controller)
	if meta.Cluster != "" {
		seen = "cluster " + sanitize.Printable(sanitize.Clip(meta.Cluster, 40)) + ": " + seen
	}
	return seen, nil
}

// kafkaReply reads a reply's size and body, and checks its correlation ID.
func kafkaReply(c *conversation, id int32) ([]byte, error) {
	head := make([]byte, 8)
	if err := c.readFull(head); err != nil {
		return nil, err
	}
	size := int32(binary.BigEndian.Uint32(head))
	if size < 4 || size > kafkaMaxReply {
		return nil, notProtocol("not a Kafka broker: a reply of %d bytes: %s", size, sanitize.Excerpt(c.seen, 40))
	}
	if got := int32(binary.BigEndian.Uint32(head[4:])); got != id {
		return nil, notProtocol("not a Kafka broker: a reply to request %d, not %d", got, id)
	}
	body := make([]byte, size-4)
	if err := c.readFull(body); err != nil {
		return nil, err
	}
	return body, nil
}
