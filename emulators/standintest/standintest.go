// Package standintest checks what every stand-in kind must do, whatever its
// protocol: fail fast against ports that behave like a container that is not
// up yet, honour deadlines, and report no facts it could not read. It also
// holds the loopback helpers the kinds' own tests share.
package standintest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prodlike/prodlike/emulators"
)

// Contract runs the checks every stand-in must pass, as subtests of t.
// attemptLimit is how long one Ready attempt may take when ctx sets no
// deadline.
func Contract(t *testing.T, s emulators.Standin, attemptLimit time.Duration) {
	t.Run("ReadyClosedPort", func(t *testing.T) {
		ep := emulators.Endpoint{Host: "127.0.0.1", Port: FreePort(t)}
		start := time.Now()
		err := s.Ready(t.Context(), ep)
		if elapsed := time.Since(start); elapsed > 500*time.Millisecond {
			t.Errorf("Ready took %v, want well under a second", elapsed)
		}
		if err == nil {
			t.Fatal("Ready on a closed port: got nil, want an error")
		}
		if !strings.Contains(err.Error(), ep.Addr()) {
			t.Errorf("error %q: want it to name %s", err, ep.Addr())
		}
	})
	t.Run("ReadySilentServerHonoursDeadline", func(t *testing.T) {
		ep := emulators.Endpoint{Host: "127.0.0.1", Port: SilentPort(t)}
		const deadline = 200 * time.Millisecond
		ctx, cancel := context.WithTimeout(t.Context(), deadline)
		defer cancel()
		start := time.Now()
		err := s.Ready(ctx, ep)
		elapsed := time.Since(start)
		if err == nil {
			t.Fatal("Ready on a silent server: got nil, want an error")
		}
		if elapsed > deadline+300*time.Millisecond {
			t.Errorf("Ready took %v with a %v deadline, want it to stop at the deadline", elapsed, deadline)
		}
	})
	t.Run("ReadySilentServerWithoutDeadline", func(t *testing.T) {
		ep := emulators.Endpoint{Host: "127.0.0.1", Port: SilentPort(t)}
		start := time.Now()
		err := s.Ready(t.Context(), ep)
		elapsed := time.Since(start)
		if err == nil {
			t.Fatal("Ready on a silent server: got nil, want an error")
		}
		if elapsed > attemptLimit+500*time.Millisecond {
			t.Errorf("Ready without a deadline took %v, want about %v", elapsed, attemptLimit)
		}
	})
	t.Run("FactsClosedPort", func(t *testing.T) {
		ep := emulators.Endpoint{Host: "127.0.0.1", Port: FreePort(t)}
		f, err := s.Facts(t.Context(), ep)
		if err == nil {
			t.Fatalf("Facts on a closed port: got %+v, want an error", f)
		}
		if f != nil {
			t.Errorf("Facts with an error: got %+v, want nil", f)
		}
	})
}

// FreePort returns a loopback port on which nothing listens (now).
func FreePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// SilentPort returns a loopback port that accepts connections and never
// answers, like a published port whose server is not up. It closes when the
// test ends.
func SilentPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() { l.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

// SyncBuffer collects a process's output from several goroutines.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// WaitReady polls s.Ready against ep, a server process the test started,
// until it answers, and returns how long that took. It fails the test when
// the process exits first or limit passes, showing the process's output.
func WaitReady(t *testing.T, s emulators.Standin, ep emulators.Endpoint, exited <-chan struct{}, out fmt.Stringer, limit time.Duration) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), limit)
	defer cancel()
	start := time.Now()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		err := s.Ready(ctx, ep)
		if err == nil {
			return time.Since(start)
		}
		select {
		case <-exited:
			t.Fatalf("%s server exited before it was ready (last Ready error: %v)\n%s", s.Kind(), err, out)
		case <-ctx.Done():
			t.Fatalf("%s server not ready after %v: %v\n%s", s.Kind(), time.Since(start), err, out)
		case <-tick.C:
		}
	}
}

// ErrorsInOrder checks that err's message names each of want, in that
// order: New reports every problem at once, in a stable order.
func ErrorsInOrder(t *testing.T, err error, want []string) {
	t.Helper()
	msg := err.Error()
	last := -1
	for _, w := range want {
		i := strings.Index(msg, w)
		if i < 0 {
			t.Errorf("error %q: want it to contain %q", msg, w)
			continue
		}
		if i < last {
			t.Errorf("error %q: want %q later", msg, w)
		}
		last = i
	}
}
