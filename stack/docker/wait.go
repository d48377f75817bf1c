package docker

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/prodlike/prodlike/emulators"
	"github.com/prodlike/prodlike/stack"
)

// readiness is a testcontainers-go wait strategy that asks the service
// itself (a query, a PING, the health URL) through its published port,
// polling tightly, and fails at once if the container stops.
type readiness struct {
	spec stack.ContainerSpec
	// host is where published ports are reached. Not target.Host():
	// testcontainers-go answers with a gateway address when it believes it
	// runs inside a container, and prodlike publishes on loopback.
	host string
	// err is the wait's own error, without the layers of context
	// testcontainers-go wraps around it.
	err error
}

var _ wait.Strategy = (*readiness)(nil)

func (r *readiness) WaitUntilReady(ctx context.Context, target wait.StrategyTarget) error {
	r.err = r.wait(ctx, target)
	return r.err
}

func (r *readiness) wait(ctx context.Context, target wait.StrategyTarget) error {
	if r.spec.Started != nil {
		r.spec.Started()
	}
	if r.spec.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.spec.Timeout)
		defer cancel()
	}
	alive := func(ctx context.Context) error {
		state, err := target.State(ctx)
		if err != nil {
			return err
		}
		switch {
		case state.Running:
			return nil
		case state.OOMKilled:
			return fmt.Errorf("container was killed: out of memory")
		default:
			return fmt.Errorf("container exited with code %d", state.ExitCode)
		}
	}
	if r.spec.Ready == nil {
		return alive(ctx)
	}
	port, err := target.MappedPort(ctx, fmt.Sprintf("%d/tcp", r.spec.ReadyPort))
	if err != nil {
		return fmt.Errorf("port %d is not published: %w", r.spec.ReadyPort, err)
	}
	return stack.Poll(ctx, r.spec.Ready, emulators.Endpoint{Host: r.host, Port: int(port.Num())}, alive)
}

func parseAddr(s string) netip.Addr {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}
	}
	return a
}

// lineSplitter calls fn with each complete line written to it.
type lineSplitter struct {
	buf []byte
	fn  func(string)
}

func (l *lineSplitter) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		l.fn(strings.TrimRight(string(l.buf[:i]), "\r"))
		l.buf = l.buf[i+1:]
	}
}

// flush hands over a last line that had no newline.
func (l *lineSplitter) flush() {
	if len(l.buf) > 0 {
		l.fn(string(l.buf))
		l.buf = nil
	}
}

// lastLines keeps the last n lines added.
type lastLines struct {
	n     int
	lines []string
}

func (t *lastLines) add(line string) {
	if strings.TrimSpace(line) == "" {
		return
	}
	t.lines = append(t.lines, line)
	if len(t.lines) > t.n {
		t.lines = t.lines[len(t.lines)-t.n:]
	}
}

// String renders the lines indented under a heading, or "" if none.
func (t *lastLines) String() string {
	if len(t.lines) == 0 {
		return ""
	}
	return "\n  last lines of the build output:\n    " + strings.Join(t.lines, "\n    ")
}
