// Package kafka is the part of Kafka's wire protocol that kafka:// speaks
// (kafka.apache.org/protocol): requests framed with a v1 header, the
// ApiVersions v0 reply, and Metadata replies of versions 1 to 8, those
// before the flexible encoding. A broker may lie about every count and
// length, so a reader past the end records an error and reads zeros, and a
// count that cannot be is refused before anything is allocated for it.
package kafka

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"strconv"
)

// API keys.
const (
	MetadataKey    = 3
	APIVersionsKey = 18
)

// errorName names the error codes a check may meet (the protocol's
// documentation, "Error Codes"); "" for another. A switch, not a map built
// at every start.
func errorName(code int16) string {
	switch code {
	case -1:
		return "UNKNOWN_SERVER_ERROR"
	case 5:
		return "LEADER_NOT_AVAILABLE"
	case 7:
		return "REQUEST_TIMED_OUT"
	case 8:
		return "BROKER_NOT_AVAILABLE"
	case 15:
		return "COORDINATOR_NOT_AVAILABLE"
	case 31:
		return "CLUSTER_AUTHORIZATION_FAILED"
	case 33:
		return "UNSUPPORTED_SASL_MECHANISM"
	case 35:
		return "UNSUPPORTED_VERSION"
	case 58:
		return "SASL_AUTHENTICATION_FAILED"
	}
	return ""
}

// ErrUnsupportedVersion is the error code of a request in a version the
// broker does not take.
const ErrUnsupportedVersion = 35

// ErrorText writes an error code as a message does: its name and number
// ("LEADER_NOT_AVAILABLE (error 5)"), or its number alone.
func ErrorText(code int16) string {
	if name := errorName(code); name != "" {
		return name + " (error " + strconv.Itoa(int(code)) + ")"
	}
	return "error " + strconv.Itoa(int(code))
}

// CorrelationID is a random correlation ID from 2^24 to 2^30-1: not one a
// client counting from 0 or 1 would send soon.
func CorrelationID() int32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return int32(binary.BigEndian.Uint32(b[:])&(1<<30-1)) | 1<<24
}

// Request frames a request: its size, the header (v1: key, version,
// correlation ID, client ID "probe"), then the body.
func Request(key, version int16, id int32, body []byte) []byte {
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

// MetadataRequest is the body of a Metadata request that asks for no
// topic: only the brokers and the controller.
func MetadataRequest(version int16) []byte {
	b := []byte{0, 0, 0, 0} // an empty array of topics (null would mean all)
	if version >= 4 {
		b = append(b, 0) // allow_auto_topic_creation
	}
	if version >= 8 {
		b = append(b, 0, 0) // include cluster and topic authorized operations
	}
	return b
}

// Versions are the versions of an API a broker takes; OK when it lists
// the API at all.
type Versions struct {
	Min, Max int16
	OK       bool
}

// APIVersions is what a check reads of an ApiVersions v0 reply: its error
// code, and the versions of Metadata and of ApiVersions the broker takes.
type APIVersions struct {
	Code                  int16
	Metadata, APIVersions Versions
}

var (
	// ErrNotAPIVersions: a reply whose API count cannot be (or that ends
	// before it): not an ApiVersions reply.
	ErrNotAPIVersions = errors.New("not an ApiVersions reply")
	// ErrCutShort: a reply that ends before the fields it announces.
	ErrCutShort = errors.New("cut short")
)

// ParseAPIVersions reads an ApiVersions v0 reply's body (after the
// correlation ID); its error is ErrNotAPIVersions or ErrCutShort.
func ParseAPIVersions(b []byte) (APIVersions, error) {
	r := reader{b: b}
	av := APIVersions{Code: r.int16()}
	n := r.int32()
	if r.err != nil || n < 0 || n > 1000 {
		return APIVersions{}, ErrNotAPIVersions
	}
	for range n {
		key, lo, hi := r.int16(), r.int16(), r.int16()
		switch key {
		case MetadataKey:
			av.Metadata = Versions{lo, hi, true}
		case APIVersionsKey:
			av.APIVersions = Versions{lo, hi, true}
		}
	}
	if r.err != nil {
		return APIVersions{}, ErrCutShort
	}
	return av, nil
}

// Metadata is what a check reads of a Metadata reply.
type Metadata struct {
	Brokers    int
	Controller int32 // -1 when there is none
	Cluster    string
}

// ParseMetadata reads a Metadata reply's body of version 1 to 8.
func ParseMetadata(b []byte, version int16) (Metadata, error) {
	r := reader{b: b}
	if version >= 3 {
		r.int32() // throttle_time_ms
	}
	n := r.int32()
	if n < 0 || n > 100000 {
		return Metadata{}, errors.New("a Metadata reply with a broker count that cannot be")
	}
	var md Metadata
	for range n {
		r.int32()          // node_id
		r.string()         // host
		r.int32()          // port
		r.nullableString() // rack
		md.Brokers++
	}
	if version >= 2 {
		md.Cluster = r.nullableString()
	}
	md.Controller = r.int32()
	if r.err != nil {
		return Metadata{}, errors.New("a Metadata reply cut short")
	}
	return md, nil
}

// reader reads big-endian fields; past the end it records an error and
// returns zeros.
type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		r.err = ErrCutShort
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) int16() int16 {
	if b := r.take(2); b != nil {
		return int16(binary.BigEndian.Uint16(b))
	}
	return 0
}

func (r *reader) int32() int32 {
	if b := r.take(4); b != nil {
		return int32(binary.BigEndian.Uint32(b))
	}
	return 0
}

func (r *reader) string() string {
	return string(r.take(int(r.int16())))
}

func (r *reader) nullableString() string {
	n := r.int16()
	if n == -1 {
		return ""
	}
	return string(r.take(int(n)))
}
