package parity

import (
	"fmt"
	"strings"
	"time"
)

// Severity is how much a finding matters: Block stops a promotion, Warn asks
// for a look, Info is for the record.
type Severity int

const (
	Info Severity = iota + 1
	Warn
	Block
)

var severityNames = map[Severity]string{Info: "info", Warn: "warn", Block: "block"}

func (s Severity) String() string {
	if n, ok := severityNames[s]; ok {
		return n
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// ParseSeverity reads "block", "warn" or "info".
func ParseSeverity(s string) (Severity, error) {
	for sev, name := range severityNames {
		if strings.EqualFold(s, name) {
			return sev, nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q: want block, warn or info", s)
}

// MarshalText writes the severity's name, so JSON reports say "block".
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Status is the outcome of one check.
type Status string

const (
	// Pass: the check ran and found nothing (or only waived findings).
	Pass Status = "pass"
	// Fail: the check ran and has findings that are not waived.
	Fail Status = "fail"
	// Skip: the check could not run; Reason says why (no prod truth for
	// the service, the stand-in did not answer …).
	Skip Status = "skip"
)

// Finding is one difference between dev and prod.
type Finding struct {
	// Check is the ID of the check that found it: PG-VERSION-MAJOR.
	Check    string   `json:"check"`
	Severity Severity `json:"severity"`
	// Service is the compose service it concerns; "" for the project.
	Service string `json:"service,omitempty"`
	// Subject narrows it down within the service: a parameter, an
	// extension, a queue, a variable. "" when the service is enough.
	Subject string `json:"subject,omitempty"`
	// Message says what differs, in a sentence.
	Message string `json:"message"`
	// Dev and Prod are the values compared, when there are two ("15.14",
	// "16.4"); "" when not applicable.
	Dev  string `json:"dev,omitempty"`
	Prod string `json:"prod,omitempty"`
	// Fix is a concrete thing to do about it.
	Fix string `json:"fix"`
	// Waived is the reason from the project's waiver list; "" when the
	// finding counts.
	Waived string `json:"waived,omitempty"`
}

// Result is one check's outcome.
type Result struct {
	// ID is the check's stable ID; Title says what it checks; Family groups
	// it (engine version, engine config, extensions, storage and queues,
	// app image, config).
	ID     string `json:"id"`
	Title  string `json:"title"`
	Family string `json:"family"`
	Status Status `json:"status"`
	// Reason says why a check was skipped.
	Reason string `json:"reason,omitempty"`
	// Findings are all the check found, waived ones included.
	Findings []Finding `json:"findings,omitempty"`
	// Duration is how long the check took.
	Duration time.Duration `json:"-"`
}

// Report is the outcome of a parity run.
type Report struct {
	// Project is the compose project; Env the environment compared with
	// (prod); Cloud and Region are the environment's.
	Project string `json:"project"`
	Env     string `json:"env"`
	Cloud   string `json:"cloud"`
	Region  string `json:"region,omitempty"`
	// Truth says where the prod truth came from.
	Truth string `json:"truth"`
	// Version is prodlike's version.
	Version string `json:"prodlike_version"`
	// Started and Duration time the run, facts collection included.
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"-"`
	// Results are the checks' outcomes in check order.
	Results []Result `json:"checks"`
}

// Findings returns every finding in check order, waived ones included.
func (r *Report) Findings() []Finding {
	var out []Finding
	for _, res := range r.Results {
		out = append(out, res.Findings...)
	}
	return out
}

// Count returns the number of findings of severity sev that are not waived.
func (r *Report) Count(sev Severity) int {
	n := 0
	for _, f := range r.Findings() {
		if f.Severity == sev && f.Waived == "" {
			n++
		}
	}
	return n
}

// Waived returns the number of waived findings.
func (r *Report) Waived() int {
	n := 0
	for _, f := range r.Findings() {
		if f.Waived != "" {
			n++
		}
	}
	return n
}

// Failed reports whether any finding that is not waived has severity
// threshold or above: the run's verdict for --fail-on.
func (r *Report) Failed(threshold Severity) bool {
	for _, f := range r.Findings() {
		if f.Waived == "" && f.Severity >= threshold {
			return true
		}
	}
	return false
}

// Statuses counts results by status.
func (r *Report) Statuses() map[Status]int {
	n := map[Status]int{}
	for _, res := range r.Results {
		n[res.Status]++
	}
	return n
}
