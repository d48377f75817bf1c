package promote

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/prodlike/prodlike/internal/atomicfile"
	"github.com/prodlike/prodlike/parity"
)

// Record is one promotion: which image, from where to where, what the
// parity gate said, and which GitOps file was pinned. Records are the
// project's promotion history (see SaveRecord and ReadRecords).
type Record struct {
	Image           string        `json:"image"`              // as given on the command line
	Source          string        `json:"source"`             // repo@sha256:…; "" for a local image (see ImageID)
	Digest          string        `json:"digest"`             // sha256:…, the manifest digest
	ImageID         string        `json:"image_id,omitempty"` // the image's ID in the Docker engine that ran the gate
	Target          string        `json:"target"`             // repo:tag@sha256:… or repo@sha256:…
	Env             string        `json:"env"`                // the environment promoted to
	Parity          ParitySummary `json:"parity"`
	GitOps          *GitOpsRecord `json:"gitops,omitempty"`
	ProdlikeVersion string        `json:"prodlike_version"`
	Time            time.Time     `json:"time"` // written in UTC, RFC 3339
	DryRun          bool          `json:"dry_run"`
}

// ParitySummary is the parity gate's verdict as a promotion records it.
type ParitySummary struct {
	Passed     bool   `json:"passed"`
	Block      int    `json:"block"`
	Warn       int    `json:"warn"`
	Info       int    `json:"info"`
	Checks     int    `json:"checks"`
	Waived     int    `json:"waived"`
	ReportFile string `json:"report_file,omitempty"`
}

// GitOpsRecord is the GitOps file a promotion pinned the digest in.
type GitOpsRecord struct {
	File   string `json:"file"`
	Change string `json:"change"`           // Change.Summary
	Commit string `json:"commit,omitempty"` // with --commit
}

// SummarizeParity reads a parity report's verdict for threshold (the
// severity that fails the gate); reportFile is where the report was
// written, "" when it was not.
func SummarizeParity(r *parity.Report, threshold parity.Severity, reportFile string) ParitySummary {
	return ParitySummary{
		Passed:     !r.Failed(threshold),
		Block:      r.Count(parity.Block),
		Warn:       r.Count(parity.Warn),
		Info:       r.Count(parity.Info),
		Checks:     len(r.Results),
		Waived:     r.Waived(),
		ReportFile: reportFile,
	}
}

var envPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// check says what a record lacks before it is written.
func (r Record) check() error {
	switch {
	case !envPattern.MatchString(r.Env):
		return fmt.Errorf("promotion record: environment %q: want letters, digits, '.', '_' or '-'", r.Env)
	case !digestPattern.MatchString(r.Digest):
		return fmt.Errorf("promotion record: digest %q: want sha256: and 64 hex digits", r.Digest)
	case r.Time.IsZero():
		return errors.New("promotion record: no time")
	}
	return nil
}

// normal is the record as written: time in UTC.
func (r Record) normal() Record {
	r.Time = r.Time.UTC()
	return r
}

// RecordName is the file name SaveRecord gives a record:
// <env>-<time>-<digest, 12 hex>.json, so names sort by environment, then
// time.
func RecordName(r Record) string {
	r = r.normal()
	short := strings.TrimPrefix(r.Digest, "sha256:")
	if len(short) > 12 {
		short = short[:12]
	}
	return fmt.Sprintf("%s-%s-%s.json", r.Env, r.Time.Format("20060102T150405Z"), short)
}

// RecordPathNextTo is where a promotion's record goes beside the parity
// report it was gated on: reports/parity.json → reports/parity.promotion.json.
func RecordPathNextTo(reportFile string) string {
	ext := filepath.Ext(reportFile)
	return strings.TrimSuffix(reportFile, ext) + ".promotion.json"
}

// WriteRecord writes r as indented JSON to path, atomically (a temporary
// file and a rename), creating the directory when needed.
func WriteRecord(path string, r Record) error {
	if err := r.check(); err != nil {
		return err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r.normal()); err != nil {
		return fmt.Errorf("promotion record: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("promotion record: %w", err)
	}
	return atomicfile.WriteFile(path, b.Bytes(), 0o644)
}

// SaveRecord writes r into the history directory dir (the project's
// .prodlike/promotions, say) under RecordName, with -2, -3 … added when
// that name is taken, and returns the file's path.
func SaveRecord(dir string, r Record) (string, error) {
	if err := r.check(); err != nil {
		return "", err
	}
	name := RecordName(r)
	path := filepath.Join(dir, name)
	for i := 2; ; i++ {
		if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
			break
		}
		path = filepath.Join(dir, fmt.Sprintf("%s-%d.json", strings.TrimSuffix(name, ".json"), i))
	}
	return path, WriteRecord(path, r)
}

// ReadRecords reads every record in dir, oldest first. A directory that
// does not exist is an empty history.
func ReadRecords(dir string) ([]Record, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("promotion history: %w", err)
	}
	var out []Record
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) != ".json" || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("promotion history: %w", err)
		}
		var r Record
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("promotion history: %s is not a promotion record: %w; move it out of %s", path, err, dir)
		}
		out = append(out, r)
	}
	// ReadDir sorts by name; ordering by time keeps that order for ties.
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out, nil
}

// LastPromotion finds the latest record (dry runs aside) of digest being
// promoted to env: the answer to "was this digest ever in staging?".
func LastPromotion(records []Record, digest, env string) (Record, bool) {
	for i := len(records) - 1; i >= 0; i-- {
		r := records[i]
		if !r.DryRun && r.Digest == digest && r.Env == env {
			return r, true
		}
	}
	return Record{}, false
}
