package server

import "time"

const (
	// DefaultRegion and DefaultAccountID are what queue ARNs and URLs name
	// unless WithRegion and WithAccountID say otherwise. The account is the
	// twelve zeros local AWS tools use, so nobody mistakes it for a real one.
	DefaultRegion    = "us-east-1"
	DefaultAccountID = "000000000000"
	// DefaultVersion is what the server reports without WithVersion: a
	// build from source.
	DefaultVersion = "dev"
)

// options are the settings New collects; defaults come from defaultOptions.
type options struct {
	region    string
	accountID string
	version   string
	now       func() time.Time
}

func defaultOptions() options {
	return options{
		region:    DefaultRegion,
		accountID: DefaultAccountID,
		version:   DefaultVersion,
		now:       time.Now,
	}
}

// Option configures a Server.
type Option func(*options)

// WithRegion sets the region queue ARNs name. Default "us-east-1". The
// server does not check the region requests are signed for.
func WithRegion(r string) Option {
	return func(o *options) {
		if r != "" {
			o.region = r
		}
	}
}

// WithAccountID sets the account that owns every queue: it is in queue
// URLs and ARNs. Default "000000000000".
func WithAccountID(id string) Option {
	return func(o *options) {
		if id != "" {
			o.accountID = id
		}
	}
}

// WithClock replaces time.Now for everything a queue times: delays,
// visibility timeouts, retention, the deduplication window, the purge
// interval and timestamps. Tests use it to move time on without waiting.
// Long polls still wait in real time; a clock that jumps is seen the next
// time a queue is touched.
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}

// WithVersion sets the version the server reports in the VersionHeader of
// every response and on GET /. Default DefaultVersion.
func WithVersion(v string) Option {
	return func(o *options) {
		if v != "" {
			o.version = v
		}
	}
}
