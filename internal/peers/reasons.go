package peers

// Reasons say why probe differs from a peer, or cannot express its check,
// by the key a row's Reason gives; docs/porting.md shows them under
// "Why probe differs". Each is true of the code as it stands.
var Reasons = map[string]string{
	// Differences.
	"connection-header": "probe refuses `-H Connection` (and `Keep-Alive`, `Transfer-Encoding`, `Content-Length`, `TE`, `Trailer`, `Upgrade`): it opens one connection per check, closes it, and sets these itself, so a value given there would contradict the request it sends. Leave them out.",
	"brotli":            "probe decodes no brotli (nor zstd): its copy of fasthttp leaves them out, whose initialisers cost 1.8 million instructions at every start (`internal/patched/README.md`). A body check of a brotli body fails, in one line naming the coding. probe sends no `Accept-Encoding` of its own; leave `br` out of one you send.",
	"decode-what-comes": "probe decodes a gzip or deflate body whichever of the two the server sent, asked for or not: the check judges the content the app serves. blackbox_exporter decodes only the compression its module names and fails another.",
	"decode-to-judge":   "probe decodes a gzip or deflate body to judge it (`--expect-body`, `--reject-body`, `--expect-json`), and `--max-body` then bounds the decoded size; with no body check it reads the body as sent, and `--max-body` bounds that. blackbox_exporter, given a `compression`, decodes every body, and `body_size_limit` bounds the decoded size. A body check bounds the decoded body.",
	"cookies":           "probe keeps no cookies: a cookie set by a response is not sent on the redirect that follows it, as with `curl -L` without `-b`. A health endpoint that needs a session cookie to answer should not.",
	"scheme":            "A target names its scheme (`http://`, `tcp://`, `grpc://`...): `HOST:PORT` alone could be any of them, and the error says which to write.",
	"unused-flags":      "A TLS flag before the first target applies to every target that takes it, and a `grpc://` target (cleartext) takes none, so it changes nothing; grpc-health-probe refuses TLS flags without `-tls`. Write `grpcs://` for TLS.",
	"insecure-wins":     "With `-k` probe does not verify the certificate, as `-k` says, whatever else names it (`--ca`, which must still be a valid file; `--server-name`, still sent as SNI); grpc-health-probe refuses `-tls-no-verify` with `-tls-ca-cert` or `-tls-server-name`.",

	// What probe cannot express.
	"http3":             "probe speaks HTTP/1.1, and HTTP/2 with `--http2`; not HTTP/3 (QUIC, over UDP), which would add a QUIC stack to the binary for a protocol apps serve beside HTTP/1.1 or HTTP/2 anyway.",
	"proxy":             "probe never uses a proxy (`HTTP_PROXY` and the like are ignored): it checks the container's own app, and a proxy meant for the app's outbound traffic must neither break nor stand in for that check.",
	"cel":               "probe's JSON assertions are `--expect-json PATH=VALUE`, `PATH!=VALUE`, `PATH` and `!PATH`, with no expression language: a CEL expression that is not one comparison of one value (a non-boolean result, the document's root, `startsWith`) cannot be written.",
	"starttls":          "probe has no STARTTLS: `tls://` speaks TLS from the first byte. A server that upgrades mid-conversation (SMTP, IMAP, PostgreSQL's SSLRequest) is checked in cleartext with `--send` and `--expect`, or by a target that speaks its protocol (`postgres://`).",
	"send-after-expect": "A `tcp://` check sends once (`--send`), then reads (`--expect`): it cannot send again after reading, nor send what it read (blackbox_exporter's `${1}`).",
	"ip-family":         "probe tries every address of a name, IPv4 first, the next one when one fails or after 100 ms (Happy Eyeballs), and has no flag to prefer or require a family: write the address (`127.0.0.1`, `[::1]`) to check one.",
	"dns-sections":      "`dns://` judges the answer section; the authority and additional sections are not matched.",
	"dns-recursion":     "`dns://` always asks with recursion desired.",
	"dns-class":         "`dns://` asks in class IN only.",
	"icmp":              "probe sends no ICMP: a ping needs a raw socket (root or `CAP_NET_RAW`), and says that the network stack answers, not the app.",
	"websocket":         "probe does not speak WebSocket.",
	"oauth2":            "probe fetches no OAuth 2 token: pass one with `-H 'Authorization: Bearer ${TOKEN}'`, which probe expands from the environment.",
	"header-file":       "`-H` takes a value, not a file: put it in the environment and write `${VAR}`, which probe expands.",
	"spiffe":            "probe has no SPIFFE Workload API and no ALTS: `--cert` and `--key` give a client certificate from files.",
	"grpc-gzip":         "probe's gRPC call is never compressed, and asks for no compressed reply.",
	"xpath":             "probe does not parse HTML or XML: an XPath query cannot be written; `--expect-body` matches the text.",
}
