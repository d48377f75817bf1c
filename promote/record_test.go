package promote

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prodlike/prodlike/parity"
)

// at is a fixed clock reading in a zone other than UTC, so tests see the
// conversion.
func at(hour, min int) time.Time {
	return time.Date(2026, 3, 14, hour, min, 5, 0, time.FixedZone("CET", 3600))
}

func sampleRecord() Record {
	return Record{
		Image:  "registry.example.com/shop/api:1.4.2",
		Source: "registry.example.com/shop/api@" + digestNew,
		Digest: digestNew,
		Target: "registry.example.com/shop/api:prod@" + digestNew,
		Env:    "prod",
		Parity: ParitySummary{Passed: true, Warn: 1, Info: 2, Checks: 31, Waived: 1, ReportFile: "reports/parity.json"},
		GitOps: &GitOpsRecord{
			File:   "deploy/prod/kustomization.yaml",
			Change: "images[name=shop-api]: digest " + digestNew + " (was newTag: 1.4.2)",
		},
		ProdlikeVersion: "1.2.3",
		Time:            at(10, 30),
	}
}

// The JSON form: snake_case keys as in the parity report, time in UTC.
func TestRecordJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reports", "parity.promotion.json")
	if err := WriteRecord(path, sampleRecord()); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := fill.Replace(`{
  "image": "registry.example.com/shop/api:1.4.2",
  "source": "registry.example.com/shop/api@DIGEST",
  "digest": "DIGEST",
  "target": "registry.example.com/shop/api:prod@DIGEST",
  "env": "prod",
  "parity": {
    "passed": true,
    "block": 0,
    "warn": 1,
    "info": 2,
    "checks": 31,
    "waived": 1,
    "report_file": "reports/parity.json"
  },
  "gitops": {
    "file": "deploy/prod/kustomization.yaml",
    "change": "images[name=shop-api]: digest DIGEST (was newTag: 1.4.2)"
  },
  "prodlike_version": "1.2.3",
  "time": "2026-03-14T09:30:05Z",
  "dry_run": false
}
`)
	if string(got) != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestSaveAndReadRecords(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".prodlike", "promotions")
	if got, err := ReadRecords(dir); err != nil || got != nil {
		t.Fatalf("no directory yet: got %v, %v; want an empty history", got, err)
	}

	staging := sampleRecord()
	staging.Env, staging.Time = "staging", at(9, 0)
	prod := sampleRecord()
	dry := sampleRecord()
	dry.Digest, dry.DryRun, dry.Time = digestOld, true, at(11, 0)
	again := sampleRecord() // the same promotion in the same second
	again.Time = prod.Time.Add(time.Millisecond)

	var paths []string
	for _, r := range []Record{prod, dry, staging, again} {
		p, err := SaveRecord(dir, r)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, filepath.Base(p))
	}
	wantNames := []string{
		"prod-20260314T093005Z-abababababab.json",
		"prod-20260314T100005Z-010101010101.json",
		"staging-20260314T080005Z-abababababab.json",
		"prod-20260314T093005Z-abababababab-2.json",
	}
	if !reflect.DeepEqual(paths, wantNames) {
		t.Errorf("file names: got %q, want %q", paths, wantNames)
	}

	// Files that are not records are left alone, except a broken one.
	writeFile(t, filepath.Join(dir, "README.md"), "promotion history\n")
	writeFile(t, filepath.Join(dir, ".prodlike-partial.json"), "{")

	got, err := ReadRecords(dir)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, r := range got {
		order = append(order, r.Env+" "+r.Time.Format("15:04:05.000"))
	}
	wantOrder := []string{"staging 08:00:05.000", "prod 09:30:05.000", "prod 09:30:05.001", "prod 10:00:05.000"}
	if !reflect.DeepEqual(order, wantOrder) {
		t.Errorf("order: got %q, want %q", order, wantOrder)
	}
	want := prod
	want.Time = prod.Time.UTC()
	if !reflect.DeepEqual(got[1], want) {
		t.Errorf("round trip:\ngot  %+v\nwant %+v", got[1], want)
	}

	tests := []struct {
		digest, env string
		found       bool
		at          time.Time
	}{
		{digestNew, "staging", true, staging.Time},
		{digestNew, "prod", true, again.Time},   // the latest of the two
		{digestOld, "prod", false, time.Time{}}, // a dry run does not count
		{digestNew, "dev", false, time.Time{}},
	}
	for _, tt := range tests {
		r, ok := LastPromotion(got, tt.digest, tt.env)
		if ok != tt.found || !r.Time.Equal(tt.at) {
			t.Errorf("LastPromotion(%s…, %s): got %v at %v, want %v at %v", tt.digest[:13], tt.env, ok, r.Time, tt.found, tt.at)
		}
	}

	writeFile(t, filepath.Join(dir, "broken.json"), "{not json")
	if _, err := ReadRecords(dir); err == nil || !strings.Contains(err.Error(), "broken.json is not a promotion record") {
		t.Errorf("broken record: got %v, want an error naming the file", err)
	}
}

func TestRecordChecks(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Record)
		says string
	}{
		{"no env", func(r *Record) { r.Env = "" }, `environment ""`},
		{"env with a slash", func(r *Record) { r.Env = "../prod" }, `environment "../prod"`},
		{"bad digest", func(r *Record) { r.Digest = "1.4.2" }, `digest "1.4.2"`},
		{"no time", func(r *Record) { r.Time = time.Time{} }, "no time"},
	}
	for _, tt := range tests {
		r := sampleRecord()
		tt.edit(&r)
		dir := t.TempDir()
		_, err := SaveRecord(dir, r)
		if err == nil || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%s: got %v, want an error saying %q", tt.name, err, tt.says)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("%s: %d files written, want none", tt.name, len(entries))
		}
	}
}

func TestRecordPathNextTo(t *testing.T) {
	tests := map[string]string{
		"reports/parity.json": "reports/parity.promotion.json",
		"parity.xml":          "parity.promotion.json",
		"out/report":          "out/report.promotion.json",
	}
	for in, want := range tests {
		if got := RecordPathNextTo(in); got != filepath.FromSlash(want) && got != want {
			t.Errorf("RecordPathNextTo(%q): got %q, want %q", in, got, want)
		}
	}
}

func TestSummarizeParity(t *testing.T) {
	r := &parity.Report{Results: []parity.Result{
		{ID: "PG-VERSION-MAJOR", Status: parity.Fail, Findings: []parity.Finding{{Check: "PG-VERSION-MAJOR", Severity: parity.Block}}},
		{ID: "REDIS-EVICTION", Status: parity.Fail, Findings: []parity.Finding{
			{Check: "REDIS-EVICTION", Severity: parity.Warn},
			{Check: "REDIS-EVICTION", Severity: parity.Warn, Waived: "accepted until Q3"},
		}},
		{ID: "APP-USER", Status: parity.Pass},
	}}
	got := SummarizeParity(r, parity.Block, "parity.json")
	want := ParitySummary{Passed: false, Block: 1, Warn: 1, Checks: 3, Waived: 1, ReportFile: "parity.json"}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	r.Results[0].Findings[0].Waived = "known"
	if got := SummarizeParity(r, parity.Block, ""); !got.Passed || got.Block != 0 || got.Waived != 2 {
		t.Errorf("block waived: got %+v, want passed with 0 block and 2 waived", got)
	}
}
