package cli

import (
	"io"
	"slices"
	"strings"

	"github.com/probe-sh/probe/internal/kinds"
	"github.com/probe-sh/probe/internal/patched/kong"
)

// Shell completion, read from kong's model of the whole command line: the
// script that `probe completion SHELL` prints calls `probe __complete` at
// each TAB, which answers with the words that can come next. Nothing here
// runs for any other command line: Main looks at its first argument, and the
// scripts are constants.
//
// kongplete, the completion library for kong, was measured against this and
// left out: it needs upstream kong's types, and posener/complete, under it,
// links text/template, whose reflection keeps every exported method of the
// binary: 2.77 MB more (11.3 MB in all) and 0.10 million more instructions
// at every start, for a health check that runs no completion.

// CompletionCmd is probe completion SHELL.
type CompletionCmd struct {
	Shell string `arg:"" enum:"bash,zsh,fish" help:"The shell: bash, zsh or fish."`
}

// Run prints the script.
func (c *CompletionCmd) Run(env *Env) error {
	script := map[string]string{"bash": bashScript, "zsh": zshScript, "fish": fishScript}[c.Shell]
	_, err := io.WriteString(env.Stdout, script)
	return err
}

// completeCommand is the first argument with which the scripts call probe.
const completeCommand = "__complete"

// Each script asks probe for the words that fit the one under the cursor,
// one a line; when there are none, the shell completes file names.
const (
	bashScript = `# bash completion for probe: eval "$(probe completion bash)", or install it
# as /usr/share/bash-completion/completions/probe.
_probe() {
	local IFS=$'\n'
	COMPREPLY=($("${COMP_WORDS[0]}" __complete bash "${COMP_LINE:0:COMP_POINT}" "${COMP_WORDS[COMP_CWORD]}" 2>/dev/null))
	if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *[=/] ]]; then
		compopt -o nospace
	fi
}
complete -o default -F _probe probe
`
	zshScript = `#compdef probe
# zsh completion for probe: source <(probe completion zsh), or install it as
# _probe in a directory of $fpath.
_probe() {
	local -a words_out more done_
	words_out=("${(@f)$("${words[1]}" __complete words "${(@)words[2,CURRENT]}" 2>/dev/null)}")
	words_out=(${words_out:#})
	if (( ${#words_out} == 0 )); then
		_files
		return
	fi
	more=(${(M)words_out:#*[=/]})
	done_=(${words_out:#*[=/]})
	(( ${#more} )) && compadd -Q -S '' -- "${more[@]}"
	(( ${#done_} )) && compadd -Q -- "${done_[@]}"
	return 0
}
if [[ ${funcstack[1]} == _probe ]]; then
	_probe "$@"
else
	compdef _probe probe
fi
`
	fishScript = `# fish completion for probe: probe completion fish | source, or install it as
# /usr/share/fish/vendor_completions.d/probe.fish.
function __probe_complete
	set -l words (commandline -opc) (commandline -ct)
	set -l out ($words[1] __complete words $words[2..-1] 2>/dev/null)
	if test (count $out) -eq 0
		__fish_complete_path (commandline -ct)
		return
	end
	printf '%s\n' $out
end
complete -c probe -f -a '(__probe_complete)'
`
)

// complete answers a script: `__complete words WORD...` gives the words
// after probe, the last the one under the cursor; `__complete bash LINE CUR`
// gives the line up to the cursor, which bash splits at = and : as well as
// at spaces, and the part of the last word bash replaces (CUR). It prints
// nothing it cannot answer.
func complete(args []string, stdout io.Writer) int {
	var words []string
	trim := ""
	switch {
	case len(args) >= 2 && args[0] == "words":
		words = args[1:]
	case len(args) == 3 && args[0] == "bash":
		words = splitLine(args[1])[1:] // the line starts with probe
		if len(words) == 0 {
			return 1
		}
		// CUR is only break characters (the = of --output=, the : of
		// http:) when the cursor follows them: readline then replaces the
		// empty text after them, not them.
		cur := args[2]
		if strings.Trim(cur, "=:") == "" {
			cur = ""
		}
		if last := words[len(words)-1]; strings.HasSuffix(last, cur) {
			trim = last[:len(last)-len(cur)]
		}
	default:
		return 1
	}
	app, err := wholeParser()
	if err != nil {
		return 1
	}
	var b strings.Builder
	for _, w := range candidates(app.Model.Node, words) {
		if w, ok := strings.CutPrefix(w, trim); ok {
			b.WriteString(w + "\n")
		}
	}
	io.WriteString(stdout, b.String())
	return 0
}

// wholeParser is kong's model of every command and every flag, as --help
// shows them.
func wholeParser() (*kong.Kong, error) {
	cli := &CLI{}
	return kong.New(cli, append(commandOptions(cli, nil), // nil: every command
		kong.Name("probe"),
		kong.Description(description),
		kong.DefaultEnvars("PROBE"),
		kongVars(),
	)...)
}

// candidates are the words that can stand where the last of words is, and
// start as it does.
func candidates(root *kong.Node, words []string) []string {
	cur := words[len(words)-1]
	node := root
	positional := 0
	var pending *kong.Flag               // a flag whose value is the next word
	check := childCommand(root, "check") // the default command
	flagsOf := func(n *kong.Node) *kong.Node {
		if n == root {
			return check // before a command, check's flags are the line's
		}
		return n
	}
	for _, w := range words[:len(words)-1] {
		if pending != nil {
			pending = nil
			continue
		}
		switch {
		case w == "--":
			return nil // a command follows: its words are files
		case strings.HasPrefix(w, "--"):
			name, _, hasValue := strings.Cut(w[2:], "=")
			if f := longFlag(flagsOf(node), name); f != nil && !hasValue && takesValue(f) {
				pending = f
			}
		case strings.HasPrefix(w, "-") && len(w) > 1:
			// -vq, -t5s, -t 5s: a letter that takes a value ends the cluster.
			for i, r := range w[1:] {
				if f := shortFlag(flagsOf(node), r); f != nil && takesValue(f) {
					if i+1 == len(w)-1 {
						pending = f
					}
					break
				}
			}
		case node == root && positional == 0 && childCommand(root, w) != nil:
			node = childCommand(root, w)
		default:
			node = flagsOf(node)
			positional++
		}
	}
	var out []string
	add := func(ws ...string) {
		for _, w := range ws {
			if strings.HasPrefix(w, cur) && !slices.Contains(out, w) {
				out = append(out, w)
			}
		}
	}
	flagsNode := flagsOf(node)
	switch {
	case pending != nil:
		add(pending.EnumSlice()...)
	case strings.HasPrefix(cur, "--") && strings.Contains(cur, "="):
		name, _, _ := strings.Cut(cur[2:], "=")
		if f := longFlag(flagsNode, name); f != nil && f.Enum != "" {
			for _, v := range f.EnumSlice() {
				add("--" + name + "=" + v)
			}
		}
	case strings.HasPrefix(cur, "-"):
		for _, group := range flagsNode.AllFlags(true) {
			for _, f := range group {
				add("--" + f.Name)
			}
		}
	default:
		if node == root {
			for _, c := range root.Children {
				if !c.Hidden {
					add(c.Name)
				}
			}
		}
		args := flagsNode.Positional
		if positional >= len(args) && len(args) > 0 && args[len(args)-1].IsCumulative() {
			positional = len(args) - 1
		}
		if positional < len(args) {
			switch arg := args[positional]; {
			case arg.Enum != "":
				add(arg.EnumSlice()...)
			case arg.Name == "target":
				for _, s := range kinds.Schemes() {
					add(s + "://")
				}
			}
		}
	}
	return out
}

func takesValue(f *kong.Flag) bool { return !f.IsBool() && !f.IsCounter() }

func childCommand(n *kong.Node, name string) *kong.Node {
	for _, c := range n.Children {
		if c.Name == name && !c.Hidden {
			return c
		}
	}
	return nil
}

func longFlag(n *kong.Node, name string) *kong.Flag {
	return findFlag(n, func(f *kong.Flag) bool { return f.Name == name })
}

func shortFlag(n *kong.Node, r rune) *kong.Flag {
	return findFlag(n, func(f *kong.Flag) bool { return f.Short == r })
}

// findFlag is the first flag of n, its own or inherited, that is.
func findFlag(n *kong.Node, is func(*kong.Flag) bool) *kong.Flag {
	for _, group := range n.AllFlags(false) {
		for _, f := range group {
			if is(f) {
				return f
			}
		}
	}
	return nil
}

// splitLine splits a line as a shell would, into its words: at unquoted
// blanks, with '...', "..." and backslashes taken off. A line that ends in
// a blank ends in an empty word, the one the cursor starts.
func splitLine(line string) []string {
	var words []string
	var w strings.Builder
	in := false // inside a word
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				w.WriteByte(c)
			}
		case c == '\\' && i+1 < len(line) && (quote == 0 || strings.IndexByte("\"\\$`", line[i+1]) >= 0):
			i++
			w.WriteByte(line[i])
			in = true
		case quote == '"':
			if c == '"' {
				quote = 0
			} else {
				w.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == ' ' || c == '\t' || c == '\n':
			if in {
				words = append(words, w.String())
				w.Reset()
				in = false
			}
		default:
			w.WriteByte(c)
			in = true
		}
	}
	return append(words, w.String())
}
