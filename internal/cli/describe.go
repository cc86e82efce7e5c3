package cli

import (
	"context"
	"crypto/x509"
	"errors"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/internal/netpolicy"
	"github.com/probe-sh/probe/probe"
)

// describe writes a check's failure as the command line prints it
// (probe.Options.Describe): the check's own line, and the flag that sets
// the condition that failed, or that would fix it, chosen by the error's
// type and its Field, never by its text: "HTTP 503 Service Unavailable,
// want 200-399 (--status)".
func describe(err error) string { return err.Error() + hint(err) }

// stoppedHint names --timeout after a check the run's deadline stopped.
func stoppedHint(err error) (string, bool) {
	var stopped *probe.StoppedError
	if !errors.As(err, &stopped) {
		return "", false
	}
	if errors.Is(stopped.Cause, context.DeadlineExceeded) {
		return " (--timeout " + stopped.Timeout.String() + ")", true
	}
	return "", true
}

// hint is what describe adds to a check's line: "" when no flag helps.
func hint(err error) string {
	var (
		status *checks.StatusError
		tlsErr *checks.TLSError
		server *checks.ServerError
		reply  *checks.ReplyError
		state  *checks.StateError
		proto  *checks.ProtocolError
	)
	if h, ok := stoppedHint(err); ok {
		return h
	}
	if errors.Is(err, netpolicy.ErrNotLoopback) {
		return " (--loopback-only)"
	}
	switch {
	case errors.As(err, &status):
		return " (--status)"
	case errors.As(err, &tlsErr):
		var name x509.HostnameError
		switch {
		case tlsErr.Field == "RootCAs":
			return " (use --ca FILE, SSL_CERT_FILE or --insecure)"
		case tlsErr.Field == "ServerName" && errors.As(tlsErr.Err, &name):
			return " (name the server it was issued for with --server-name NAME, or use --insecure)"
		case tlsErr.Field == "ServerName":
			return ": name it with --server-name NAME"
		case tlsErr.Field == "Certificates":
			return " (see --cert and --key)"
		}
		return flagHint(tlsErr.Field)
	case errors.As(err, &server):
		// A PostgreSQL SQLSTATE has five characters, a MySQL error number
		// four digits: the variables each image sets are their own.
		switch {
		case server.Field == "User" && len(server.Code) == 5:
			return ": in the target's userinfo, or PGUSER or POSTGRES_USER in probe's environment"
		case server.Field == "Database" && len(server.Code) == 5:
			return ": as the target's path, or PGDATABASE or POSTGRES_DB in probe's environment"
		case server.Field == "User":
			return ": in the target's userinfo, or MARIADB_USER or MYSQL_USER in probe's environment"
		case server.Field == "Database":
			return ", as the target's path"
		case server.Code == "NOAUTH":
			return " (give it in the target's userinfo, :PASSWORD before the host, from a variable such as ${REDIS_PASSWORD}, or as REDISCLI_AUTH in probe's environment)"
		}
		return flagHint(server.Field)
	case errors.As(err, &reply):
		return flagHint(reply.Field)
	case errors.As(err, &state):
		return flagHint(state.Field)
	case errors.As(err, &proto):
		return flagHint(proto.Field)
	}
	return ""
}

// flagHint is " (--flag)" for a field a flag sets, "" for another.
func flagHint(field string) string {
	if flag := flagOf(field); flag != field {
		return " (" + flag + ")"
	}
	return ""
}

// flagOf is the flag that sets a field of a check (or of a template), or
// the field's name when no flag does: where a library's error names a
// field, or a check's error says which field's condition failed, the
// command line names the flag. A switch, not a map: nothing to build at
// every start.
func flagOf(field string) string {
	switch field {
	case "Method":
		return "-X"
	case "Body":
		return "-d"
	case "Header", "Metadata":
		return "-H"
	case "Status":
		return "--status"
	case "ExpectBody":
		return "--expect-body"
	case "RejectBody":
		return "--reject-body"
	case "MaxBody":
		return "--max-body"
	case "MaxRedirects":
		return "--max-redirects"
	case "ExpectJSON":
		return "--expect-json"
	case "ExpectHeader":
		return "--expect-header"
	case "RejectHeader":
		return "--reject-header"
	case "HTTP2":
		return "--http2"
	case "Send":
		return "--send"
	case "Expect":
		return "--expect"
	case "Reject":
		return "--reject"
	case "CertExpiry":
		return "--cert-expiry"
	case "ServerName":
		return "--server-name"
	case "Socket":
		return "--unix-socket"
	case "MaxAge":
		return "--max-age"
	case "Rcodes":
		return "--rcode"
	case "MaxRSS":
		return "--max-rss"
	case "MaxFDs":
		return "--max-fds"
	case "PIDFile":
		return "--pidfile"
	}
	return field
}
