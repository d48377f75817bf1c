package promote

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// testRegistry is an in-process registry on loopback that counts the
// requests that could change it.
type testRegistry struct {
	srv  *httptest.Server
	host string

	mu     sync.Mutex
	writes int
	agents []string
}

// newRegistry starts a registry; wrap, when not nil, sits in front of it
// (an auth check, say).
func newRegistry(t *testing.T, wrap func(http.Handler) http.Handler) *testRegistry {
	t.Helper()
	tr := &testRegistry{}
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		h = wrap(h)
	}
	tr.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tr.mu.Lock()
		tr.agents = append(tr.agents, r.UserAgent())
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			tr.writes++
		}
		tr.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(tr.srv.Close)
	tr.host = strings.TrimPrefix(tr.srv.URL, "http://")
	return tr
}

func (tr *testRegistry) writeCount() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.writes
}

// anonymous is a keychain that never finds credentials, so tests do not
// read the machine's Docker config.
type anonymous struct{}

func (anonymous) Resolve(authn.Resource) (authn.Authenticator, error) { return authn.Anonymous, nil }

// basicKeychain has one user's credentials for one registry.
type basicKeychain struct{ host, user, pass string }

func (k basicKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	if r.RegistryStr() != k.host {
		return authn.Anonymous, nil
	}
	return authn.FromConfig(authn.AuthConfig{Username: k.user, Password: k.pass}), nil
}

// requireBasic answers 401 with a Basic challenge unless the request
// carries user:pass.
func requireBasic(user, pass string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func testOptions() Options {
	return Options{Keychain: anonymous{}, Transport: http.DefaultTransport, Version: "1.2.3"}
}

// platformImage is a random image whose config names a platform.
func platformImage(t *testing.T, os, arch string) v1.Image {
	t.Helper()
	img, err := random.Image(256, 2)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = os, arch
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// platformIndex is an index of two images, linux/amd64 and linux/arm64.
func platformIndex(t *testing.T) v1.ImageIndex {
	t.Helper()
	var adds []mutate.IndexAddendum
	for _, arch := range []string{"amd64", "arm64"} {
		adds = append(adds, mutate.IndexAddendum{
			Add:        platformImage(t, "linux", arch),
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}},
		})
	}
	return mutate.AppendManifests(empty.Index, adds...)
}

// pushImage writes img (or an index) to ref with go-containerregistry
// directly, as a CI job would have, and returns its digest.
func pushImage(t *testing.T, ref string, m remote.Taggable) string {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	switch m := m.(type) {
	case v1.Image:
		err = remote.Write(r, m)
	case v1.ImageIndex:
		err = remote.WriteIndex(r, m)
	}
	if err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	d, err := m.(interface{ Digest() (v1.Hash, error) }).Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// rawManifest fetches the manifest bytes ref names.
func rawManifest(t *testing.T, ref string) []byte {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	d, err := remote.Get(r)
	if err != nil {
		t.Fatalf("get %s: %v", ref, err)
	}
	return d.Manifest
}

func TestResolve(t *testing.T) {
	reg := newRegistry(t, nil)
	ctx := context.Background()
	imgDigest := pushImage(t, reg.host+"/shop/api:1.4.2", platformImage(t, "linux", "arm64"))
	idxDigest := pushImage(t, reg.host+"/shop/api:multi", platformIndex(t))

	tests := []struct {
		ref  string
		want Resolved
	}{
		{reg.host + "/shop/api:1.4.2", Resolved{
			Tag: "1.4.2", Digest: imgDigest, MediaType: "application/vnd.docker.distribution.manifest.v2+json",
			Platforms: []string{"linux/arm64"},
		}},
		{reg.host + "/shop/api@" + imgDigest, Resolved{
			Digest: imgDigest, MediaType: "application/vnd.docker.distribution.manifest.v2+json",
			Platforms: []string{"linux/arm64"},
		}},
		{reg.host + "/shop/api:multi", Resolved{
			Tag: "multi", Digest: idxDigest, MediaType: "application/vnd.oci.image.index.v1+json",
			Index: true, Platforms: []string{"linux/amd64", "linux/arm64"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			got, err := Resolve(ctx, tt.ref, testOptions())
			if err != nil {
				t.Fatal(err)
			}
			if got.Ref != tt.ref {
				t.Errorf("Ref: got %q, want %q", got.Ref, tt.ref)
			}
			if want := reg.host + "/shop/api"; got.Repository != want {
				t.Errorf("Repository: got %q, want %q", got.Repository, want)
			}
			if got.Tag != tt.want.Tag {
				t.Errorf("Tag: got %q, want %q", got.Tag, tt.want.Tag)
			}
			if got.Digest != tt.want.Digest {
				t.Errorf("Digest: got %s, want %s", got.Digest, tt.want.Digest)
			}
			if got.MediaType != tt.want.MediaType {
				t.Errorf("MediaType: got %s, want %s", got.MediaType, tt.want.MediaType)
			}
			if got.Index != tt.want.Index {
				t.Errorf("Index: got %v, want %v", got.Index, tt.want.Index)
			}
			if !slices.Equal(got.Platforms, tt.want.Platforms) {
				t.Errorf("Platforms: got %q, want %q", got.Platforms, tt.want.Platforms)
			}
			if got.Size <= 0 {
				t.Errorf("Size: got %d, want > 0", got.Size)
			}
			if want := reg.host + "/shop/api@" + tt.want.Digest; got.DigestRef() != want {
				t.Errorf("DigestRef: got %s, want %s", got.DigestRef(), want)
			}
		})
	}
}

// A copy tags the very manifest that was resolved: same digest, same bytes,
// in the same registry or another one, for an image and for an index.
func TestCopyKeepsDigest(t *testing.T) {
	src := newRegistry(t, nil)
	other := newRegistry(t, nil)
	ctx := context.Background()
	sources := map[string]remote.Taggable{
		"image": platformImage(t, "linux", "amd64"),
		"index": platformIndex(t),
	}
	for kind, m := range sources {
		srcRef := src.host + "/shop/api:" + kind
		digest := pushImage(t, srcRef, m)
		for _, dst := range []*testRegistry{src, other} {
			target := dst.host + "/prod/api:" + kind
			t.Run(kind+"/"+target, func(t *testing.T) {
				res, err := Resolve(ctx, srcRef, testOptions())
				if err != nil {
					t.Fatal(err)
				}
				got, err := Copy(ctx, res, target, testOptions())
				if err != nil {
					t.Fatal(err)
				}
				want := Pushed{Repository: dst.host + "/prod/api", Tag: kind, Digest: digest}
				if got != want {
					t.Errorf("got %+v, want %+v", got, want)
				}
				if s := dst.host + "/prod/api:" + kind + "@" + digest; got.String() != s {
					t.Errorf("String: got %s, want %s", got.String(), s)
				}
				after, err := Resolve(ctx, target, testOptions())
				if err != nil {
					t.Fatal(err)
				}
				if after.Digest != digest {
					t.Errorf("target resolves to %s, want the source digest %s", after.Digest, digest)
				}
				if a, b := rawManifest(t, target), rawManifest(t, srcRef); string(a) != string(b) {
					t.Errorf("target manifest differs from the source's:\ngot  %s\nwant %s", a, b)
				}
				if idx, ok := m.(v1.ImageIndex); ok {
					im, err := idx.IndexManifest()
					if err != nil {
						t.Fatal(err)
					}
					for _, child := range im.Manifests {
						if _, err := Resolve(ctx, dst.host+"/prod/api@"+child.Digest.String(), testOptions()); err != nil {
							t.Errorf("child %s not copied: %v", child.Digest, err)
						}
					}
				}
			})
		}
	}
}

// A bare repository receives the manifest by digest only; no tag appears.
func TestCopyByDigestOnly(t *testing.T) {
	reg := newRegistry(t, nil)
	ctx := context.Background()
	digest := pushImage(t, reg.host+"/shop/api:1.0", platformImage(t, "linux", "amd64"))
	res, err := Resolve(ctx, reg.host+"/shop/api:1.0", testOptions())
	if err != nil {
		t.Fatal(err)
	}
	before := reg.writeCount()
	got, err := Copy(ctx, res, reg.host+"/prod/api", testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if want := (Pushed{Repository: reg.host + "/prod/api", Digest: digest}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if reg.writeCount() == before {
		t.Error("the registry counted no writes for a copy; the write counter is broken")
	}
	repo, err := name.NewRepository(reg.host + "/prod/api")
	if err != nil {
		t.Fatal(err)
	}
	tags, err := remote.List(repo)
	if err != nil {
		t.Fatal(err)
	}
	if len(tags) != 0 {
		t.Errorf("tags: got %q, want none", tags)
	}
	if _, err := Resolve(ctx, got.DigestRef(), testOptions()); err != nil {
		t.Errorf("resolve %s: %v", got.DigestRef(), err)
	}
}

// An image from a `docker save` archive is pushed with the digest it has.
func TestCopyImageFromTarball(t *testing.T) {
	reg := newRegistry(t, nil)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "image.tar")
	tag, err := name.NewTag("shop/api:dev")
	if err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteToFile(path, tag, platformImage(t, "linux", "amd64")); err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	got, err := CopyImage(ctx, img, reg.host+"/shop/api:staging", testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest != want.String() {
		t.Errorf("pushed digest: got %s, want %s", got.Digest, want)
	}
	res, err := Resolve(ctx, reg.host+"/shop/api:staging", testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if res.Digest != want.String() {
		t.Errorf("target resolves to %s, want %s", res.Digest, want)
	}
}

func TestResolveErrors(t *testing.T) {
	reg := newRegistry(t, nil)
	locked := newRegistry(t, requireBasic("ci", "secret"))
	ctx := context.Background()
	digest := pushImage(t, reg.host+"/shop/api:1.0", platformImage(t, "linux", "amd64"))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()

	missingDigest := "sha256:" + strings.Repeat("0", 64)
	tests := []struct {
		name string
		ref  string
		want error
		says []string // substrings the message must contain
	}{
		{"empty", "", ErrBadReference, []string{`""`, "empty image reference"}},
		{"upper case", reg.host + "/Shop/API:1.0", ErrBadReference, []string{"/Shop/API:1.0", "repository can only contain"}},
		{"scheme", "https://" + reg.host + "/shop/api:1.0", ErrBadReference, []string{`drop "https://"`}},
		{"space", "shop/api:1.0 ", ErrBadReference, []string{"white space"}},
		{"bad digest", reg.host + "/shop/api@sha256:abc", ErrBadReference, []string{"sha256:abc"}},
		{"closed port", closed + "/shop/api:1.0", ErrUnreachable, []string{"registry " + closed + " unreachable", "connection refused"}},
		{"no credentials", locked.host + "/shop/api:1.0", ErrUnauthorized, []string{"registry " + locked.host + " wants credentials", "docker login " + locked.host}},
		{"no such tag", reg.host + "/shop/api:9.9", ErrNotFound, []string{`tag "9.9" does not exist in repository ` + reg.host + "/shop/api"}},
		{"no such repository", reg.host + "/shop/web:1.0", ErrNotFound, []string{`tag "1.0" does not exist`}},
		{"no such digest", reg.host + "/shop/api@" + missingDigest, ErrNotFound, []string{"digest " + missingDigest + " does not exist"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Resolve(ctx, tt.ref, testOptions())
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want an error matching %v", err, tt.want)
			}
			var rerr *RegistryError
			if !errors.As(err, &rerr) {
				t.Fatalf("got %T, want *RegistryError", err)
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("message %q does not say %q", err, s)
				}
			}
		})
	}
	if _, err := Resolve(ctx, reg.host+"/shop/api@"+digest, testOptions()); err != nil {
		t.Errorf("existing digest: %v", err)
	}
}

func TestCopyErrorsChangeNothing(t *testing.T) {
	src := newRegistry(t, nil)
	ctx := context.Background()
	pushImage(t, src.host+"/shop/api:1.0", platformImage(t, "linux", "amd64"))
	res, err := Resolve(ctx, src.host+"/shop/api:1.0", testOptions())
	if err != nil {
		t.Fatal(err)
	}

	t.Run("bad target", func(t *testing.T) {
		dst := newRegistry(t, nil)
		for _, target := range []string{
			dst.host + "/Prod/API:prod",
			dst.host + "/prod/api:pr od",
			dst.host + "/prod/api@sha256:" + strings.Repeat("1", 64),
		} {
			_, err := Copy(ctx, res, target, testOptions())
			if !errors.Is(err, ErrBadReference) {
				t.Errorf("%s: got %v, want ErrBadReference", target, err)
			}
		}
		if _, err := Copy(ctx, Resolved{Ref: "shop/api:1.0"}, dst.host+"/prod/api:prod", testOptions()); !errors.Is(err, ErrBadReference) {
			t.Errorf("unresolved source: got %v, want ErrBadReference", err)
		}
		if n := dst.writeCount(); n != 0 {
			t.Errorf("target registry got %d writes, want 0", n)
		}
	})

	t.Run("missing credentials", func(t *testing.T) {
		dst := newRegistry(t, requireBasic("ci", "secret"))
		_, err := Copy(ctx, res, dst.host+"/prod/api:prod", testOptions())
		if !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("got %v, want ErrUnauthorized", err)
		}
		if !strings.Contains(err.Error(), "docker login "+dst.host) {
			t.Errorf("message %q does not name the registry to log in to", err)
		}
		creds := Options{Keychain: basicKeychain{dst.host, "ci", "secret"}}
		if _, err := Resolve(ctx, dst.host+"/prod/api:prod", creds); !errors.Is(err, ErrNotFound) {
			t.Errorf("after the refused copy: got %v, want the tag not to exist", err)
		}
		// With the credentials the same copy goes through, so the
		// refusal above came from the missing credentials.
		creds.Version = "1.2.3"
		got, err := Copy(ctx, res, dst.host+"/prod/api:prod", creds)
		if err != nil {
			t.Fatalf("with credentials: %v", err)
		}
		if got.Digest != res.Digest {
			t.Errorf("with credentials: got digest %s, want %s", got.Digest, res.Digest)
		}
	})

	t.Run("unreachable target", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		closed := ln.Addr().String()
		ln.Close()
		_, err = Copy(ctx, res, closed+"/prod/api:prod", testOptions())
		if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), closed) {
			t.Errorf("got %v, want ErrUnreachable naming %s", err, closed)
		}
	})

	t.Run("source gone", func(t *testing.T) {
		dst := newRegistry(t, nil)
		gone := res
		gone.Digest = "sha256:" + strings.Repeat("2", 64)
		_, err := Copy(ctx, gone, dst.host+"/prod/api:prod", testOptions())
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("got %v, want ErrNotFound", err)
		}
		if n := dst.writeCount(); n != 0 {
			t.Errorf("target registry got %d writes, want 0", n)
		}
	})
}

func TestUserAgent(t *testing.T) {
	reg := newRegistry(t, nil)
	pushImage(t, reg.host+"/shop/api:1.0", platformImage(t, "linux", "amd64"))
	reg.mu.Lock()
	reg.agents = nil
	reg.mu.Unlock()
	if _, err := Resolve(context.Background(), reg.host+"/shop/api:1.0", testOptions()); err != nil {
		t.Fatal(err)
	}
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if len(reg.agents) == 0 {
		t.Fatal("no requests seen")
	}
	for _, ua := range reg.agents {
		if !strings.HasPrefix(ua, "prodlike/1.2.3") {
			t.Errorf("User-Agent: got %q, want it to start with prodlike/1.2.3", ua)
		}
	}
}

func TestTagTarget(t *testing.T) {
	tests := []struct {
		target, tag, want string
		err               error
	}{
		{"registry.example.com/shop/api", "prod", "registry.example.com/shop/api:prod", nil},
		{"registry.example.com/shop/api:live", "prod", "registry.example.com/shop/api:live", nil},
		{"localhost:5000/shop/api", "prod", "localhost:5000/shop/api:prod", nil},
		{"registry.example.com/shop/api@sha256:" + strings.Repeat("a", 64), "prod", "registry.example.com/shop/api@sha256:" + strings.Repeat("a", 64), nil},
		{"registry.example.com/shop/api", "bad tag", "", ErrBadReference},
		{"registry.example.com/Shop", "prod", "", ErrBadReference},
	}
	for _, tt := range tests {
		got, err := TagTarget(tt.target, tt.tag)
		if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
			t.Errorf("TagTarget(%q, %q): got error %v, want %v", tt.target, tt.tag, err, tt.err)
		}
		if got != tt.want {
			t.Errorf("TagTarget(%q, %q): got %q, want %q", tt.target, tt.tag, got, tt.want)
		}
	}
}

func TestReferenceHelpers(t *testing.T) {
	loopback := map[string]bool{
		"localhost:5000": true, "localhost": true, "127.0.0.1:5000": true, "127.0.0.2": true,
		"[::1]:5000": true, "registry.localhost:80": true,
		"registry.example.com": false, "10.0.0.1:5000": false, "localhost.example.com": false,
	}
	for host, want := range loopback {
		if got := isLoopback(host); got != want {
			t.Errorf("isLoopback(%q): got %v, want %v", host, got, want)
		}
	}
	explicit := map[string]bool{
		"shop/api": false, "shop/api:1": true, "localhost:5000/shop/api": false,
		"localhost:5000/shop/api:1": true, "shop/api@sha256:ab": false, "shop/api:1@sha256:ab": true,
	}
	for ref, want := range explicit {
		if got := hasExplicitTag(ref); got != want {
			t.Errorf("hasExplicitTag(%q): got %v, want %v", ref, got, want)
		}
	}
	if got := (Options{}).UserAgent(); got != "prodlike/dev" {
		t.Errorf("UserAgent: got %q, want prodlike/dev", got)
	}
	// Plain HTTP is chosen for loopback without asking and for any host
	// when Insecure is set.
	schemes := []struct {
		ref      string
		insecure bool
		want     string
	}{
		{"127.0.0.1:5000/shop/api", false, "http"},
		{"localhost:5000/shop/api", false, "http"},
		{"registry.example.com/shop/api", false, "https"},
		{"registry.example.com/shop/api", true, "http"},
	}
	for _, s := range schemes {
		r, err := Options{Insecure: s.insecure}.parseReference(s.ref)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Context().Scheme(); got != s.want {
			t.Errorf("%s (insecure %v): got scheme %s, want %s", s.ref, s.insecure, got, s.want)
		}
	}
}
