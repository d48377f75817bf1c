package truth

import (
	"maps"

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
