package stack

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prodlike/prodlike/emulators"
	"github.com/prodlike/prodlike/plan"
)

// ReadyFunc makes one readiness attempt against ep.
type ReadyFunc = func(ctx context.Context, ep emulators.Endpoint) error

const (
	pollInterval = 20 * time.Millisecond
	attemptLimit = 2 * time.Second
	// aliveEvery: how many attempts between checks that the container still
	// runs, so that a crashed container fails fast instead of timing out.
	aliveEvery = 5
)

// Poll retries ready against ep until it succeeds, ctx ends, or alive (when
// not nil) reports that the container stopped. It never sleeps longer than a
// short poll interval between attempts. The error says what the last attempt
// saw.
func Poll(ctx context.Context, ready ReadyFunc, ep emulators.Endpoint, alive func(context.Context) error) error {
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	var last error
	for attempt := 0; ; attempt++ {
		if last = probe(ctx, ready, ep); last == nil {
			return nil
		}
		if alive != nil && attempt%aliveEvery == 0 {
			if err := alive(ctx); err != nil && ctx.Err() == nil {
				return fmt.Errorf("%w: %v", ErrNotReady, err)
			}
		}
		select {
		case <-ctx.Done():
			if ctx.Err() == context.DeadlineExceeded {
				return fmt.Errorf("%w: no answer on %s in time (last attempt: %v)", ErrNotReady, ep.Addr(), last)
			}
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// probe makes one bounded attempt.
func probe(ctx context.Context, ready ReadyFunc, ep emulators.Endpoint) error {
	if ep.Port == 0 {
		return fmt.Errorf("no published port to probe")
	}
	ctx, cancel := context.WithTimeout(ctx, attemptLimit)
	defer cancel()
	return ready(ctx, ep)
}

// appReady is the app's readiness check: its health path when it has one,
// else its first port accepting connections, else nil (running is ready).
func appReady(a *plan.App) ReadyFunc {
	switch {
	case a.Health != "":
		return HTTPReady(a.Health)
	case a.HealthPort != 0:
		return TCPReady
	}
	return nil
}

// HTTPReady answers ready when GET path returns a 2xx status.
func HTTPReady(path string) ReadyFunc {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	return func(ctx context.Context, ep emulators.Endpoint) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+ep.Addr()+path, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return fmt.Errorf("GET %s: %s", path, resp.Status)
		}
		return nil
	}
}

// TCPReady answers ready when the port accepts a connection that stays open.
// Docker's port proxy accepts on the published port even when nothing in the
// container listens yet, and then closes at once; a server that is really
// there keeps the connection open (or greets), so a short read tells them
// apart.
func TCPReady(ctx context.Context, ep emulators.Endpoint) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", ep.Addr())
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond)); err != nil {
		return err
	}
	var b [1]byte
	if _, err := conn.Read(b[:]); err != nil {
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			return nil
		}
		return fmt.Errorf("connection closed: nothing listens in the container yet")
	}
	return nil
}
