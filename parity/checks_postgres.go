package parity

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/prodlike/prodlike/config"
	"github.com/prodlike/prodlike/emulators/postgres"
	"github.com/prodlike/prodlike/profiles"
	"github.com/prodlike/prodlike/profiles/truth"
)

// supportSoon is how far ahead an end of standard support is announced as
// info.
const supportSoon = 180 * 24 * time.Hour

var postgresChecks = []Check{
	{
		ID: "PG-VERSION-MAJOR", Title: "Postgres major version matches prod", Family: FamilyVersion,
		Severity: Block, Kind: config.KindPostgres, Needs: NeedLive | NeedProd, Run: pgVersionMajor,
	},
	{
		ID: "PG-VERSION-MINOR", Title: "Postgres minor version matches prod", Family: FamilyVersion,
		Severity: Warn, Kind: config.KindPostgres, Needs: NeedLive | NeedProd, Run: pgVersionMinor,
	},
	{
		ID: "PG-SUPPORT", Title: "Prod's Postgres version is in standard support", Family: FamilyVersion,
		Severity: Warn, Kind: config.KindPostgres, Needs: NeedProd | NeedCatalog, Run: pgSupport,
	},
	{
		ID: "PG-PARAM", Title: "Postgres parameters match prod's parameter group and the cloud's defaults", Family: FamilyConfig,
		Severity: Warn, Kind: config.KindPostgres, Needs: NeedLive | NeedProd, Run: pgParams,
	},
	{
		ID: "PG-TLS", Title: "TLS to Postgres is exercised in dev when prod requires it", Family: FamilyConfig,
		Severity: Warn, Kind: config.KindPostgres, Needs: NeedLive | NeedProd, Run: pgTLS,
	},
	{
		ID: "PG-EXTENSION", Title: "Extensions used in dev are allowed on prod's service and version", Family: FamilyExtensions,
		Severity: Block, Kind: config.KindPostgres, Needs: NeedLive | NeedProd | NeedCatalog, Run: pgExtensions,
	},
	{
		ID: "PG-PRELOAD", Title: "Preloaded libraries match prod", Family: FamilyExtensions,
		Severity: Warn, Kind: config.KindPostgres, Needs: NeedLive | NeedProd, Run: pgPreload,
	},
	{
		ID: "PG-SUPERUSER", Title: "The app does not rely on a superuser prod does not give", Family: FamilyExtensions,
		Severity: Warn, Kind: config.KindPostgres, Needs: NeedLive | NeedProd | NeedCatalog, Run: pgSuperuser,
	},
}

func pgVersionMajor(t *Target) []Finding {
	prod := t.Prod.Postgres.Version
	if prod == "" {
		return []Finding{{Severity: Info, Message: "prod's Postgres version is not known (a plan value known only after apply?); the major version was not compared", Fix: "apply the plan or state the version inline: environments.<env>.services.<service>.version"}}
	}
	dev := t.Dev.Postgres.Version
	if pgMajor(dev) == pgMajor(prod) {
		return nil
	}
	return []Finding{{
		Message: fmt.Sprintf("dev runs Postgres %s, prod runs %s: a different major version (SQL, planner, catalogs and extensions differ)", pgMajor(dev), pgMajor(prod)),
		Dev:     dev, Prod: prod,
		Fix: fmt.Sprintf("run the stand-in on Postgres %s: set x-prodlike.version: %q (or image postgres:%s), or run `prodlike up --env %s` to shape it from prod", pgMajor(prod), prod, prod, t.Env.Name),
	}}
}

func pgVersionMinor(t *Target) []Finding {
	prod, dev := t.Prod.Postgres.Version, t.Dev.Postgres.Version
	if prod == "" || pgMajor(dev) != pgMajor(prod) || sameVersionPrefix(dev, prod) {
		return nil
	}
	return []Finding{{
		Message: fmt.Sprintf("dev runs Postgres %s, prod runs %s: same major, different minor (bug fixes and security patches differ)", dev, prod),
		Dev:     dev, Prod: prod,
		Fix: fmt.Sprintf("pin the stand-in to %s: x-prodlike.version: %q, or `prodlike up --env %s`", prod, prod, t.Env.Name),
	}}
}

func pgSupport(t *Target) []Finding {
	return supportFindings(t, t.Prod.Postgres.Engine, t.Prod.Postgres.Version, "Postgres")
}

// supportFindings reports prod's version past (warn) or near (info) the end
// of its standard support on the managed service.
func supportFindings(t *Target, engine, version, product string) []Finding {
	if version == "" {
		return nil
	}
	eng, ok := t.Managed.Engine(engine)
	if !ok {
		return []Finding{{Severity: Info, Message: fmt.Sprintf("%s has no engine %q in prodlike's catalog; support window not checked", t.Managed.Name, engine), Fix: "check the engine name in the prod truth"}}
	}
	v, ok := eng.Major(version)
	if !ok {
		return []Finding{{Severity: Info, Subject: version, Message: fmt.Sprintf("%s %s is not a version prodlike's catalog lists for %s", product, version, t.Managed.Name), Prod: version,
			Fix: "check prod's version; if it is new, update prodlike"}}
	}
	end := v.EndOfStandardSupport
	switch {
	case end.IsZero():
		return nil
	case v.SupportEnded(t.Now):
		fix := fmt.Sprintf("upgrade prod to a supported major version of %s", product)
		if latest := latestMajor(eng); latest != "" {
			fix += fmt.Sprintf(" (the newest is %s)", latest)
		}
		msg := fmt.Sprintf("standard support for %s %s on %s ended on %s", product, v.Major, t.Managed.Name, end.Format(time.DateOnly))
		if !v.EndOfExtendedSupport.IsZero() {
			msg += fmt.Sprintf("; paid extended support runs until %s", v.EndOfExtendedSupport.Format(time.DateOnly))
		}
		return []Finding{{Message: msg, Prod: version, Fix: fix}}
	case end.Sub(t.Now) < supportSoon:
		return []Finding{{Severity: Info, Message: fmt.Sprintf("standard support for %s %s on %s ends on %s", product, v.Major, t.Managed.Name, end.Format(time.DateOnly)), Prod: version,
			Fix: "plan the major version upgrade"}}
	}
	return nil
}

func latestMajor(e *profiles.Engine) string {
	if len(e.Versions) == 0 {
		return ""
	}
	return e.Versions[len(e.Versions)-1].Major
}

// pgProdParameters returns prod's effective non-stock parameters.
func pgProdParameters(t *Target) map[string]string {
	return truth.EffectiveParameters(t.Prod.Managed, t.Prod.Postgres.Engine, t.Prod.Postgres.Version, t.Prod.Postgres.Parameters)
}

func pgParams(t *Target) []Finding {
	var out []Finding
	prod := pgProdParameters(t)
	for _, name := range slices.Sorted(maps.Keys(prod)) {
		want := prod[name]
		switch {
		case name == "shared_preload_libraries", isTLSParameter(name):
			continue // PG-PRELOAD and PG-TLS
		case profiles.ManagedOnlyParameter("postgres", name):
			out = append(out, Finding{Severity: Info, Subject: name, Message: fmt.Sprintf("prod sets %s, which only the managed service has; the stand-in cannot be compared", name), Prod: want,
				Fix: "check by hand that the app does not depend on it"})
			continue
		case strings.Contains(want, "{"):
			out = append(out, Finding{Severity: Info, Subject: name, Message: fmt.Sprintf("prod computes %s from the instance class (%s); not compared", name, want), Prod: want,
				Fix: "set a fixed value in the stand-in's parameters if the app depends on it"})
			continue
		}
		s, ok := pgSetting(t.Dev.Postgres.Settings, name)
		if !ok {
			out = append(out, Finding{Severity: Info, Subject: name, Message: fmt.Sprintf("prod sets %s, which the stand-in's Postgres does not know (an extension's setting not loaded, or a newer version's)", name), Prod: want,
				Fix: "load the extension in dev too (shared_preload_libraries), or check the name"})
			continue
		}
		if pgSettingEqual(name, s, want) {
			continue
		}
		out = append(out, Finding{
			Subject: name,
			Message: fmt.Sprintf("%s is %s in dev and %s in prod", name, pgSettingString(s), want),
			Dev:     pgSettingString(s), Prod: want,
			Fix: fmt.Sprintf("set it in the stand-in: x-prodlike.parameters: {%s: %q}, or `prodlike up --env %s` to take prod's parameters", name, want, t.Env.Name),
		})
	}
	return out
}

// pgSetting finds a setting by name the way Postgres does, ignoring case:
// parameter groups write timezone, pg_settings names it TimeZone.
func pgSetting(settings map[string]postgres.Setting, name string) (postgres.Setting, bool) {
	if s, ok := settings[name]; ok {
		return s, true
	}
	for n, s := range settings {
		if strings.EqualFold(n, name) {
			return s, true
		}
	}
	return postgres.Setting{}, false
}

func isTLSParameter(name string) bool {
	return name == "rds.force_ssl" || name == "require_secure_transport" || name == "ssl"
}

func pgTLS(t *Target) []Finding {
	required, because := truth.PostgresRequiresTLS(t.Prod.Managed, t.Prod.Postgres)
	if !required {
		return nil
	}
	devTLS := false
	if s, ok := t.Dev.Postgres.Settings["ssl"]; ok {
		devTLS, _ = pgBool(s.Value)
	}
	switch prodSSLMode(t) {
	case "disable":
		return []Finding{{Severity: Block, Subject: "sslmode",
			Message: fmt.Sprintf("prod requires TLS (%s) but the connection URL prod gives the app says sslmode=disable; the database will refuse its connections", because),
			Prod:    "sslmode=disable", Fix: "set sslmode=require (or verify-full with the cloud's CA bundle) in prod's connection URL"}}
	}
	switch {
	case !devTLS:
		return []Finding{{
			Message: fmt.Sprintf("prod requires TLS (%s) but the stand-in serves none, so the app's TLS path (sslmode, CA bundle) is never exercised in dev", because),
			Dev:     "no TLS", Prod: "TLS required",
			Fix: "let prodlike shape the stand-in from prod (prodlike up, without --no-shape): it then refuses plain connections and the app gets sslmode=require"}}
	}
	return nil
}

// prodSSLMode returns the sslmode of the connection URL prod gives the app
// for this database (the variable the stand-in sets in dev), "" when prod's
// value is unknown, secret or sets none.
func prodSSLMode(t *Target) string {
	name := t.Dev.EnvName(config.DefaultEnvName(config.KindPostgres))
	for _, r := range t.Env.Services {
		if r.App == nil {
			continue
		}
		raw := r.App.Env[name]
		if raw == "" || raw == truth.Redacted {
			return ""
		}
		if u, err := url.Parse(raw); err == nil {
			return u.Query().Get("sslmode")
		}
	}
	return ""
}

func pgExtensions(t *Target) []Finding {
	eng, ok := t.Managed.Engine(t.Prod.Postgres.Engine)
	version := t.Prod.Postgres.Version
	if !ok || version == "" {
		return nil
	}
	var out []Finding
	for _, e := range t.Dev.Postgres.Extensions {
		if e.Name == "plpgsql" {
			continue
		}
		if _, ok := eng.Extension(e.Name, version); ok {
			continue
		}
		out = append(out, Finding{
			Subject: e.Name,
			Message: fmt.Sprintf("extension %s is installed in dev but %s does not allow it on %s", e.Name, t.Managed.Name, version),
			Dev:     e.Name + " " + e.Version, Prod: "not allowed",
			Fix: fmt.Sprintf("drop the dependency on %s, or move to a service or version that offers it", e.Name),
		})
	}
	return out
}

func pgPreload(t *Target) []Finding {
	prodLibs := listSet(pgProdParameters(t)["shared_preload_libraries"])
	devLibs := listSet(t.Dev.Postgres.Settings["shared_preload_libraries"].Value)
	var out []Finding
	for _, lib := range devLibs {
		if !slices.Contains(prodLibs, lib) {
			out = append(out, Finding{Subject: lib,
				Message: fmt.Sprintf("dev preloads %s but prod's shared_preload_libraries does not; what works in dev fails in prod", lib),
				Dev:     strings.Join(devLibs, ","), Prod: strings.Join(prodLibs, ","),
				Fix: fmt.Sprintf("add %s to shared_preload_libraries in prod's parameter group, or stop preloading it in dev", lib)})
		}
	}
	// An installed extension that must be preloaded but prod does not
	// preload (unless dev's own preload was reported above). Without a
	// catalog entry, which extensions need preloading is not known.
	if t.Managed == nil {
		return append(out, pgPreloadProdOnly(prodLibs, devLibs)...)
	}
	if eng, ok := t.Managed.Engine(t.Prod.Postgres.Engine); ok && t.Prod.Postgres.Version != "" {
		for _, e := range t.Dev.Postgres.Extensions {
			x, ok := eng.Extension(e.Name, t.Prod.Postgres.Version)
			if !ok || !x.Preload || slices.Contains(prodLibs, e.Name) || slices.Contains(devLibs, e.Name) {
				continue
			}
			out = append(out, Finding{Subject: e.Name,
				Message: fmt.Sprintf("extension %s needs shared_preload_libraries, and prod's parameter group does not preload it", e.Name),
				Prod:    strings.Join(prodLibs, ","),
				Fix:     fmt.Sprintf("add %s to shared_preload_libraries in prod's parameter group (it needs a reboot)", e.Name)})
		}
	}
	return append(out, pgPreloadProdOnly(prodLibs, devLibs)...)
}

// pgPreloadProdOnly notes libraries prod preloads and dev does not.
func pgPreloadProdOnly(prodLibs, devLibs []string) []Finding {
	var out []Finding
	for _, lib := range prodLibs {
		if !slices.Contains(devLibs, lib) {
			out = append(out, Finding{Severity: Info, Subject: lib,
				Message: fmt.Sprintf("prod preloads %s but dev does not", lib),
				Dev:     strings.Join(devLibs, ","), Prod: strings.Join(prodLibs, ","),
				Fix: fmt.Sprintf("preload it in dev too: x-prodlike.parameters: {shared_preload_libraries: %q}", strings.Join(prodLibs, ","))})
		}
	}
	return out
}

func pgSuperuser(t *Target) []Finding {
	if !t.Dev.Postgres.Superuser || t.Managed.Superuser {
		return nil
	}
	role := t.Managed.SuperuserRole
	if role == "" {
		role = "a restricted admin role"
	}
	return []Finding{{
		Subject: t.Dev.Postgres.User,
		Message: fmt.Sprintf("the app connects to dev as %s, a superuser; %s gives no superuser, only %s, so what needs superuser (ALTER SYSTEM, COPY to or from server files, untrusted languages, some CREATE EXTENSION) fails in prod", t.Dev.Postgres.User, t.Managed.Name, role),
		Dev:     "superuser", Prod: role,
		Fix: "connect the app as a role without SUPERUSER in dev (create it in an init script) and grant it what prod's role has",
	}}
}
