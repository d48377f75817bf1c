package profiles

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultService returns the catalog service that plays a stand-in kind on
// a cloud: aws/postgres → aws.rds-postgres, aws/postgres/aurora-postgresql
// → aws.aurora-postgres, gcp/redis/valkey → gcp.memorystore-valkey …
// An empty engine picks the cloud's first service of that kind (the
// catalogs list the usual one first); services without engines (s3, sqs)
// ignore it.
func DefaultService(cloud, kind, engine string) (*Service, bool) {
	c, err := ForCloud(cloud)
	if err != nil {
		return nil, false
	}
	for _, s := range c.Services {
		if s.Kind != kind {
			continue
		}
		if engine == "" || len(s.Engines) == 0 {
			return s, true
		}
		if _, ok := s.Engine(engine); ok {
			return s, true
		}
	}
	return nil, false
}

// Engine returns the service's engine by its API name (postgres, valkey);
// "" returns the first.
func (s *Service) Engine(name string) (*Engine, bool) {
	if len(s.Engines) == 0 {
		return nil, false
	}
	if name == "" {
		return s.Engines[0], true
	}
	for _, e := range s.Engines {
		if strings.EqualFold(e.Name, name) {
			return e, true
		}
	}
	return nil, false
}

// TLSDefault is how a new instance of the given version treats TLS:
// "required", "optional" or "off". Versions before TLS.RequiredFrom are
// "optional" (TLS is on but not enforced); "" means the newest version.
func (s *Service) TLSDefault(version string) string {
	if s.TLS.RequiredFrom == "" || version == "" {
		return s.TLS.Default
	}
	v := normalizeVersion(version)
	if e, ok := s.Engine(""); ok {
		if line, ok := e.Major(v); ok {
			v = line.Major
		}
	}
	if _, ok := parseVersion(v); !ok {
		return s.TLS.Default
	}
	if withinMajors(v, s.TLS.RequiredFrom, "") {
		return s.TLS.Default
	}
	return "optional"
}

// Major returns the version line a version belongs to. It accepts a full
// version ("16.4", "9.6.24", "7.1.0", "11.22-rds.20240418"), a line itself
// ("16", "7.1", "6.x"), the API spellings of Cloud SQL and Memorystore
// ("POSTGRES_16", "REDIS_6_X"), and a partial version that the service
// resolves to its newest matching line ("6.x" or "6" → "6.2" on
// ElastiCache).
func (e *Engine) Major(version string) (Version, bool) {
	v := normalizeVersion(version)
	if line, ok := e.line(v); ok {
		return line, true
	}
	for _, line := range e.Versions {
		for _, minor := range line.Minors {
			if strings.EqualFold(minor, v) {
				return line, true
			}
		}
	}
	want, ok := parseVersion(v)
	if !ok {
		return Version{}, false
	}
	// A line that is a prefix of the version is the version's own line
	// (16 for 16.4, 6.x for 6.2.6); prefer the most specific one.
	best, bestLen := -1, 0
	for i, line := range e.Versions {
		lv, _ := parseVersion(line.Major)
		if len(lv.parts) > len(want.parts) || !lv.matches(want) {
			continue
		}
		// Ties go to the later, newer line.
		if len(lv.parts) >= bestLen {
			best, bestLen = i, len(lv.parts)
		}
	}
	if best >= 0 {
		return e.Versions[best], true
	}
	// Otherwise the version names several lines ("6", "6.x"): the service
	// picks the newest.
	for i := len(e.Versions) - 1; i >= 0; i-- {
		lv, _ := parseVersion(e.Versions[i].Major)
		if lv.matches(want) {
			return e.Versions[i], true
		}
	}
	return Version{}, false
}

// Offers reports whether the service offers the version: a listed minor,
// a line, or a wildcard the service resolves ("6.x"). On a line whose
// minors the catalog does not list (the service does not expose them),
// any version of the line counts as offered.
func (e *Engine) Offers(version string) bool {
	v := normalizeVersion(version)
	if _, ok := e.line(v); ok {
		return true
	}
	line, ok := e.Major(v)
	if !ok {
		return false
	}
	if len(line.Minors) == 0 {
		return true
	}
	for _, minor := range line.Minors {
		if strings.EqualFold(minor, v) {
			return true
		}
	}
	pv, _ := parseVersion(v)
	return pv.hasWildcard()
}

// Latest returns the newest listed minor of the line the version belongs
// to ("16" → "16.13"); "" when the line is unknown or lists no minors.
func (e *Engine) Latest(major string) string {
	line, ok := e.Major(major)
	if !ok || len(line.Minors) == 0 {
		return ""
	}
	latest := line.Minors[0]
	for _, minor := range line.Minors[1:] {
		if compareVersions(minor, latest) > 0 {
			latest = minor
		}
	}
	return latest
}

// ParametersFor returns the service's non-stock defaults that apply to the
// version, by name; "" means the newest line.
func (e *Engine) ParametersFor(version string) map[string]Parameter {
	v := e.lineOf(version)
	params := map[string]Parameter{}
	for _, p := range e.Parameters {
		if withinMajors(v, p.From, p.Until) {
			params[p.Name] = p
		}
	}
	return params
}

// Extension returns the extension if the service allows it on the
// version, honouring From/Until and, for a full minor version, MinVersions.
// A bare line ("15") allows what any of its minors allows; "" means the
// newest line.
func (e *Engine) Extension(name, version string) (Extension, bool) {
	for _, x := range e.Extensions {
		if x.Name != name {
			continue
		}
		major := e.lineOf(version)
		if !withinMajors(major, x.From, x.Until) {
			return Extension{}, false
		}
		// MinVersions bound full minors only: a bare line (or "") allows
		// what its newest minor allows.
		full := normalizeVersion(version)
		if minimum, ok := x.MinVersions[major]; ok && inLine(full, major) && compareVersions(full, minimum) < 0 {
			return Extension{}, false
		}
		return x, true
	}
	return Extension{}, false
}

// SupportEnded reports whether standard support has ended at the given
// time. The date is the last supported day; an unannounced end never
// passes.
func (v Version) SupportEnded(at time.Time) bool {
	return dayPassed(v.EndOfStandardSupport, at)
}

// ExtendedSupportEnded reports whether paid extended support has ended at
// the given time; false when the service has none or has not announced it.
func (v Version) ExtendedSupportEnded(at time.Time) bool {
	return dayPassed(v.EndOfExtendedSupport, at)
}

func dayPassed(last, at time.Time) bool {
	return !last.IsZero() && !at.Before(last.AddDate(0, 0, 1))
}

// line returns the version line named exactly by major.
func (e *Engine) line(major string) (Version, bool) {
	for _, v := range e.Versions {
		if strings.EqualFold(v.Major, major) {
			return v, true
		}
	}
	return Version{}, false
}

// lineOf is the major a version's bounds are compared at: its line when
// the catalog knows it, the version itself otherwise (a major newer than
// the table still falls inside open-ended ranges), the newest line for "".
func (e *Engine) lineOf(version string) string {
	if version == "" && len(e.Versions) > 0 {
		return e.Versions[len(e.Versions)-1].Major
	}
	v := normalizeVersion(version)
	if line, ok := e.Major(v); ok {
		return line.Major
	}
	return v
}

// normalizeVersion turns the API spellings of Cloud SQL and Memorystore
// (POSTGRES_9_6, REDIS_6_X, VALKEY_8_0) into catalog versions (9.6, 6.x,
// 8.0).
func normalizeVersion(version string) string {
	v := strings.TrimSpace(version)
	prefix, rest, ok := strings.Cut(v, "_")
	if !ok || prefix == "" || !isLetters(prefix) {
		return v
	}
	return strings.ToLower(strings.ReplaceAll(rest, "_", "."))
}

func isLetters(s string) bool {
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < 'a' || r > 'z') {
			return false
		}
	}
	return true
}

// withinMajors reports whether a version lies inside an inclusive range of
// majors ("" open). The version is compared at each bound's precision, so
// 14.5 is within "until 14" and 9.6 is before "from 10".
func withinMajors(version, from, until string) bool {
	v, ok := parseVersion(version)
	if !ok {
		return false
	}
	if from != "" {
		f, ok := parseVersion(from)
		if !ok || comparePrefix(v, f) < 0 {
			return false
		}
	}
	if until != "" {
		u, ok := parseVersion(until)
		if !ok || comparePrefix(v, u) > 0 {
			return false
		}
	}
	return true
}

// comparePrefix compares v, cut to bound's number of components, with
// bound.
func comparePrefix(v, bound version) int {
	cut := v
	if len(cut.parts) > len(bound.parts) {
		cut = version{parts: cut.parts[:len(bound.parts)]}
	}
	cut.suffix = ""
	return cut.compare(bound)
}

// inLine reports whether minor is a full version inside major: 16.10 in 16,
// 11.22-rds.20240418 in 11, 6.2.6 in 6.x; not 16 in 16 nor 6.2 in 6.
func inLine(minor, major string) bool {
	mv, ok := parseVersion(minor)
	if !ok || mv.hasWildcard() {
		return false
	}
	lv, ok := parseVersion(major)
	if !ok || len(mv.parts) <= len(lv.parts) {
		return false
	}
	return lv.matches(mv)
}

// compareVersions orders two versions numerically per component (16.10 >
// 16.9); an unparsable version sorts first.
func compareVersions(a, b string) int {
	av, aok := parseVersion(a)
	bv, bok := parseVersion(b)
	switch {
	case !aok && !bok:
		return strings.Compare(a, b)
	case !aok:
		return -1
	case !bok:
		return 1
	}
	return av.compare(bv)
}

// version is a parsed version: dot-separated numbers, where "x" stands for
// any, and an optional suffix after "-" (RDS extended-support builds like
// 11.22-rds.20240418).
type version struct {
	parts  []component
	suffix string
}

type component struct {
	n        int
	wildcard bool
}

func parseVersion(s string) (version, bool) {
	base, suffix, hasSuffix := strings.Cut(s, "-")
	if base == "" || (hasSuffix && suffix == "") {
		return version{}, false
	}
	var v version
	for _, field := range strings.Split(base, ".") {
		if field == "x" || field == "X" {
			v.parts = append(v.parts, component{wildcard: true})
			continue
		}
		n, err := strconv.Atoi(field)
		if err != nil || n < 0 || field[0] == '+' {
			return version{}, false
		}
		v.parts = append(v.parts, component{n: n})
	}
	v.suffix = strings.ToLower(suffix)
	return v, true
}

func (v version) hasWildcard() bool {
	for _, c := range v.parts {
		if c.wildcard {
			return true
		}
	}
	return false
}

// matches reports whether v and w agree on the components they share, a
// wildcard agreeing with anything.
func (v version) matches(w version) bool {
	for i := 0; i < len(v.parts) && i < len(w.parts); i++ {
		a, b := v.parts[i], w.parts[i]
		if !a.wildcard && !b.wildcard && a.n != b.n {
			return false
		}
	}
	return true
}

// compare orders versions: numerically per component, a wildcard after
// any number (6.x means the newest 6), a shorter version before its
// extensions (16 < 16.1), and a suffixed build after its base.
func (v version) compare(w version) int {
	for i := 0; i < len(v.parts) && i < len(w.parts); i++ {
		a, b := v.parts[i], w.parts[i]
		switch {
		case a.wildcard && b.wildcard:
		case a.wildcard:
			return 1
		case b.wildcard:
			return -1
		case a.n != b.n:
			if a.n < b.n {
				return -1
			}
			return 1
		}
	}
	if len(v.parts) != len(w.parts) {
		if len(v.parts) < len(w.parts) {
			return -1
		}
		return 1
	}
	return strings.Compare(v.suffix, w.suffix)
}

// managedOnly are parameters only the managed services have, which a stock
// engine (and so a stand-in) refuses: Postgres ones by prefix, Redis ones by
// name.
var (
	managedOnlyPostgres = []string{"rds.", "aurora.", "apg_", "cloudsql.", "azure.", "pgms_"}
	managedOnlyRedis    = []string{"reserved-memory-percent", "reserved-memory", "cluster-enabled", "cluster-allow-reads-when-down", "close-on-replica-write"}
)

// ManagedOnlyParameter reports whether a parameter of an engine kind
// (postgres, redis) exists only on the managed services: rds.force_ssl,
// ElastiCache's reserved-memory-percent.
func ManagedOnlyParameter(kind, name string) bool {
	switch kind {
	case "postgres":
		return slices.ContainsFunc(managedOnlyPostgres, func(p string) bool { return strings.HasPrefix(name, p) })
	case "redis":
		return slices.Contains(managedOnlyRedis, name)
	}
	return false
}
