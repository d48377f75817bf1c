package postgres

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

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
			want: emulators.Container{
				Image: "postgres",
				Env: map[string]string{
					"POSTGRES_USER": "postgres", "POSTGRES_PASSWORD": "postgres",
					"POSTGRES_DB": "postgres", "PGDATA": "/var/lib/postgresql/data",
				},
				Cmd:     []string{"postgres"},
				Port:    5432,
				DataDir: "/var/lib/postgresql/data",
			},
		},
		{
			name:  "database defaults to user",
			image: "postgres:16.4",
			opts:  []Option{WithUser("app"), WithPassword("s3cret")},
			want: emulators.Container{
				Image: "postgres:16.4",
				Env: map[string]string{
					"POSTGRES_USER": "app", "POSTGRES_PASSWORD": "s3cret",
					"POSTGRES_DB": "app", "PGDATA": "/var/lib/postgresql/data",
				},
				Cmd:     []string{"postgres"},
				Port:    5432,
				DataDir: "/var/lib/postgresql/data",
			},
		},
		{
			name:  "parameters sorted by name, merged, later wins",
			image: "registry.local/mirror/postgres:15",
			opts: []Option{
				WithDatabase("orders"),
				WithParameters(map[string]string{
					"work_mem":                 "4MB",
					"max_connections":          "200",
					"pg_stat_statements.track": "all",
				}),
				WithParameters(map[string]string{
					"work_mem":                 "8MB",
					"shared_preload_libraries": "pg_stat_statements,auto_explain",
					"search_path":              `"$user", public`,
					"log_line_prefix":          "",
				}),
			},
			want: emulators.Container{
				Image: "registry.local/mirror/postgres:15",
				Env: map[string]string{
					"POSTGRES_USER": "postgres", "POSTGRES_PASSWORD": "postgres",
					"POSTGRES_DB": "orders", "PGDATA": "/var/lib/postgresql/data",
				},
				Cmd: []string{"postgres",
					"-c", "log_line_prefix=",
					"-c", "max_connections=200",
					"-c", "pg_stat_statements.track=all",
					"-c", `search_path="$user", public`,
					"-c", "shared_preload_libraries=pg_stat_statements,auto_explain",
					"-c", "work_mem=8MB",
				},
				Port:    5432,
				DataDir: "/var/lib/postgresql/data",
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
	s := mustNew(t, "", WithParameters(map[string]string{"work_mem": "8MB"}))
	c := s.Container()
	c.Env["POSTGRES_USER"] = "changed"
	c.Cmd[2] = "changed"
	if got := s.Container(); got.Env["POSTGRES_USER"] != "postgres" || got.Cmd[2] != "work_mem=8MB" {
		t.Errorf("Container() after changing an earlier result: got %v %v, want the original", got.Env, got.Cmd)
	}
}

func TestOptionsDoNotAliasCallerMaps(t *testing.T) {
	params := map[string]string{"work_mem": "8MB"}
	s := mustNew(t, "", WithParameters(params))
	params["work_mem"] = "1GB"
	params["Bad-Name"] = "x"
	if got, want := s.Container().Cmd, []string{"postgres", "-c", "work_mem=8MB"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Cmd after changing the caller's map: got %q, want %q", got, want)
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		want []string // substrings of the error
	}{
		{"upper case parameter", []Option{WithParameters(map[string]string{"Work_Mem": "1"})}, []string{`parameter "Work_Mem"`}},
		{"dash in parameter", []Option{WithParameters(map[string]string{"work-mem": "1"})}, []string{`parameter "work-mem"`}},
		{"empty parameter name", []Option{WithParameters(map[string]string{"": "1"})}, []string{`parameter ""`}},
		{"= in parameter name", []Option{WithParameters(map[string]string{"a=b": "1"})}, []string{`parameter "a=b"`}},
		{"space in parameter name", []Option{WithParameters(map[string]string{"work mem": "1"})}, []string{`parameter "work mem"`}},
		{"NUL in parameter value", []Option{WithParameters(map[string]string{"work_mem": "1\x00"})}, []string{`parameter "work_mem": value contains a NUL`}},
		{"empty user", []Option{WithUser("")}, []string{"user must not be empty"}},
		{"long user", []Option{WithUser(strings.Repeat("u", 64))}, []string{"longer than 63 bytes"}},
		{"long database", []Option{WithDatabase(strings.Repeat("d", 64))}, []string{"database", "longer than 63 bytes"}},
		{"empty password", []Option{WithPassword("")}, []string{"password must not be empty"}},
		{"rename unknown variable", []Option{WithEnvNames(map[string]string{"PGHOST": "DB_HOST"})}, []string{`env rename "PGHOST"`}},
		{"rename to invalid name", []Option{WithEnvNames(map[string]string{"DATABASE_URL": "1DB"})}, []string{`"1DB": not a valid variable name`}},
		{
			"every problem at once, in order",
			[]Option{WithPassword(""), WithParameters(map[string]string{"b-b": "1", "a-a": "1", "ok": "1"})},
			[]string{"password must not be empty", `parameter "a-a"`, `parameter "b-b"`},
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
		user, pw string
		db       string
	}{
		{
			name:    "defaults, in-network form",
			ep:      emulators.Endpoint{Host: "db", Port: 5432},
			wantVar: "DATABASE_URL",
			wantURL: "postgres://postgres:postgres@db:5432/postgres?sslmode=disable",
			user:    "postgres", pw: "postgres", db: "postgres",
		},
		{
			name:    "renamed, host form",
			opts:    []Option{WithUser("app"), WithPassword("pw"), WithEnvNames(map[string]string{"DATABASE_URL": "PG_DSN"})},
			ep:      emulators.Endpoint{Host: "localhost", Port: 55432},
			wantVar: "PG_DSN",
			wantURL: "postgres://app:pw@localhost:55432/app?sslmode=disable",
			user:    "app", pw: "pw", db: "app",
		},
		{
			name: "special characters are escaped",
			opts: []Option{
				WithUser("app user@corp"),
				WithPassword(`p@ss:w/rd?#%&=+ é"'`),
				WithDatabase("my db/x?y#z%"),
			},
			ep:      emulators.Endpoint{Host: "127.0.0.1", Port: 5432},
			wantVar: "DATABASE_URL",
			wantURL: "postgres://app%20user%40corp:p%40ss%3Aw%2Frd%3F%23%25&=+%20%C3%A9%22%27@127.0.0.1:5432/my%20db%2Fx%3Fy%23z%25?sslmode=disable",
			user:    "app user@corp", pw: `p@ss:w/rd?#%&=+ é"'`, db: "my db/x?y#z%",
		},
		{
			name:    "IPv6 host",
			ep:      emulators.Endpoint{Host: "::1", Port: 5432},
			wantVar: "DATABASE_URL",
			wantURL: "postgres://postgres:postgres@[::1]:5432/postgres?sslmode=disable",
			user:    "postgres", pw: "postgres", db: "postgres",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustNew(t, "", tt.opts...).Env(tt.ep)
			if want := map[string]string{tt.wantVar: tt.wantURL}; !reflect.DeepEqual(got, want) {
				t.Fatalf("Env(%v):\ngot  %q\nwant %q", tt.ep, got, want)
			}
			// What a client makes of it is what matters.
			cfg, err := pgx.ParseConfig(got[tt.wantVar])
			if err != nil {
				t.Fatalf("pgx.ParseConfig(%q): %v", got[tt.wantVar], err)
			}
			if cfg.User != tt.user || cfg.Password != tt.pw || cfg.Database != tt.db ||
				cfg.Host != tt.ep.Host || int(cfg.Port) != tt.ep.Port {
				t.Errorf("pgx reads user %q password %q database %q host %q port %d; want %q %q %q %q %d",
					cfg.User, cfg.Password, cfg.Database, cfg.Host, cfg.Port, tt.user, tt.pw, tt.db, tt.ep.Host, tt.ep.Port)
			}
			if cfg.TLSConfig != nil {
				t.Errorf("pgx would use TLS, want sslmode=disable")
			}
		})
	}
}

func TestKind(t *testing.T) {
	if got := mustNew(t, "").Kind(); got != "postgres" {
		t.Errorf("Kind() = %q, want %q", got, "postgres")
	}
}

func TestSplitVersion(t *testing.T) {
	tests := []struct{ in, version, build string }{
		{"15.14 (Debian 15.14-1.pgdg120+1)", "15.14", "Debian 15.14-1.pgdg120+1"},
		{"15.18 (Debian 15.18-0+deb12u1)", "15.18", "Debian 15.18-0+deb12u1"},
		{"16.4", "16.4", ""},
		{"17beta2 (Ubuntu 17~beta2-1)", "17beta2", "Ubuntu 17~beta2-1"},
		{"", "", ""},
	}
	for _, tt := range tests {
		v, b := splitVersion(tt.in)
		if v != tt.version || b != tt.build {
			t.Errorf("splitVersion(%q) = %q, %q; want %q, %q", tt.in, v, b, tt.version, tt.build)
		}
	}
}

func TestContract(t *testing.T) {
	standintest.Contract(t, mustNew(t, ""), readyTimeout)
}
