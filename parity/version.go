package parity

import (
	"strconv"
	"strings"
)

// pgMajor returns a Postgres version's major: "16.4" → "16", "9.6.24" → "9.6"
// (before 10, the major had two parts).
func pgMajor(v string) string {
	parts := strings.Split(v, ".")
	if n, err := strconv.Atoi(parts[0]); err == nil && n < 10 && len(parts) > 1 {
		return parts[0] + "." + parts[1]
	}
	return parts[0]
}

// redisLine returns a Redis or Valkey version's release line and its major:
// "7.1.0" → "7.1", "7"; "6.x" → "6.x", "6".
func redisLine(v string) (line, major string) {
	parts := strings.Split(v, ".")
	major = parts[0]
	if len(parts) < 2 {
		return major, major
	}
	return parts[0] + "." + parts[1], major
}

// sameVersionPrefix reports whether dev's version matches prod's as far as
// prod states it: prod "16" matches dev "16.4"; prod "7.1" matches "7.1.0";
// "6.x" matches any 6.
func sameVersionPrefix(dev, prod string) bool {
	d, p := strings.Split(dev, "."), strings.Split(prod, ".")
	for i, part := range p {
		if part == "x" || part == "*" {
			return true
		}
		if i >= len(d) {
			return part == "0" // "7.1" vs "7.1.0"
		}
		if !numEqual(d[i], part) {
			return false
		}
	}
	return true
}

func numEqual(a, b string) bool {
	x, err1 := strconv.Atoi(a)
	y, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil {
		return a == b
	}
	return x == y
}
