package main

import (
	"math"
	"slices"
	"testing"
	"time"
)

func ms(v ...int) []time.Duration {
	out := make([]time.Duration, len(v))
	for i, x := range v {
		out[i] = time.Duration(x) * time.Millisecond
	}
	return out
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		name    string
		samples []time.Duration
		want    summary
	}{
		{"empty", nil, summary{}},
		{"one", ms(7), summary{N: 1, Median: 7 * time.Millisecond, Min: 7 * time.Millisecond, Max: 7 * time.Millisecond}},
		{"odd count, unsorted", ms(30, 10, 50, 20, 40), summary{N: 5, Median: 30 * time.Millisecond, Min: 10 * time.Millisecond, Max: 50 * time.Millisecond}},
		{"even count: mean of the middle two", ms(40, 10, 30, 20), summary{N: 4, Median: 25 * time.Millisecond, Min: 10 * time.Millisecond, Max: 40 * time.Millisecond}},
		{"outlier moves max, not median", ms(100, 101, 102, 103, 9000), summary{N: 5, Median: 102 * time.Millisecond, Min: 100 * time.Millisecond, Max: 9000 * time.Millisecond}},
		{"nine samples: no p90", ms(1, 2, 3, 4, 5, 6, 7, 8, 9), summary{N: 9, Median: 5 * time.Millisecond, Min: 1 * time.Millisecond, Max: 9 * time.Millisecond}},
		{"ten samples: p90 is the 9th", ms(10, 9, 8, 7, 6, 5, 4, 3, 2, 1), summary{N: 10, Median: 5500 * time.Microsecond, Min: 1 * time.Millisecond, Max: 10 * time.Millisecond, P90: 9 * time.Millisecond}},
		{"eleven samples: p90 is the 10th", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), summary{N: 11, Median: 6 * time.Millisecond, Min: 1 * time.Millisecond, Max: 11 * time.Millisecond, P90: 10 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.samples)
			if got := summarize(tt.samples); got != tt.want {
				t.Errorf("summarize(%v): got %+v, want %+v", tt.samples, got, tt.want)
			}
			if !slices.Equal(in, tt.samples) {
				t.Errorf("summarize reordered its input: got %v, want %v", tt.samples, in)
			}
		})
	}
}

func TestNearestRank(t *testing.T) {
	tests := []struct {
		p    float64
		n    int
		want int
	}{
		{0.9, 10, 9}, {0.9, 11, 10}, {0.9, 20, 18}, {0.9, 1, 1}, {0.5, 4, 2}, {1, 5, 5}, {0.01, 5, 1},
	}
	for _, tt := range tests {
		if got := nearestRank(tt.p, tt.n); got != tt.want {
			t.Errorf("nearestRank(%v, %d): got %d, want %d", tt.p, tt.n, got, tt.want)
		}
	}
}

func TestRoundOrder(t *testing.T) {
	units := slices.Clone(allUnits)
	first := map[string]int{}
	distinct := map[string]bool{}
	for round := range 40 {
		got := roundOrder(units, 1, round)
		if !slices.Equal(units, allUnits) {
			t.Fatalf("roundOrder changed its input: got %v", units)
		}
		sorted := slices.Sorted(slices.Values(got))
		if want := slices.Sorted(slices.Values(allUnits)); !slices.Equal(sorted, want) {
			t.Fatalf("round %d: got %v, want a permutation of %v", round, got, allUnits)
		}
		if again := roundOrder(units, 1, round); !slices.Equal(got, again) {
			t.Errorf("round %d: got %v then %v, want the same order for the same seed and round", round, got, again)
		}
		first[got[0]]++
		distinct[join(got)] = true
	}
	if len(distinct) < 30 {
		t.Errorf("40 rounds gave %d distinct orders, want nearly one per round", len(distinct))
	}
	// Every unit should lead some round: none is always measured first
	// after a teardown, or never.
	for _, u := range allUnits {
		if first[u] == 0 {
			t.Errorf("unit %s never ran first in 40 rounds (firsts: %v)", u, first)
		}
	}
	if a, b := roundOrder(units, 1, 3), roundOrder(units, 2, 3); slices.Equal(a, b) {
		t.Errorf("seeds 1 and 2 gave the same order %v for round 3, want the seed to matter", a)
	}
}

func join(s []string) string {
	out := ""
	for _, x := range s {
		out += x + ","
	}
	return out
}

func TestRatioSummary(t *testing.T) {
	med, lo, hi, ok := ratioSummary(ms(3000, 6000, 4000), ms(1000, 1000, 2000))
	if !ok {
		t.Fatal("ratioSummary: got not ok, want ok")
	}
	// Medians 4000 / 1000; per round 3, 6, 2.
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"median", med, 4}, {"lo", lo, 2}, {"hi", hi, 6}} {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	if _, _, _, ok := ratioSummary(nil, ms(1)); ok {
		t.Error("ratioSummary with no samples: got ok, want not ok")
	}
}

func TestSelectUnits(t *testing.T) {
	got, err := selectUnits("sqs-process, prodlike,sqs-process")
	if err != nil || !slices.Equal(got, []string{"sqs-process", "prodlike"}) {
		t.Errorf("selectUnits: got %v, %v; want [sqs-process prodlike]", got, err)
	}
	if got, err := selectUnits(""); err != nil || !slices.Equal(got, allUnits) {
		t.Errorf("selectUnits(\"\"): got %v, %v; want all units", got, err)
	}
	if _, err := selectUnits("prodlike,nope"); err == nil {
		t.Error("selectUnits with an unknown arm: got no error")
	}
}

func TestCheckpoint(t *testing.T) {
	r := newResults(options{})
	r.Samples["a"] = ms(1, 2)
	r.Memory["m"] = []float64{3}
	undo := r.checkpoint()
	r.Samples["a"] = append(r.Samples["a"], time.Second)
	r.Samples["b"] = ms(9)
	r.Memory["m"] = append(r.Memory["m"], 4)
	r.Timelines["t"] = []timeline{{"x": 1}}
	undo()
	if !slices.Equal(r.Samples["a"], ms(1, 2)) || len(r.Memory["m"]) != 1 {
		t.Errorf("after undo: got samples %v, memory %v; want [1ms 2ms] and [3]", r.Samples["a"], r.Memory["m"])
	}
	for _, k := range []string{"b"} {
		if _, ok := r.Samples[k]; ok {
			t.Errorf("after undo: sample %q kept, want it dropped", k)
		}
	}
	if _, ok := r.Timelines["t"]; ok {
		t.Error("after undo: timeline kept, want it dropped")
	}
}
