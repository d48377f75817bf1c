package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/prodlike/prodlike/emulators"
)

// Facts is what a live Postgres reports about itself.
type Facts struct {
	// Version is server_version without the packager's suffix: "15.14".
	Version string
	// VersionBuild is that suffix without parentheses, "" when there is
	// none: "Debian 15.14-1.pgdg120+1". Alpine builds have none.
	VersionBuild string
	// VersionNum is server_version_num: 150014.
	VersionNum int
	// Settings holds every row of pg_settings the user may read, by name.
	Settings map[string]Setting
	// Extensions are the extensions installed in Database, by name.
	Extensions []Extension
	// AvailableExtensions names the extensions the server could install,
	// sorted.
	AvailableExtensions []string
	// Database and User are current_database() and current_user.
	Database string
	User     string
	// Superuser is rolsuper of User.
	Superuser bool
	// Encoding, Collation and CType describe Database (encoding name,
	// datcollate, datctype).
	Encoding  string
	Collation string
	CType     string
}

// Setting is one row of pg_settings.
type Setting struct {
	// Value is pg_settings.setting, in Unit: work_mem 4MB reads "4096", "kB".
	Value string
	// Unit is "" for settings without one.
	Unit string
	// Source says where the value came from: "default", "command line",
	// "configuration file", …
	Source string
}

// Extension is one installed extension.
type Extension struct {
	Name    string
	Version string
}

var _ emulators.Facts = (*Facts)(nil)

// ServerVersion returns Version.
func (f *Facts) ServerVersion() string { return f.Version }

// Extension reports the installed extension called name.
func (f *Facts) Extension(name string) (Extension, bool) {
	for _, e := range f.Extensions {
		if e.Name == name {
			return e, true
		}
	}
	return Extension{}, false
}

// The facts queries, sent as one batch: one connection, one round trip.
const (
	serverQuery = `SELECT current_setting('server_version'),
	current_setting('server_version_num')::int,
	current_database()::text,
	current_user::text,
	coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false),
	pg_encoding_to_char(d.encoding)::text,
	d.datcollate::text,
	d.datctype::text
FROM pg_database d
WHERE d.datname = current_database()`
	settingsQuery            = `SELECT name::text, coalesce(setting, ''), coalesce(unit, ''), coalesce(source, '') FROM pg_settings`
	extensionsQuery          = `SELECT extname::text, extversion FROM pg_extension ORDER BY extname`
	availableExtensionsQuery = `SELECT name::text FROM pg_available_extensions ORDER BY name`
)

// Facts reads the live server at ep over one connection. Without a deadline
// on ctx it gives up after ten seconds.
func (s *Standin) Facts(ctx context.Context, ep emulators.Endpoint) (emulators.Facts, error) {
	ctx, cancel := emulators.WithDefaultTimeout(ctx, factsTimeout)
	defer cancel()
	conn, err := s.connect(ctx, ep, factsTimeout)
	if err != nil {
		return nil, fmt.Errorf("postgres facts at %s: %w", ep.Addr(), err)
	}
	defer closeConn(ctx, conn)

	f, err := readFacts(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("postgres facts at %s: %w", ep.Addr(), err)
	}
	return f, nil
}

func readFacts(ctx context.Context, conn *pgx.Conn) (*Facts, error) {
	var b pgx.Batch
	b.Queue(serverQuery)
	b.Queue(settingsQuery)
	b.Queue(extensionsQuery)
	b.Queue(availableExtensionsQuery)
	br := conn.SendBatch(ctx, &b)
	defer br.Close()

	var f Facts
	var version string
	err := br.QueryRow().Scan(&version, &f.VersionNum, &f.Database, &f.User,
		&f.Superuser, &f.Encoding, &f.Collation, &f.CType)
	if err != nil {
		return nil, fmt.Errorf("read server: %w", err)
	}
	f.Version, f.VersionBuild = splitVersion(version)

	rows, _ := br.Query()
	f.Settings = map[string]Setting{}
	var name string
	var setting Setting
	_, err = pgx.ForEachRow(rows, []any{&name, &setting.Value, &setting.Unit, &setting.Source}, func() error {
		f.Settings[name] = setting
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read pg_settings: %w", err)
	}

	rows, _ = br.Query()
	f.Extensions, err = pgx.CollectRows(rows, pgx.RowToStructByPos[Extension])
	if err != nil {
		return nil, fmt.Errorf("read pg_extension: %w", err)
	}

	rows, _ = br.Query()
	f.AvailableExtensions, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("read pg_available_extensions: %w", err)
	}
	return &f, br.Close()
}

// splitVersion splits server_version into the version and the packager's
// suffix: "15.14 (Debian 15.14-1.pgdg120+1)" → "15.14", "Debian 15.14-1.pgdg120+1".
func splitVersion(v string) (version, build string) {
	version, build, _ = strings.Cut(strings.TrimSpace(v), " ")
	build = strings.TrimSpace(build)
	build = strings.TrimSuffix(strings.TrimPrefix(build, "("), ")")
	return version, build
}
