package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// stampedLine is a line of a child's stderr with when it arrived, since the
// arm's start.
type stampedLine struct {
	At   time.Duration `json:"at_ns"`
	Text string        `json:"text"`
}

// finished is a child process that ran to its end.
type finished struct {
	Took      time.Duration // from the arm's start to the process's exit
	Code      int
	Stdout    string
	Stderr    []stampedLine
	MaxRSSKiB int64 // peak resident set size; 0 where unknown
}

// stderrText is the process's stderr as one string.
func (f finished) stderrText() string {
	var b strings.Builder
	for _, l := range f.Stderr {
		b.WriteString(l.Text)
		b.WriteByte('\n')
	}
	return b.String()
}

// command is exec.CommandContext with the benchmark's environment, in dir
// (the working directory when ""); ending ctx sends an interrupt first, as
// Ctrl-C would, so that prodlike and compose remove what they were starting.
func (b *bench) command(ctx context.Context, dir, name string, args ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, name, args...)
	c.Dir = dir
	c.Env = b.env
	c.Cancel = func() error { return c.Process.Signal(os.Interrupt) }
	c.WaitDelay = 30 * time.Second
	return c
}

// output runs a command to its end and returns its stdout; a failure
// carries the command and its stderr.
func (b *bench) output(ctx context.Context, dir, name string, args ...string) (string, error) {
	c := b.command(ctx, dir, name, args...)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, tail(stderr.String(), 20))
	}
	return stdout.String(), nil
}

// timed runs a command whose running time is measured from start, which the
// caller took just before: its stderr lines are stamped as they arrive and
// its peak RSS is read from the kernel's accounting when it exits.
func (b *bench) timed(ctx context.Context, start time.Time, dir, name string, args ...string) (finished, error) {
	c := b.command(ctx, dir, name, args...)
	var stdout bytes.Buffer
	c.Stdout = &stdout
	pipe, err := c.StderrPipe()
	if err != nil {
		return finished{}, err
	}
	if err := c.Start(); err != nil {
		return finished{}, fmt.Errorf("%s: %w", name, err)
	}
	var lines []stampedLine
	sc := bufio.NewScanner(pipe)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		lines = append(lines, stampedLine{At: time.Since(start), Text: sc.Text()})
	}
	err = c.Wait()
	f := finished{Took: time.Since(start), Stdout: stdout.String(), Stderr: lines, MaxRSSKiB: maxRSSKiB(c.ProcessState)}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		f.Code = exitErr.ExitCode()
	case err != nil:
		return f, fmt.Errorf("%s: %w", name, err)
	}
	return f, nil
}

// exitError is the error of a command that exited non-zero.
func exitError(f finished, name string, args []string) error {
	return fmt.Errorf("%s %s: exit %d\n%s%s", name, strings.Join(args, " "), f.Code, tail(f.Stdout, 10), tail(f.stderrText(), 30))
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	if len(lines) == 1 && lines[0] == "" {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

// parseStatusKiB reads a "VmRSS:"-style field of /proc/PID/status (or
// /proc/meminfo) in KiB.
func parseStatusKiB(status, field string) (int64, error) {
	for line := range strings.SplitSeq(status, "\n") {
		v, ok := strings.CutPrefix(line, field+":")
		if !ok {
			continue
		}
		num, unit, _ := strings.Cut(strings.TrimSpace(v), " ")
		if unit != "kB" {
			return 0, fmt.Errorf("%s: unit %q, want kB", field, unit)
		}
		return strconv.ParseInt(num, 10, 64)
	}
	return 0, fmt.Errorf("no %s in /proc status", field)
}

// eventLog follows `docker events` for the containers of one project: when
// each service's container started and first reported healthy.
type eventLog struct {
	cmd     *exec.Cmd
	stderr  bytes.Buffer
	mu      sync.Mutex
	started map[string]time.Time
	healthy map[string]time.Time
	gates   map[string]chan struct{} // closed at the service's start event
	done    chan struct{}
}

// followEvents starts `docker events` for the containers labelled with
// label=value, from a little before now so that nothing is missed while
// the stream connects; serviceLabel names a container's service.
func (b *bench) followEvents(ctx context.Context, label, value, serviceLabel string, services []string) (*eventLog, error) {
	since := time.Now().Add(-500 * time.Millisecond)
	c := b.command(ctx, "", "docker", "events",
		"--since", fmt.Sprintf("%d.%09d", since.Unix(), since.Nanosecond()),
		"--filter", "type=container",
		"--filter", "label="+label+"="+value,
		"--filter", "event=start", "--filter", "event=health_status",
		"--format", "{{json .}}")
	pipe, err := c.StdoutPipe()
	if err != nil {
		return nil, err
	}
	l := &eventLog{cmd: c, started: map[string]time.Time{}, healthy: map[string]time.Time{}, gates: map[string]chan struct{}{}, done: make(chan struct{})}
	c.Stderr = &l.stderr
	if err := c.Start(); err != nil {
		return nil, fmt.Errorf("docker events: %w", err)
	}
	for _, s := range services {
		l.gates[s] = make(chan struct{})
	}
	go func() {
		defer close(l.done)
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			e, err := parseEvent(sc.Bytes(), serviceLabel)
			if err != nil {
				continue
			}
			l.mu.Lock()
			switch e.action {
			case "start":
				if _, ok := l.started[e.service]; !ok {
					l.started[e.service] = e.at
					if g, ok := l.gates[e.service]; ok {
						close(g)
					}
				}
			case "health_status: healthy":
				if _, ok := l.healthy[e.service]; !ok {
					l.healthy[e.service] = e.at
				}
			}
			l.mu.Unlock()
		}
	}()
	return l, nil
}

// startGates gives each probe the gate of its service's container start:
// probes[i] belongs to services[i].
func (l *eventLog) startGates(probes []probe, services []string) map[string]<-chan struct{} {
	g := map[string]<-chan struct{}{}
	for i, p := range probes {
		g[p.name] = l.gates[services[i]]
	}
	return g
}

// waitHealthy waits until every one of services has reported healthy, or
// ctx ends.
func (l *eventLog) waitHealthy(ctx context.Context, services []string) error {
	for {
		l.mu.Lock()
		var missing []string
		for _, s := range services {
			if _, ok := l.healthy[s]; !ok {
				missing = append(missing, s)
			}
		}
		l.mu.Unlock()
		if len(missing) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not healthy: %s", strings.Join(missing, ", "))
		case <-l.done:
			return fmt.Errorf("docker events stopped before %s reported healthy: %s", strings.Join(missing, ", "), strings.TrimSpace(l.stderr.String()))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// times returns when each service started and became healthy, since start.
func (l *eventLog) times(start time.Time) (started, healthy map[string]time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	started, healthy = map[string]time.Duration{}, map[string]time.Duration{}
	for s, t := range l.started {
		started[s] = t.Sub(start)
	}
	for s, t := range l.healthy {
		healthy[s] = t.Sub(start)
	}
	return started, healthy
}

func (l *eventLog) stop() {
	_ = l.cmd.Process.Kill()
	<-l.done
	_ = l.cmd.Wait()
}
