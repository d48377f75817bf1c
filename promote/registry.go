package promote

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Resolved is an image reference pinned to the manifest it names today.
type Resolved struct {
	Ref        string   // the reference as given
	Repository string   // fully qualified: registry.example.com/shop/api
	Tag        string   // the tag it was resolved through; "" for a digest reference
	Digest     string   // manifest digest, sha256:…
	MediaType  string   // manifest media type
	Size       int64    // manifest size in bytes
	Index      bool     // a multi-platform index rather than a single image
	Platforms  []string // "linux/amd64", …: the image's, or each child's of an index
}

// DigestRef is the repository pinned to the digest: repo@sha256:….
func (r Resolved) DigestRef() string { return r.Repository + "@" + r.Digest }

// Pushed is where an image was copied to.
type Pushed struct {
	Repository string // fully qualified target repository
	Tag        string // "" when pushed by digest only
	Digest     string // equals the source digest
}

// DigestRef is the target repository pinned to the digest.
func (p Pushed) DigestRef() string { return p.Repository + "@" + p.Digest }

// String is the target with its tag and digest: repo:tag@sha256:…, or
// repo@sha256:… when there is no tag.
func (p Pushed) String() string {
	if p.Tag == "" {
		return p.DigestRef()
	}
	return p.Repository + ":" + p.Tag + "@" + p.Digest
}

// Resolve looks ref up in its registry and returns the manifest it names.
// A digest reference resolves to itself once the registry confirms it.
func Resolve(ctx context.Context, ref string, opts Options) (Resolved, error) {
	r, err := opts.parseReference(ref)
	if err != nil {
		return Resolved{}, badReference("resolve", ref, err)
	}
	host := r.Context().RegistryStr()
	missing := notFoundMessage(r)
	puller, err := remote.NewPuller(opts.remote(ctx)...)
	if err != nil {
		return Resolved{}, fmt.Errorf("resolve %s: %w", ref, err)
	}
	desc, err := puller.Get(ctx, r)
	if err != nil {
		return Resolved{}, classify("resolve", ref, host, missing, err)
	}
	res := Resolved{
		Ref:        ref,
		Repository: r.Context().Name(),
		Digest:     desc.Digest.String(),
		MediaType:  string(desc.MediaType),
		Size:       desc.Size,
		Index:      desc.MediaType.IsIndex(),
	}
	if t, ok := r.(name.Tag); ok {
		res.Tag = t.TagStr()
	}
	res.Platforms, err = platforms(desc)
	if err != nil {
		return Resolved{}, classify("resolve", ref, host, missing, err)
	}
	return res, nil
}

// notFoundMessage says what is missing when a registry answers 404 for r.
func notFoundMessage(r name.Reference) string {
	if t, ok := r.(name.Tag); ok {
		return fmt.Sprintf("tag %q does not exist in repository %s", t.TagStr(), r.Context().Name())
	}
	return fmt.Sprintf("digest %s does not exist in repository %s", r.Identifier(), r.Context().Name())
}

// platforms lists the platforms of an image (from its config) or of an
// index (from its manifest list, leaving out attestation entries).
func platforms(desc *remote.Descriptor) ([]string, error) {
	switch {
	case desc.MediaType.IsIndex():
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, err
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return nil, err
		}
		var out []string
		for _, m := range im.Manifests {
			if m.Platform == nil {
				continue
			}
			if p := m.Platform.String(); p != "" && p != "unknown/unknown" {
				out = append(out, p)
			}
		}
		return out, nil
	case desc.MediaType.IsImage():
		img, err := desc.Image()
		if err != nil {
			return nil, err
		}
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, err
		}
		if p := cf.Platform(); p != nil && p.String() != "" {
			return []string{p.String()}, nil
		}
	}
	return nil, nil
}

// Copy copies exactly src's manifest (an image, or an index with all its
// images) and every blob it references to target, mounting blobs within a
// registry and copying them across registries. Nothing is rebuilt or
// re-encoded: afterwards the target resolves to src.Digest, which Copy
// checks. target is a tag (registry.example.com/shop/api:prod), a digest
// equal to src's, or a bare repository, which receives the manifest by
// digest only (see TagTarget to add a tag of the caller's choosing).
func Copy(ctx context.Context, src Resolved, target string, opts Options) (Pushed, error) {
	dst, err := targetReference(target, src.Digest, opts)
	if err != nil {
		return Pushed{}, err
	}
	if !digestPattern.MatchString(src.Digest) {
		return Pushed{}, badReference("copy from", src.DigestRef(), fmt.Errorf("digest %q: resolve the source first", src.Digest))
	}
	from, err := opts.parseReference(src.DigestRef())
	if err != nil {
		return Pushed{}, badReference("copy from", src.DigestRef(), err)
	}
	puller, err := remote.NewPuller(opts.remote(ctx)...)
	if err != nil {
		return Pushed{}, fmt.Errorf("copy %s: %w", src.Ref, err)
	}
	desc, err := puller.Get(ctx, from)
	if err != nil {
		return Pushed{}, classify("copy", src.DigestRef(), from.Context().RegistryStr(), notFoundMessage(from), err)
	}
	return push(ctx, puller, desc, dst, target, src.Digest, opts)
}

// CopyImage pushes an image that is in no registry (one opened from a
// `docker save` archive with tarball.Image) to target, like Copy. Its
// manifest is pushed as the image computes it, so the digest at the
// target is img's digest.
func CopyImage(ctx context.Context, img v1.Image, target string, opts Options) (Pushed, error) {
	d, err := img.Digest()
	if err != nil {
		return Pushed{}, fmt.Errorf("copy image to %s: digest: %w", target, err)
	}
	dst, err := targetReference(target, d.String(), opts)
	if err != nil {
		return Pushed{}, err
	}
	puller, err := remote.NewPuller(opts.remote(ctx)...)
	if err != nil {
		return Pushed{}, fmt.Errorf("copy image to %s: %w", target, err)
	}
	return push(ctx, puller, img, dst, target, d.String(), opts)
}

// TagTarget returns target with tag added when target is a bare repository,
// and target unchanged when it already names a tag or digest.
func TagTarget(target, tag string) (string, error) {
	var o Options
	if _, err := o.parseReference(target); err != nil {
		return "", badReference("tag", target, err)
	}
	if hasExplicitTag(target) || strings.Contains(target, "@") {
		return target, nil
	}
	if _, err := name.NewTag(target + ":" + tag); err != nil {
		return "", badReference("tag", target+":"+tag, err)
	}
	return target + ":" + tag, nil
}

// targetReference parses where a push goes: a tag, the source's digest, or
// a repository (by digest).
func targetReference(target, digest string, opts Options) (name.Reference, error) {
	r, err := opts.parseReference(target)
	if err != nil {
		return nil, badReference("copy to", target, err)
	}
	if d, ok := r.(name.Digest); ok && d.DigestStr() != digest {
		return nil, badReference("copy to", target, fmt.Errorf("it names digest %s but the source is %s", d.DigestStr(), digest))
	}
	base, _, _ := strings.Cut(target, "@")
	if hasExplicitTag(base) {
		return opts.parseReference(base)
	}
	return r.Context().Digest(digest), nil
}

// push writes m to dst and checks that dst then resolves to want.
func push(ctx context.Context, puller *remote.Puller, m remote.Taggable, dst name.Reference, target, want string, opts Options) (Pushed, error) {
	host := dst.Context().RegistryStr()
	pusher, err := remote.NewPusher(opts.remote(ctx)...)
	if err != nil {
		return Pushed{}, fmt.Errorf("copy to %s: %w", target, err)
	}
	if err := pusher.Push(ctx, dst, m); err != nil {
		return Pushed{}, classify("copy to", target, host, fmt.Sprintf("a blob or manifest of %s went missing during the copy", want), err)
	}
	got, err := puller.Head(ctx, dst)
	if err != nil {
		return Pushed{}, classify("verify", target, host, notFoundMessage(dst), err)
	}
	if got.Digest.String() != want {
		return Pushed{}, &RegistryError{
			Kind: ErrDigestMismatch, Op: "verify", Ref: target, Registry: host,
			Msg:  fmt.Sprintf("%s resolves to %s after pushing %s", dst, got.Digest, want),
			Hint: "another push to the same tag may have raced this one; run promote again",
		}
	}
	p := Pushed{Repository: dst.Context().Name(), Digest: want}
	if t, ok := dst.(name.Tag); ok {
		p.Tag = t.TagStr()
	}
	return p, nil
}
