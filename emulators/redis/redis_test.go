package redis

import (
	"context"
	"errors"
	"fmt"
	"log"
	"maps"
	"os"
	"reflect"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/prodlike/prodlike/emulators"
	"github.com/prodlike/prodlike/emulators/standintest"
)

func mustNew(t *testing.T, image string, opts ...Option) *Standin {
	t.Helper()
	s, err := New(image, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func TestContainer(t *testing.T) {
	tests := []struct {
		name  string
		image string
		opts  []Option
		want  emulators.Container
	}{
		{
			name: "defaults",
			want: emulators.Container{Image: "redis", Cmd: []string{"redis-server"}, Port: 6379, DataDir: "/data"},
		},
		{
			name: "valkey default image and binary",
			opts: []Option{WithEngine("valkey")},
			want: emulators.Container{Image: "valkey/valkey", Cmd: []string{"valkey-server"}, Port: 6379, DataDir: "/data"},
		},
		{
			name:  "config sorted with the password, merged, later wins",
			image: "redis:7.1",
			opts: []Option{
				WithPassword("s3cret"),
				WithConfig(map[string]string{"maxmemory-policy": "noeviction", "maxmemory": "256mb"}),
				WithConfig(map[string]string{"maxmemory-policy": "volatile-lru", "save": "", "appendonly": "no"}),
			},
			want: emulators.Container{
				Image: "redis:7.1",
				Cmd: []string{"redis-server",
					"--appendonly", "no",
					"--maxmemory", "256mb",
					"--maxmemory-policy", "volatile-lru",
					"--requirepass", "s3cret",
					"--save", "",
				},
				Port:    6379,
				DataDir: "/data",
			},
		},
		{
			name:  "valkey with config, image as given",
			image: "mirror.local/valkey/valkey:8.1",
			opts: []Option{
				WithEngine("valkey"),
				WithConfig(map[string]string{"save": "3600 1 300 100", "notify-keyspace-events": "Ex"}),
			},
			want: emulators.Container{
				Image:   "mirror.local/valkey/valkey:8.1",
				Cmd:     []string{"valkey-server", "--notify-keyspace-events", "Ex", "--save", "3600 1 300 100"},
				Port:    6379,
				DataDir: "/data",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustNew(t, tt.image, tt.opts...).Container()
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Container():\ngot  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestContainerReturnsFreshValues(t *testing.T) {
	s := mustNew(t, "", WithConfig(map[string]string{"maxmemory": "1mb"}))
	s.Container().Cmd[2] = "changed"
	if got := s.Container().Cmd[2]; got != "1mb" {
		t.Errorf("Cmd[2] after changing an earlier result: got %q, want %q", got, "1mb")
	}
}

func TestOptionsDoNotAliasCallerMaps(t *testing.T) {
	config := map[string]string{"maxmemory": "1mb"}
	s := mustNew(t, "", WithConfig(config))
	config["maxmemory"] = "1gb"
	if got, want := s.Container().Cmd, []string{"redis-server", "--maxmemory", "1mb"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Cmd after changing the caller's map: got %q, want %q", got, want)
	}
}

func TestEngineAndKind(t *testing.T) {
	for _, engine := range []string{"redis", "valkey"} {
		s := mustNew(t, "", WithEngine(engine))
		if s.Engine() != engine || s.Kind() != "redis" {
			t.Errorf("WithEngine(%q): Engine() = %q, Kind() = %q; want %q, %q", engine, s.Engine(), s.Kind(), engine, "redis")
		}
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		want []string // substrings of the error, in order
	}{
		{"unknown engine", []Option{WithEngine("keydb")}, []string{`engine "keydb"`}},
		{"engine in upper case", []Option{WithEngine("Valkey")}, []string{`engine "Valkey"`}},
		{"upper case config", []Option{WithConfig(map[string]string{"MaxMemory": "1"})}, []string{`config "MaxMemory"`}},
		{"dashes before the name", []Option{WithConfig(map[string]string{"--maxmemory": "1"})}, []string{`config "--maxmemory"`}},
		{"empty config name", []Option{WithConfig(map[string]string{"": "1"})}, []string{`config ""`}},
		{"space in config name", []Option{WithConfig(map[string]string{"max memory": "1"})}, []string{`config "max memory"`}},
		{"requirepass through config", []Option{WithConfig(map[string]string{"requirepass": "x"})}, []string{"use WithPassword"}},
		{"value that reads as an option", []Option{WithConfig(map[string]string{"dir": "--port"})}, []string{`value "--port" starts with --`}},
		{"NUL in value", []Option{WithConfig(map[string]string{"dir": "/data\x00"})}, []string{"NUL"}},
		{"NUL in password", []Option{WithPassword("a\x00b")}, []string{"password contains a NUL"}},
		{"rename unknown variable", []Option{WithEnvNames(map[string]string{"REDIS_HOST": "X"})}, []string{`env rename "REDIS_HOST"`}},
		{"rename to invalid name", []Option{WithEnvNames(map[string]string{"REDIS_URL": "CACHE-URL"})}, []string{`"CACHE-URL": not a valid variable name`}},
		{
			"every problem at once, in order",
			[]Option{WithEngine("x"), WithConfig(map[string]string{"B": "1", "A": "1", "ok": "1"})},
			[]string{`engine "x"`, `config "A"`, `config "B"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New("", tt.opts...)
			if err == nil {
				t.Fatalf("New: got %+v, nil error; want an error", s)
			}
			if s != nil {
				t.Errorf("New: got a Standin with the error, want nil")
			}
			if !errors.Is(err, ErrInvalidOption) {
				t.Errorf("errors.Is(%v, ErrInvalidOption) = false, want true", err)
			}
			standintest.ErrorsInOrder(t, err, tt.want)
		})
	}
}

func TestEnv(t *testing.T) {
	tests := []struct {
		name     string
		opts     []Option
		ep       emulators.Endpoint
		wantVar  string
		wantURL  string
		password string
	}{
		{
			name:    "no password, in-network form",
			ep:      emulators.Endpoint{Host: "cache", Port: 6379},
			wantVar: "REDIS_URL",
			wantURL: "redis://cache:6379/0",
		},
		{
			name:     "password, renamed, host form",
			opts:     []Option{WithPassword("s3cret"), WithEnvNames(map[string]string{"REDIS_URL": "CACHE_URL"})},
			ep:       emulators.Endpoint{Host: "localhost", Port: 56379},
			wantVar:  "CACHE_URL",
			wantURL:  "redis://:s3cret@localhost:56379/0",
			password: "s3cret",
		},
		{
			name:     "special characters are escaped",
			opts:     []Option{WithPassword(`p@ss:w/rd?#%&=+ é"'`)},
			ep:       emulators.Endpoint{Host: "127.0.0.1", Port: 6379},
			wantVar:  "REDIS_URL",
			wantURL:  "redis://:p%40ss%3Aw%2Frd%3F%23%25&=+%20%C3%A9%22%27@127.0.0.1:6379/0",
			password: `p@ss:w/rd?#%&=+ é"'`,
		},
		{
			name:    "IPv6 host",
			ep:      emulators.Endpoint{Host: "::1", Port: 6379},
			wantVar: "REDIS_URL",
			wantURL: "redis://[::1]:6379/0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustNew(t, "", tt.opts...).Env(tt.ep)
			if want := map[string]string{tt.wantVar: tt.wantURL}; !reflect.DeepEqual(got, want) {
				t.Fatalf("Env(%v):\ngot  %q\nwant %q", tt.ep, got, want)
			}
			// What a client makes of it is what matters.
			opt, err := goredis.ParseURL(got[tt.wantVar])
			if err != nil {
				t.Fatalf("go-redis ParseURL(%q): %v", got[tt.wantVar], err)
			}
			if opt.Password != tt.password || opt.Username != "" || opt.Addr != tt.ep.Addr() || opt.DB != 0 {
				t.Errorf("go-redis reads password %q username %q addr %q db %d; want %q, \"\", %q, 0",
					opt.Password, opt.Username, opt.Addr, opt.DB, tt.password, tt.ep.Addr())
			}
		})
	}
}

func TestFactsFromInfo(t *testing.T) {
	// info-server-redis-7.0.txt is what Debian bookworm's redis-server
	// 7.0.15 answered. info-server-valkey-8.1.txt is valkey 8.1.0's
	// published answer; info-server-valkey-7.2.txt is assembled from valkey
	// 7.2's fields (it names itself only in server_name).
	tests := []struct {
		file string
		want Facts // without Server and Config
	}{
		{"info-server-redis-7.0.txt", Facts{Engine: "redis", Version: "7.0.15", Mode: "standalone", OS: "Linux 6.18.44-fc-v769 x86_64", ArchBits: 64}},
		{"info-server-valkey-8.1.txt", Facts{Engine: "valkey", Version: "8.1.0", Mode: "standalone", OS: "Linux 6.6.87-0-lts i686", ArchBits: 32}},
		{"info-server-valkey-7.2.txt", Facts{Engine: "valkey", Version: "7.2.4", Mode: "cluster", OS: "Linux 5.15.0-105-generic x86_64", ArchBits: 64}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			got := factsFromInfo(parseInfo(string(raw)))
			if got.Server["tcp_port"] != "6379" && got.Server["tcp_port"] != "16399" {
				t.Errorf("Server[tcp_port] = %q: want every INFO field kept, without the CR", got.Server["tcp_port"])
			}
			if _, ok := got.Server["# Server"]; ok || len(got.Server) < 15 {
				t.Errorf("Server = %v: want the fields only", got.Server)
			}
			got.Server = nil
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("factsFromInfo:\ngot  %+v\nwant %+v", *got, tt.want)
			}
			if got.ServerVersion() != tt.want.Version {
				t.Errorf("ServerVersion() = %q, want %q", got.ServerVersion(), tt.want.Version)
			}
		})
	}
}

func TestParseInfo(t *testing.T) {
	got := parseInfo("# Server\r\nredis_version:7.0.15\r\n\r\nlistener0:name=tcp,bind=*,port=6379\r\nconfig_file:\r\nnot a field\r\n# Clients\r\nconnected_clients:1\r\n")
	want := map[string]string{
		"redis_version":     "7.0.15",
		"listener0":         "name=tcp,bind=*,port=6379",
		"config_file":       "",
		"connected_clients": "1",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseInfo:\ngot  %q\nwant %q", got, want)
	}
}

func TestMaxmemoryPolicy(t *testing.T) {
	f := Facts{Config: map[string]string{"maxmemory-policy": "allkeys-lru"}}
	if got := f.MaxmemoryPolicy(); got != "allkeys-lru" {
		t.Errorf("MaxmemoryPolicy() = %q, want allkeys-lru", got)
	}
}

// recordingLogger records what go-redis logs process-wide.
type recordingLogger struct {
	mu    sync.Mutex
	lines []string
}

func (l *recordingLogger) Printf(_ context.Context, format string, v ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, v...))
}

// stderrLogger stands in for go-redis's default logger, which cannot be
// read back to restore it.
type stderrLogger struct{}

func (stderrLogger) Printf(_ context.Context, format string, v ...any) {
	log.Printf(format, v...)
}

// Polling a stand-in that is not up yet must not write to go-redis's
// process-wide logger (stderr by default), which would tear through the
// dashboard on every attempt.
func TestReadyFailuresLogNothing(t *testing.T) {
	var rec recordingLogger
	goredis.SetLogger(&rec)
	t.Cleanup(func() { goredis.SetLogger(stderrLogger{}) })

	s := mustNew(t, "")
	closed := emulators.Endpoint{Host: "127.0.0.1", Port: standintest.FreePort(t)}
	silent := emulators.Endpoint{Host: "127.0.0.1", Port: standintest.SilentPort(t)}
	for range 3 {
		if err := s.Ready(t.Context(), closed); err == nil {
			t.Fatal("Ready on a closed port: got nil, want an error")
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if err := s.Ready(ctx, silent); err == nil {
		t.Fatal("Ready on a silent server: got nil, want an error")
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.lines) > 0 {
		t.Errorf("go-redis logged %q, want nothing", rec.lines)
	}
}

func TestContract(t *testing.T) {
	standintest.Contract(t, mustNew(t, ""), readyTimeout)
}

func TestParseCommandStats(t *testing.T) {
	info := "# Commandstats\r\ncmdstat_get:calls=3,usec=12,usec_per_call=4.00,rejected_calls=0,failed_calls=0\r\n" +
		"cmdstat_config|set:calls=2,usec=30,usec_per_call=15.00\r\ncmdstat_FLUSHALL:calls=1,usec=5\r\nnot_a_stat:calls=9\r\ncmdstat_bad:usec=1\r\n"
	got := parseCommandStats(parseInfo(info))
	want := map[string]int64{"get": 3, "config|set": 2, "flushall": 1}
	if !maps.Equal(got, want) {
		t.Errorf("parseCommandStats: got %v, want %v", got, want)
	}
}
