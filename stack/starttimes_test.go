package stack

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestUpRecordsStartToReady(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	f := newFakeEngine().withImages("redis:7.0", "postgres:15", "shop-api")
	// The app takes 7 s from start to ready, the stand-ins 1 s each; the
	// executor does nothing slow between Started and Run's return. The
	// stand-ins start in parallel on one clock, so one may see the other's
	// second too; the app starts alone, after them.
	f.onRun = func(ctx context.Context, spec ContainerSpec) error {
		if spec.Labels[LabelKind] == "app" {
			clock.Advance(7 * time.Second)
		} else {
			clock.Advance(time.Second)
		}
		return nil
	}
	times := StartTimes{Dir: filepath.Join(t.TempDir(), "start-times")}
	x := New(f, WithClock(clock.Now), WithStartTimes(times), WithPortCheck(func(string, int) bool { return true }))
	p := testPlan()
	p.App.HealthPort = 0 // nothing listens in this test; running is ready
	res, err := x.Up(context.Background(), p)
	if err != nil {
		t.Fatalf("Up: %v", err)
	}
	var appID string
	for _, r := range res.Services {
		if r.Service == "api" {
			appID = r.Container.ID
			if r.StartToReady != 7*time.Second {
				t.Errorf("api: StartToReady %v, want 7s", r.StartToReady)
			}
			continue
		}
		if r.StartToReady < time.Second || r.StartToReady > time.Duration(len(p.Standins))*time.Second {
			t.Errorf("%s: StartToReady %v, want 1s to %ds", r.Service, r.StartToReady, len(p.Standins))
		}
	}
	_, statuses, err := x.Status(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range statuses {
		if s.Service == "api" && s.StartToReady != 7*time.Second {
			t.Errorf("Status of api: StartToReady %v, want the 7s up measured", s.StartToReady)
		}
	}

	// A second up reuses everything and keeps what the first measured.
	res, err = x.Up(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Services {
		if !r.Reused || r.StartToReady != 0 {
			t.Errorf("%s: reused %v StartToReady %v, want reused with nothing measured", r.Service, r.Reused, r.StartToReady)
		}
	}
	if d, ok := times.Lookup(p.Project, "api", appID); !ok || d != 7*time.Second {
		t.Errorf("after a reuse: Lookup = %v, %v; want 7s kept", d, ok)
	}
	// Executors without start times record nothing and report nothing.
	_, statuses, _ = New(f).Status(context.Background(), p)
	for _, s := range statuses {
		if s.StartToReady != 0 {
			t.Errorf("without start times, %s reports %v", s.Service, s.StartToReady)
		}
	}
}

func TestStartTimes(t *testing.T) {
	dir := t.TempDir()
	st := StartTimes{Dir: filepath.Join(dir, "nested")}
	if _, ok := st.Lookup("shop", "api", "c1"); ok {
		t.Error("Lookup before any Record: got a time")
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	if err := st.Record("shop", "api", "c1", 2300*time.Millisecond, now); err != nil {
		t.Fatal(err)
	}
	if err := st.Record("shop", "db", "c2", 900*time.Millisecond, now); err != nil {
		t.Fatal(err)
	}
	if d, ok := st.Lookup("shop", "api", "c1"); !ok || d != 2300*time.Millisecond {
		t.Errorf("Lookup api/c1 = %v, %v; want 2.3s", d, ok)
	}
	if _, ok := st.Lookup("shop", "api", "c9"); ok {
		t.Error("Lookup for another container of the service: got a time, want none (it was measured on c1)")
	}
	if _, ok := st.Lookup("other", "api", "c1"); ok {
		t.Error("Lookup in another project: got a time")
	}
	// A new container replaces the old record.
	if err := st.Record("shop", "api", "c3", 5*time.Second, now); err != nil {
		t.Fatal(err)
	}
	if _, ok := st.Lookup("shop", "api", "c1"); ok {
		t.Error("the replaced container's record is still there")
	}
	if d, ok := st.Lookup("shop", "db", "c2"); !ok || d != 900*time.Millisecond {
		t.Errorf("db's record after api's changed: %v, %v", d, ok)
	}
	// A damaged file costs the measurements, not the command.
	if err := os.WriteFile(filepath.Join(st.Dir, "shop.json"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok := st.Lookup("shop", "db", "c2"); ok {
		t.Error("Lookup in a damaged file: got a time")
	}
	if err := st.Record("shop", "api", "c4", time.Second, now); err != nil {
		t.Fatalf("Record over a damaged file: %v", err)
	}
	if d, ok := st.Lookup("shop", "api", "c4"); !ok || d != time.Second {
		t.Errorf("after rewriting a damaged file: %v, %v", d, ok)
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(st.Dir)
	if len(entries) != 1 {
		t.Errorf("files in the directory: got %d, want shop.json only", len(entries))
	}
}
