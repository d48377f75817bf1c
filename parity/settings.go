package parity

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/prodlike/prodlike/emulators/postgres"
)

// Postgres units, in bytes or microseconds, as pg_settings and parameter
// groups write them.
var (
	memoryUnits = map[string]float64{"B": 1, "kB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}
	timeUnits   = map[string]float64{"us": 1, "ms": 1e3, "s": 1e6, "min": 60e6, "h": 3600e6, "d": 86400e6}
)

// listSettings hold comma-separated lists whose order does not matter.
var listSettings = []string{"shared_preload_libraries", "session_preload_libraries", "local_preload_libraries"}

// pgSettingEqual reports whether the live setting s has the value prod
// gives name, understanding units (work_mem 8MB is 8192 kB), booleans (1 is
// on) and unordered library lists.
func pgSettingEqual(name string, s postgres.Setting, prod string) bool {
	if slices.Contains(listSettings, name) {
		return slices.Equal(listSet(s.Value), listSet(prod))
	}
	if b, ok := pgBool(prod); ok {
		if d, ok := pgBool(s.Value); ok {
			return b == d
		}
	}
	if s.Unit != "" {
		dev, ok1 := inBase(s.Value, s.Unit, s.Unit)
		want, ok2 := inBase(prod, "", s.Unit)
		if ok1 && ok2 {
			return math.Abs(dev-want) < 0.5
		}
	}
	if n1, err := strconv.ParseFloat(s.Value, 64); err == nil {
		if n2, err := strconv.ParseFloat(prod, 64); err == nil {
			return n1 == n2
		}
	}
	if n := strings.ToLower(name); n == "timezone" || n == "log_timezone" {
		return utcName(s.Value) == utcName(prod)
	}
	return strings.EqualFold(strings.TrimSpace(s.Value), strings.TrimSpace(prod))
}

// pgSettingString shows a live setting with its unit: "4096kB", "on".
func pgSettingString(s postgres.Setting) string {
	if s.Unit == "" {
		return s.Value
	}
	return s.Value + s.Unit
}

// inBase converts a value to the base of the setting's unit (bytes or
// microseconds). A value without a unit of its own is in settingUnit, whose
// leading number scales it ("8kB": blocks of 8 kB).
func inBase(value, own, settingUnit string) (float64, bool) {
	num, unit := splitUnit(strings.TrimSpace(value))
	n, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, false
	}
	if unit == "" {
		unit = own
	}
	if unit == "" {
		unit = settingUnit
	}
	scale, base := splitUnit(unit)
	mult := 1.0
	if scale != "" {
		if mult, err = strconv.ParseFloat(scale, 64); err != nil {
			return 0, false
		}
	}
	for _, units := range []map[string]float64{memoryUnits, timeUnits} {
		if f, ok := units[base]; ok {
			// a value of a memory setting written in time units (or the
			// reverse) is not comparable
			if _, same := units[unitBase(settingUnit)]; !same {
				return 0, false
			}
			return n * mult * f, true
		}
	}
	return 0, false
}

func unitBase(u string) string { _, b := splitUnit(u); return b }

// splitUnit splits "8kB" into "8" and "kB", "-1" into "-1" and "".
func splitUnit(s string) (num, unit string) {
	i := strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) })
	if i < 0 {
		return s, ""
	}
	return strings.TrimSpace(s[:i]), s[i:]
}

// pgBool reads the spellings Postgres accepts for a boolean.
func pgBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "on", "true", "yes", "1":
		return true, true
	case "off", "false", "no", "0":
		return false, true
	}
	return false, false
}

// listSet turns "pg_stat_statements, pg_cron" into a sorted, de-duplicated
// list.
func listSet(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		item = strings.Trim(strings.TrimSpace(item), `"'`)
		if item != "" && !slices.Contains(out, item) {
			out = append(out, item)
		}
	}
	slices.Sort(out)
	return out
}

// utcName folds the spellings of UTC together.
func utcName(tz string) string {
	switch strings.ToUpper(strings.TrimSpace(tz)) {
	case "UTC", "ETC/UTC", "UCT", "ETC/UCT", "ZULU", "ETC/ZULU", "UNIVERSAL", "ETC/UNIVERSAL", "GMT", "ETC/GMT":
		return "UTC"
	}
	return tz
}

// redisValueEqual compares a Redis config value with prod's: yes/no and
// memory sizes (100mb is 104857600) in any spelling.
func redisValueEqual(dev, prod string) bool {
	dev, prod = strings.ToLower(strings.TrimSpace(dev)), strings.ToLower(strings.TrimSpace(prod))
	if dev == prod {
		return true
	}
	if d, ok := redisBytes(dev); ok {
		if p, ok := redisBytes(prod); ok {
			return d == p
		}
	}
	return strings.Join(strings.Fields(dev), " ") == strings.Join(strings.Fields(prod), " ")
}

// redisBytes reads a Redis memory size: 100, 1k, 1kb, 5mb, 1gb.
func redisBytes(s string) (int64, bool) {
	units := []struct {
		suffix string
		n      int64
	}{{"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"k", 1000}, {"m", 1000 * 1000}, {"g", 1000 * 1000 * 1000}, {"b", 1}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			n, err := strconv.ParseInt(num, 10, 64)
			return n * u.n, err == nil
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
