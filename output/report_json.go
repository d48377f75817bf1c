package output

import (
	"encoding/json"
	"io"

	"github.com/prodlike/prodlike/parity"
)

// reportJSONDoc is the JSON form of a report: the verdict and its counts
// first, then the report's own fields. Structs keep the key order stable.
type reportJSONDoc struct {
	Passed     bool            `json:"passed"`
	FailOn     parity.Severity `json:"fail_on"`
	Summary    summaryJSON     `json:"summary"`
	DurationMS int64           `json:"duration_ms"`
	// The report's fields (project, env, cloud, …) follow in their order;
	// Checks below stands in for its "checks" to add each one's duration.
	*parity.Report
	Checks []checkJSON `json:"checks"`
}

type summaryJSON struct {
	Block  int        `json:"block"`
	Warn   int        `json:"warn"`
	Info   int        `json:"info"`
	Waived int        `json:"waived"`
	Checks checksJSON `json:"checks"`
}

type checksJSON struct {
	Pass int `json:"pass"`
	Fail int `json:"fail"`
	Skip int `json:"skip"`
}

type checkJSON struct {
	parity.Result
	DurationMS int64 `json:"duration_ms"`
}

// reportJSON writes the report with its verdict for threshold, indented.
func reportJSON(w io.Writer, r *parity.Report, threshold parity.Severity) error {
	n := r.Statuses()
	doc := reportJSONDoc{
		Passed: !r.Failed(threshold),
		FailOn: threshold,
		Summary: summaryJSON{
			Block:  r.Count(parity.Block),
			Warn:   r.Count(parity.Warn),
			Info:   r.Count(parity.Info),
			Waived: r.Waived(),
			Checks: checksJSON{Pass: n[parity.Pass], Fail: n[parity.Fail], Skip: n[parity.Skip]},
		},
		DurationMS: milliseconds(r.Duration),
		Report:     r,
		Checks:     make([]checkJSON, 0, len(r.Results)),
	}
	for _, res := range r.Results {
		doc.Checks = append(doc.Checks, checkJSON{Result: res, DurationMS: milliseconds(res.Duration)})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // keep "<" and "&" in messages readable
	return enc.Encode(doc)
}
