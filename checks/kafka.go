package checks

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"github.com/probe-sh/probe/internal/sanitize"
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

// Kafka API keys and the errors a check names (the protocol's
// documentation, "Error Codes").
const (
	kafkaMetadataKey = 3
	kafkaApiVersions = 18
)

var kafkaErrors = map[int16]string{
	-1: "UNKNOWN_SERVER_ERROR", 5: "LEADER_NOT_AVAILABLE", 7: "REQUEST_TIMED_OUT", 8: "BROKER_NOT_AVAILABLE",
	15: "COORDINATOR_NOT_AVAILABLE", 31: "CLUSTER_AUTHORIZATION_FAILED", 33: "UNSUPPORTED_SASL_MECHANISM",
	35: "UNSUPPORTED_VERSION", 58: "SASL_AUTHENTICATION_FAILED",
}

func kafkaError(code int16) string {
	if name, ok := kafkaErrors[code]; ok {
		return name + " (error " + strconv.Itoa(int(code)) + ")"
	}
	return "error " + strconv.Itoa(int(code))
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
	id := kafkaCorrelationID()
	if err := c.send(kafkaRequest(kafkaApiVersions, 0, id, nil)); err != nil {
		return "", err
	}
	body, err := kafkaReply(c, id)
	if err != nil {
		return "", err
	}
	r := kafkaReader{b: body}
	code := r.int16()
	n := r.int32()
	if r.err != nil || n < 0 || n > 1000 {
		return "", fmt.Errorf("not a Kafka broker: its ApiVersions reply is not one: %s", sanitize.Excerpt(c.seen, 40))
	}
	// The versions it takes: of Metadata, which probe speaks from 1 to 8
	// (the ones before the flexible encoding), and of ApiVersions.
	lo, hi, ok := int16(0), int16(0), false
	avLo, avHi, avOK := int16(0), int16(0), false
	for range n {
		key, min, max := r.int16(), r.int16(), r.int16()
		switch key {
		case kafkaMetadataKey:
			lo, hi, ok = min, max, true
		case kafkaApiVersions:
			avLo, avHi, avOK = min, max, true
		}
	}
	if r.err != nil {
		return "", fmt.Errorf("not a Kafka broker: its ApiVersions reply is cut short: %s", sanitize.Excerpt(c.seen, 40))
	}
	switch {
	case code == 35 && !ok:
		// The broker does not take ApiVersions v0; since Kafka 2.4 it
		// names the versions it takes (KIP-511), and a client retries
		// with one. Every broker since 0.10 takes v0, so one that does
		// not is not a broker probe speaks to.
		tr.Finish()
		takes := "it names no version it takes"
		if avOK {
			takes = fmt.Sprintf("it takes v%d to v%d", avLo, avHi)
		}
		return "", fmt.Errorf("ApiVersions: UNSUPPORTED_VERSION (error 35): the broker does not take ApiVersions v0, which probe speaks (%s)", takes)
	case code != 0 && code != 35:
		tr.Finish()
		return "", &ServerError{Msg: "ApiVersions: " + kafkaError(code)}
	case !ok:
		return "", errors.New("not a Kafka broker: its ApiVersions reply lists no Metadata API (key 3)")
	case lo < 0 || lo > hi:
		return "", fmt.Errorf("not a Kafka broker: it takes Metadata versions %d to %d", lo, hi)
	case hi < 1 || lo > 8:
		tr.Finish()
		return "", fmt.Errorf("the broker takes Metadata versions %d to %d; probe speaks 1 to 8", lo, hi)
	}
	version := min(hi, 8)
	if err := c.send(kafkaRequest(kafkaMetadataKey, version, id+1, kafkaMetadataBody(version))); err != nil {
		return "", err
	}
	if body, err = kafkaReply(c, id+1); err != nil {
		return "", err
	}
	tr.Finish()
	md, err := parseKafkaMetadata(body, version)
	if err != nil {
		return "", fmt.Errorf("not a Kafka broker: %v: %s", err, sanitize.Excerpt(c.seen, 40))
	}
	switch {
	case md.brokers == 0:
		return "", &ServerError{Msg: "Metadata lists no broker: the cluster is not formed"}
	case md.controller < 0:
		return "", &ServerError{Msg: fmt.Sprintf("no controller: %d broker(s), and the cluster is electing one", md.brokers)}
	}
	seen := fmt.Sprintf("%d broker(s), controller %d", md.brokers, md.controller)
	if md.cluster != "" {
		seen = "cluster " + sanitize.Printable(sanitize.Clip(md.cluster, 40)) + ": " + seen
	}
	return seen, nil
}

// kafkaCorrelationID is a random correlation ID from 2^24 to 2^30-1: not
// one a client counting from 0 or 1 would send soon.
func kafkaCorrelationID() int32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return int32(binary.BigEndian.Uint32(b[:])&(1<<30-1)) | 1<<24
}

// kafkaRequest frames a request: its size, the header (v1: key, version,
// correlation ID, client ID), then the body.
func kafkaRequest(key, version int16, id int32, body []byte) []byte {
	b := make([]byte, 4, 64)
	b = binary.BigEndian.AppendUint16(b, uint16(key))
	b = binary.BigEndian.AppendUint16(b, uint16(version))
	b = binary.BigEndian.AppendUint32(b, uint32(id))
	b = binary.BigEndian.AppendUint16(b, 5)
	b = append(b, "probe"...)
	b = append(b, body...)
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b
}

// kafkaMetadataBody asks for no topic: only brokers and the controller.
func kafkaMetadataBody(version int16) []byte {
	b := []byte{0, 0, 0, 0} // an empty array of topics (null would mean all)
	if version >= 4 {
		b = append(b, 0) // allow_auto_topic_creation
	}
	if version >= 8 {
		b = append(b, 0, 0) // include cluster and topic authorized operations
	}
	return b
}

// kafkaReply reads a reply's size and body, and checks its correlation ID.
func kafkaReply(c *conversation, id int32) ([]byte, error) {
	head := make([]byte, 8)
	if err := c.readFull(head); err != nil {
		return nil, err
	}
	size := int32(binary.BigEndian.Uint32(head))
	if size < 4 || size > kafkaMaxReply {
		return nil, fmt.Errorf("not a Kafka broker: a reply of %d bytes: %s", size, sanitize.Excerpt(c.seen, 40))
	}
	if got := int32(binary.BigEndian.Uint32(head[4:])); got != id {
		return nil, fmt.Errorf("not a Kafka broker: a reply to request %d, not %d", got, id)
	}
	body := make([]byte, size-4)
	if err := c.readFull(body); err != nil {
		return nil, err
	}
	return body, nil
}

// kafkaMetadata is what a check reads of a Metadata reply.
type kafkaMetadata struct {
	brokers    int
	controller int32
	cluster    string
}

// parseKafkaMetadata reads a Metadata reply of version 1 to 8.
func parseKafkaMetadata(b []byte, version int16) (kafkaMetadata, error) {
	r := kafkaReader{b: b}
	if version >= 3 {
		r.int32() // throttle_time_ms
	}
	n := r.int32()
	if n < 0 || n > 100000 {
		return kafkaMetadata{}, errors.New("a Metadata reply with a broker count that cannot be")
	}
	var md kafkaMetadata
	for range n {
		r.int32()          // node_id
		r.string()         // host
		r.int32()          // port
		r.nullableString() // rack
		md.brokers++
	}
	if version >= 2 {
		md.cluster = r.nullableString()
	}
	md.controller = r.int32()
	if r.err != nil {
		return kafkaMetadata{}, errors.New("a Metadata reply cut short")
	}
	return md, nil
}

// kafkaReader reads big-endian fields; past the end it records an error
// and returns zeros.
type kafkaReader struct {
	b   []byte
	err error
}

func (r *kafkaReader) take(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		r.err = errors.New("cut short")
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *kafkaReader) int16() int16 {
	if b := r.take(2); b != nil {
		return int16(binary.BigEndian.Uint16(b))
	}
	return 0
}

func (r *kafkaReader) int32() int32 {
	if b := r.take(4); b != nil {
		return int32(binary.BigEndian.Uint32(b))
	}
	return 0
}

func (r *kafkaReader) string() string {
	return string(r.take(int(r.int16())))
}

func (r *kafkaReader) nullableString() string {
	n := r.int16()
	if n == -1 {
		return ""
	}
	return string(r.take(int(n)))
}
