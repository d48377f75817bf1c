package output

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/prodlike/prodlike/parity"
)

// Format is a parity report format: text, json, junit or markdown.
type Format string

const (
	// FormatText is for terminals and CI logs: plain, stable, no colours.
	FormatText Format = "text"
	// FormatJSON is the report with its verdict, for machines.
	FormatJSON Format = "json"
	// FormatJUnit is JUnit XML, for the test reporters of CI systems.
	FormatJUnit Format = "junit"
	// FormatMarkdown is GitHub-flavoured Markdown, for pull-request comments.
	FormatMarkdown Format = "markdown"
)

// ReportFormats are the formats Report can write, in the order help texts
// list them.
var ReportFormats = []Format{FormatText, FormatJSON, FormatJUnit, FormatMarkdown}

// ParseFormat reads a report format name, ignoring case. "" is text.
func ParseFormat(s string) (Format, error) {
	if strings.TrimSpace(s) == "" {
		return FormatText, nil
	}
	f := Format(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(ReportFormats, f) {
		return f, nil
	}
	names := make([]string, len(ReportFormats))
	for i, f := range ReportFormats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown report format %q: use one of %s", s, strings.Join(names, ", "))
}

// Report writes r in format f. threshold is the --fail-on severity: the
// verdict (PASSED or FAILED) is r.Failed(threshold), and in JUnit a check
// fails when it has a finding that is not waived at threshold or above.
//
// The report is rendered in full before anything is written, so w gets one
// Write call, or none when r cannot be rendered.
func Report(w io.Writer, f Format, r *parity.Report, threshold parity.Severity) error {
	if r == nil {
		return errors.New("no parity report to write")
	}
	if threshold < parity.Info || threshold > parity.Block {
		return fmt.Errorf("invalid fail-on severity %v: want block, warn or info", threshold)
	}
	if pf, err := ParseFormat(string(f)); err == nil {
		f = pf // "" and other spellings of a known format
	}
	var b bytes.Buffer
	var err error
	switch f {
	case FormatText:
		err = reportText(&b, r, threshold)
	case FormatJSON:
		err = reportJSON(&b, r, threshold)
	case FormatJUnit:
		err = reportJUnit(&b, r, threshold)
	case FormatMarkdown:
		err = reportMarkdown(&b, r, threshold)
	default:
		_, err = ParseFormat(string(f))
	}
	if err != nil {
		return err
	}
	_, err = w.Write(b.Bytes())
	return err
}

// entry is a finding with the check that found it.
type entry struct {
	parity.Finding
	res *parity.Result
}

// findings returns the findings that count (waived == false) or the waived
// ones (waived == true), highest severity first and in check order within a
// severity. A finding without a check ID takes its result's.
func findings(r *parity.Report, waived bool) []entry {
	var out []entry
	for i := range r.Results {
		res := &r.Results[i]
		for _, f := range res.Findings {
			if (f.Waived != "") != waived {
				continue
			}
			if f.Check == "" {
				f.Check = res.ID
			}
			out = append(out, entry{f, res})
		}
	}
	slices.SortStableFunc(out, func(a, b entry) int { return int(b.Severity) - int(a.Severity) })
	return out
}

// withStatus returns the results with status s, in check order.
func withStatus(r *parity.Report, s parity.Status) []*parity.Result {
	var out []*parity.Result
	for i := range r.Results {
		if r.Results[i].Status == s {
			out = append(out, &r.Results[i])
		}
	}
	return out
}

// countsPhrase says how many findings count by severity, and how many are
// waived: "2 block, 3 warn, 1 info (1 waived)".
func countsPhrase(r *parity.Report) string {
	s := fmt.Sprintf("%d block, %d warn, %d info", r.Count(parity.Block), r.Count(parity.Warn), r.Count(parity.Info))
	if n := r.Waived(); n > 0 {
		s += fmt.Sprintf(" (%d waived)", n)
	}
	return s
}

// checksPhrase counts the checks by outcome: "18 checks: 14 passed, 3
// failed, 1 skipped", or "no checks ran".
func checksPhrase(r *parity.Report) string {
	if len(r.Results) == 0 {
		return "no checks ran"
	}
	n := r.Statuses()
	return fmt.Sprintf("%s: %d passed, %d failed, %d skipped",
		plural(len(r.Results), "check"), n[parity.Pass], n[parity.Fail], n[parity.Skip])
}

// emptyNote says why a report without findings proves little: no checks
// ran, or all were skipped. "" otherwise.
func emptyNote(r *parity.Report) string {
	env := r.Env
	if env == "" {
		env = "the environment"
	}
	switch {
	case len(r.Results) == 0:
		return "No checks ran, so nothing was compared with " + env + "."
	case len(withStatus(r, parity.Skip)) == len(r.Results):
		return fmt.Sprintf("All %s skipped, so nothing was compared with %s.", plural(len(r.Results), "check was", "checks were"), env)
	}
	return ""
}

// plural writes n and the noun: "1 check", "2 checks". The plural form is
// the singular with an s unless given.
func plural(n int, singular string, pl ...string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, singular)
	}
	if len(pl) > 0 {
		return fmt.Sprintf("%d %s", n, pl[0])
	}
	return fmt.Sprintf("%d %ss", n, singular)
}

// duration rounds d to milliseconds: "2.346s"; "" for zero.
func duration(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < time.Millisecond:
		return "<1ms"
	}
	return d.Round(time.Millisecond).String()
}

// milliseconds rounds d to whole milliseconds.
func milliseconds(d time.Duration) int64 { return d.Round(time.Millisecond).Milliseconds() }

// where names the finding's place: "db (max_connections)", "db", or
// "(FEATURE_FLAGS_URL)" for the project; "" when neither is set.
func where(f parity.Finding) string {
	switch {
	case f.Subject == "":
		return f.Service
	case f.Service == "":
		return "(" + f.Subject + ")"
	}
	return f.Service + " (" + f.Subject + ")"
}

// clean drops control characters other than newline and tab (escape
// sequences from a server's answer, carriage returns) so that reports stay
// plain text.
func clean(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return -1
		}
		return r
	}, s)
}
