package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestSelfImageRef(t *testing.T) {
	tests := []struct {
		version   string
		ref       string // prefix
		published bool
	}{
		{"v1.4.2", "ghcr.io/prodlike/prodlike:1.4.2", true},
		{"1.4.2", "ghcr.io/prodlike/prodlike:1.4.2", true},
		{"dev", "prodlike-local/prodlike:dev-", false},
		{"v0.0.0-20261123140000-77e6cc1a2b3c+dirty", "prodlike-local/prodlike:dev-", false},
		{"v1.5.0-rc.1", "prodlike-local/prodlike:dev-", false},
	}
	for _, tt := range tests {
		s := selfImage(buildInfo{Version: tt.version, Commit: "abc"})
		if !strings.HasPrefix(s.Ref, tt.ref) || s.Published != tt.published {
			t.Errorf("version %s: got %q published %v, want %q… published %v", tt.version, s.Ref, s.Published, tt.ref, tt.published)
		}
		if runtime.GOOS != "linux" && (s.Executable != "" || s.NoBuild == "") {
			t.Errorf("version %s on %s: got executable %q, reason %q; want no build and a reason", tt.version, runtime.GOOS, s.Executable, s.NoBuild)
		}
	}
}

func TestExecutableIDChangesWithTheBuild(t *testing.T) {
	exe := filepath.Join(t.TempDir(), "prodlike")
	if err := os.WriteFile(exe, []byte("one"), 0o755); err != nil {
		t.Fatal(err)
	}
	b := buildInfo{Version: "dev", Commit: "abc"}
	first := executableID(exe, b)
	if again := executableID(exe, b); again != first {
		t.Errorf("same executable: got %s then %s, want the same ID", first, again)
	}
	if err := os.WriteFile(exe, []byte("a rebuilt prodlike"), 0o755); err != nil {
		t.Fatal(err)
	}
	if rebuilt := executableID(exe, b); rebuilt == first {
		t.Errorf("rebuilt executable: got the same ID %s, want a new one so a stale image is not reused", first)
	}
	if other := executableID(exe, buildInfo{Version: "dev", Commit: "def"}); other == executableID(exe, b) {
		t.Errorf("another commit: got the same ID, want a new one")
	}
}

func TestExecutableIDFollowsContentNotFileTime(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	if _, err := goBuildID(exe); err != nil {
		t.Skipf("no Go build ID to read here: %v", err)
	}
	// A copy of the same executable, written later, is the same build.
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(t.TempDir(), "prodlike")
	if err := os.WriteFile(cp, data, 0o755); err != nil {
		t.Fatal(err)
	}
	b := buildInfo{Version: "dev", Commit: "abc"}
	if got, want := executableID(cp, b), executableID(exe, b); got != want {
		t.Errorf("a copy of the same executable: got ID %s, want %s (go run writes a fresh copy every time)", got, want)
	}
}
