//go:build e2e

package redis

import (
	"context"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/prodlike/prodlike/emulators"
	"github.com/prodlike/prodlike/emulators/standintest"
)

// These tests run a real server on loopback, started from the stand-in's
// own Container().Cmd, so they check the command line, the URL escaping,
// Ready and Facts against the real thing without Docker.

type localServer struct {
	ep      emulators.Endpoint
	version string // from `<engine>-server --version`
	exited  chan struct{}
	out     *standintest.SyncBuffer
}

var serverVersion = regexp.MustCompile(`\bv=(\S+)`)

// startServer starts s.Container().Cmd on a free loopback port, without
// persistence, and stops it when the test ends. It skips the test when the
// engine's server binary is not installed.
func startServer(t *testing.T, s *Standin) *localServer {
	t.Helper()
	c := s.Container()
	bin, err := exec.LookPath(c.Cmd[0])
	if err != nil {
		t.Skipf("%s not installed (install the %s package to run this test)", c.Cmd[0], c.Cmd[0])
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatalf("%s --version: %v", bin, err)
	}
	// "Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=…"
	m := serverVersion.FindSubmatch(out)
	if m == nil {
		t.Fatalf("%s --version printed %q, want … v=VERSION …", bin, out)
	}

	port := standintest.FreePort(t)
	args := append(slices.Clone(c.Cmd[1:]),
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--daemonize", "no",
		"--dir", t.TempDir(),
	)
	cmd := exec.Command(bin, args...)
	srv := &localServer{
		ep:      emulators.Endpoint{Host: "127.0.0.1", Port: port},
		version: string(m[1]),
		exited:  make(chan struct{}),
		out:     &standintest.SyncBuffer{},
	}
	cmd.Stdout, cmd.Stderr = srv.out, srv.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() { cmd.Wait(); close(srv.exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-srv.exited
		if t.Failed() {
			t.Logf("%s output:\n%s", c.Cmd[0], srv.out)
		}
	})
	return srv
}

func waitReady(t *testing.T, s *Standin, srv *localServer) time.Duration {
	t.Helper()
	return standintest.WaitReady(t, s, srv.ep, srv.exited, srv.out, 10*time.Second)
}

func TestE2EFacts(t *testing.T) {
	for _, engine := range []string{EngineRedis, EngineValkey} {
		t.Run(engine, func(t *testing.T) {
			s, err := New("",
				WithEngine(engine),
				WithPassword(`p@ss:w/rd?#%&=+ é"'`),
				WithConfig(map[string]string{
					"maxmemory":              "64mb",
					"maxmemory-policy":       "allkeys-lru",
					"notify-keyspace-events": "Ex",
					"timeout":                "300",
				}),
			)
			if err != nil {
				t.Fatal(err)
			}
			srv := startServer(t, s)
			t.Logf("ready after %v", waitReady(t, s, srv))

			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			got, err := s.Facts(ctx, srv.ep)
			if err != nil {
				t.Fatalf("Facts: %v", err)
			}
			f := got.(*Facts)

			if f.ServerVersion() != srv.version {
				t.Errorf("ServerVersion() = %q, want %q (from --version)", f.ServerVersion(), srv.version)
			}
			if f.Engine != engine || f.Mode != "standalone" || f.ArchBits != strconv.IntSize || f.OS == "" {
				t.Errorf("Engine, Mode, ArchBits, OS = %q, %q, %d, %q; want %q, standalone, %d, non-empty",
					f.Engine, f.Mode, f.ArchBits, f.OS, engine, strconv.IntSize)
			}
			if f.Server["tcp_port"] != strconv.Itoa(srv.ep.Port) {
				t.Errorf("Server[tcp_port] = %q, want %d", f.Server["tcp_port"], srv.ep.Port)
			}
			wantConfig := map[string]string{
				"maxmemory":              "67108864",
				"maxmemory-policy":       "allkeys-lru",
				"notify-keyspace-events": "xE",
				"timeout":                "300",
				"save":                   "",
			}
			for name, want := range wantConfig {
				if got, ok := f.Config[name]; !ok || got != want {
					t.Errorf("Config[%q] = %q (present %v), want %q", name, got, ok, want)
				}
			}
			if len(f.Config) < 100 {
				t.Errorf("len(Config) = %d, want everything CONFIG GET * returns (100+)", len(f.Config))
			}
			if f.MaxmemoryPolicy() != "allkeys-lru" {
				t.Errorf("MaxmemoryPolicy() = %q, want allkeys-lru", f.MaxmemoryPolicy())
			}

			// The URL the app gets works as given.
			url := s.Env(srv.ep)[EnvURL]
			opt, err := goredis.ParseURL(url)
			if err != nil {
				t.Fatalf("ParseURL(Env()[%s] = %q): %v", EnvURL, url, err)
			}
			c := goredis.NewClient(opt)
			defer c.Close()
			if err := c.Set(ctx, "prodlike", "ok", 0).Err(); err != nil {
				t.Errorf("SET through Env's URL %q: %v", url, err)
			}
		})
	}
}

func TestE2EReadyRejectsWrongPassword(t *testing.T) {
	s, err := New("", WithPassword("right"))
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, s)
	waitReady(t, s, srv)

	for _, wrong := range []Option{WithPassword("wrong"), WithPassword("")} {
		w, err := New("", wrong)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		err = w.Ready(t.Context(), srv.ep)
		if err == nil {
			t.Fatal("Ready with a wrong or missing password: got nil, want an error")
		}
		if elapsed := time.Since(start); elapsed > time.Second {
			t.Errorf("Ready with a wrong password took %v, want it to fail fast", elapsed)
		}
		t.Logf("wrong password: %v", err)
	}
}
