package truth

import (
	"cmp"
	"fmt"
	"maps"
	"strings"

	"github.com/prodlike/prodlike/profiles"
)

// EffectiveParameters returns the parameters prod really runs with where they
// differ from the stock engine: the managed service's defaults for engine
// and version (from prodlike's catalog), with the truth's own parameter
// group laid over them. Values may be formulas of the instance class
// ({DBInstanceClassMemory/…}).
func EffectiveParameters(managed, engine, version string, own map[string]string) map[string]string {
	out := map[string]string{}
	if svc, err := profiles.Lookup(managed); err == nil && version != "" {
		if eng, ok := svc.Engine(engine); ok {
			for name, p := range eng.ParametersFor(version) {
				out[name] = p.Value
			}
		}
	}
	maps.Copy(out, own)
	return out
}

// PostgresRequiresTLS reports whether prod's Postgres refuses connections
// without TLS, and why: the truth's own tls, else its parameter group
// (rds.force_ssl, require_secure_transport), else the managed service's
// default for the version (RDS from 15 on). Shaping and parity both ask it.
func PostgresRequiresTLS(managed string, p *Postgres) (required bool, because string) {
	if p.TLS != nil {
		return *p.TLS, "prod's truth says so"
	}
	for _, name := range []string{"rds.force_ssl", "require_secure_transport"} {
		if v, ok := p.Parameters[name]; ok {
			return isOn(v), fmt.Sprintf("%s is %s in prod's parameter group", name, v)
		}
	}
	svc, err := profiles.Lookup(managed)
	if err != nil || p.Version == "" || svc.TLSDefault(p.Version) != "required" {
		return false, ""
	}
	param := cmp.Or(svc.TLS.Parameter, "TLS")
	major, _, _ := strings.Cut(p.Version, ".")
	return true, fmt.Sprintf("%s defaults to requiring it on Postgres %s (%s)", svc.Name, major, param)
}

// isOn reads a boolean parameter value as Postgres and MySQL-style groups
// write them.
func isOn(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "on", "true", "yes":
		return true
	}
	return false
}
