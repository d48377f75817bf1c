package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/prodlike/prodlike/promote"
	"github.com/prodlike/prodlike/stack"
)

// candidate is the image being promoted, pinned: the digest every target
// gets, and the image the parity gate runs.
type candidate struct {
	given   string // IMAGE as given on the command line
	digest  string // the manifest digest the targets get
	imageID string // the image's ID in the engine: what the gate runs
	run     string // the reference the app runs in the gate
	// One of the two: an image in a registry, copied registry to
	// registry; or a local image read with `docker save`, pushed.
	resolved *promote.Resolved
	local    v1.Image
	// from says where the image came from, for the summary and the
	// record's source.
	from   string
	source string
	close  func()
}

// imageExporter is an engine that can export a local image as `docker
// save` does (stack/docker's engine).
type imageExporter interface {
	SaveImage(ctx context.Context, ref string) (io.ReadCloser, error)
}

// findCandidate pins image. A name without a registry host (shop-api,
// acme/api:dev) that the engine has is the local image; anything else is
// resolved in its registry, and a tag its registry does not have falls
// back to a local image of that name. A registry image is pulled by digest
// through the engine unless it is there already, so that the gate runs
// exactly it.
func (pr *promoter) findCandidate(ctx context.Context, eng stack.Engine, image string, opts promote.Options) (*candidate, error) {
	pinned := strings.Contains(image, "@")
	if !pinned && !promote.HasRegistry(image) {
		id, err := eng.ImageID(ctx, image)
		switch {
		case err == nil:
			return exportLocal(ctx, eng, image, id, "only in the Docker engine")
		case !errors.Is(err, stack.ErrImageNotFound):
			return nil, err
		}
	}
	res, err := promote.Resolve(ctx, image, opts)
	if errors.Is(err, promote.ErrNotFound) && !pinned {
		if id, lerr := eng.ImageID(ctx, image); lerr == nil {
			return exportLocal(ctx, eng, image, id, "not in its registry, only in the Docker engine")
		}
	}
	if err != nil {
		return nil, err
	}
	return pr.pullPinned(ctx, eng, res)
}

// pullPinned makes sure the engine has exactly the resolved digest.
func (pr *promoter) pullPinned(ctx context.Context, eng stack.Engine, res promote.Resolved) (*candidate, error) {
	ref := res.DigestRef()
	id, err := eng.ImageID(ctx, ref)
	if errors.Is(err, stack.ErrImageNotFound) {
		fmt.Fprintf(pr.stderr, "pulling %s through the engine, so that the parity gate runs exactly that image\n", ref)
		var progress func(string)
		if pr.verbose {
			progress = func(line string) { fmt.Fprintf(pr.stderr, "  %s\n", line) }
		}
		if err := eng.Pull(ctx, ref, progress); err != nil {
			return nil, fmt.Errorf("pull %s for the parity gate: %w\n"+
				"  the engine pulls with its own credentials: for a private registry run `docker pull %s`, then promote again", ref, err, ref)
		}
		id, err = eng.ImageID(ctx, ref)
	}
	if err != nil {
		return nil, err
	}
	from := fmt.Sprintf("registry image %s", ref)
	if res.Tag != "" {
		from = fmt.Sprintf("registry image %s (tag %s resolved to its digest)", ref, res.Tag)
	}
	return &candidate{
		given: res.Ref, digest: res.Digest, imageID: id, run: ref, resolved: &res,
		from: from, source: ref, close: func() {},
	}, nil
}

// exportLocal reads the local image id with `docker save` into a
// temporary file and opens it as an image whose manifest digest is the one
// a push gives it.
func exportLocal(ctx context.Context, eng stack.Engine, given, id, what string) (c *candidate, err error) {
	ex, ok := eng.(imageExporter)
	if !ok {
		return nil, fmt.Errorf("%s is %s, and this engine cannot export images; push it to a registry and promote that reference", given, what)
	}
	rc, err := ex.SaveImage(ctx, id)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	f, err := os.CreateTemp("", "prodlike-promote-*.tar")
	if err != nil {
		return nil, fmt.Errorf("export %s: %w", given, err)
	}
	remove := func() { os.Remove(f.Name()) }
	defer func() {
		if err != nil {
			remove()
		}
	}()
	if _, err = io.Copy(f, rc); err != nil {
		f.Close()
		return nil, fmt.Errorf("export %s: %w", given, err)
	}
	if err = f.Close(); err != nil {
		return nil, fmt.Errorf("export %s: %w", given, err)
	}
	img, err := tarball.ImageFromPath(f.Name(), nil)
	if err != nil {
		return nil, fmt.Errorf("read the export of %s: %w", given, err)
	}
	d, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("read the export of %s: %w", given, err)
	}
	return &candidate{
		given: given, digest: d.String(), imageID: id, run: given, local: img,
		from:  fmt.Sprintf("local image %s, ID %s (%s: read with docker save and pushed)", given, id, what),
		close: remove,
	}, nil
}

// push copies the candidate to target: registry to registry by digest, or
// the exported local image.
func (c *candidate) push(ctx context.Context, target string, opts promote.Options) (promote.Pushed, error) {
	if c.local != nil {
		return promote.CopyImage(ctx, c.local, target, opts)
	}
	return promote.Copy(ctx, *c.resolved, target, opts)
}
