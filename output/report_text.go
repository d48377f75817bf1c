package output

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/prodlike/prodlike/parity"
)

// textWidth is the column text reports wrap at.
const textWidth = 100

// detailIndent lines up a finding's details (dev/prod, fix) with its check
// ID, after the "[BLOCK] " tag.
const detailIndent = 8

// reportText writes a report for people reading a terminal or a CI log:
//
//	prodlike parity: project shop, env prod (aws/eu-west-1), truth: terraform state
//
//	[BLOCK] PG-VERSION-MAJOR db: Postgres major version differs from prod
//	        dev: 15.14  prod: 16.4
//	        fix: Use image postgres:16.4 for service db.
//
//	waived (1):
//	…
//	skipped (1):
//	[SKIP]  SQS-QUEUES Queues exist with prod's settings
//	        reason: no prod truth for service jobs
//
//	parity FAILED for prod: 2 block, 3 warn, 1 info (1 waived); 18 checks: 14 passed, 3 failed, 1 skipped
//	fails on: block, took 2.346s
func reportText(w io.Writer, r *parity.Report, threshold parity.Severity) error {
	var b strings.Builder
	b.WriteString(textHeader(r) + "\n\n")

	counted := findings(r, false)
	if note := emptyNote(r); note != "" {
		b.WriteString(note + "\n")
	} else if len(counted) == 0 && r.Waived() > 0 {
		b.WriteString("No findings that count: every finding is waived.\n")
	} else if len(counted) == 0 {
		b.WriteString("No findings.\n")
	}
	for i, e := range counted {
		if i > 0 && e.Severity != counted[i-1].Severity {
			b.WriteString("\n") // a blank line between severities
		}
		writeTextFinding(&b, e.Finding, textWidth)
	}

	if waived := findings(r, true); len(waived) > 0 {
		fmt.Fprintf(&b, "\nwaived (%d):\n", len(waived))
		for _, e := range waived {
			writeTextFinding(&b, e.Finding, textWidth)
		}
	}
	if skipped := withStatus(r, parity.Skip); len(skipped) > 0 {
		fmt.Fprintf(&b, "\nskipped (%d):\n", len(skipped))
		for _, res := range skipped {
			reason := res.Reason
			if reason == "" {
				reason = "no reason given"
			}
			writeLines(&b, wrap(fmt.Sprintf("%-*s", detailIndent, "[SKIP]"), detailIndent, res.ID+" "+res.Title, textWidth))
			writeLines(&b, wrap(strings.Repeat(" ", detailIndent)+"reason: ", detailIndent+len("reason: "), reason, textWidth))
		}
	}

	b.WriteString("\n" + Summary(r, threshold) + "\n")
	b.WriteString("fails on: " + threshold.String())
	if d := duration(r.Duration); d != "" {
		b.WriteString(", took " + d)
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// textHeader names what was compared with what:
// "prodlike parity: project shop, env prod (aws/eu-west-1), truth: terraform state".
func textHeader(r *parity.Report) string {
	var parts []string
	if r.Project != "" {
		parts = append(parts, "project "+r.Project)
	}
	if r.Env != "" || r.Cloud != "" || r.Region != "" {
		env := "env " + r.Env
		if r.Env == "" {
			env = "env ?"
		}
		if place := strings.Trim(r.Cloud+"/"+r.Region, "/"); place != "" {
			env += " (" + place + ")"
		}
		parts = append(parts, env)
	}
	if r.Truth != "" {
		parts = append(parts, "truth: "+r.Truth)
	}
	head := "prodlike parity"
	if len(parts) > 0 {
		head += ": " + strings.Join(parts, ", ")
	}
	return clean(strings.ReplaceAll(head, "\n", " "))
}

// writeTextFinding writes a finding as
//
//	[BLOCK] PG-VERSION-MAJOR db: Postgres major version differs from prod
//	        dev: 15.14  prod: 16.4
//	        fix: Use image postgres:16.4 for service db.
//
// with "waived: <reason>" in place of the fix when it is waived. Lines wrap
// at width (0: no wrapping).
func writeTextFinding(b *strings.Builder, f parity.Finding, width int) {
	head := fmt.Sprintf("%-*s%s", detailIndent, "["+strings.ToUpper(f.Severity.String())+"]", f.Check)
	if at := where(f); at != "" {
		head += " " + at
	}
	writeLines(b, wrap(clean(head)+": ", detailIndent, f.Message, width))

	pad := strings.Repeat(" ", detailIndent)
	if f.Dev != "" || f.Prod != "" {
		dev, prod := oneLine(f.Dev), oneLine(f.Prod)
		line := pad + "dev: " + dev + "  prod: " + prod
		if width > 0 && utf8.RuneCountInString(line) > width {
			writeLines(b, []string{pad + "dev: " + dev, pad + "prod: " + prod})
		} else {
			writeLines(b, []string{line})
		}
	}
	if f.Waived != "" {
		writeLines(b, wrap(pad+"waived: ", detailIndent+len("waived: "), f.Waived, width))
	} else if f.Fix != "" {
		writeLines(b, wrap(pad+"fix: ", detailIndent+len("fix: "), f.Fix, width))
	}
}

// oneLine writes a compared value on one line; "-" when it is not set.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(clean(s)), " ")
	if s == "" {
		return "-"
	}
	return s
}

func writeLines(b *strings.Builder, lines []string) {
	for _, l := range lines {
		b.WriteString(strings.TrimRight(l, " \t") + "\n")
	}
}

// wrap breaks text into lines of at most width columns where it can (a word
// longer than a line stays whole): the first line starts with prefix, the
// others with indent spaces. A newline in text starts a new line. With width
// 0, only newlines break lines.
func wrap(prefix string, indent int, text string, width int) []string {
	pad := strings.Repeat(" ", indent)
	var lines []string
	cur := prefix
	for i, para := range strings.Split(clean(text), "\n") {
		if i > 0 {
			lines = append(lines, cur)
			cur = pad
		}
		if width <= 0 {
			cur += strings.TrimSpace(para)
			continue
		}
		fresh := true // nothing but the prefix or indent on cur yet
		for _, word := range strings.Fields(para) {
			if !fresh && utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(word) > width {
				lines = append(lines, cur)
				cur, fresh = pad, true
			}
			if !fresh {
				cur += " "
			}
			cur += word
			fresh = false
		}
	}
	return append(lines, cur)
}

// Summary is the report's verdict in one line: "parity FAILED for prod: 2
// block, 3 warn, 1 info (1 waived); 18 checks: 14 passed, 3 failed, 1
// skipped".
func Summary(r *parity.Report, threshold parity.Severity) string {
	verdict := "PASSED"
	if r.Failed(threshold) {
		verdict = "FAILED"
	}
	s := "parity " + verdict
	if r.Env != "" {
		s += " for " + clean(r.Env)
	}
	return s + fmt.Sprintf(": %s; %s", countsPhrase(r), checksPhrase(r))
}
