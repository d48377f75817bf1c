package postgres

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/prodlike/prodlike/emulators"
)

func tlsStandin(t *testing.T, opts ...Option) *Standin {
	t.Helper()
	cert, key, err := emulators.DevCertificate("shop-db", "db", "localhost")
	if err != nil {
		t.Fatal(err)
	}
	return mustNew(t, "postgres:15", append(opts, WithTLS(cert, key))...)
}

func TestTLSContainer(t *testing.T) {
	s := tlsStandin(t, WithParameters(map[string]string{"work_mem": "8MB"}))
	if !s.TLS() {
		t.Fatal("TLS() = false with WithTLS")
	}
	c := s.Container()
	want := []string{"sh", "-c", tlsScript, "prodlike-tls", "postgres",
		"-c", "hba_file=" + tlsDir + "/pg_hba.conf",
		"-c", "ssl=on",
		"-c", "ssl_cert_file=" + tlsDir + "/server.crt",
		"-c", "ssl_key_file=" + tlsDir + "/server.key",
		"-c", "work_mem=8MB"}
	if !slices.Equal(c.Cmd, want) {
		t.Errorf("Cmd:\ngot  %q\nwant %q", c.Cmd, want)
	}
	if !strings.HasPrefix(c.Env[envTLSCert], "-----BEGIN CERTIFICATE-----") || !strings.HasPrefix(c.Env[envTLSKey], "-----BEGIN PRIVATE KEY-----") {
		t.Errorf("Env carries no certificate and key: %q", c.Env)
	}
	if plain := mustNew(t, "postgres:15"); plain.TLS() || plain.Container().Env[envTLSCert] != "" {
		t.Error("a stand-in without WithTLS has TLS")
	}
}

func TestTLSURL(t *testing.T) {
	u := tlsStandin(t).URL(emulators.Endpoint{Host: "db", Port: 5432})
	if want := "postgres://postgres:postgres@db:5432/postgres?sslmode=require"; u != want {
		t.Errorf("URL: got %q, want %q", u, want)
	}
	cfg, err := pgx.ParseConfig(u)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TLSConfig == nil || !cfg.TLSConfig.InsecureSkipVerify {
		t.Errorf("pgx TLS config: got %+v, want TLS without verification (sslmode=require)", cfg.TLSConfig)
	}
	// sslmode=require must not fall back to plain connections.
	for _, fb := range cfg.Fallbacks {
		if fb.TLSConfig == nil {
			t.Errorf("pgx falls back to a plain connection to %s", fb.Host)
		}
	}
}

func TestTLSRejects(t *testing.T) {
	cert, key, _ := emulators.DevCertificate("x")
	for _, tt := range []struct {
		name string
		opts []Option
		want string
	}{
		{"key without certificate", []Option{WithTLS(nil, key)}, "TLS needs both a certificate and a key"},
		{"certificate without key", []Option{WithTLS(cert, nil)}, "TLS needs both a certificate and a key"},
		{"ssl parameter", []Option{WithTLS(cert, key), WithParameters(map[string]string{"ssl": "off"})}, `parameter "ssl": set by the stand-in's TLS`},
		{"hba_file parameter", []Option{WithTLS(cert, key), WithParameters(map[string]string{"hba_file": "/x"})}, `parameter "hba_file": set by the stand-in's TLS`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New("", tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestTLSScript runs the shell step with a stand-in for the image's
// entrypoint, in a temporary directory instead of the container's.
func TestTLSScript(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	out := filepath.Join(dir, "tls")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	// The entrypoint records its arguments; chown needs root and a postgres
	// user, so it is replaced too.
	entry := "#!/bin/sh\nprintf '%s\\n' \"$@\" >\"" + filepath.Join(dir, "args") + "\"\n"
	if err := os.WriteFile(filepath.Join(bin, "docker-entrypoint.sh"), []byte(entry), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "chown"), []byte("#!/bin/sh\necho \"$@\" >\""+filepath.Join(dir, "chowned")+"\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := tlsStandin(t)
	c := s.Container()
	script := strings.ReplaceAll(c.Cmd[2], tlsDir, out)
	cmd := exec.Command(sh, append([]string{"-c", script}, c.Cmd[3:]...)...)
	cmd.Env = []string{"PATH=" + bin + ":" + os.Getenv("PATH"), envTLSCert + "=" + c.Env[envTLSCert], envTLSKey + "=" + c.Env[envTLSKey]}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("script: %v\n%s", err, b)
	}
	args, err := os.ReadFile(filepath.Join(dir, "args"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Fields(string(args)), c.Cmd[4:]; !slices.Equal(got, want) {
		t.Errorf("entrypoint arguments: got %q, want %q", got, want)
	}
	for name, want := range map[string]string{"server.crt": c.Env[envTLSCert] + "\n", "server.key": c.Env[envTLSKey] + "\n"} {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != want {
			t.Errorf("%s: got %q, want %q", name, b, want)
		}
	}
	if fi, err := os.Stat(filepath.Join(out, "server.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("server.key mode: got %v (%v), want 0600: postgres refuses keys others can read", fi.Mode().Perm(), err)
	}
	hba, err := os.ReadFile(filepath.Join(out, "pg_hba.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "local all all trust\nhostssl all all all md5\nhostnossl all all all reject\n"; string(hba) != want {
		t.Errorf("pg_hba.conf: got %q, want %q", hba, want)
	}
	if os.Geteuid() == 0 {
		chowned, err := os.ReadFile(filepath.Join(dir, "chowned"))
		if err != nil || strings.TrimSpace(string(chowned)) != "-R postgres:postgres "+out {
			t.Errorf("as root the files go to postgres: chown got %q (%v)", chowned, err)
		}
	}
}
