package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// timeline is when each step of one measured run happened, since the run's
// start, keyed "SERVICE/STATE" (from prodlike's progress lines, or Docker's
// start and health events under compose), "probe/NAME", "command/exit".
type timeline map[string]time.Duration

// unitRecord is one unit as it ran, with the engine's load at its start.
type unitRecord struct {
	Round   int           `json:"round"`
	Unit    string        `json:"unit"`
	Counted bool          `json:"counted"`
	Took    time.Duration `json:"took_ns"`
	Foreign int           `json:"other_containers"` // running containers not the benchmark's
	Load1   float64       `json:"load1"`
	Err     string        `json:"error,omitempty"`
}

// machine is what the run ran on.
type machine struct {
	CPUs          int    `json:"cpus"`
	CPUModel      string `json:"cpu_model"`
	MemoryGiB     string `json:"memory_gib"`
	Kernel        string `json:"kernel"`
	Docker        string `json:"docker_server"`
	StorageDriver string `json:"storage_driver"`
	Cgroup        string `json:"cgroup"`
	Go            string `json:"go"`
}

// results is everything one run measured.
type results struct {
	Started        time.Time                  `json:"started"`
	Took           time.Duration              `json:"took_ns"`
	Rounds         int                        `json:"rounds"`
	Warmup         bool                       `json:"warmup"`
	Seed           uint64                     `json:"seed"`
	Poll           time.Duration              `json:"poll_ns"`
	Settle         time.Duration              `json:"settle_ns"`
	Units          []string                   `json:"units"`
	Machine        machine                    `json:"machine"`
	ComposeVersion string                     `json:"compose_version,omitempty"`
	SQSImage       string                     `json:"sqs_image"`
	Samples        map[string][]time.Duration `json:"samples_ns"`
	Memory         map[string][]float64       `json:"memory_mib"`
	Timelines      map[string][]timeline      `json:"timelines_ns"`
	Log            []unitRecord               `json:"log"`
	Notes          []string                   `json:"notes,omitempty"`
}

func newResults(o options) *results {
	return &results{
		Started: time.Now(), Rounds: o.rounds, Warmup: o.warmup, Seed: o.seed, Poll: o.poll, Settle: o.settle,
		Samples: map[string][]time.Duration{}, Memory: map[string][]float64{}, Timelines: map[string][]timeline{},
	}
}

// checkpoint returns a function that drops every sample, memory figure and
// timeline recorded after the call.
func (r *results) checkpoint() (undo func()) {
	samples, memory, timelines := map[string]int{}, map[string]int{}, map[string]int{}
	for k, v := range r.Samples {
		samples[k] = len(v)
	}
	for k, v := range r.Memory {
		memory[k] = len(v)
	}
	for k, v := range r.Timelines {
		timelines[k] = len(v)
	}
	return func() {
		truncate(r.Samples, samples)
		truncate(r.Memory, memory)
		truncate(r.Timelines, timelines)
	}
}

func truncate[T any](m map[string][]T, lens map[string]int) {
	for k, v := range m {
		if n := lens[k]; n > 0 {
			m[k] = v[:n]
		} else {
			delete(m, k)
		}
	}
}

func writeJSON(path string, r *results) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// progressTimeline reads prodlike's progress lines ("db  starting  1.25s
// image") into when each service first reached each state, by the lines'
// arrival. "prodlike/first-output" is the first line of all: the compose
// file loaded, the prod truth read and the plan made.
func progressTimeline(lines []stampedLine) timeline {
	t := timeline{}
	if len(lines) > 0 {
		t["prodlike/first-output"] = lines[0].At
	}
	for _, l := range lines {
		f := strings.Fields(l.Text)
		if len(f) < 3 || !strings.HasSuffix(f[2], "s") {
			continue
		}
		if _, err := strconv.ParseFloat(strings.TrimSuffix(f[2], "s"), 64); err != nil {
			continue
		}
		key := f[0] + "/" + f[1]
		if _, ok := t[key]; !ok {
			t[key] = l.At
		}
	}
	return t
}

// medianOf is the median of key over the timelines that have it.
func medianOf(ts []timeline, key string) (time.Duration, bool) {
	var s []time.Duration
	for _, t := range ts {
		if d, ok := t[key]; ok {
			s = append(s, d)
		}
	}
	if len(s) == 0 {
		return 0, false
	}
	return summarize(s).Median, true
}

// formatDuration prints milliseconds under a second, else seconds.
func formatDuration(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%d ms", d.Round(time.Millisecond).Milliseconds())
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

// formatTarget prints a target as DESIGN.md writes it: "3 s", "300 ms".
func formatTarget(d time.Duration) string {
	if d >= time.Second && d%time.Second == 0 {
		return fmt.Sprintf("%d s", d/time.Second)
	}
	return formatDuration(d)
}

// row is one line of the results table.
type row struct {
	label   string
	measure string        // a key of Samples; "" for a text row
	target  time.Duration // 0: no target
	text    string        // for rows with nothing measured
	tgtText string
}

// ratioRow compares a compose measure with prodlike's cold start.
type ratioRow struct {
	label            string
	compose, against string
}

func resultRows() []row {
	return []row{
		{label: "`prodlike up --detach`, cold, volumes removed (Postgres runs initdb): all probes OK", measure: mColdProbes, target: 3 * time.Second},
		{label: "… the same, until the command returned", measure: mColdExit},
		{label: "`prodlike up --detach`, cold, data volumes kept: all probes OK", measure: mKeptProbes, target: 3 * time.Second},
		{label: "… the same, until the command returned", measure: mKeptExit},
		{label: "`prodlike up --detach`, warm (stack running, unchanged)", measure: mWarmExit, target: 300 * time.Millisecond},
		{label: "`prodlike parity` on the running stack", measure: mParityExit, target: time.Second},
		{label: "Postgres data reset from a template", text: "not built yet (issue 5)", tgtText: "≤ 100 ms"},
		{label: "docker-compose, ordinary healthchecks (10 s): `up -d` returned", measure: composeMeasure("standard", "up")},
		{label: "… all probes OK", measure: composeMeasure("standard", "probes")},
		{label: "… every healthcheck healthy (what `up --wait` waits for)", measure: composeMeasure("standard", "healthy")},
		{label: "docker-compose, tuned healthchecks (1 s): `up -d` returned", measure: composeMeasure("tuned", "up")},
		{label: "… all probes OK", measure: composeMeasure("tuned", "probes")},
		{label: "… every healthcheck healthy", measure: composeMeasure("tuned", "healthy")},
		{label: "floor: Postgres alone (`docker run`, initdb) to SELECT 1", measure: floorMeasure("postgres")},
		{label: "floor: Redis alone to PING", measure: floorMeasure("redis")},
		{label: "floor: S3 (versitygw) alone to bucket created, put, get", measure: floorMeasure("s3")},
		{label: "floor: SQS (prodlike's image) alone to queues created, send, receive", measure: floorMeasure("sqs")},
		{label: "floor: the four stand-ins at once", measure: floorMeasure("parallel")},
		{label: "SQS stand-in as a process (`prodlike emulate sqs`) to queues created, send, receive", measure: mSQSProcReady, target: 50 * time.Millisecond},
	}
}

func ratioRows() []ratioRow {
	return []ratioRow{
		{label: "speed-up: compose (ordinary) all probes OK ÷ prodlike cold all probes OK", compose: composeMeasure("standard", "probes"), against: mColdProbes},
		{label: "speed-up: compose (ordinary) all healthy ÷ prodlike cold all probes OK", compose: composeMeasure("standard", "healthy"), against: mColdProbes},
		{label: "speed-up: compose (tuned) all probes OK ÷ prodlike cold all probes OK", compose: composeMeasure("tuned", "probes"), against: mColdProbes},
	}
}

// ratioSummary is the ratio of the medians, and the smallest and largest
// ratio of the two measures round by round.
func ratioSummary(num, den []time.Duration) (median, lo, hi float64, ok bool) {
	if len(num) == 0 || len(den) == 0 {
		return 0, 0, 0, false
	}
	median = float64(summarize(num).Median) / float64(summarize(den).Median)
	lo, hi = median, median
	for i := range min(len(num), len(den)) {
		r := float64(num[i]) / float64(den[i])
		lo, hi = min(lo, r), max(hi, r)
	}
	return median, lo, hi, true
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

// markdown renders the results as the tables BENCHMARKS.md carries.
func markdown(r *results) string {
	var b strings.Builder
	n := r.Rounds
	p90 := n >= 10
	fmt.Fprintf(&b, "## Results: %d rounds", n)
	if r.Warmup {
		b.WriteString(" after a warm-up round")
	}
	fmt.Fprintf(&b, ", seed %d, probes every %s\n\n", r.Seed, r.Poll)
	m := r.Machine
	compose := "no docker-compose"
	if r.ComposeVersion != "" {
		compose = "docker-compose " + r.ComposeVersion
	}
	fmt.Fprintf(&b, "Machine: %d CPUs (%s), %s GiB RAM, Linux %s, Docker %s (%s, cgroup %s), %s, %s.\n\n",
		m.CPUs, m.CPUModel, m.MemoryGiB, m.Kernel, m.Docker, m.StorageDriver, m.Cgroup, compose, m.Go)

	head := "| measure | median | min | max |"
	sep := "|---|---:|---:|---:|"
	if p90 {
		head += " p90 |"
		sep += "---:|"
	}
	b.WriteString(head + " target | |\n" + sep + "---|---|\n")
	for _, rw := range resultRows() {
		s, ok := r.Samples[rw.measure]
		if rw.measure == "" || !ok {
			text := rw.text
			if text == "" {
				text = "not measured"
			}
			fmt.Fprintf(&b, "| %s | %s | | |", rw.label, text)
			if p90 {
				b.WriteString(" |")
			}
			fmt.Fprintf(&b, " %s | |\n", rw.tgtText)
			continue
		}
		sum := summarize(s)
		fmt.Fprintf(&b, "| %s | %s | %s | %s |", rw.label, formatDuration(sum.Median), formatDuration(sum.Min), formatDuration(sum.Max))
		if p90 {
			fmt.Fprintf(&b, " %s |", formatDuration(sum.P90))
		}
		if rw.target > 0 {
			fmt.Fprintf(&b, " ≤ %s | %s |\n", formatTarget(rw.target), verdict(sum.Median <= rw.target))
		} else {
			b.WriteString(" | |\n")
		}
	}
	for _, rr := range ratioRows() {
		med, lo, hi, ok := ratioSummary(r.Samples[rr.compose], r.Samples[rr.against])
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "| %s | %.1f× | %.1f× | %.1f× |", rr.label, med, lo, hi)
		if p90 {
			b.WriteString(" |")
		}
		fmt.Fprintf(&b, " ≥ 3× | %s |\n", verdict(med >= 3))
	}
	b.WriteString("\nSpeed-ups: ratio of the medians; min and max are the smallest and largest ratio within one round.\n")

	b.WriteString(memoryTable(r))
	b.WriteString(timelineTables(r))
	b.WriteString(conditions(r))
	return b.String()
}

func medianMiB(v []float64) (float64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2], true
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2, true
}

func mib(v []float64) string {
	m, ok := medianMiB(v)
	if !ok {
		return "—"
	}
	return fmt.Sprintf("%.1f MiB", m)
}

func memoryTable(r *results) string {
	var b strings.Builder
	b.WriteString("\n### Idle memory (median; `docker stats --no-stream`, cgroup usage without page cache)\n\n")
	b.WriteString("| service | prodlike stack | compose (ordinary) | compose (tuned) | target |\n|---|---:|---:|---:|---|\n")
	for _, svc := range shopServices {
		target := ""
		if svc == "jobs" {
			target = "≤ 20 MiB"
			if m, ok := medianMiB(r.Memory["prodlike/jobs"]); ok {
				target += " — " + verdict(m <= 20)
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", svc, mib(r.Memory["prodlike/"+svc]), mib(r.Memory["compose-standard/"+svc]), mib(r.Memory["compose-tuned/"+svc]), target)
	}
	b.WriteString("\n| prodlike process | RSS (median) | target |\n|---|---:|---|\n")
	for _, p := range []struct{ key, label string }{
		{"rss/prodlike up --detach (cold)", "`up --detach`, cold (volumes removed): peak"},
		{"rss/prodlike up --detach (kept)", "`up --detach`, cold (volumes kept): peak"},
		{"rss/prodlike up --detach (warm)", "`up --detach`, warm: peak"},
		{"rss/prodlike parity", "`parity`: peak"},
		{"rss/prodlike emulate sqs (idle)", "`emulate sqs`, 2 s idle after its first messages"},
		{"rss/prodlike emulate sqs (idle, anonymous)", "… of which anonymous (heap, stacks)"},
		{"rss/prodlike emulate sqs (idle, file-backed)", "… of which file-backed (the executable, shared)"},
		{"rss/prodlike emulate sqs (peak)", "`emulate sqs`: peak"},
	} {
		v, ok := r.Memory[p.key]
		if !ok {
			continue
		}
		target := ""
		if p.key == "rss/prodlike emulate sqs (idle)" {
			m, _ := medianMiB(v)
			target = "≤ 20 MiB — " + verdict(m <= 20)
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", p.label, mib(v), target)
	}
	return b.String()
}

// postgresLine summarises the Postgres phases of an arm's timelines.
func postgresLine(ts []timeline) string {
	if _, ok := medianOf(ts, "pg/first-log"); !ok {
		return ""
	}
	parts := []string{"first log line " + cell(ts, "pg/first-log")}
	if _, ok := medianOf(ts, "pg/initdb-done"); ok {
		parts = append(parts, "initdb done "+cell(ts, "pg/initdb-done"), "entrypoint's init server stopped "+cell(ts, "pg/init-complete"))
	}
	parts = append(parts, "accepting connections "+cell(ts, "pg/ready"))
	return "Postgres, from its log: " + strings.Join(parts, ", ") + ".\n"
}

func cell(ts []timeline, key string) string {
	d, ok := medianOf(ts, key)
	if !ok {
		return ""
	}
	return formatDuration(d)
}

func timelineTables(r *results) string {
	var b strings.Builder
	probeOf := map[string]string{"db": "postgres", "cache": "redis", "files": "s3", "jobs": "sqs", "api": "app"}
	for _, arm := range []struct{ key, title string }{{"cold", "cold, volumes removed"}, {"kept", "cold, data volumes kept"}} {
		ts := r.Timelines[arm.key]
		if len(ts) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n### Where the time goes: `prodlike up --detach`, %s (median since the command started)\n\n", arm.title)
		fmt.Fprintf(&b, "First output (compose file loaded, prod truth read, plan made): %s; command returned: %s.\n", cell(ts, "prodlike/first-output"), cell(ts, "command/exit"))
		b.WriteString("Columns: prodlike's progress lines (creating, starting, configuring, ready) as they arrived, Docker's start event, the benchmark's host probe.\n\n")
		b.WriteString("| service | creating | starting | container started (Docker) | configuring | ready | host probe OK |\n|---|---:|---:|---:|---:|---:|---:|\n")
		for _, svc := range shopServices {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", svc, cell(ts, svc+"/creating"), cell(ts, svc+"/starting"), cell(ts, svc+"/container-started"), cell(ts, svc+"/configuring"), cell(ts, svc+"/ready"), cell(ts, "probe/"+probeOf[svc]))
		}
		b.WriteString("\n" + postgresLine(ts))
	}
	for _, v := range composeVariants {
		ts := r.Timelines["compose-"+v]
		if len(ts) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n### Where the time goes: docker-compose, %s healthchecks (median since `up -d` started)\n\n", v)
		fmt.Fprintf(&b, "`up -d` returned: %s.\n\n", cell(ts, "command/exit"))
		b.WriteString("| service | container started | healthy | host probe OK |\n|---|---:|---:|---:|\n")
		for _, svc := range shopServices {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", svc, cell(ts, svc+"/started"), cell(ts, svc+"/healthy"), cell(ts, "probe/"+probeOf[svc]))
		}
		b.WriteString("\n" + postgresLine(ts))
	}
	var floors []string
	for _, k := range []string{"postgres", "redis", "s3", "sqs", "parallel"} {
		if len(r.Timelines["floor-"+k]) > 0 {
			floors = append(floors, k)
		}
	}
	if len(floors) > 0 {
		b.WriteString("\n### Floors: `docker run -d` returned / container started (Docker) / probe OK (median since `docker run` started)\n\n")
		b.WriteString("| floor | postgres | redis | s3 | sqs |\n|---|---:|---:|---:|---:|\n")
		for _, f := range floors {
			ts := r.Timelines["floor-"+f]
			fmt.Fprintf(&b, "| %s |", f)
			for _, k := range []string{"postgres", "redis", "s3", "sqs"} {
				run, probe := cell(ts, "docker-run/"+k), cell(ts, "probe/"+k)
				if run == "" {
					b.WriteString(" |")
					continue
				}
				fmt.Fprintf(&b, " %s / %s / %s |", run, cell(ts, "container-started/"+k), probe)
			}
			b.WriteString("\n")
		}
		for _, f := range floors {
			if line := postgresLine(r.Timelines["floor-"+f]); line != "" {
				fmt.Fprintf(&b, "\nFloor %s — %s", f, line)
			}
		}
	}
	return b.String()
}

// conditions says how busy the engine was: other people's containers and
// the load average at the start of each counted unit.
func conditions(r *results) string {
	var b strings.Builder
	maxForeign, busy := 0, 0
	lo, hi := -1.0, -1.0
	counted := 0
	for _, u := range r.Log {
		if !u.Counted {
			continue
		}
		counted++
		maxForeign = max(maxForeign, u.Foreign)
		if u.Foreign > 0 {
			busy++
		}
		if u.Load1 >= 0 {
			if lo < 0 || u.Load1 < lo {
				lo = u.Load1
			}
			hi = max(hi, u.Load1)
		}
	}
	b.WriteString("\n### Conditions\n\n")
	fmt.Fprintf(&b, "Run took %s. Counted arms that started with other containers running on the engine: %d of %d (at most %d at once). One-minute load average at their start: %.2f–%.2f.\n",
		r.Took.Round(time.Second), busy, counted, maxForeign, lo, hi)
	if r.SQSImage != "" {
		fmt.Fprintf(&b, "SQS image: %s (prodlike's own, built from the binary under test).\n", r.SQSImage)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\n%s\n", n)
	}
	return b.String()
}

// machineInfo describes the machine for the report.
func machineInfo(ctx context.Context, b *bench) machine {
	m := machine{CPUs: runtime.NumCPU(), Go: runtime.Version()}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				m.CPUModel = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		if kib, err := parseStatusKiB(string(data), "MemTotal"); err == nil {
			m.MemoryGiB = fmt.Sprintf("%.1f", float64(kib)/(1<<20))
		}
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(data))
	}
	if out, err := b.output(ctx, "", "docker", "info", "--format", "{{.ServerVersion}}\t{{.Driver}}\t{{.CgroupVersion}}"); err == nil {
		f := strings.Split(strings.TrimSpace(out), "\t")
		if len(f) == 3 {
			m.Docker, m.StorageDriver, m.Cgroup = f[0], f[1], "v"+f[2]
		}
	}
	return m
}
