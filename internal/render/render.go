// Package render writes what a run found, one line per target or one JSON
// document, within the 4096 bytes Docker keeps of a health check's output,
// and shows probe wait's progress in a log or on a terminal.
package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/probe-sh/probe/checks"
	"github.com/probe-sh/probe/internal/sanitize"
	"github.com/probe-sh/probe/internal/text"
	"github.com/probe-sh/probe/probe"
)

// Docker keeps only 4096 bytes of a health check's output, so a run never
// writes more than maxOutput, and no single line more than maxLine.
const (
	maxOutput = 4000
	maxLine   = 400
)

// Text writes one line per target: state, target, what was seen or why it
// failed, and the time taken. verbose adds the phase timings, the notes (the
// address that answered, the TLS session) and the reply. When it all would
// not fit in Docker's 4096 bytes, the targets that are not healthy come
// first, so that the line explaining exit 1 is never the one cut.
func Text(w io.Writer, r *probe.Report, verbose bool) error {
	blocks := make([]string, len(r.Results))
	total := 0
	for i, res := range r.Results {
		blocks[i] = textBlock(res, verbose)
		total += len(blocks[i])
	}
	if total <= maxOutput {
		_, err := io.WriteString(w, strings.Join(blocks, ""))
		return err
	}
	var b strings.Builder
	cutHealthy, cutOther, cutBytes := 0, 0, 0
	for _, i := range failuresFirst(r.Results) {
		if b.Len()+len(blocks[i]) > maxOutput-120 { // room for the last line
			if r.Results[i].State == probe.Healthy {
				cutHealthy++
			} else {
				cutOther++
			}
			cutBytes += len(blocks[i])
			continue
		}
		b.WriteString(blocks[i])
	}
	fmt.Fprintf(&b, "... %d more bytes cut, of %d target(s): %d not healthy, %d healthy (failures come first): Docker keeps only 4096\n",
		cutBytes, cutHealthy+cutOther, cutOther, cutHealthy)
	_, err := io.WriteString(w, b.String())
	return err
}

// failuresFirst orders the results' indexes: those not healthy first, then
// the healthy, each in the order given.
func failuresFirst(results []probe.Result) []int {
	order := make([]int, 0, len(results))
	for _, healthy := range []bool{false, true} {
		for i, res := range results {
			if (res.State == probe.Healthy) == healthy {
				order = append(order, i)
			}
		}
	}
	return order
}

// textBlock is one target's line, and its -v lines.
func textBlock(res probe.Result, verbose bool) string {
	var b strings.Builder
	line := res.State.String() + " " + res.Target
	if res.State != probe.Draining {
		line += " in " + text.Duration(res.Duration)
		if res.Attempts > 1 {
			line += fmt.Sprintf(", %d attempts", res.Attempts)
		}
	}
	line += ": " + res.Detail
	b.WriteString(sanitize.Clip(sanitize.Printable(line), maxLine) + "\n")
	if !verbose || res.State == probe.Draining {
		return b.String()
	}
	if len(res.Marks) > 0 {
		parts := make([]string, 0, len(res.Marks)+1)
		for _, m := range res.Marks {
			if m.Phase != checks.PhaseResponse { // ends with the total
				parts = append(parts, m.Phase+" "+text.Duration(m.At))
			}
		}
		b.WriteString(sanitize.Clip("  phases: "+strings.Join(append(parts, "total "+text.Duration(res.Duration)), ", "), maxLine) + "\n")
	}
	for _, n := range res.Notes {
		b.WriteString(sanitize.Clip(sanitize.Printable("  "+n.Key+": "+n.Value), maxLine) + "\n")
	}
	if res.Reply != "" {
		b.WriteString(sanitize.Clip(sanitize.Printable("  reply: "+res.Reply), maxLine) + "\n")
	}
	return b.String()
}

// The JSON document written by -o json. docs/output.md documents this
// schema, field by field; TestOutputDocJSON fails when they differ.
type jsonReport struct {
	State      probe.State       `json:"state"`
	DurationMS float64           `json:"duration_ms"`
	TimeoutMS  float64           `json:"timeout_ms"`
	Marker     string            `json:"marker"`
	Checks     []json.RawMessage `json:"checks"`
	Omitted    int               `json:"omitted,omitempty"` // checks left out to stay under 4096 bytes
}

type jsonResult struct {
	Target     string      `json:"target"`
	Kind       string      `json:"kind"`
	State      probe.State `json:"state"`
	Detail     string      `json:"detail"`
	Phase      string      `json:"phase,omitempty"`
	Attempts   int         `json:"attempts"`
	DurationMS float64     `json:"duration_ms"`
	Phases     []jsonPhase `json:"phases,omitempty"`
	Address    string      `json:"address,omitempty"`
	TLS        string      `json:"tls,omitempty"`
	Reply      string      `json:"reply,omitempty"`
	CertExpiry string      `json:"cert_expiry,omitempty"` // RFC 3339: when the first certificate presented expires
}

type jsonPhase struct {
	Phase string  `json:"phase"`
	EndMS float64 `json:"end_ms"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// jsonShrink are the ways to make a check smaller, tried in order, on every
// check at once, until the document fits.
var jsonShrink = []func(*jsonResult){
	func(j *jsonResult) { j.Reply, j.TLS = "", "" },
	func(j *jsonResult) { j.Phases = nil },
	func(j *jsonResult) { j.Detail = sanitize.Clip(j.Detail, 60) },
	func(j *jsonResult) { j.Target = sanitize.Clip(j.Target, 60) },
}

// JSON writes the report as one JSON document. verbose adds the reply
// excerpts. Like the text, it stays under Docker's 4096 bytes: replies, then
// phases, then long details are dropped until it fits, and as a last resort
// whole checks, healthy ones first, counted in "omitted". Each check is
// encoded once per step, so the time is linear in the number of targets.
func JSON(w io.Writer, r *probe.Report, verbose bool) error {
	checks := make([]jsonResult, len(r.Results))
	for i, res := range r.Results {
		checks[i] = jsonResultOf(res, verbose)
	}
	encoded := make([][]byte, len(checks))
	size := 0
	encodeAll := func() error {
		size = 0
		for i := range checks {
			b, err := marshal(checks[i])
			if err != nil {
				return err
			}
			encoded[i] = b
			size += len(b) + 1
		}
		return nil
	}
	if err := encodeAll(); err != nil {
		return err
	}
	const head = 200 // the document around the checks, with room to spare
	for _, shrink := range jsonShrink {
		if head+size < maxOutput {
			break
		}
		for i := range checks {
			shrink(&checks[i])
		}
		if err := encodeAll(); err != nil {
			return err
		}
	}
	keep := make([]bool, len(checks))
	used := head
	for _, i := range failuresFirst(r.Results) {
		if used+len(encoded[i])+1 < maxOutput {
			keep[i], used = true, used+len(encoded[i])+1
		}
	}
	doc := jsonReport{State: r.State, DurationMS: ms(r.Duration), TimeoutMS: ms(r.Timeout), Marker: r.Marker, Checks: []json.RawMessage{}}
	for i, b := range encoded {
		if keep[i] {
			doc.Checks = append(doc.Checks, b)
		} else {
			doc.Omitted++
		}
	}
	out, err := marshal(doc)
	if err != nil {
		return err
	}
	_, err = w.Write(append(out, '\n'))
	return err
}

func jsonResultOf(res probe.Result, verbose bool) jsonResult {
	jr := jsonResult{Target: res.Target, Kind: res.Kind, State: res.State, Detail: res.Detail, Phase: res.Phase,
		Attempts: res.Attempts, DurationMS: ms(res.Duration)}
	for _, m := range res.Marks {
		jr.Phases = append(jr.Phases, jsonPhase{m.Phase, ms(m.At)})
	}
	if !res.CertExpiry.IsZero() {
		jr.CertExpiry = res.CertExpiry.UTC().Format(time.RFC3339)
	}
	if verbose {
		jr.Reply = res.Reply
		for _, n := range res.Notes {
			switch n.Key {
			case "address":
				jr.Address = n.Value
			case "tls":
				jr.TLS = n.Value
			}
		}
	}
	return jr
}

// marshal encodes v as JSON without escaping <, > and &, which are no
// danger in a terminal or docker inspect and common in details.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
