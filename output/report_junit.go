package output

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"github.com/prodlike/prodlike/parity"
)

// The JUnit XML that test reporters read (GitHub Actions test-reporter
// actions, GitLab's junit artifacts, Jenkins' junit step): one suite for the
// run, one test case per check.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure"`
	Skipped   *junitSkipped `xml:"skipped"`
	SystemOut *junitText    `xml:"system-out"`
}

type junitFailure struct {
	Type    string `xml:"type,attr"`
	Message string `xml:"message,attr"`
	Text    string `xml:",cdata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

type junitText struct {
	Text string `xml:",cdata"`
}

// reportJUnit writes the report as JUnit XML. A check fails when it has a
// finding that is not waived at threshold or above; its other findings go
// to the case's system-out and do not fail it.
func reportJUnit(w io.Writer, r *parity.Report, threshold parity.Severity) error {
	suite := junitSuite{
		Name:  xmlText("parity " + r.Env),
		Tests: len(r.Results),
		Time:  seconds(r.Duration),
		Cases: make([]junitCase, 0, len(r.Results)),
	}
	if r.Env == "" {
		suite.Name = "parity"
	}
	if !r.Started.IsZero() {
		suite.Timestamp = r.Started.UTC().Format(time.RFC3339)
	}
	for _, p := range [][2]string{
		{"project", r.Project}, {"env", r.Env}, {"cloud", r.Cloud}, {"region", r.Region},
		{"truth", r.Truth}, {"prodlike_version", r.Version}, {"fail_on", threshold.String()},
	} {
		if p[1] != "" {
			suite.Properties = append(suite.Properties, junitProperty{p[0], xmlText(p[1])})
		}
	}

	for _, res := range r.Results {
		name := res.ID
		if res.Title != "" {
			name += " " + res.Title
		}
		c := junitCase{Classname: classname(res.Family), Name: xmlText(name), Time: seconds(res.Duration)}
		var failing, other strings.Builder
		nFailing := 0
		for _, f := range res.Findings {
			if f.Check == "" {
				f.Check = res.ID
			}
			if f.Waived == "" && f.Severity >= threshold {
				nFailing++
				writeTextFinding(&failing, f, 0)
			} else {
				writeTextFinding(&other, f, 0)
			}
		}
		if nFailing > 0 {
			suite.Failures++
			c.Failure = &junitFailure{
				Type:    xmlText(res.ID),
				Message: fmt.Sprintf("%s at or above %s", plural(nFailing, "finding"), threshold),
				Text:    xmlText(failing.String()),
			}
		} else if res.Status == parity.Skip {
			suite.Skipped++
			reason := res.Reason
			if reason == "" {
				reason = "skipped"
			}
			c.Skipped = &junitSkipped{Message: xmlText(reason)}
		}
		if other.Len() > 0 {
			c.SystemOut = &junitText{xmlText(other.String())}
		}
		suite.Cases = append(suite.Cases, c)
	}

	doc := junitSuites{
		Name:     "prodlike parity",
		Tests:    suite.Tests,
		Failures: suite.Failures,
		Skipped:  suite.Skipped,
		Time:     suite.Time,
		Suites:   []junitSuite{suite},
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// classname is "parity." and the check's family in a form reporters group
// by (they split class names at dots): "engine version" becomes
// "parity.engine_version".
func classname(family string) string {
	words := strings.FieldsFunc(strings.ToLower(family), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-'
	})
	if len(words) == 0 {
		return "parity"
	}
	return "parity." + strings.Join(words, "_")
}

// seconds writes d as JUnit's time: seconds with milliseconds.
func seconds(d time.Duration) string {
	return fmt.Sprintf("%.3f", d.Round(time.Millisecond).Seconds())
}

// xmlText drops what XML 1.0 cannot carry at all (most control characters,
// invalid UTF-8), which encoding/xml would otherwise write into CDATA as is.
func xmlText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20, r == 0xFFFE, r == 0xFFFF:
			return -1
		}
		return r
	}, s)
}
