package promote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Options says how to talk to registries. The zero value uses the user's
// Docker credentials and the default HTTP transport over HTTPS.
type Options struct {
	// Keychain finds credentials per registry. nil means
	// authn.DefaultKeychain: ~/.docker/config.json (or $DOCKER_CONFIG)
	// and the credential helpers it names, as `docker login` set them up.
	Keychain authn.Keychain
	// Transport carries the HTTP requests; nil means go-containerregistry's
	// default (proxy from the environment, sane timeouts).
	Transport http.RoundTripper
	// Insecure allows plain HTTP for every registry. Loopback registries
	// (localhost:PORT, 127.0.0.1:PORT, [::1]:PORT) are always allowed it.
	Insecure bool
	// Version is prodlike's version; requests carry the User-Agent
	// "prodlike/VERSION" ("prodlike/dev" when empty).
	Version string
}

// UserAgent is the User-Agent prodlike sends to registries.
func (o Options) UserAgent() string {
	v := o.Version
	if v == "" {
		v = "dev"
	}
	return "prodlike/" + v
}

// remote returns go-containerregistry's options for one operation.
func (o Options) remote(ctx context.Context) []remote.Option {
	kc := o.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	opts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(kc),
		remote.WithUserAgent(o.UserAgent()),
	}
	if o.Transport != nil {
		opts = append(opts, remote.WithTransport(o.Transport))
	}
	return opts
}

// parseReference parses an image reference the way docker does (a bare
// name means Docker Hub and the tag latest), rejecting what is not one, and
// allows plain HTTP when asked or when the registry is on loopback.
func (o Options) parseReference(ref string) (name.Reference, error) {
	if ref == "" {
		return nil, errors.New("no reference given")
	}
	if i := strings.Index(ref, "://"); i >= 0 {
		return nil, fmt.Errorf("references have no scheme: drop %q", ref[:i+3])
	}
	if strings.TrimSpace(ref) != ref {
		return nil, errors.New("leading or trailing white space")
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, parseError(ref, err)
	}
	if o.Insecure || isLoopback(r.Context().RegistryStr()) {
		return name.ParseReference(ref, name.Insecure)
	}
	return r, nil
}

// parseError explains why ref did not parse. name.ParseReference only says
// that it could not; parsing as the form ref has (tag or digest) says why.
func parseError(ref string, err error) error {
	var specific error
	if strings.Contains(ref, "@") {
		_, specific = name.NewDigest(ref)
	} else {
		_, specific = name.NewTag(ref)
	}
	if specific != nil {
		return specific
	}
	return err
}

// isLoopback reports whether a registry host[:port] is this machine.
func isLoopback(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// hasExplicitTag reports whether ref names a tag itself rather than getting
// "latest" by default: a ':' after the last '/', before any '@'.
func hasExplicitTag(ref string) bool {
	if i := strings.IndexByte(ref, '@'); i >= 0 {
		ref = ref[:i]
	}
	return strings.LastIndexByte(ref, ':') > strings.LastIndexByte(ref, '/')
}

// CheckReference reports whether ref is an image reference Resolve can
// look up, without contacting a registry: nil, or the *RegistryError
// matching ErrBadReference that Resolve would return.
func CheckReference(ref string) error {
	var o Options
	if _, err := o.parseReference(ref); err != nil {
		return badReference("resolve", ref, err)
	}
	return nil
}

// RepositoryOf is ref without its tag or digest, as written:
// registry.example.com/shop/api:prod gives registry.example.com/shop/api.
func RepositoryOf(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	if hasExplicitTag(ref) {
		ref = ref[:strings.LastIndexByte(ref, ':')]
	}
	return ref
}

// HasRegistry reports whether ref names its registry (a first component
// with a '.' or a ':', or localhost), as docker decides it: shop-api and
// acme/api do not, and mean Docker Hub when pulled.
func HasRegistry(ref string) bool {
	first, _, found := strings.Cut(ref, "/")
	return found && (strings.ContainsAny(first, ".:") || first == "localhost")
}
