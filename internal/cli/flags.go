package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/probe-sh/probe/internal/kinds"
	"github.com/probe-sh/probe/internal/patched/kong"
	"github.com/probe-sh/probe/internal/sanitize"
)

// Where flags bind. Users of curl put flags anywhere, and a run may check
// several targets with different expectations:
//
//	probe http://A/ --expect-body DOWN http://B/ --expect-body UP
//
// The rule, which --help and the README state: a target flag (the HTTP, TLS
// and TCP groups) given before the first target applies to every target of
// its kind; given after a target, it applies to that target only, over the
// one before. Every other flag applies to the whole run, wherever it sits.
// A flag given twice where it binds is refused, never silently overwritten:
// a health check that keeps the last --expect-body of two can say healthy
// when a condition is false. -H adds a header each time.

// targetFlagsHelp says the rule in --help, beside each command's targets.
const targetFlagsHelp = "HTTP, TLS, TCP, SOCKET, FILE and DNS flags before the first target apply to every target of their kind; after a target, to that target only. A flag given twice there is an error; -H, --expect-body, --reject-body, --expect-json, --expect-header, --reject-header, --expect, --reject and --rcode add up."

// targetGroups are the flag groups that bind to targets.
var targetGroups = map[string]bool{"HTTP": true, "TLS": true, "TCP": true, "SOCKET": true, "FILE": true,
	"DNS": true}

// boundArgs is a command line split by where its flags bind. kong reads a
// list of targets only while no flag interrupts it, so the flags go first.
type boundArgs struct {
	head    []string // the command, the flags of the run, the target flags before the first target
	targets []string // each target, as written
	words   []string // the words that give the targets: each target, or --check and its value
	tail    []string // "--" and what follows, or a command's passthrough arguments
	// perTarget holds, for each target by index, the flags that follow it;
	// nil for a target with none.
	perTarget [][]string
}

// args is the command line with every target flag at its defaults.
func (b boundArgs) args() []string {
	return slices.Concat(b.head, b.words, b.tail)
}

// argsFor is the command line with target i's own flags after the defaults,
// where they win.
func (b boundArgs) argsFor(i int) []string {
	return slices.Concat(b.head, b.perTarget[i], b.words, b.tail)
}

// hasPerTarget reports whether some target has flags of its own.
func (b boundArgs) hasPerTarget() bool {
	return slices.ContainsFunc(b.perTarget, func(f []string) bool { return len(f) > 0 })
}

// targetFlag is the flag whose values are targets: probe exec --check. A
// target flag after one binds to its target, as after a positional target.
const targetFlag = "check"

// bindFlags splits args by where each flag binds, and refuses a flag given
// twice where it binds, or a target flag after a target of another kind.
// It is the one place that decides it, for every command that takes
// targets: check, serve, wait, watch, and exec's --check. The command is
// found as kong finds it, after any flags of the run (probe -q watch ...).
// An unknown flag stays where it is, for kong to name.
func bindFlags(root *kong.Node, args []string) (boundArgs, error) {
	node, at := findCommand(root, args)
	if node == nil {
		return boundArgs{head: args}, nil
	}
	var before []flagUse // flags of the run, before the command's name
	rest := args
	if at >= 0 {
		before, rest = scanWords(node, args[:at]).uses, args[at+1:]
	}
	w := scanWords(node, rest)
	out := boundArgs{targets: w.targets, words: w.targetWords, tail: w.tail, perTarget: make([][]string, len(w.targets))}
	seen := map[string]string{} // "target index/flag name" -> the first value
	bind := func(u flagUse) error {
		if u.flag == nil { // unknown: kong names it
			out.head = append(out.head, u.tokens...)
			return nil
		}
		t := u.follows
		perTarget := t >= 0 && u.flag.Group != nil && targetGroups[u.flag.Group.Key]
		if !perTarget {
			t = -1
		}
		if !u.flag.IsSlice() && !u.flag.IsCounter() {
			key := fmt.Sprint(t, "/", u.flag.Name)
			if first, twice := seen[key]; twice {
				return twiceError(u.flag, first, value(u.tokens), t, w.targets)
			}
			seen[key] = value(u.tokens)
		}
		if perTarget {
			if err := fits(u.flag, w.targets[t]); err != nil {
				return err
			}
			out.perTarget[t] = append(out.perTarget[t], u.tokens...)
			return nil
		}
		out.head = append(out.head, u.tokens...)
		return nil
	}
	for _, u := range before {
		if err := bind(u); err != nil {
			return boundArgs{}, err
		}
	}
	if at >= 0 {
		out.head = append(out.head, args[at])
	}
	for _, u := range w.uses {
		if err := bind(u); err != nil {
			return boundArgs{}, err
		}
	}
	if len(w.targets) == 1 {
		// One target: its flags are the defaults, after those before it,
		// and need no parse of their own (the common health check).
		out.head = append(out.head, out.perTarget[0]...)
		out.perTarget[0] = nil
	}
	return out, nil
}

// findCommand finds the command args name, as kong does: the first word
// that is neither a flag nor a flag's value, when it names a command; the
// default command otherwise (at is then -1). Flags of the run may come
// before it: probe -q watch URL.
func findCommand(root *kong.Node, args []string) (node *kong.Node, at int) {
	if root.DefaultCmd == nil {
		return nil, -1
	}
	// Most lines name no command (probe URL): no need to read them twice.
	named := slices.ContainsFunc(root.Children, func(c *kong.Node) bool {
		return c.Type == kong.CommandNode && slices.Contains(args, c.Name)
	})
	if !named {
		return root.DefaultCmd, -1
	}
	w := scanWords(root.DefaultCmd, args)
	if len(w.positions) == 0 {
		return root.DefaultCmd, -1
	}
	first := w.positions[0]
	for _, c := range root.Children {
		if c.Type == kong.CommandNode && c.Name == args[first] {
			return c, first
		}
	}
	return root.DefaultCmd, -1
}

// flagUse is one flag on the command line, with its value's words and the
// target it follows (-1: none). An unknown flag has no flag.
type flagUse struct {
	flag    *kong.Flag
	tokens  []string
	follows int
}

// words is a command line read word by word: the flags, in order, the
// targets, and "--" with what follows it.
type words struct {
	uses        []flagUse
	targets     []string
	targetWords []string
	tail        []string
	positions   []int // the index of each positional word, in the words read
}

// scanWords reads the words of a command's line. A flag the command does
// not have is taken for one without a value.
func scanWords(node *kong.Node, rest []string) (w words) {
	byName, byShort := map[string]*kong.Flag{}, map[rune]*kong.Flag{}
	for _, group := range node.AllFlags(false) {
		for _, f := range group {
			byName[f.Name] = f
			if f.Short != 0 {
				byShort[f.Short] = f
			}
		}
	}
	// A command whose positional argument passes through (probe exec's
	// misplaced command) takes every word after the first as it is.
	passthrough := len(node.Positional) > 0 && node.Positional[0].Passthrough
	takesValue := func(f *kong.Flag) bool { return !f.IsBool() && !f.IsCounter() }
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case a == "--":
			w.tail = rest[i:]
			return w
		case strings.HasPrefix(a, "--") && len(a) > 2:
			name, _, hasValue := strings.Cut(a[2:], "=")
			f := byName[name]
			u := flagUse{flag: f, tokens: []string{a}, follows: len(w.targets) - 1}
			if f != nil && !hasValue && takesValue(f) && i+1 < len(rest) {
				i++
				u.tokens = append(u.tokens, rest[i])
			}
			if f != nil && f.Name == targetFlag {
				w.targets = append(w.targets, value(u.tokens))
				w.targetWords = append(w.targetWords, u.tokens...)
				continue
			}
			w.uses = append(w.uses, u)
		case strings.HasPrefix(a, "-") && len(a) > 1:
			// A cluster such as -qv or -t2s: one use per flag.
			for j := 1; j < len(a); j++ {
				f := byShort[rune(a[j])]
				if f == nil {
					w.uses = append(w.uses, flagUse{tokens: []string{"-" + a[j:]}, follows: -1})
					break
				}
				u := flagUse{flag: f, tokens: []string{"-" + string(a[j])}, follows: len(w.targets) - 1}
				if takesValue(f) {
					if j+1 < len(a) { // -t2s
						u.tokens = append(u.tokens, a[j+1:])
					} else if i+1 < len(rest) { // -H 'Name: value'
						i++
						u.tokens = append(u.tokens, rest[i])
					}
					j = len(a)
				}
				w.uses = append(w.uses, u)
			}
		case passthrough:
			w.positions = append(w.positions, i)
			w.tail = rest[i:]
			return w
		default:
			w.positions = append(w.positions, i)
			w.targets = append(w.targets, a)
			w.targetWords = append(w.targetWords, a)
		}
	}
	return w
}

// value is what a flag was given, for messages: "" for a bare boolean.
func value(tokens []string) string {
	if len(tokens) == 2 {
		return tokens[1]
	}
	if _, v, ok := strings.Cut(tokens[0], "="); ok {
		return v
	}
	return ""
}

func twiceError(f *kong.Flag, first, second string, target int, targets []string) error {
	values := ""
	if first != "" || second != "" {
		values = fmt.Sprintf(" (%s and %s)", oneValue(f, first), oneValue(f, second))
	}
	if target >= 0 {
		return fmt.Errorf("--%s is given twice for %s%s: after a target, a flag applies to that target only; give it once there",
			f.Name, sanitize.RedactText(targets[target]), values)
	}
	if f.Group != nil && targetGroups[f.Group.Key] {
		return fmt.Errorf("--%s is given twice before the first target%s: there it applies to every target; give it once, or after each target it is for",
			f.Name, values)
	}
	return fmt.Errorf("--%s is given twice%s: give it once", f.Name, values)
}

// oneValue quotes a flag's value, masked when it could be a secret.
func oneValue(f *kong.Flag, v string) string {
	if f.Name == "header" || f.Name == "body" || f.Name == "send" {
		return "…"
	}
	return fmt.Sprintf("%q", v)
}

// fits refuses a target flag after a target that it cannot apply to, such
// as --expect-body after a tcp:// target: the user meant another target.
// What applies to which scheme is the table of kinds' (internal/kinds).
func fits(f *kong.Flag, target string) error {
	name, rest, _ := strings.Cut(target, ":")
	kind, scheme, ok := kinds.Lookup(name)
	if !ok || !kind.Opaque && !strings.HasPrefix(rest, "//") {
		return nil // not a target probe knows: ParseTarget says so
	}
	if scheme.Flags&defaultsGroup(f) != 0 {
		return nil
	}
	return fmt.Errorf("--%s is a %s flag, but it follows %s, a %s target: put it after the target it is for, or before the first target to apply it to every %s target",
		f.Name, f.Group.Key, sanitize.RedactText(target), strings.ToLower(name), f.Group.Key)
}

// defaultsGroup is the group of a target flag, as the table of kinds has them.
// The command line's groups (HTTP, TLS, TCP, SOCKET, FILE, DNS) are coarser:
// -H is gRPC's metadata too, and --expect and --reject match a file's
// content, where --send has no place.
func defaultsGroup(f *kong.Flag) kinds.Flags {
	switch f.Name {
	case "header":
		return kinds.HeaderFlags
	case "send":
		return kinds.SendFlags
	case "expect", "reject":
		return kinds.MatchFlags
	}
	return map[string]kinds.Flags{"HTTP": kinds.HTTPFlags, "TLS": kinds.TLSFlags, "SOCKET": kinds.SocketFlags, "FILE": kinds.FileFlags,
		"DNS": kinds.DNSFlags}[f.Group.Key]
}
