//go:build e2e

package postgres

import (
	"context"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/prodlike/prodlike/emulators"
	"github.com/prodlike/prodlike/emulators/standintest"
)

// These tests run a real Postgres on loopback, started from the stand-in's
// own Container().Cmd, so they check the command line, the URL escaping,
// Ready and Facts against the real thing without Docker.

// localServer is a postgres process started by the test.
type localServer struct {
	ep      emulators.Endpoint
	version string // from `postgres --version`
	exited  chan struct{}
	out     *standintest.SyncBuffer
}

// postgresBinDir finds the directory holding postgres and initdb (Debian
// keeps them off PATH), or skips the test.
func postgresBinDir(t *testing.T) string {
	t.Helper()
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return majorOf(b) - majorOf(a) }) // newest first
	if p, err := exec.LookPath("postgres"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dirs = append([]string{filepath.Dir(p)}, dirs...)
	}
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "postgres")) && isExecutable(filepath.Join(d, "initdb")) {
			return d
		}
	}
	t.Skip("no postgres and initdb binaries (looked in PATH and /usr/lib/postgresql/*/bin); install postgresql-15 to run this test")
	return ""
}

func majorOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// asPostgresUser makes cmd run as the postgres OS user when the test runs as
// root: initdb and postgres refuse to run as root.
func asPostgresUser(t *testing.T, name string, args ...string) *exec.Cmd {
	t.Helper()
	if os.Geteuid() != 0 {
		return exec.Command(name, args...)
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("running as root and setpriv is missing: cannot run postgres as the postgres user")
	}
	if _, err := user.Lookup("postgres"); err != nil {
		t.Skip("running as root and there is no postgres OS user to run postgres as")
	}
	return exec.Command(setpriv, append([]string{"--reuid=postgres", "--regid=postgres", "--init-groups", "--", name}, args...)...)
}

// chownToPostgres hands path to the postgres OS user when running as root,
// and lets it traverse the test's temporary directories above path.
func chownToPostgres(t *testing.T, path string) {
	t.Helper()
	if os.Geteuid() != 0 {
		return
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(path, uid, gid); err != nil {
		t.Fatal(err)
	}
	for dir := filepath.Dir(path); dir != os.TempDir() && dir != "/" && dir != "."; dir = filepath.Dir(dir) {
		if err := os.Chmod(dir, 0o711); err != nil {
			t.Fatal(err)
		}
	}
}

// startPostgres initialises a cluster for s's user and password in a
// temporary directory and starts postgres with s.Container().Cmd on a free
// loopback port. The server stops when the test ends.
func startPostgres(t *testing.T, s *Standin, locale string) *localServer {
	t.Helper()
	bin := postgresBinDir(t)

	out, err := exec.Command(filepath.Join(bin, "postgres"), "--version").Output()
	if err != nil {
		t.Fatalf("postgres --version: %v", err)
	}
	// "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
	fields := strings.Fields(string(out))
	if len(fields) < 3 {
		t.Fatalf("postgres --version printed %q, want \"postgres (PostgreSQL) VERSION …\"", out)
	}
	version := fields[2]

	base := t.TempDir()
	data := filepath.Join(base, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	chownToPostgres(t, data)
	pwfile := filepath.Join(base, "pwfile")
	if err := os.WriteFile(pwfile, []byte(s.opts.password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	chownToPostgres(t, pwfile)

	initdb := asPostgresUser(t, filepath.Join(bin, "initdb"),
		"-D", data, "-U", s.opts.user, "--pwfile="+pwfile,
		"--auth=scram-sha-256", "-E", "UTF8", "--locale="+locale)
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}

	port := standintest.FreePort(t)
	c := s.Container()
	if c.Cmd[0] != "postgres" {
		t.Fatalf("Container().Cmd[0] = %q, want postgres", c.Cmd[0])
	}
	args := append([]string{
		"-D", data, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=",
	}, c.Cmd[1:]...)
	cmd := asPostgresUser(t, filepath.Join(bin, "postgres"), args...)
	srv := &localServer{
		ep:      emulators.Endpoint{Host: "127.0.0.1", Port: port},
		version: version,
		exited:  make(chan struct{}),
		out:     &standintest.SyncBuffer{},
	}
	cmd.Stdout, cmd.Stderr = srv.out, srv.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start postgres: %v", err)
	}
	go func() { cmd.Wait(); close(srv.exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt) // fast shutdown
		select {
		case <-srv.exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-srv.exited
		}
		if t.Failed() {
			t.Logf("postgres output:\n%s", srv.out)
		}
	})

	// The database New was given is not the one initdb made.
	if s.opts.database != "postgres" && s.opts.database != s.opts.user {
		admin, err := New("", WithUser(s.opts.user), WithPassword(s.opts.password), WithDatabase("postgres"))
		if err != nil {
			t.Fatal(err)
		}
		waitReady(t, admin, srv)
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		conn, err := admin.connect(ctx, srv.ep, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer closeConn(ctx, conn)
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{s.opts.database}.Sanitize()); err != nil {
			t.Fatalf("create database %q: %v", s.opts.database, err)
		}
	}
	return srv
}

func waitReady(t *testing.T, s *Standin, srv *localServer) time.Duration {
	t.Helper()
	return standintest.WaitReady(t, s, srv.ep, srv.exited, srv.out, 30*time.Second)
}

func TestE2EFacts(t *testing.T) {
	s, err := New("",
		WithUser("app user@corp"),
		WithPassword(`p@ss:w/rd?#%&=+ é"'`),
		WithDatabase("orders db/ü?#"),
		WithParameters(map[string]string{
			"work_mem":                      "8MB",
			"log_min_duration_statement":    "250",
			"default_transaction_isolation": "repeatable read",
		}),
	)
	if err != nil {
		t.Fatal(err)
	}
	srv := startPostgres(t, s, "C.UTF-8")
	t.Logf("ready after %v", waitReady(t, s, srv))

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	got, err := s.Facts(ctx, srv.ep)
	if err != nil {
		t.Fatalf("Facts: %v", err)
	}
	f := got.(*Facts)

	if f.ServerVersion() != srv.version {
		t.Errorf("ServerVersion() = %q, want %q (from postgres --version)", f.ServerVersion(), srv.version)
	}
	if major, _ := strconv.Atoi(strings.Split(srv.version, ".")[0]); f.VersionNum/10000 != major {
		t.Errorf("VersionNum = %d, want major %d", f.VersionNum, major)
	}
	t.Logf("version %q build %q num %d", f.Version, f.VersionBuild, f.VersionNum)

	wantSettings := map[string]Setting{
		"work_mem":                      {Value: "8192", Unit: "kB", Source: "command line"},
		"log_min_duration_statement":    {Value: "250", Unit: "ms", Source: "command line"},
		"default_transaction_isolation": {Value: "repeatable read", Unit: "", Source: "command line"},
		"port":                          {Value: strconv.Itoa(srv.ep.Port), Unit: "", Source: "command line"},
		"server_encoding":               {Value: "UTF8", Unit: "", Source: "default"},
	}
	for name, want := range wantSettings {
		if got, ok := f.Settings[name]; !ok || got != want {
			t.Errorf("Settings[%q] = %+v (present %v), want %+v", name, got, ok, want)
		}
	}
	if len(f.Settings) < 200 {
		t.Errorf("len(Settings) = %d, want every pg_settings row (200+)", len(f.Settings))
	}

	if e, ok := f.Extension("plpgsql"); !ok || e.Version == "" {
		t.Errorf("Extensions = %+v, want plpgsql with a version", f.Extensions)
	}
	if !slices.Contains(f.AvailableExtensions, "plpgsql") {
		t.Errorf("AvailableExtensions = %v, want plpgsql among them", f.AvailableExtensions)
	}
	if !slices.IsSorted(f.AvailableExtensions) {
		t.Errorf("AvailableExtensions not sorted: %v", f.AvailableExtensions)
	}

	if f.Database != "orders db/ü?#" || f.User != "app user@corp" || !f.Superuser {
		t.Errorf("Database, User, Superuser = %q, %q, %v; want %q, %q, true", f.Database, f.User, f.Superuser, "orders db/ü?#", "app user@corp")
	}
	if f.Encoding != "UTF8" || f.Collation != "C.UTF-8" || f.CType != "C.UTF-8" {
		t.Errorf("Encoding, Collation, CType = %q, %q, %q; want UTF8, C.UTF-8, C.UTF-8", f.Encoding, f.Collation, f.CType)
	}

	// The URL the app gets works as given.
	url := s.Env(srv.ep)[EnvURL]
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect with Env()[%s] = %q: %v", EnvURL, url, err)
	}
	defer conn.Close(ctx)
	var db, usr string
	if err := conn.QueryRow(ctx, "SELECT current_database(), current_user").Scan(&db, &usr); err != nil {
		t.Fatal(err)
	}
	if db != f.Database || usr != f.User {
		t.Errorf("through Env's URL: database %q user %q, want %q %q", db, usr, f.Database, f.User)
	}
}

func TestE2EReadyRejectsWrongPassword(t *testing.T) {
	s, err := New("", WithPassword("right"))
	if err != nil {
		t.Fatal(err)
	}
	srv := startPostgres(t, s, "C.UTF-8")
	waitReady(t, s, srv)

	wrong, err := New("", WithPassword("wrong"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = wrong.Ready(t.Context(), srv.ep)
	if err == nil {
		t.Fatal("Ready with a wrong password: got nil, want an error")
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("Ready with a wrong password took %v, want it to fail fast", elapsed)
	}
	t.Logf("wrong password: %v", err)
}
