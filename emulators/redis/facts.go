package redis

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/prodlike/prodlike/emulators"
)

// Facts is what a live Redis or Valkey server reports about itself.
type Facts struct {
	// Engine is EngineValkey when the server names itself valkey
	// (server_name or valkey_version), EngineRedis otherwise.
	Engine string
	// Version is valkey_version for Valkey 8+ (whose redis_version stays at
	// the compatibility number 7.2.4), redis_version otherwise: "7.0.15".
	Version string
	// Mode is redis_mode (server_mode on servers that only send that):
	// standalone, cluster or sentinel.
	Mode string
	// OS is the os field: "Linux 6.8.0-45-generic x86_64".
	OS string
	// ArchBits is 64 or 32; 0 if the server did not say.
	ArchBits int
	// Server holds every field of INFO server, by name.
	Server map[string]string
	// Config holds every parameter CONFIG GET * returns, by name.
	Config map[string]string
	// Commands counts the calls of each command since the server started
	// (INFO commandstats), lower case, with subcommands as Redis 7 names
	// them: "get", "config|set". Read before CONFIG GET, so that the read
	// itself is not counted; earlier reads by prodlike are (config|get).
	Commands map[string]int64
}

var _ emulators.Facts = (*Facts)(nil)

// ServerVersion returns Version.
func (f *Facts) ServerVersion() string { return f.Version }

// MaxmemoryPolicy returns the eviction policy, e.g. "noeviction" or
// "allkeys-lru"; ElastiCache's default is volatile-lru.
func (f *Facts) MaxmemoryPolicy() string { return f.Config["maxmemory-policy"] }

// Facts reads the live server at ep: INFO server and CONFIG GET * in one
// round trip. Without a deadline on ctx it gives up after ten seconds.
func (s *Standin) Facts(ctx context.Context, ep emulators.Endpoint) (emulators.Facts, error) {
	ctx, cancel := emulators.WithDefaultTimeout(ctx, factsTimeout)
	defer cancel()
	c, err := s.dial(ctx, ep, factsTimeout)
	if err != nil {
		return nil, fmt.Errorf("%s facts at %s: %w", s.opts.engine, ep.Addr(), err)
	}
	defer c.Close()

	var info, stats *goredis.StringCmd
	var config *goredis.MapStringStringCmd
	_, err = c.Pipelined(ctx, func(p goredis.Pipeliner) error {
		info = p.Info(ctx, "server")
		stats = p.Info(ctx, "commandstats")
		config = p.ConfigGet(ctx, "*")
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s facts at %s: %w", s.opts.engine, ep.Addr(), err)
	}
	f := factsFromInfo(parseInfo(info.Val()))
	f.Config = config.Val()
	f.Commands = parseCommandStats(parseInfo(stats.Val()))
	return f, nil
}

// parseCommandStats reads the calls of each command from INFO commandstats
// fields: cmdstat_config|set:calls=2,usec=… → "config|set": 2.
func parseCommandStats(fields map[string]string) map[string]int64 {
	out := map[string]int64{}
	for name, value := range fields {
		cmd, ok := strings.CutPrefix(name, "cmdstat_")
		if !ok {
			continue
		}
		for _, kv := range strings.Split(value, ",") {
			if n, ok := strings.CutPrefix(kv, "calls="); ok {
				calls, err := strconv.ParseInt(n, 10, 64)
				if err == nil {
					out[strings.ToLower(cmd)] = calls
				}
			}
		}
	}
	return out
}

// parseInfo reads the "name:value" lines of an INFO reply, skipping section
// headers and blank lines.
func parseInfo(info string) map[string]string {
	fields := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if name, value, ok := strings.Cut(line, ":"); ok {
			fields[name] = value
		}
	}
	return fields
}

// factsFromInfo fills the INFO server part of Facts.
func factsFromInfo(server map[string]string) *Facts {
	f := &Facts{
		Engine:  EngineRedis,
		Version: server["redis_version"],
		Mode:    server["redis_mode"],
		OS:      server["os"],
		Server:  server,
	}
	// Valkey keeps redis_version at 7.2.4 for clients that check it; 7.2
	// names itself only in server_name, 8.0 on also in valkey_version.
	if server["server_name"] == EngineValkey || server["valkey_version"] != "" {
		f.Engine = EngineValkey
		if v := server["valkey_version"]; v != "" {
			f.Version = v
		}
	}
	if f.Mode == "" {
		f.Mode = server["server_mode"]
	}
	f.ArchBits, _ = strconv.Atoi(server["arch_bits"])
	return f
}
