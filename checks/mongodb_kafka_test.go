package checks_test

import (
	"encoding/binary"
	"io"
	"math"
	"net"
	"strings"
	"testing"
	"unicode"

	"github.com/probe-sh/probe/checks"
)

// bson encodes a document from name and value pairs: bool, int32, int64,
// float64, string and raw (a type byte, then the value's bytes) values.
func bson(kv ...any) []byte {
	b := []byte{0, 0, 0, 0}
	for i := 0; i+1 < len(kv); i += 2 {
		key := kv[i].(string)
		switch v := kv[i+1].(type) {
		case bool:
			b = append(append(append(b, 0x08), key...), 0)
			if v {
				b = append(b, 1)
			} else {
				b = append(b, 0)
			}
		case int32:
			b = append(append(append(b, 0x10), key...), 0)
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		case int64:
			b = append(append(append(b, 0x12), key...), 0)
			b = binary.LittleEndian.AppendUint64(b, uint64(v))
		case raw:
			b = append(append(append(b, v[0]), key...), 0)
			b = append(b, v[1:]...)
		case float64:
			b = append(append(append(b, 0x01), key...), 0)
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		case string:
			b = append(append(append(b, 0x02), key...), 0)
			b = binary.LittleEndian.AppendUint32(b, uint32(len(v)+1))
			b = append(append(b, v...), 0)
		}
	}
	b = append(b, 0)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	return b
}

// raw is a BSON value of any type: its type byte, then its bytes.
type raw []byte

// mongoPeer answers each OP_MSG with reply(command), the command being the
// first key of the request's body.
func mongoPeer(reply func(cmd string) []byte) func(net.Conn) {
	return func(c net.Conn) {
		for {
			head := make([]byte, 16)
			if _, err := io.ReadFull(c, head); err != nil {
				return
			}
			rest := make([]byte, binary.LittleEndian.Uint32(head)-16)
			if _, err := io.ReadFull(c, rest); err != nil {
				return
			}
			body := rest[5:]
			cmd := string(body[5 : 5+strings.IndexByte(string(body[5:]), 0)])
			doc := reply(cmd)
			if doc == nil {
				return
			}
			out := make([]byte, 16, 21+len(doc))
			copy(out[8:], head[4:8]) // responseTo: the request's ID
			binary.LittleEndian.PutUint32(out[12:], 2013)
			out = append(out, 0, 0, 0, 0, 0)
			out = append(out, doc...)
			binary.LittleEndian.PutUint32(out, uint32(len(out)))
			c.Write(out)
		}
	}
}

func TestMongoDBRoles(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		primary bool
		reply   func(cmd string) []byte
		seen    string
		err     string
	}{
		{name: "a standalone server", reply: func(string) []byte { return bson("isWritablePrimary", true, "ok", 1.0) }, seen: "a standalone server, writable"},
		{name: "a primary", reply: func(string) []byte { return bson("isWritablePrimary", true, "setName", "rs0", "ok", 1.0) }, seen: "writable primary of replica set rs0"},
		{name: "a secondary", reply: func(string) []byte {
			return bson("isWritablePrimary", false, "secondary", true, "setName", "rs0", "ok", 1.0)
		}, seen: "secondary of replica set rs0"},
		{name: "a secondary, primary wanted", primary: true, reply: func(string) []byte {
			return bson("isWritablePrimary", false, "secondary", true, "setName", "rs0", "ok", 1.0)
		}, err: "not the writable primary of replica set rs0 (?readPreference=primary)"},
		{name: "recovering", reply: func(string) []byte {
			return bson("isWritablePrimary", false, "secondary", false, "setName", "rs0", "ok", 1.0)
		}, err: "neither primary nor secondary of replica set rs0: starting, recovering, or cut off from its set"},
		{name: "not initiated", reply: func(string) []byte {
			return bson("isWritablePrimary", false, "secondary", false, "isreplicaset", true, "ok", 1.0)
		}, err: "rs.initiate() has not run"},
		{name: "an arbiter", reply: func(string) []byte { return bson("arbiterOnly", true, "setName", "rs0", "ok", 1.0) }, seen: "arbiter of replica set rs0: up, holding no data"},
		{name: "a mongos", reply: func(string) []byte { return bson("isWritablePrimary", true, "msg", "isdbgrid", "ok", 1.0) }, seen: "mongos: a sharded cluster's router"},
		{name: "before 4.4.2: isMaster", reply: func(cmd string) []byte {
			if cmd == "hello" {
				return bson("ok", 0.0, "errmsg", "no such command: 'hello'", "code", int32(59))
			}
			return bson("ismaster", true, "ok", 1.0)
		}, seen: "a standalone server, writable"},
		{name: "an error with escapes", reply: func(string) []byte { return bson("ok", 0.0, "errmsg", "\x1b[2Jbad\r\nthing", "code", int32(13)) }, err: `hello failed: \x1b[2Jbad\x0d\x0athing`},

		// ok as MongoDB's Go driver reads it: 1 as an int32, an int64 or a
		// double, or true.
		{name: "ok as an int32", reply: func(string) []byte { return bson("isWritablePrimary", true, "ok", int32(1)) }, seen: "a standalone server, writable"},
		{name: "ok as an int64", reply: func(string) []byte { return bson("isWritablePrimary", true, "ok", int64(1)) }, seen: "a standalone server, writable"},
		{name: "ok as true", reply: func(string) []byte { return bson("isWritablePrimary", true, "ok", true) }, seen: "a standalone server, writable"},
		{name: "ok false", reply: func(string) []byte { return bson("isWritablePrimary", true, "ok", false, "errmsg", "not now") }, err: "hello failed: not now"},
		{name: "ok 2", reply: func(string) []byte { return bson("isWritablePrimary", true, "ok", int32(2)) }, err: "hello failed (ok 2), with no errmsg"},
		{name: "ok 0, with its code and name", reply: func(string) []byte {
			return bson("ok", 0.0, "errmsg", "command hello requires authentication", "code", int32(13), "codeName", "Unauthorized")
		}, err: "hello failed: command hello requires authentication (code 13, Unauthorized)"},
		{name: "ok 0, a code and nothing else", reply: func(string) []byte { return bson("ok", int32(0), "code", int64(8000)) }, err: "hello failed (ok 0), with no errmsg (code 8000)"},
		{name: "ok 0, a code name with escapes", reply: func(string) []byte { return bson("ok", 0.0, "codeName", "Un\x1b[2J") }, err: `hello failed (ok 0), with no errmsg (Un\x1b[2J)`},
		{name: "ok 0, an errmsg that is not a string", reply: func(string) []byte { return bson("ok", 0.0, "errmsg", int32(7)) }, err: "hello failed (ok 0), with no errmsg"},
		{name: "no ok", reply: func(string) []byte { return bson("isWritablePrimary", true) }, err: "not a MongoDB server: its hello reply has no ok field"},
		{name: "ok as a string", reply: func(string) []byte { return bson("isWritablePrimary", true, "ok", "1") }, err: "not a MongoDB server: its hello reply's ok is a string, not a number"},
		{name: "ok as null", reply: func(string) []byte { return bson("isWritablePrimary", true, "ok", raw{0x0a}) }, err: "not a MongoDB server: its hello reply's ok is null, not a number"},
		{name: "before 4.4.2, ok and code as int32 and int64", reply: func(cmd string) []byte {
			if cmd == "hello" {
				return bson("ok", int32(0), "errmsg", "no such command: 'hello'", "code", int64(59))
			}
			return bson("ismaster", true, "ok", int32(1))
		}, seen: "a standalone server, writable"},

		// Fields of every BSON type are read past.
		{name: "a regular expression, a DBPointer and code with scope", reply: func(string) []byte {
			dbp := append(binary.LittleEndian.AppendUint32(nil, 2), "x\x00"...)
			dbp = append(dbp, make([]byte, 12)...)
			scope := binary.LittleEndian.AppendUint32(nil, 4+5+5)
			scope = append(binary.LittleEndian.AppendUint32(scope, 1), 0)
			scope = append(scope, 5, 0, 0, 0, 0)
			return bson("re", raw(append([]byte{0x0b}, "a.*\x00i\x00"...)), "p", raw(append([]byte{0x0c}, dbp...)),
				"c", raw(append([]byte{0x0f}, scope...)), "isWritablePrimary", true, "ok", 1.0)
		}, seen: "a standalone server, writable"},
		{name: "binary data of a negative length", reply: func(string) []byte {
			return bson("b", raw{0x05, 0xfb, 0xff, 0xff, 0xff, 0}, "isWritablePrimary", true, "ok", 1.0)
		}, err: "not a MongoDB server: its reply's document"},
		{name: "a document of 4 bytes", reply: func(string) []byte {
			return bson("d", raw{0x03, 4, 0, 0, 0}, "isWritablePrimary", true, "ok", 1.0)
		}, err: "not a MongoDB server: its reply's document"},
		{name: "a regular expression with no end", reply: func(string) []byte {
			return bson("isWritablePrimary", true, "ok", 1.0, "re", raw{0x0b, 'a'})
		}, err: "not a MongoDB server: its reply's document"},
		{name: "a document whose length lies", reply: func(string) []byte {
			d := bson("ok", 1.0)
			binary.LittleEndian.PutUint32(d, 1000)
			return d
		}, err: "not a MongoDB server"},
		{name: "a string longer than its document", reply: func(string) []byte {
			d := bson("setName", "rs0", "ok", 1.0)
			binary.LittleEndian.PutUint32(d[4+1+len("setName")+1:], 500)
			return d
		}, err: "not a MongoDB server: its reply's document: a string whose length is not its size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			host, port := hostile(t, mongoPeer(tc.reply))
			seen, err := run(t, checks.MongoDB{Host: host, Port: port, Primary: tc.primary})
			switch {
			case tc.err == "" && (err != nil || seen != tc.seen):
				t.Errorf("%q, %v; want %q", seen, err, tc.seen)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("%q, %v; want an error with %q", seen, err, tc.err)
			}
			if err != nil && strings.IndexFunc(err.Error(), func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
				t.Errorf("unprintable: %q", err)
			}
		})
	}
}

// kafkaPeer answers ApiVersions with apiVersions and Metadata with metadata
// (each a reply body; nil closes the connection).
func kafkaPeer(apiVersions, metadata []byte) func(net.Conn) {
	return func(c net.Conn) {
		for {
			var size [4]byte
			if _, err := io.ReadFull(c, size[:]); err != nil {
				return
			}
			req := make([]byte, binary.BigEndian.Uint32(size[:]))
			if _, err := io.ReadFull(c, req); err != nil {
				return
			}
			body := apiVersions
			if binary.BigEndian.Uint16(req) == 3 {
				body = metadata
			}
			if body == nil {
				return
			}
			out := binary.BigEndian.AppendUint32(nil, uint32(4+len(body)))
			out = append(out, req[4:8]...) // the correlation ID
			c.Write(append(out, body...))
		}
	}
}

// kafkaReplayed answers as a capture of a conversation replayed would:
// ApiVersions with correlation ID 1, Metadata with 2, whatever the requests'.
func kafkaReplayed(apiVersions, metadata []byte) func(net.Conn) {
	return func(c net.Conn) {
		for i, body := range [][]byte{apiVersions, metadata} {
			readFirst(c, -3)
			out := binary.BigEndian.AppendUint32(nil, uint32(4+len(body)))
			out = binary.BigEndian.AppendUint32(out, uint32(i+1))
			c.Write(append(out, body...))
		}
		io.Copy(io.Discard, c)
	}
}

// kafkaVersions is an ApiVersions v0 reply body: error code, then each
// key with its minimum and maximum version.
func kafkaVersions(code int16, keys ...[3]int16) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(code))
	b = binary.BigEndian.AppendUint32(b, uint32(len(keys)))
	for _, k := range keys {
		for _, v := range k {
			b = binary.BigEndian.AppendUint16(b, uint16(v))
		}
	}
	return b
}

// kafkaMetadataV8 is a Metadata v8 reply body with n brokers, the cluster
// ID and the controller.
func kafkaMetadataV8(n int, cluster string, controller int32) []byte {
	b := binary.BigEndian.AppendUint32(nil, 0) // throttle
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	for i := range n {
		b = binary.BigEndian.AppendUint32(b, uint32(i))
		b = binary.BigEndian.AppendUint16(b, 9)
		b = append(b, "127.0.0.1"...)
		b = binary.BigEndian.AppendUint32(b, 9092)
		b = binary.BigEndian.AppendUint16(b, 0xffff) // no rack
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(cluster)))
	b = append(b, cluster...)
	b = binary.BigEndian.AppendUint32(b, uint32(controller))
	b = binary.BigEndian.AppendUint32(b, 0) // no topics
	return binary.BigEndian.AppendUint32(b, 0)
}

func TestKafkaHostilePeers(t *testing.T) {
	t.Parallel()
	versions := kafkaVersions(0, [3]int16{18, 0, 3}, [3]int16{3, 0, 12})
	for _, tc := range []struct {
		name  string
		serve func(net.Conn)
		seen  string
		err   string
	}{
		{name: "a cluster", serve: kafkaPeer(versions, kafkaMetadataV8(3, "abc", 1)), seen: "cluster abc: 3 broker(s), controller 1"},
		{name: "electing a controller", serve: kafkaPeer(versions, kafkaMetadataV8(3, "abc", -1)), err: "no controller: 3 broker(s), and the cluster is electing one"},
		{name: "no broker", serve: kafkaPeer(versions, kafkaMetadataV8(0, "abc", 1)), err: "Metadata lists no broker"},
		{name: "UNSUPPORTED_VERSION, with every API's versions", serve: kafkaPeer(kafkaVersions(35, [3]int16{18, 3, 4}, [3]int16{3, 4, 12}), kafkaMetadataV8(1, "x", 0)), seen: "cluster x: 1 broker(s), controller 0"},
		// Kafka 2.4 and later answer a version of ApiVersions they do not
		// take with its own versions only (KIP-511); before, with none.
		{name: "UNSUPPORTED_VERSION, with ApiVersions' own versions", serve: kafkaPeer(kafkaVersions(35, [3]int16{18, 3, 4}), nil),
			err: "ApiVersions: UNSUPPORTED_VERSION (error 35): the broker does not take ApiVersions v0, which probe speaks (it takes v3 to v4)"},
		{name: "UNSUPPORTED_VERSION, with no versions", serve: kafkaPeer(kafkaVersions(35), nil),
			err: "ApiVersions: UNSUPPORTED_VERSION (error 35): the broker does not take ApiVersions v0, which probe speaks (it names no version it takes)"},
		{name: "an ApiVersions error", serve: kafkaPeer(kafkaVersions(58), nil), err: "ApiVersions: SASL_AUTHENTICATION_FAILED (error 58)"},
		{name: "an ApiVersions error probe has no name for", serve: kafkaPeer(kafkaVersions(99), nil), err: "ApiVersions: error 99"},
		{name: "Metadata only from v9", serve: kafkaPeer(kafkaVersions(0, [3]int16{3, 9, 12}), nil), err: "the broker takes Metadata versions 9 to 12; probe speaks 1 to 8"},
		{name: "no Metadata at all", serve: kafkaPeer(kafkaVersions(0, [3]int16{18, 0, 3}), nil), err: "not a Kafka broker: its ApiVersions reply lists no Metadata API (key 3)"},
		{name: "Metadata versions 8 to 2", serve: kafkaPeer(kafkaVersions(0, [3]int16{3, 8, 2}), nil), err: "not a Kafka broker: it takes Metadata versions 8 to 2"},
		{name: "a count of 2^31 APIs", serve: kafkaPeer([]byte{0, 0, 0x7f, 0xff, 0xff, 0xff}, nil), err: "its ApiVersions reply is not one"},
		{name: "a reply of 2 GiB", serve: reply(-3, []byte{0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 1}), err: "a reply of 2147483647 bytes"},
		{name: "a reply to another request", serve: reply(-3, []byte{0, 0, 0, 10, 0, 0, 0, 9, 0, 0}), err: "not a Kafka broker: a reply to request 9, not "},
		{name: "replies replayed, to requests 1 and 2", serve: kafkaReplayed(versions, kafkaMetadataV8(3, "abc", 1)), err: "not a Kafka broker: a reply to request 1, not "},
		{name: "ApiVersions cut short", serve: kafkaPeer(versions[:10], nil), err: "its ApiVersions reply is cut short"},
		{name: "a reply a byte at a time", serve: func(c net.Conn) {
			var size [4]byte
			io.ReadFull(c, size[:])
			req := make([]byte, binary.BigEndian.Uint32(size[:]))
			io.ReadFull(c, req)
			out := append(binary.BigEndian.AppendUint32(nil, uint32(4+len(versions))), req[4:8]...)
			drip(0, append(out, versions...))(c)
		}, err: "deadline"},
		{name: "a negative size", serve: reply(-3, []byte{0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 1}), err: "not a Kafka broker: a reply of -16 bytes"},
		{name: "Metadata cut short", serve: kafkaPeer(versions, kafkaMetadataV8(3, "abc", 1)[:20]), err: "a Metadata reply cut short"},
		{name: "an HTTP server", serve: reply(-3, []byte("HTTP/1.1 400 Bad Request\r\n\r\n")), err: "not a Kafka broker"},
		{name: "silence", serve: reply(-3, nil), err: "deadline"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			host, port := hostile(t, tc.serve)
			seen, err := run(t, checks.Kafka{Host: host, Port: port})
			msg := ""
			if err != nil {
				if !typed(err) {
					t.Errorf("%T %q: not one of the package's error types", err, err)
				}
				msg = err.Error()
				if checks.IsTimeout(err) {
					msg = "deadline"
				}
			}
			switch {
			case tc.err == "" && (err != nil || seen != tc.seen):
				t.Errorf("%q, %v; want %q", seen, err, tc.seen)
			case tc.err != "" && !strings.Contains(msg, tc.err):
				t.Errorf("%q, %q; want an error with %q", seen, msg, tc.err)
			}
		})
	}
}

// mongoFramed answers the first OP_MSG with frame(requestID), raw.
func mongoFramed(frame func(id uint32) []byte) func(net.Conn) {
	return func(c net.Conn) {
		head := make([]byte, 16)
		if _, err := io.ReadFull(c, head); err != nil {
			return
		}
		io.ReadFull(c, make([]byte, binary.LittleEndian.Uint32(head)-16))
		c.Write(frame(binary.LittleEndian.Uint32(head[4:])))
		io.Copy(io.Discard, c)
	}
}

// mongoMsg is a message: its header (size, requestID, responseTo, opCode),
// then body.
func mongoMsg(responseTo, opCode uint32, body []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(16+len(body)))
	b = binary.LittleEndian.AppendUint32(b, 7)
	b = binary.LittleEndian.AppendUint32(b, responseTo)
	b = binary.LittleEndian.AppendUint32(b, opCode)
	return append(b, body...)
}

// TestMongoDBHostileFrames: replies whose frame lies (a reply to another
// request, another opcode, sizes that cannot be, a frame cut short or
// dripped) fail, each in one line, none healthy.
func TestMongoDBHostileFrames(t *testing.T) {
	t.Parallel()
	ok := append([]byte{0, 0, 0, 0, 0}, bson("isWritablePrimary", true, "ok", 1.0)...)
	for _, tc := range []struct {
		name  string
		serve func(net.Conn)
		err   string
	}{
		{"a reply to another request", mongoFramed(func(id uint32) []byte { return mongoMsg(id+1, 2013, ok) }), "not a MongoDB server: a reply to another request"},
		{"OP_REPLY", mongoFramed(func(id uint32) []byte { return mongoMsg(id, 1, ok) }), "not a MongoDB server: it answered"},
		{"a size of 2 GiB", mongoFramed(func(id uint32) []byte {
			m := mongoMsg(id, 2013, ok)
			binary.LittleEndian.PutUint32(m, 1<<31-1)
			return m
		}), "not a MongoDB server: it answered"},
		{"a negative size", mongoFramed(func(id uint32) []byte {
			m := mongoMsg(id, 2013, ok)
			binary.LittleEndian.PutUint32(m, 0xfffffff0)
			return m
		}), "not a MongoDB server: it answered"},
		{"a section of a document sequence only", mongoFramed(func(id uint32) []byte {
			seq := append(binary.LittleEndian.AppendUint32(nil, uint32(4+2+len(bson("ok", 1.0)))), "d\x00"...)
			return mongoMsg(id, 2013, append(append([]byte{0, 0, 0, 0, 1}, seq...), bson("ok", 1.0)...))
		}), "not a MongoDB server: a reply with no body"},
		{"a body longer than the message", mongoFramed(func(id uint32) []byte {
			m := mongoMsg(id, 2013, ok)
			binary.LittleEndian.PutUint32(m[21:], 500)
			return m
		}), "not a MongoDB server: a reply with no body"},
		{"cut short", func(c net.Conn) {
			head := make([]byte, 16)
			io.ReadFull(c, head)
			io.ReadFull(c, make([]byte, binary.LittleEndian.Uint32(head)-16))
			c.Write(mongoMsg(binary.LittleEndian.Uint32(head[4:]), 2013, ok)[:30])
		}, "the server closed the connection after"},
		{"a byte at a time", func(c net.Conn) {
			head := make([]byte, 16)
			io.ReadFull(c, head)
			io.ReadFull(c, make([]byte, binary.LittleEndian.Uint32(head)-16))
			drip(0, mongoMsg(binary.LittleEndian.Uint32(head[4:]), 2013, ok))(c)
		}, "deadline"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			host, port := hostile(t, tc.serve)
			seen, err := run(t, checks.MongoDB{Host: host, Port: port})
			msg := ""
			if err != nil {
				if !typed(err) {
					t.Errorf("%T %q: not one of the package's error types", err, err)
				}
				msg = err.Error()
				if checks.IsTimeout(err) {
					msg = "deadline"
				}
			}
			if err == nil || !strings.Contains(msg, tc.err) {
				t.Errorf("%q, %q; want an error with %q", seen, msg, tc.err)
			}
			if strings.IndexFunc(msg, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
				t.Errorf("unprintable: %q", msg)
			}
		})
	}
}
