package checks

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
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
	if ok, _, bad := mongoOK(doc); bad == nil && !ok && mongoCode(doc) == 59 { // CommandNotFound: before 4.4.2
		if doc, err = mongoCommand(c, "isMaster"); err != nil {
			return "", err
		}
	}
	tr.Finish()
	ok, value, err := mongoOK(doc)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", &ServerError{Msg: mongoFailure(doc, value)}
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

// mongoOK reads a reply's ok as MongoDB's Go driver does: 1 as an int32,
// an int64 or a double, or true, is ok. It returns ok's value as text, and
// an error when there is none, or it is neither a number nor a boolean.
func mongoOK(doc map[string]any) (bool, string, error) {
	switch v := doc["ok"].(type) {
	case float64:
		return v == 1, strconv.FormatFloat(v, 'g', -1, 64), nil
	case int32:
		return v == 1, strconv.Itoa(int(v)), nil
	case int64:
		return v == 1, strconv.FormatInt(v, 10), nil
	case bool:
		return v, strconv.FormatBool(v), nil
	case nil:
		return false, "", errors.New("not a MongoDB server: its hello reply has no ok field")
	case string:
		return false, "", errors.New("not a MongoDB server: its hello reply's ok is a string, not a number")
	default:
		return false, "", fmt.Errorf("not a MongoDB server: its hello reply's ok is %s, not a number", v)
	}
}

// mongoCode reads a reply's code, a number of any type; -1 when there is
// none.
func mongoCode(doc map[string]any) int64 {
	switch v := doc["code"].(type) {
	case int32:
		return int64(v)
	case int64:
		return v
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<31 {
			return int64(v)
		}
	}
	return -1
}

// mongoFailure says why a command failed: errmsg, then code and codeName,
// as the server gave them.
func mongoFailure(doc map[string]any, ok string) string {
	msg := "hello failed"
	if errmsg, _ := doc["errmsg"].(string); errmsg != "" {
		msg += ": " + sanitize.Printable(sanitize.Clip(errmsg, 160))
	} else {
		msg += " (ok " + ok + "), with no errmsg"
	}
	var why []string
	if code := mongoCode(doc); code >= 0 {
		why = append(why, "code "+strconv.FormatInt(code, 10))
	}
	if name, _ := doc["codeName"].(string); name != "" {
		why = append(why, sanitize.Printable(sanitize.Clip(name, 60)))
	}
	if len(why) > 0 {
		msg += " (" + strings.Join(why, ", ") + ")"
	}
	return msg
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

// bsonOther is a field of a type bsonRead does not decode: its BSON type.
type bsonOther byte

func (t bsonOther) String() string {
	switch t {
	case 0x03:
		return "a document"
	case 0x04:
		return "an array"
	case 0x05:
		return "binary data"
	case 0x06:
		return "undefined"
	case 0x07:
		return "an ObjectId"
	case 0x09:
		return "a date"
	case 0x0a:
		return "null"
	case 0x11:
		return "a timestamp"
	case 0x13:
		return "a decimal128"
	}
	return fmt.Sprintf("a BSON %#x", byte(t))
}

// bsonRead reads a document's top-level fields: doubles, strings, booleans,
// 32- and 64-bit integers as Go values, the others as their bsonOther
// type, skipped by their sizes. It reads no further than the document's
// length says, and fails on a field whose size cannot be.
func bsonRead(b []byte) (map[string]any, error) {
	if len(b) < 5 || int(binary.LittleEndian.Uint32(b)) != len(b) || b[len(b)-1] != 0 {
		return nil, errors.New("its length is not its size")
	}
	out := map[string]any{}
	b = b[4 : len(b)-1]
	for len(b) > 0 {
		typ := b[0]
		end := bytes.IndexByte(b[1:], 0)
		if end < 0 {
			return nil, errors.New("a field name with no end")
		}
		key := string(b[1 : 1+end])
		b = b[2+end:]
		size := -1
		var val any = bsonOther(typ)
		switch typ {
		case 0x01: // double
			size = 8
			if len(b) >= 8 {
				val = math.Float64frombits(binary.LittleEndian.Uint64(b))
			}
		case 0x02, 0x0d, 0x0e: // string, JavaScript, symbol
			n := bsonLength(b)
			if n < 1 || 4+n > len(b) || b[4+n-1] != 0 {
				return nil, errors.New("a string whose length is not its size")
			}
			size, val = 4+n, string(b[4:4+n-1])
		case 0x03, 0x04, 0x0f: // document, array, code with scope
			if n := bsonLength(b); n >= 5 {
				size = n
			}
		case 0x05: // binary: its length, its subtype, its bytes
			if n := bsonLength(b); n >= 0 {
				size = 5 + n
			}
		case 0x06, 0x0a, 0x7f, 0xff: // undefined, null, max key, min key
			size = 0
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
		case 0x0b: // regular expression: two C strings
			if i := bytes.IndexByte(b, 0); i >= 0 {
				if j := bytes.IndexByte(b[i+1:], 0); j >= 0 {
					size = i + 1 + j + 1
				}
			}
		case 0x0c: // DBPointer: a string, then an ObjectId
			if n := bsonLength(b); n >= 1 {
				size = 4 + n + 12
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
		if size < 0 {
			return nil, fmt.Errorf("%s whose size cannot be", bsonOther(typ))
		}
		if size > len(b) {
			return nil, errors.New("a field runs past the document")
		}
		out[key] = val
		b = b[size:]
	}
	return out, nil
}

// bsonLength reads the int32 a field begins with; -1 when it is cut short.
func bsonLength(b []byte) int {
	if len(b) < 4 {
		return -1
	}
	return int(int32(binary.LittleEndian.Uint32(b)))
}
