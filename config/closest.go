package config

import (
	"cmp"
	"slices"
)

// Closest returns up to n candidates ordered by edit distance to s, for "did
// you mean" in messages. With onlyNear it keeps those close enough to be a
// typo of s; without it, the n nearest whatever their distance.
func Closest(s string, candidates []string, n int, onlyNear bool) []string {
	type scored struct {
		c string
		d int
	}
	var out []scored
	for _, c := range candidates {
		d := editDistance(s, c)
		if !onlyNear || d <= max(2, len(c)/3) {
			out = append(out, scored{c, d})
		}
	}
	slices.SortStableFunc(out, func(a, b scored) int { return cmp.Compare(a.d, b.d) })
	var names []string
	for i := 0; i < len(out) && i < n; i++ {
		names = append(names, out[i].c)
	}
	return names
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
