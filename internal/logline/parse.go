package logline

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Parse reads one record back into its fields, in order, as a log pipeline
// would: JSON as an object of strings (in key order), logfmt as go-logfmt
// splits it. It is the tests' reader: they check every line of a log
// with it, not only the lines they expect.
func Parse(format Format, line string) ([]Field, error) {
	switch format {
	case JSON:
		return parseJSON(line)
	case Logfmt:
		return parseLogfmt(line)
	}
	msg, ok := strings.CutPrefix(line, "probe: ")
	if !ok || strings.ContainsAny(line, "\r\n") {
		return nil, fmt.Errorf("not a line of probe's text log: %q", line)
	}
	return []Field{{"msg", msg}}, nil
}

func parseJSON(line string) ([]Field, error) {
	dec := json.NewDecoder(strings.NewReader(line))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object: %q", line)
	}
	var out []Field
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v string
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("%v: value of %v is not a string: %q", err, k, line)
		}
		out = append(out, Field{k.(string), v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if dec.More() || dec.InputOffset() != int64(len(line)) {
		return nil, fmt.Errorf("more than one object on the line: %q", line)
	}
	return out, nil
}

func parseLogfmt(line string) ([]Field, error) {
	var out []Field
	for len(line) > 0 {
		eq := strings.IndexByte(line, '=')
		if eq <= 0 || strings.ContainsAny(line[:eq], ` "`) {
			return nil, fmt.Errorf("no key=value at %q", line)
		}
		key := line[:eq]
		line = line[eq+1:]
		var value string
		if strings.HasPrefix(line, `"`) {
			end := 1
			for end < len(line) && line[end] != '"' {
				if line[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(line) {
				return nil, errors.New("unterminated quote")
			}
			if err := json.Unmarshal([]byte(line[:end+1]), &value); err != nil {
				return nil, err
			}
			line = line[end+1:]
		} else {
			sp := strings.IndexByte(line, ' ')
			if sp < 0 {
				sp = len(line)
			}
			value, line = line[:sp], line[sp:]
			if strings.ContainsAny(value, `"=`) {
				return nil, fmt.Errorf("a bare value with a quote or '=': %q", value)
			}
		}
		out = append(out, Field{key, value})
		if len(line) > 0 {
			if line[0] != ' ' {
				return nil, fmt.Errorf("no space after the value of %s", key)
			}
			line = line[1:]
		}
	}
	return out, nil
}
