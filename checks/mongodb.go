package checks

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/probe-sh/probe/internal/sanitize"
)

// MongoDB checks that a mongod or mongos serves, with no driver and no
// mongosh: it sends the hello command over OP_MSG (isMaster to a server
// older than 4.4.2, which does not know hello) and reads the server's role.
// A primary, a secondary, a standalone server and a mongos are ready (with
// Primary, only a writable primary is); a member that is starting,
// recovering or has lost its set is not. hello needs no login, so a server
// that requires one is judged all the same.
type MongoDB struct {
	Host, Port string
	Socket     string // a Unix socket to connect to, in place of Host:Port
	Primary    bool   // ?readPreference=primary: only a writable primary passes
	TLS        *tls.Config
	CertExpiry time.Duration
}

// opMsg is OP_MSG's operation code.
const opMsg = 2013

// mongoMaxReply bounds a reply: hello's is a few hundred bytes.
const mongoMaxReply = 1 << 20

// Run asks the server its role.
func (m MongoDB) Run(ctx context.Context, tr *Trace) (string, error) {
	c, err := dialConversation(ctx, tr, m.Socket, m.Host, m.Port, m.TLS, m.CertExpiry)
	if err != nil {
		return "", err
	}
	defer c.Close()
	doc, err := mongoCommand(c, "hello")
	if err != nil {
		return "", err
	}
	if ok, _ := doc["ok"].(float64); ok != 1 && doc["code"] == int32(59) { // CommandNotFound: before 4.4.2
		if doc, err = mongoCommand(c, "isMaster"); err != nil {
			return "", err
		}
	}
	tr.Finish()
	if ok, _ := doc["ok"].(float64); ok != 1 {
		msg, _ := doc["errmsg"].(string)
		return "", &ServerError{Msg: "hello failed: " + sanitize.Printable(sanitize.Clip(msg, 160))}
	}
	writable := doc["isWritablePrimary"] == true || doc["ismaster"] == true
	setName, _ := doc["setName"].(string)
	set := ""
	if setName != "" {
		set = " of replica set " + sanitize.Printable(sanitize.Clip(setName, 60))
	}
	switch {
	case doc["msg"] == "isdbgrid":
		return "mongos: a sharded cluster's router", nil
	case writable:
		if setName == "" {
			return "a standalone server, writable", nil
		}
		return "writable primary" + set, nil
	case m.Primary:
		return "", &ServerError{Msg: "not the writable primary" + set + " (?readPreference=primary)"}
	case doc["secondary"] == true:
		return "secondary" + set, nil
	case doc["arbiterOnly"] == true:
		return "arbiter" + set + ": up, holding no data", nil
	case setName == "" && doc["isreplicaset"] == true:
		return "", &ServerError{Msg: "a replica set member with no configuration yet (rs.initiate() has not run)"}
	}
	return "", &ServerError{Msg: "neither primary nor secondary" + set + ": starting, recovering, or cut off from its set"}
}

// mongoCommand sends {name: 1, $db: "admin"} in an OP_MSG and returns the
// reply's body document.
func mongoCommand(c *conversation, name string) (map[string]any, error) {
	body := bsonDoc(name, int32(1), "$db", "admin")
	msg := make([]byte, 16, 21+len(body))
	var id [4]byte
	_, _ = rand.Read(id[:])
	copy(msg[4:], id[:])
	binary.LittleEndian.PutUint32(msg[12:], opMsg)
	msg = append(msg, 0, 0, 0, 0, 0) // flagBits, then a body section (kind 0)
	msg = append(msg, body...)
	binary.LittleEndian.PutUint32(msg, uint32(len(msg)))
	if err := c.send(msg); err != nil {
		return nil, err
	}
	head := make([]byte, 16)
	if err := c.readFull(head); err != nil {
		return nil, err
	}
	size := int32(binary.LittleEndian.Uint32(head))
	if size < 16+5 || size > mongoMaxReply || binary.LittleEndian.Uint32(head[12:]) != opMsg {
		return nil, fmt.Errorf("not a MongoDB server: it answered %s", sanitize.Excerpt(c.seen, 40))
	}
	if string(head[8:12]) != string(id[:]) {
		return nil, errors.New("not a MongoDB server: a reply to another request")
	}
	rest := make([]byte, size-16)
	if err := c.readFull(rest); err != nil {
		return nil, err
	}
	// flagBits, then sections; the body is the one of kind 0.
	for b := rest[4:]; len(b) > 0; {
		kind := b[0]
		b = b[1:]
		if len(b) < 4 {
			break
		}
		n := int(int32(binary.LittleEndian.Uint32(b)))
		if n < 5 || n > len(b) {
			break
		}
		if kind == 0 {
			doc, err := bsonRead(b[:n])
			if err != nil {
				return nil, fmt.Errorf("not a MongoDB server: its reply's document: %v", err)
			}
			return doc, nil
		}
		if kind != 1 {
			break
		}
		b = b[n:]
	}
	return nil, fmt.Errorf("not a MongoDB server: a reply with no body: %s", sanitize.Excerpt(c.seen, 40))
}

// bsonDoc encodes a document of string keys and int32 or string values,
// in order.
func bsonDoc(kv ...any) []byte {
	b := []byte{0, 0, 0, 0}
	for i := 0; i+1 < len(kv); i += 2 {
		key := kv[i].(string)
		switch v := kv[i+1].(type) {
		case int32:
			b = append(b, 0x10)
			b = append(append(b, key...), 0)
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		case string:
			b = append(b, 0x02)
			b = append(append(b, key...), 0)
			b = binary.LittleEndian.AppendUint32(b, uint32(len(v)+1))
			b = append(append(b, v...), 0)
		}
	}
	b = append(b, 0)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	return b
}

// bsonRead reads a document's top-level fields: doubles, strings, booleans,
// 32- and 64-bit integers and null as Go values; the others skipped by
// their sizes. It reads no further than the document's length says.
func bsonRead(b []byte) (map[string]any, error) {
	if len(b) < 5 || int(binary.LittleEndian.Uint32(b)) != len(b) || b[len(b)-1] != 0 {
		return nil, errors.New("its length is not its size")
	}
	out := map[string]any{}
	b = b[4 : len(b)-1]
	for len(b) > 0 {
		typ := b[0]
		end := 1
		for end < len(b) && b[end] != 0 {
			end++
		}
		if end >= len(b) {
			return nil, errors.New("a field name with no end")
		}
		key := string(b[1:end])
		b = b[end+1:]
		var size int
		var val any
		switch typ {
		case 0x01: // double
			size = 8
			if len(b) >= 8 {
				val = math.Float64frombits(binary.LittleEndian.Uint64(b))
			}
		case 0x02, 0x0d, 0x0e: // string, JavaScript, symbol
			if len(b) < 4 {
				return nil, errors.New("a string cut short")
			}
			n := int(int32(binary.LittleEndian.Uint32(b)))
			size = 4 + n
			if n >= 1 && 4+n <= len(b) {
				val = string(b[4 : 4+n-1])
			} else {
				return nil, errors.New("a string whose length is not its size")
			}
		case 0x03, 0x04: // document, array
			if len(b) < 4 {
				return nil, errors.New("a document cut short")
			}
			size = int(int32(binary.LittleEndian.Uint32(b)))
		case 0x05: // binary
			if len(b) < 4 {
				return nil, errors.New("binary data cut short")
			}
			size = 5 + int(int32(binary.LittleEndian.Uint32(b)))
		case 0x06, 0x0a, 0x7f, 0xff: // undefined, null, max key, min key
		case 0x07: // ObjectId
			size = 12
		case 0x08: // boolean
			size = 1
			if len(b) >= 1 {
				val = b[0] == 1
			}
		case 0x09, 0x11, 0x12: // date, timestamp, int64
			size = 8
			if typ == 0x12 && len(b) >= 8 {
				val = int64(binary.LittleEndian.Uint64(b))
			}
		case 0x10: // int32
			size = 4
			if len(b) >= 4 {
				val = int32(binary.LittleEndian.Uint32(b))
			}
		case 0x13: // decimal128
			size = 16
		default:
			return nil, fmt.Errorf("a field of type %#x it does not know", typ)
		}
		if size < 0 || size > len(b) {
			return nil, errors.New("a field runs past the document")
		}
		if val != nil {
			out[key] = val
		}
		b = b[size:]
	}
	return out, nil
}
