package probe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/probe-sh/probe/checks"
)

// Docker keeps only 4096 bytes of a health check's output, so a run never
// writes more than maxOutput, and no single line more than maxLine.
const (
	maxOutput = 4000
	maxLine   = 400
)

// WriteText writes one line per target: state, target, what was seen or why it
// failed, and the time taken. verbose adds the phase timings, the notes (the
// address that answered, the TLS session) and the reply.
func (r *Report) WriteText(w io.Writer, verbose bool) error {
	var b strings.Builder
	for _, res := range r.Results {
		line := res.State.String() + " " + res.Target
		if res.State != Draining {
			line += " in " + Round(res.Duration)
			if res.Attempts > 1 {
				line += fmt.Sprintf(", %d attempts", res.Attempts)
			}
		}
		line += ": " + res.Detail
		b.WriteString(clip(line, maxLine) + "\n")
		if !verbose || res.State == Draining {
			continue
		}
		if len(res.Marks) > 0 {
			parts := make([]string, 0, len(res.Marks)+1)
			for _, m := range res.Marks {
				if m.Phase != checks.PhaseResponse { // ends with the total
					parts = append(parts, m.Phase+" "+Round(m.At))
				}
			}
			b.WriteString(clip("  phases: "+strings.Join(append(parts, "total "+Round(res.Duration)), ", "), maxLine) + "\n")
		}
		for _, n := range res.Notes {
			b.WriteString(clip("  "+n.Key+": "+n.Value, maxLine) + "\n")
		}
		if res.Reply != "" {
			b.WriteString(clip("  reply: "+res.Reply, maxLine) + "\n")
		}
	}
	out := b.String()
	if len(out) > maxOutput {
		cut := strings.LastIndexByte(out[:maxOutput], '\n') + 1
		out = out[:cut] + fmt.Sprintf("... %d more bytes cut: Docker keeps only 4096\n", len(out)-cut)
	}
	_, err := io.WriteString(w, out)
	return err
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

// The JSON document written by -o json. The README documents this schema;
// change both together.
type jsonReport struct {
	State      State        `json:"state"`
	DurationMS float64      `json:"duration_ms"`
	TimeoutMS  float64      `json:"timeout_ms"`
	Marker     string       `json:"marker"`
	Checks     []jsonResult `json:"checks"`
	Omitted    int          `json:"omitted,omitempty"` // checks left out to stay under 4096 bytes
}

type jsonResult struct {
	Target     string      `json:"target"`
	Kind       string      `json:"kind"`
	State      State       `json:"state"`
	Detail     string      `json:"detail"`
	Phase      string      `json:"phase,omitempty"`
	Attempts   int         `json:"attempts"`
	DurationMS float64     `json:"duration_ms"`
	Phases     []jsonPhase `json:"phases,omitempty"`
	Address    string      `json:"address,omitempty"`
	TLS        string      `json:"tls,omitempty"`
	Reply      string      `json:"reply,omitempty"`
}

type jsonPhase struct {
	Phase string  `json:"phase"`
	EndMS float64 `json:"end_ms"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// WriteJSON writes the report as one JSON document. verbose adds the reply
// excerpts. Like the text, it stays under Docker's 4096 bytes: replies, then
// phases, then long details are dropped until it fits, and as a last resort
// the last checks, counted in "omitted".
func (r *Report) WriteJSON(w io.Writer, verbose bool) error {
	doc := jsonReport{State: r.State, DurationMS: ms(r.Duration), TimeoutMS: ms(r.Timeout), Marker: r.Marker, Checks: []jsonResult{}}
	for _, res := range r.Results {
		jr := jsonResult{Target: res.Target, Kind: res.Kind, State: res.State, Detail: res.Detail, Phase: res.Phase,
			Attempts: res.Attempts, DurationMS: ms(res.Duration)}
		for _, m := range res.Marks {
			jr.Phases = append(jr.Phases, jsonPhase{m.Phase, ms(m.At)})
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
		doc.Checks = append(doc.Checks, jr)
	}
	shrink := []func(*jsonResult){
		func(j *jsonResult) { j.Reply, j.TLS = "", "" },
		func(j *jsonResult) { j.Phases = nil },
		func(j *jsonResult) { j.Detail = clip(j.Detail, 60) },
		func(j *jsonResult) { j.Target = clip(j.Target, 60) },
	}
	for {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(doc); err != nil {
			return err
		}
		if buf.Len() < maxOutput || len(doc.Checks) == 0 {
			_, err := w.Write(buf.Bytes())
			return err
		}
		if len(shrink) == 0 {
			doc.Checks = doc.Checks[:len(doc.Checks)-1]
			doc.Omitted++
			continue
		}
		for i := range doc.Checks {
			shrink[0](&doc.Checks[i])
		}
		shrink = shrink[1:]
	}
}
