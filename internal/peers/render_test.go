package peers

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// docs/porting.md is written by hand around blocks this file generates:
//
//	<!-- BEGIN GENERATED: NAME -->
//	...
//	<!-- END GENERATED: NAME -->
//
// NAME is counts, a peer's name (its cases), reasons or servers.

var block = regexp.MustCompile(`(?s)(<!-- BEGIN GENERATED: ([^ ]+) -->\n).*?(<!-- END GENERATED: ([^ ]+) -->)`)

// regenerate rewrites every generated block of doc.
func regenerate(doc string) (string, error) {
	var err error
	names := map[string]bool{}
	out := block.ReplaceAllStringFunc(doc, func(m string) string {
		p := block.FindStringSubmatch(m)
		if p[2] != p[4] {
			err = fmt.Errorf("block %s ends as %s", p[2], p[4])
			return m
		}
		body, ok := generated(p[2])
		if !ok {
			err = fmt.Errorf("no generated block %q", p[2])
			return m
		}
		names[p[2]] = true
		return p[1] + body + p[3]
	})
	for _, want := range append([]string{"counts", "reasons", "servers"}, peerNames()...) {
		if !names[want] {
			return "", fmt.Errorf("docs/porting.md has no block %q", want)
		}
	}
	return out, err
}

func peerNames() []string {
	var out []string
	for _, p := range Peers {
		out = append(out, string(p))
	}
	return out
}

func generated(name string) (string, bool) {
	switch name {
	case "counts":
		return counts(), true
	case "reasons":
		return reasonList(), true
	case "servers":
		return serverList(), true
	}
	if slices.Contains(Peers, Peer(name)) {
		return caseTable(Peer(name)), true
	}
	return "", false
}

// tally counts a peer's rows.
type tally struct{ total, agree, differ, inexpressible int }

func count(p Peer) tally {
	var t tally
	for _, c := range Cases {
		if c.Peer != p {
			continue
		}
		t.total++
		switch c.Kind() {
		case Agree:
			t.agree++
		case Differ:
			t.differ++
		case Inexpressible:
			t.inexpressible++
		}
	}
	return t
}

func counts() string {
	var b strings.Builder
	b.WriteString("| peer | cases | probe agrees | probe differs, for a reason below | probe cannot express |\n|---|---|---|---|---|\n")
	var all tally
	for _, p := range Peers {
		t := count(p)
		fmt.Fprintf(&b, "| [%s](#%s) | %d | %d | %d | %d |\n", p, anchor(p), t.total, t.agree, t.differ, t.inexpressible)
		all.total += t.total
		all.agree += t.agree
		all.differ += t.differ
		all.inexpressible += t.inexpressible
	}
	fmt.Fprintf(&b, "| all | %d | %d | %d | %d |\n", all.total, all.agree, all.differ, all.inexpressible)
	return b.String()
}

func anchor(p Peer) string {
	return map[Peer]string{Kubelet: "from-the-kubelet", Blackbox: "from-blackbox_exporter", GHP: "from-grpc-health-probe", Wait4x: "from-wait4x"}[p]
}

func caseTable(p Peer) string {
	var b strings.Builder
	t := count(p)
	fmt.Fprintf(&b, "%d cases: probe agrees on %d, differs on %d for a reason below, cannot express %d.\n\n", t.total, t.agree, t.differ, t.inexpressible)
	b.WriteString("| case | their check | server | probe | they say | probe says | why |\n|---|---|---|---|---|---|---|\n")
	for _, c := range Cases {
		if c.Peer != p {
			continue
		}
		probe, says := "(cannot express)", ""
		if c.Line != nil {
			probe = code(commandLine(c))
			says = string(c.Probe)
		}
		server := ""
		if c.Server != "" {
			server = fmt.Sprintf("[%s](#server-%s)", c.Server, c.Server)
		}
		var why []string
		if c.Reason != "" {
			why = append(why, fmt.Sprintf("[%s](#why-%s)", c.Reason, c.Reason))
		}
		if c.Note != "" {
			why = append(why, c.Note)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", code(c.Test), code(c.Config), server, probe, c.Says, says, cell(strings.Join(why, "; ")))
	}
	return b.String()
}

// commandLine is a row's line as a user types it: the addresses of the
// servers as 127.0.0.1:8080 (8081 for another), the files by their names,
// each argument quoted for a shell where it must be.
func commandLine(c Case) string {
	fill := func(s string) string {
		return placeholder.ReplaceAllStringFunc(s, func(m string) string {
			p := placeholder.FindStringSubmatch(m)
			port := "8080"
			if p[2] != "" {
				port = "8081"
			}
			switch {
			case p[1] == "file":
				return p[2]
			case p[1] == "port":
				return port
			case c.Server == "grpc-unix" || c.Server == "unix-ping":
				return "/run/app.sock"
			case c.Server == "ipv6":
				return "[::1]:" + port
			}
			return "127.0.0.1:" + port
		})
	}
	var words []string
	for _, kv := range c.Env {
		words = append(words, quote(fill(kv)))
	}
	words = append(words, "probe")
	for _, a := range c.Line {
		words = append(words, quote(fill(a)))
	}
	return strings.Join(words, " ")
}

var bare = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

func quote(s string) string {
	if bare.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// code is s as inline code in a table cell.
func code(s string) string {
	return "`" + strings.ReplaceAll(s, "|", `\|`) + "`"
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// reasonList shows the reasons, those of differences first, then those of
// what probe cannot express.
func reasonList() string {
	kinds := map[string]Kind{}
	for _, c := range Cases {
		if c.Reason == "" {
			continue
		}
		if kinds[c.Reason] != Differ {
			kinds[c.Reason] = c.Kind()
		}
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range Reasons {
			if !yield(k) {
				return
			}
		}
	})
	var b strings.Builder
	for _, kind := range []Kind{Differ, Inexpressible} {
		b.WriteString(map[Kind]string{Differ: "Where probe differs:\n\n", Inexpressible: "\nWhat probe cannot express:\n\n"}[kind])
		for _, k := range keys {
			if kinds[k] != kind {
				continue
			}
			fmt.Fprintf(&b, "- <a id=\"why-%s\"></a>**%s**: %s\n", k, k, Reasons[k])
		}
	}
	return b.String()
}

func serverList() string {
	var b strings.Builder
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range servers {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range keys {
		fmt.Fprintf(&b, "- <a id=\"server-%s\"></a>`%s`: %s\n", k, k, servers[k].does)
	}
	return b.String()
}
