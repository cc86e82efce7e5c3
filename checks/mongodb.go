package checks

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/internal/wire/bson"
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
		return false, "", notProtocol("not a MongoDB server: its hello reply has no ok field")
	case string:
		return false, "", notProtocol("not a MongoDB server: its hello reply's ok is a string, not a number")
	default:
		return false, "", notProtocol("not a MongoDB server: its hello reply's ok is %s, not a number", v)
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
	var id [4]byte
	_, _ = rand.Read(id[:])
	if err := c.send(bson.Command(id, bson.Doc(name, int32(1), "$db", "admin"))); err != nil {
		return nil, err
	}
	head := make([]byte, bson.HeaderSize)
	if err := c.readFull(head); err != nil {
		return nil, err
	}
	h := bson.ReadHeader(head)
	if h.Length < bson.HeaderSize+5 || h.Length > mongoMaxReply || h.OpCode != bson.OpMsg {
		return nil, notProtocol("not a MongoDB server: it answered %s", sanitize.Excerpt(c.seen, 40))
	}
	if h.ResponseTo != id {
		return nil, notProtocol("not a MongoDB server: a reply to another request")
	}
	rest := make([]byte, h.Length-bson.HeaderSize)
	if err := c.readFull(rest); err != nil {
		return nil, err
	}
	body, ok := bson.Body(rest)
	if !ok {
		return nil, notProtocol("not a MongoDB server: a reply with no body: %s", sanitize.Excerpt(c.seen, 40))
	}
	doc, err := bson.Read(body)
	if err != nil {
		return nil, &ProtocolError{Msg: fmt.Sprintf("not a MongoDB server: its reply's document: %v", err), Err: err}
	}
	return doc, nil
}
