package emulators

import (
	"context"
	"net"
	"net/http"
	"time"
)

// WithDefaultTimeout bounds ctx by d when it has no deadline of its own:
// a stand-in's Facts and Configure give up in time even when the caller
// set none.
func WithDefaultTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d)
}

// DirectHTTPClient returns an HTTP client of its own for talking to a
// stand-in: straight to it whatever proxy the environment names, dials
// bounded by dialTimeout, and its transport, whose CloseIdleConnections
// the caller runs when done so that polls leave no connections behind.
func DirectHTTPClient(dialTimeout time.Duration) (*http.Client, *http.Transport) {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: dialTimeout}).DialContext,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     30 * time.Second,
	}
	return &http.Client{Transport: tr}, tr
}
