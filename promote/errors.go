package promote

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Sentinel errors of registry operations. Every error Resolve, Copy and
// CopyImage return for a registry problem is a *RegistryError matching one
// of them with errors.Is; none of these failures leaves a tag written.
var (
	// ErrBadReference: an image reference could not be parsed, or a
	// target names a digest other than the source's. Nothing was sent.
	ErrBadReference = errors.New("bad image reference")
	// ErrUnreachable: the registry did not answer (DNS, connection
	// refused, timeout, TLS handshake).
	ErrUnreachable = errors.New("registry unreachable")
	// ErrUnauthorized: the registry wants credentials that were not given
	// (401), or refused the ones that were (403).
	ErrUnauthorized = errors.New("not authorized")
	// ErrNotFound: the repository, tag or digest does not exist.
	ErrNotFound = errors.New("image not found")
	// ErrDigestMismatch: after the push the target resolves to another
	// digest than the one pushed (something else wrote the tag).
	ErrDigestMismatch = errors.New("digest mismatch")
)

// RegistryError is one failed registry operation: what was done, to which
// reference, at which registry, and what to do about it.
type RegistryError struct {
	Kind     error  // one of the sentinels above; nil when unclassified
	Op       string // "resolve", "copy", "verify"
	Ref      string // the reference as the user wrote it
	Registry string // host[:port] that failed; "" for a bad reference
	Msg      string // what is wrong
	Hint     string // what to do; "" when there is nothing to suggest
	Err      error  // the underlying error, if any
}

// Error renders as `op ref: msg: cause; hint`, leaving out empty parts.
func (e *RegistryError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %s", e.Op, e.Ref, e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Is reports whether target is the error's Kind.
func (e *RegistryError) Is(target error) bool { return e.Kind != nil && target == e.Kind }

// Unwrap returns the underlying error.
func (e *RegistryError) Unwrap() error { return e.Err }

// badReference reports a reference that cannot be used.
func badReference(op, ref string, err error) error {
	msg := "bad image reference"
	if ref == "" {
		msg = "empty image reference"
	}
	return &RegistryError{
		Kind: ErrBadReference, Op: op, Ref: fmt.Sprintf("%q", ref), Msg: msg, Err: err,
		Hint: "write it as [REGISTRY/]REPOSITORY[:TAG] or [REGISTRY/]REPOSITORY@sha256:DIGEST",
	}
}

// classify turns an error from go-containerregistry into a RegistryError.
// host is the registry the operation addressed; the failing request's own
// host wins when the error carries one (a copy talks to two registries).
// notFound says what is missing in the words of the operation.
func classify(op, ref, host, notFound string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s %s: %w", op, ref, err)
	}
	e := &RegistryError{Op: op, Ref: ref, Registry: host, Err: err}
	if h := failedHost(err); h != "" {
		e.Registry = h
	}
	var terr *transport.Error
	switch {
	case errors.As(err, &terr):
		switch {
		case terr.StatusCode == http.StatusUnauthorized || hasCode(terr, transport.UnauthorizedErrorCode):
			e.Kind = ErrUnauthorized
			e.Msg = fmt.Sprintf("registry %s wants credentials", e.Registry)
			e.Hint = fmt.Sprintf("run `docker login %s` or configure a credential helper for it in ~/.docker/config.json", e.Registry)
		case terr.StatusCode == http.StatusForbidden || hasCode(terr, transport.DeniedErrorCode):
			e.Kind = ErrUnauthorized
			e.Msg = fmt.Sprintf("registry %s denied access", e.Registry)
			e.Hint = fmt.Sprintf("the credentials in use lack permission; run `docker login %s` as an account that has it", e.Registry)
		case terr.StatusCode == http.StatusNotFound || hasCode(terr, transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode, transport.BlobUnknownErrorCode):
			e.Kind = ErrNotFound
			e.Msg = notFound
			e.Hint = "check the repository, tag or digest (and that the image was pushed)"
		default:
			e.Msg = fmt.Sprintf("registry %s answered with an error", e.Registry)
		}
	case isTLS(err):
		e.Kind = ErrUnreachable
		e.Msg = fmt.Sprintf("registry %s: TLS handshake failed", e.Registry)
		e.Hint = "if the registry serves plain HTTP, allow it with --insecure; otherwise trust its certificate"
	case isNetwork(err):
		e.Kind = ErrUnreachable
		e.Msg = fmt.Sprintf("registry %s unreachable", e.Registry)
		e.Hint = "check the registry's host name and port, the network, and that the registry is running"
	default:
		e.Msg = fmt.Sprintf("registry %s", e.Registry)
	}
	return e
}

// hasCode reports whether the registry's error body has one of codes.
func hasCode(terr *transport.Error, codes ...transport.ErrorCode) bool {
	for _, d := range terr.Errors {
		for _, c := range codes {
			if d.Code == c {
				return true
			}
		}
	}
	return false
}

// failedHost is the host of the request that failed, when the error says.
func failedHost(err error) string {
	var terr *transport.Error
	if errors.As(err, &terr) && terr.Request != nil && terr.Request.URL != nil {
		return terr.Request.URL.Host
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		if u, perr := url.Parse(uerr.URL); perr == nil {
			return u.Host
		}
	}
	return ""
}

// isNetwork reports errors of getting to the registry at all.
func isNetwork(err error) bool {
	var dnsErr *net.DNSError
	var opErr *net.OpError
	var netErr net.Error
	return errors.As(err, &dnsErr) || errors.As(err, &opErr) ||
		errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &netErr) && netErr.Timeout())
}

// isTLS reports a registry that answered but whose TLS could not be
// trusted or spoken.
func isTLS(err error) bool {
	var verr *tls.CertificateVerificationError
	var uaErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invErr x509.CertificateInvalidError
	var recErr tls.RecordHeaderError
	return errors.As(err, &verr) || errors.As(err, &uaErr) || errors.As(err, &hostErr) ||
		errors.As(err, &invErr) || errors.As(err, &recErr)
}
