package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prodlike/prodlike/stack"
)

func TestProgressPrintsStateChangesOnly(t *testing.T) {
	var b bytes.Buffer
	p := NewProgress(&b, 5, false)
	for _, e := range []stack.Event{
		{Service: "api", State: stack.StateBuilding, Detail: "shop-api"},
		{Service: "api", State: stack.StateBuilding, Detail: "Step 1/9 : FROM golang"},
		{Service: "db", State: stack.StateReady, Elapsed: 1500 * time.Millisecond, Detail: "postgres:15 on localhost:5432"},
		{Service: "db", State: stack.StateNotice, Detail: "host port 5432 is in use"},
		{Service: "db", State: stack.StateNotice, Detail: "another notice"},
		{Service: "api", State: stack.StateFailed, Elapsed: 2 * time.Second, Err: errors.New("build failed\n  last lines: …")},
	} {
		p.Event(e)
	}
	want := `api      building      0.00s  shop-api
db       ready         1.50s  postgres:15 on localhost:5432
db       notice        0.00s  host port 5432 is in use
db       notice        0.00s  another notice
api      failed        2.00s  build failed
`
	if got := b.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestProgressVerboseShowsDetails(t *testing.T) {
	var b bytes.Buffer
	p := NewProgress(&b, 3, true)
	p.Event(stack.Event{Service: "api", State: stack.StateBuilding, Detail: "shop-api"})
	p.Event(stack.Event{Service: "api", State: stack.StateBuilding, Detail: "Step 1/9 : FROM golang"})
	if !strings.Contains(b.String(), "Step 1/9 : FROM golang") {
		t.Errorf("got %q, want the build output line", b.String())
	}
}

func TestStatusTable(t *testing.T) {
	var b bytes.Buffer
	err := StatusTable(&b, []stack.ServiceStatus{
		{Service: "db", Kind: "postgres", State: "running", Image: "postgres:15", Version: "15.20", ProdVersion: "15", InPlan: true,
			Ports: []stack.Port{{HostIP: "127.0.0.1", Host: 32768, Container: 5432}, {HostIP: "::1", Host: 32768, Container: 5432}}},
		{Service: "cache", Kind: "redis", State: "running", Image: "redis:7.0", ProdVersion: "7.0", FactsErr: errors.New("refused"), InPlan: true},
		{Service: "api", Kind: "app", State: "not created", Image: "shop-api", InPlan: true},
		{Service: "old", Kind: "redis", State: "stopped", Image: "redis:6"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `SERVICE                    KIND      STATE        IMAGE        VERSION            PROD  PORTS
db                         postgres  running      postgres:15  15.20              15    localhost:32768->5432, [::1]:32768->5432
cache                      redis     running      redis:7.0    ? (not answering)  7.0   -
api                        app       not created  shop-api     -                  -     -
old (not in compose file)  redis     stopped      redis:6      -                  -     -
`
	if got := b.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

var tricky = map[string]string{
	"DATABASE_URL": "postgres://u:p'a$s@127.0.0.1:5432/db?sslmode=disable",
	"PLAIN":        "value",
}

func TestEnvShellRoundTrip(t *testing.T) {
	var b bytes.Buffer
	if err := Env(&b, "sh", tricky); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh to evaluate the output")
	}
	out, err := exec.Command("sh", "-c", b.String()+`printf '%s|%s' "$DATABASE_URL" "$PLAIN"`).Output()
	if err != nil {
		t.Fatalf("sh: %v\n%s", err, b.String())
	}
	if want := tricky["DATABASE_URL"] + "|value"; string(out) != want {
		t.Errorf("after eval: got %q, want %q", out, want)
	}
}

func TestEnvFormats(t *testing.T) {
	tests := []struct{ format, want string }{
		{"dotenv", "DATABASE_URL=\"postgres://u:p'a$s@127.0.0.1:5432/db?sslmode=disable\"\nPLAIN='value'\n"},
		{"powershell", "$Env:DATABASE_URL = 'postgres://u:p''a$s@127.0.0.1:5432/db?sslmode=disable'\n$Env:PLAIN = 'value'\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if err := Env(&b, tt.format, tricky); err != nil {
			t.Fatal(err)
		}
		if got := b.String(); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.format, got, tt.want)
		}
	}
	var b bytes.Buffer
	if err := Env(&b, "json", tricky); err != nil {
		t.Fatal(err)
	}
	var back map[string]string
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || back["DATABASE_URL"] != tricky["DATABASE_URL"] {
		t.Errorf("json: got %v (%v), want the same variables back", back, err)
	}
	if err := Env(&b, "yaml", tricky); err == nil {
		t.Error("unknown format: got no error")
	}
}
