package output

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/prodlike/prodlike/parity"
)

// severityLabels are the markdown forms of the severities.
var severityLabels = map[parity.Severity]string{
	parity.Block: "🛑 block",
	parity.Warn:  "⚠️ warn",
	parity.Info:  "ℹ️ info",
}

func severityLabel(s parity.Severity) string {
	if l, ok := severityLabels[s]; ok {
		return l
	}
	return s.String()
}

// reportMarkdown writes the report as GitHub-flavoured Markdown for a
// pull-request comment: a verdict heading and a line of counts, a table of
// the findings that count, how to fix them by check, then waived findings,
// skipped checks and passed checks folded in <details>.
func reportMarkdown(w io.Writer, r *parity.Report, threshold parity.Severity) error {
	var b strings.Builder
	verdict := "✅ passed"
	if r.Failed(threshold) {
		verdict = "❌ failed"
	}
	b.WriteString("### prodlike parity: " + verdict)
	if r.Env != "" {
		b.WriteString(" for " + codeSpan(r.Env))
	}
	b.WriteString("\n\n")
	line := []string{countsPhrase(r), checksPhrase(r), "fails on: " + threshold.String()}
	if d := duration(r.Duration); d != "" {
		line = append(line, "took "+d)
	}
	b.WriteString(strings.Join(line, " · ") + "\n")

	counted := findings(r, false)
	note := emptyNote(r)
	switch {
	case note != "":
		b.WriteString("\n" + mdText(note) + "\n")
	case len(counted) == 0 && r.Waived() > 0:
		b.WriteString("\nNo findings that count: every finding is waived.\n")
	case len(counted) == 0:
		b.WriteString("\nNo findings.\n")
	}

	if len(counted) > 0 {
		b.WriteString("\n| | Check | Service | Finding | Dev | Prod |\n|---|---|---|---|---|---|\n")
		for _, e := range counted {
			mdRow(&b, severityLabel(e.Severity), cellCode(e.Check), mdService(e.Finding),
				mdCell(e.Message), orDash(cellCode(e.Dev)), orDash(cellCode(e.Prod)))
		}
		writeFixes(&b, counted)
	}

	if waived := findings(r, true); len(waived) > 0 {
		openDetails(&b, fmt.Sprintf("Waived findings (%d)", len(waived)))
		b.WriteString("| | Check | Service | Finding | Dev | Prod | Waived because |\n|---|---|---|---|---|---|---|\n")
		for _, e := range waived {
			mdRow(&b, severityLabel(e.Severity), cellCode(e.Check), mdService(e.Finding),
				mdCell(e.Message), orDash(cellCode(e.Dev)), orDash(cellCode(e.Prod)), mdCell(e.Waived))
		}
		closeDetails(&b)
	}
	if skipped := withStatus(r, parity.Skip); len(skipped) > 0 {
		openDetails(&b, fmt.Sprintf("Skipped checks (%d)", len(skipped)))
		for _, res := range skipped {
			reason := res.Reason
			if reason == "" {
				reason = "no reason given"
			}
			b.WriteString(listItem(checkName(res) + " — " + mdText(reason)))
		}
		closeDetails(&b)
	}
	if passed := withStatus(r, parity.Pass); len(passed) > 0 {
		openDetails(&b, fmt.Sprintf("Passed checks (%d)", len(passed)))
		for _, res := range passed {
			b.WriteString(listItem(checkName(res)))
		}
		closeDetails(&b)
	}

	var about []string
	if r.Project != "" {
		about = append(about, "project "+mdText(r.Project))
	}
	if place := strings.Trim(r.Cloud+"/"+r.Region, "/"); place != "" {
		about = append(about, mdText(place))
	}
	if r.Truth != "" {
		about = append(about, "truth: "+mdText(r.Truth))
	}
	if r.Version != "" {
		about = append(about, "prodlike "+mdText(r.Version))
	}
	if len(about) > 0 {
		b.WriteString("\n<sub>" + strings.Join(about, " · ") + "</sub>\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeFixes writes "How to fix": one item per check, in the table's order,
// with each distinct fix once and the services it is for.
func writeFixes(b *strings.Builder, counted []entry) {
	type fix struct {
		text     string
		services []string
	}
	var ids []string
	byID := map[string][]*fix{}
	for _, e := range counted {
		text := strings.TrimSpace(clean(e.Fix))
		if text == "" {
			continue
		}
		if _, ok := byID[e.Check]; !ok {
			ids = append(ids, e.Check)
		}
		i := slices.IndexFunc(byID[e.Check], func(f *fix) bool { return f.text == text })
		if i < 0 {
			byID[e.Check] = append(byID[e.Check], &fix{text: text})
			i = len(byID[e.Check]) - 1
		}
		f := byID[e.Check][i]
		if e.Service != "" && !slices.Contains(f.services, e.Service) {
			f.services = append(f.services, e.Service)
		}
	}
	if len(ids) == 0 {
		return
	}
	b.WriteString("\n#### How to fix\n\n")
	for _, id := range ids {
		fixes := byID[id]
		say := func(f *fix) string {
			s := ""
			if len(f.services) > 0 {
				s = "(" + mdText(strings.Join(f.services, ", ")) + "): "
			}
			return s + mdText(f.text)
		}
		if len(fixes) == 1 {
			sep := " "
			if len(fixes[0].services) == 0 {
				sep = ": "
			}
			b.WriteString(listItem(codeSpan(id) + sep + say(fixes[0])))
			continue
		}
		b.WriteString(listItem(codeSpan(id)))
		for _, f := range fixes {
			b.WriteString(indentLines(listItem(say(f)), "  "))
		}
	}
}

// checkName is a check's ID as code and its title: "`PG-PARAM` Postgres parameters match".
func checkName(res *parity.Result) string {
	s := codeSpan(res.ID)
	if res.Title != "" {
		s += " " + mdText(res.Title)
	}
	return s
}

// listItem is a Markdown list item; lines after the first are indented so
// that they stay in the item.
func listItem(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " \t")
		if i > 0 && lines[i] != "" {
			lines[i] = "  " + lines[i]
		}
	}
	return "- " + strings.Join(lines, "\n") + "\n"
}

func indentLines(s, pad string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) != "" {
			lines[i] = pad + l
		}
	}
	return strings.Join(lines, "")
}

func openDetails(b *strings.Builder, summary string) {
	// The blank line after <summary> lets GitHub render Markdown inside.
	b.WriteString("\n<details><summary>" + summary + "</summary>\n\n")
}

func closeDetails(b *strings.Builder) { b.WriteString("\n</details>\n") }

func mdRow(b *strings.Builder, cells ...string) {
	b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
}

// mdService is the Service cell: the service and the subject within it.
func mdService(f parity.Finding) string {
	s := mdCell(f.Service)
	if f.Subject != "" {
		sub := cellCode(f.Subject)
		if s == "" {
			return sub
		}
		return s + " (" + sub + ")"
	}
	return orDash(s)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// mdText makes text safe in Markdown running text: outside code spans, "<"
// would open an HTML tag that GitHub drops, so it is written as "&lt;".
// Other Markdown in messages and fixes (code spans, emphasis) is kept.
func mdText(s string) string {
	s = clean(s)
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] == '<' {
			b.WriteString("&lt;")
			i++
			continue
		}
		if s[i] != '`' {
			b.WriteByte(s[i])
			i++
			continue
		}
		// A code span runs to the next run of as many backticks.
		n := 0
		for i+n < len(s) && s[i+n] == '`' {
			n++
		}
		fence := s[i : i+n]
		end := -1
		for j := i + n; j < len(s); {
			k := strings.Index(s[j:], fence)
			if k < 0 {
				break
			}
			k += j
			m := 0
			for k+m < len(s) && s[k+m] == '`' {
				m++
			}
			if m == n {
				end = k + n
				break
			}
			j = k + m
		}
		if end < 0 {
			b.WriteString(fence) // no closing fence: literal backticks
			i += n
			continue
		}
		b.WriteString(s[i:end])
		i = end
	}
	return b.String()
}

// mdCell makes text fit one table cell: pipes escaped, line breaks as <br>.
func mdCell(s string) string {
	s = mdText(strings.TrimSpace(s))
	s = strings.ReplaceAll(s, "|", `\|`)
	lines := strings.Split(s, "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, "<br>")
}

// codeSpan writes s as inline code: a fence longer than any run of
// backticks in s, line breaks as spaces. "" for "".
func codeSpan(s string) string {
	s = strings.Join(strings.Fields(clean(s)), " ")
	if s == "" {
		return ""
	}
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// cellCode is codeSpan for a table cell: pipes are escaped there too (GitHub
// splits cells before it reads code spans, and unescapes \| inside them).
func cellCode(s string) string { return strings.ReplaceAll(codeSpan(s), "|", `\|`) }
