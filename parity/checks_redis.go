package parity

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/prodlike/prodlike/config"
	"github.com/prodlike/prodlike/profiles"
	"github.com/prodlike/prodlike/profiles/truth"
)

var redisChecks = []Check{
	{
		ID: "REDIS-ENGINE", Title: "Redis or Valkey, as prod runs", Family: FamilyVersion,
		Severity: Block, Kind: config.KindRedis, Needs: NeedLive | NeedProd, Run: redisEngine,
	},
	{
		ID: "REDIS-VERSION-MAJOR", Title: "Redis/Valkey major version matches prod", Family: FamilyVersion,
		Severity: Block, Kind: config.KindRedis, Needs: NeedLive | NeedProd, Run: redisVersionMajor,
	},
	{
		ID: "REDIS-VERSION-MINOR", Title: "Redis/Valkey release line matches prod", Family: FamilyVersion,
		Severity: Warn, Kind: config.KindRedis, Needs: NeedLive | NeedProd, Run: redisVersionMinor,
	},
	{
		ID: "REDIS-SUPPORT", Title: "Prod's Redis/Valkey version is in standard support", Family: FamilyVersion,
		Severity: Warn, Kind: config.KindRedis, Needs: NeedProd | NeedCatalog, Run: redisSupport,
	},
	{
		ID: "REDIS-EVICTION", Title: "Eviction policy matches prod", Family: FamilyConfig,
		Severity: Warn, Kind: config.KindRedis, Needs: NeedLive | NeedProd, Run: redisEviction,
	},
	{
		ID: "REDIS-PARAM", Title: "Redis/Valkey parameters match prod's parameter group and the cloud's defaults", Family: FamilyConfig,
		Severity: Warn, Kind: config.KindRedis, Needs: NeedLive | NeedProd, Run: redisParams,
	},
	{
		ID: "REDIS-TLS", Title: "TLS to Redis/Valkey is exercised in dev when prod encrypts in transit", Family: FamilyConfig,
		Severity: Warn, Kind: config.KindRedis, Needs: NeedLive | NeedProd, Run: redisTLS,
	},
	{
		ID: "REDIS-AUTH", Title: "The app authenticates in dev when prod requires AUTH", Family: FamilyConfig,
		Severity: Warn, Kind: config.KindRedis, Needs: NeedLive | NeedProd, Run: redisAuth,
	},
	{
		ID: "REDIS-CLUSTER", Title: "Cluster mode matches prod", Family: FamilyConfig,
		Severity: Block, Kind: config.KindRedis, Needs: NeedLive | NeedProd, Run: redisCluster,
	},
	{
		ID: "REDIS-COMMANDS", Title: "The app uses no command prod's service blocks", Family: FamilyConfig,
		Severity: Block, Kind: config.KindRedis, Needs: NeedLive | NeedProd | NeedCatalog, Run: redisCommands,
	},
}

func redisProduct(engine string) string {
	if engine == "valkey" {
		return "Valkey"
	}
	return "Redis"
}

func redisEngine(t *Target) []Finding {
	dev, prod := t.Dev.Redis.Engine, t.Prod.Redis.Engine
	if prod == "" || dev == prod {
		return nil
	}
	return []Finding{{
		Message: fmt.Sprintf("dev runs %s, prod runs %s; they share a protocol but differ in versions, defaults and licence", redisProduct(dev), redisProduct(prod)),
		Dev:     dev, Prod: prod,
		Fix: fmt.Sprintf("set x-prodlike.engine: %s on the stand-in (or `prodlike up --env %s`)", prod, t.Env.Name),
	}}
}

func redisVersionMajor(t *Target) []Finding {
	dev, prod := t.Dev.Redis.Version, t.Prod.Redis.Version
	if prod == "" {
		return []Finding{{Severity: Info, Message: "prod's engine version is not known (a plan value known only after apply?); not compared", Fix: "state it inline: environments.<env>.services.<service>.version"}}
	}
	if t.Dev.Redis.Engine != t.Prod.Redis.Engine && t.Prod.Redis.Engine != "" {
		return nil // REDIS-ENGINE says it; versions of different engines do not compare
	}
	_, dm := redisLine(dev)
	_, pm := redisLine(prod)
	if dm == pm {
		return nil
	}
	product := redisProduct(t.Prod.Redis.Engine)
	return []Finding{{
		Message: fmt.Sprintf("dev runs %s %s, prod runs %s: a different major version (commands, replies and defaults differ)", product, dev, prod),
		Dev:     dev, Prod: prod,
		Fix: fmt.Sprintf("set x-prodlike.version: %q on the stand-in, or `prodlike up --env %s`", prod, t.Env.Name),
	}}
}

func redisVersionMinor(t *Target) []Finding {
	dev, prod := t.Dev.Redis.Version, t.Prod.Redis.Version
	if prod == "" || (t.Dev.Redis.Engine != t.Prod.Redis.Engine && t.Prod.Redis.Engine != "") {
		return nil
	}
	_, dm := redisLine(dev)
	_, pm := redisLine(prod)
	if dm != pm || sameVersionPrefix(dev, prod) {
		return nil
	}
	return []Finding{{
		Message: fmt.Sprintf("dev runs %s %s, prod runs %s: same major, different release", redisProduct(t.Prod.Redis.Engine), dev, prod),
		Dev:     dev, Prod: prod,
		Fix: fmt.Sprintf("set x-prodlike.version: %q on the stand-in, or `prodlike up --env %s`", prod, t.Env.Name),
	}}
}

func redisSupport(t *Target) []Finding {
	engine := t.Prod.Redis.Engine
	if engine == "" {
		engine = "redis"
	}
	return supportFindings(t, engine, t.Prod.Redis.Version, redisProduct(engine))
}

// redisProdParameters returns prod's effective non-stock parameters.
func redisProdParameters(t *Target) map[string]string {
	engine := t.Prod.Redis.Engine
	if engine == "" {
		engine = "redis"
	}
	return truth.EffectiveParameters(t.Prod.Managed, engine, t.Prod.Redis.Version, t.Prod.Redis.Parameters)
}

func redisEviction(t *Target) []Finding {
	prod, ok := redisProdParameters(t)["maxmemory-policy"]
	dev := t.Dev.Redis.MaxmemoryPolicy()
	if !ok || redisValueEqual(dev, prod) {
		return nil
	}
	return []Finding{{
		Subject: "maxmemory-policy",
		Message: fmt.Sprintf("dev evicts with %s, prod with %s: under memory pressure prod drops keys differently (or refuses writes)", dev, prod),
		Dev:     dev, Prod: prod,
		Fix: fmt.Sprintf("set x-prodlike.parameters: {maxmemory-policy: %s} on the stand-in, or `prodlike up --env %s`", prod, t.Env.Name),
	}}
}

func redisParams(t *Target) []Finding {
	var out []Finding
	prod := redisProdParameters(t)
	for _, name := range slices.Sorted(maps.Keys(prod)) {
		want := prod[name]
		if name == "maxmemory-policy" {
			continue // REDIS-EVICTION
		}
		if profiles.ManagedOnlyParameter("redis", name) {
			if name != "cluster-enabled" {
				out = append(out, Finding{Severity: Info, Subject: name, Message: fmt.Sprintf("prod sets %s, which only the managed service has; not compared", name), Prod: want,
					Fix: "nothing to do in dev; keep it in mind when sizing memory"})
			}
			continue
		}
		dev, ok := t.Dev.Redis.Config[name]
		if !ok {
			out = append(out, Finding{Severity: Info, Subject: name, Message: fmt.Sprintf("prod sets %s, which the stand-in's server does not know", name), Prod: want,
				Fix: "check the parameter name and the stand-in's version"})
			continue
		}
		if redisValueEqual(dev, want) {
			continue
		}
		out = append(out, Finding{Subject: name,
			Message: fmt.Sprintf("%s is %q in dev and %q in prod", name, dev, want),
			Dev:     dev, Prod: want,
			Fix: fmt.Sprintf("set x-prodlike.parameters: {%s: %q} on the stand-in, or `prodlike up --env %s`", name, want, t.Env.Name)})
	}
	return out
}

func redisTLS(t *Target) []Finding {
	if !t.Prod.Redis.TLS {
		return nil
	}
	if port := t.Dev.Redis.Config["tls-port"]; port != "" && port != "0" {
		return nil
	}
	return []Finding{{
		Message: "prod encrypts in transit (TLS) but the stand-in serves plain TCP, so the app's TLS client settings are never exercised in dev",
		Dev:     "plain TCP", Prod: "TLS",
		Fix: "use a rediss:// URL in prod; stand-ins do not serve TLS yet, so exercise it against staging before promoting",
	}}
}

func redisAuth(t *Target) []Finding {
	if !t.Prod.Redis.AuthToken {
		return nil
	}
	if t.Dev.Redis.Config["requirepass"] != "" {
		return nil
	}
	return []Finding{{
		Message: "prod requires AUTH (an auth token or RBAC user) but the stand-in accepts anyone, so a missing password in the app's configuration only shows in prod",
		Dev:     "no auth", Prod: "AUTH required",
		Fix: "let prodlike shape the stand-in from prod (prodlike up, without --no-shape): it then requires a password and the app gets it in its REDIS_URL",
	}}
}

func redisCluster(t *Target) []Finding {
	prod := t.Prod.Redis.ClusterMode || strings.EqualFold(t.Prod.Redis.Parameters["cluster-enabled"], "yes")
	dev := t.Dev.Redis.Mode == "cluster"
	if prod == dev {
		return nil
	}
	mode := func(cluster bool) string {
		if cluster {
			return "cluster"
		}
		return "standalone"
	}
	f := Finding{Dev: mode(dev), Prod: mode(prod)}
	if prod {
		f.Message = "prod runs in cluster mode but dev is standalone: multi-key commands across slots, MULTI over several keys and SELECT fail in prod, and the client must follow MOVED redirects"
		f.Fix = "use a cluster-aware client and hash tags ({user:1}) for keys used together; test against a cluster-mode stand-in"
	} else {
		f.Message = "dev runs in cluster mode but prod is standalone"
		f.Fix = "run the stand-in standalone, as prod"
	}
	return []Finding{f}
}

// ownCommands are subcommands prodlike itself calls on every stand-in it
// reads, which commandstats cannot tell apart from the app's calls.
var ownCommands = []string{"config|get"}

func redisCommands(t *Target) []Finding {
	engine := t.Prod.Redis.Engine
	if engine == "" {
		engine = "redis"
	}
	eng, ok := t.Managed.Engine(engine)
	if !ok || len(eng.BlockedCommands) == 0 {
		return nil
	}
	var out []Finding
	for _, cmd := range slices.Sorted(maps.Keys(t.Dev.Redis.Commands)) {
		if slices.Contains(ownCommands, cmd) || t.Dev.Redis.Commands[cmd] == 0 {
			continue
		}
		name, sub, _ := strings.Cut(strings.ToUpper(cmd), "|")
		blocked := slices.Contains(eng.BlockedCommands, name)
		if !blocked && sub != "" {
			blocked = slices.Contains(eng.BlockedCommands, name+" "+sub)
		}
		if !blocked {
			continue
		}
		shown := strings.TrimSpace(name + " " + sub)
		out = append(out, Finding{Subject: shown,
			Message: fmt.Sprintf("the app called %s %d time(s) in dev; %s blocks it, so the same call fails in prod", shown, t.Dev.Redis.Commands[cmd], t.Managed.Name),
			Dev:     fmt.Sprintf("%d calls", t.Dev.Redis.Commands[cmd]), Prod: "blocked",
			Fix: fmt.Sprintf("stop calling %s from the app: set what it changes in prod's parameter group instead", shown)})
	}
	return out
}
