package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// dockerEvent is the part of a `docker events --format '{{json .}}'` line
// the benchmark reads.
type dockerEvent struct {
	action  string // "start", "health_status: healthy", …
	service string // the value of the service label
	at      time.Time
}

func parseEvent(line []byte, serviceLabel string) (dockerEvent, error) {
	var raw struct {
		Action   string `json:"Action"`
		Status   string `json:"status"`
		TimeNano int64  `json:"timeNano"`
		Actor    struct {
			Attributes map[string]string `json:"Attributes"`
		} `json:"Actor"`
	}
	if err := json.Unmarshal(line, &raw); err != nil {
		return dockerEvent{}, err
	}
	if raw.TimeNano == 0 {
		return dockerEvent{}, fmt.Errorf("event without timeNano: %s", line)
	}
	action := raw.Action
	if action == "" {
		action = raw.Status
	}
	return dockerEvent{action: action, service: raw.Actor.Attributes[serviceLabel], at: time.Unix(0, raw.TimeNano)}, nil
}

// parseMemMiB reads the used half of docker stats' MemUsage column
// ("59.55MiB / 23.54GiB") in MiB.
func parseMemMiB(usage string) (float64, error) {
	used, _, _ := strings.Cut(usage, "/")
	used = strings.TrimSpace(used)
	units := []struct {
		suffix string
		mib    float64
	}{
		// Longest suffixes first: "MiB" also ends in "B".
		{"KiB", 1.0 / 1024}, {"MiB", 1}, {"GiB", 1024}, {"TiB", 1024 * 1024},
		{"kB", 1000.0 / (1 << 20)}, {"MB", 1e6 / (1 << 20)}, {"GB", 1e9 / (1 << 20)},
		{"B", 1.0 / (1 << 20)},
	}
	for _, u := range units {
		if num, ok := strings.CutSuffix(used, u.suffix); ok {
			v, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return 0, fmt.Errorf("memory usage %q: %w", usage, err)
			}
			return v * u.mib, nil
		}
	}
	return 0, fmt.Errorf("memory usage %q: unknown unit", usage)
}

// containerStats returns the memory use in MiB of the running containers
// labelled label=value, by the value of their serviceLabel (one `docker
// stats --no-stream` sample: cgroup usage without the page cache).
func (b *bench) containerStats(ctx context.Context, label, value, serviceLabel string) (map[string]float64, error) {
	out, err := b.output(ctx, "", "docker", "ps", "--filter", "label="+label+"="+value,
		"--format", `{{.Names}}\t{{.Label "`+serviceLabel+`"}}`)
	if err != nil {
		return nil, err
	}
	service := map[string]string{}
	var names []string
	for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		name, svc, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		service[name] = svc
		names = append(names, name)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no running containers with %s=%s", label, value)
	}
	out, err = b.output(ctx, "", "docker", append([]string{"stats", "--no-stream", "--format", `{{.Name}}\t{{.MemUsage}}`}, names...)...)
	if err != nil {
		return nil, err
	}
	mem := map[string]float64{}
	for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		name, usage, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		mib, err := parseMemMiB(usage)
		if err != nil {
			return nil, err
		}
		mem[service[name]] = mib
	}
	return mem, nil
}

// removeLabelled force-removes the containers, then the networks and
// volumes, that carry label=value. It is the last line of clean-up: it
// reports what it could not remove and goes on.
func (b *bench) removeLabelled(ctx context.Context, label, value string) []error {
	var errs []error
	filter := "label=" + label + "=" + value
	for _, kind := range []string{"container", "network", "volume"} {
		list := []string{kind, "ls", "-q", "--filter", filter}
		if kind == "container" {
			list = []string{"ps", "-aq", "--filter", filter}
		}
		out, err := b.output(ctx, "", "docker", list...)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids := strings.Fields(out)
		if len(ids) == 0 {
			continue
		}
		rm := append([]string{kind, "rm"}, ids...)
		if kind == "container" {
			rm = append([]string{"rm", "-fv"}, ids...)
		}
		if _, err := b.output(ctx, "", "docker", rm...); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// foreignContainers counts the running containers that are not the
// benchmark's: other people's tests share this engine and its CPUs.
func (b *bench) foreignContainers(ctx context.Context) (int, error) {
	out, err := b.output(ctx, "", "docker", "ps", "--format", `{{.Names}}`)
	if err != nil {
		return 0, err
	}
	n := 0
	for name := range strings.FieldsSeq(out) {
		if !isBenchContainer(name) {
			n++
		}
	}
	return n, nil
}

// isBenchContainer tells the benchmark's containers by name.
func isBenchContainer(name string) bool {
	for _, p := range []string{"prodlike-" + prodlikeProject + "-", composeProjectPrefix, floorPrefix} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// Lines of the official Postgres image's entrypoint and of Postgres that
// mark the phases of a first start.
var postgresMarks = []struct{ key, text string }{
	{"pg/first-log", ""}, // the first line, whatever it says
	{"pg/initdb-done", "Success. You can now start the database server"},
	{"pg/init-complete", "PostgreSQL init process complete"},
	{"pg/ready", "database system is ready to accept connections"}, // the last one
}

// postgresPhases reads `docker logs -t` of a Postgres container: when it
// wrote its first line, when initdb finished, when the entrypoint's
// temporary server had run the init steps and stopped, and when the real
// server accepted connections, since start. A restart with data kept has
// only the first and the last.
func postgresPhases(logs string, start time.Time) timeline {
	t := timeline{}
	for line := range strings.SplitSeq(logs, "\n") {
		stamp, text, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, stamp)
		if err != nil {
			continue
		}
		d := at.Sub(start)
		for _, m := range postgresMarks {
			switch {
			case m.text == "":
				if _, seen := t[m.key]; !seen {
					t[m.key] = d
				}
			case m.key == "pg/ready":
				if strings.Contains(text, m.text) {
					t[m.key] = d // the real server's is the last
				}
			case strings.Contains(text, m.text):
				if _, seen := t[m.key]; !seen {
					t[m.key] = d
				}
			}
		}
	}
	return t
}

// containerLogs returns `docker logs -t` of the container labelled
// label=value and service=svc (stdout and stderr together).
func (b *bench) containerLogs(ctx context.Context, label, value, serviceLabel, svc string) (string, error) {
	out, err := b.output(ctx, "", "docker", "ps", "-aq", "--filter", "label="+label+"="+value, "--filter", "label="+serviceLabel+"="+svc)
	if err != nil {
		return "", err
	}
	ids := strings.Fields(out)
	if len(ids) != 1 {
		return "", fmt.Errorf("%d containers with %s=%s and %s=%s, want 1", len(ids), label, value, serviceLabel, svc)
	}
	c := b.command(ctx, "", "docker", "logs", "-t", ids[0])
	data, err := c.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("docker logs %s: %w", svc, err)
	}
	return string(data), nil
}
