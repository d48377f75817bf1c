package main

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// summary is the spread of one measure over the counted rounds.
type summary struct {
	N      int
	Median time.Duration
	Min    time.Duration
	Max    time.Duration
	P90    time.Duration // zero when N < 10: too few samples to mean anything
}

// summarize returns the median, min, max and (from ten samples on) the 90th
// percentile of samples. The median of an even count is the mean of the two
// middle values; p90 is the nearest-rank percentile.
func summarize(samples []time.Duration) summary {
	if len(samples) == 0 {
		return summary{}
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	n := len(s)
	sum := summary{N: n, Min: s[0], Max: s[n-1]}
	if n%2 == 1 {
		sum.Median = s[n/2]
	} else {
		sum.Median = (s[n/2-1] + s[n/2]) / 2
	}
	if n >= 10 {
		sum.P90 = s[nearestRank(0.9, n)-1]
	}
	return sum
}

// nearestRank is the 1-based rank of percentile p (0 < p ≤ 1) among n
// sorted samples: the smallest rank whose share of samples reaches p.
func nearestRank(p float64, n int) int {
	// The small epsilon keeps 0.9*10 from rounding up to rank 10.
	r := int(math.Ceil(p*float64(n) - 1e-9))
	return min(max(r, 1), n)
}

// roundOrder returns the order in which round runs the units named in units:
// a shuffle seeded by seed and the round, so that a run can be repeated
// exactly and no unit is always first (after a teardown, on a cold page
// cache) or always last. units is not modified.
func roundOrder(units []string, seed uint64, round int) []string {
	order := slices.Clone(units)
	r := rand.New(rand.NewPCG(seed, uint64(round)))
	r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	return order
}
