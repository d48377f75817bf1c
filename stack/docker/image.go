package docker

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/containerd/errdefs"

	"github.com/prodlike/prodlike/stack"
)

// InspectImage returns the configuration and build history of the local
// image ref.
func (e *Engine) InspectImage(ctx context.Context, ref string) (stack.ImageConfig, error) {
	img, err := e.cli.ImageInspect(ctx, ref)
	if errdefs.IsNotFound(err) {
		return stack.ImageConfig{}, fmt.Errorf("%w: %s is not present locally", stack.ErrImageNotFound, ref)
	}
	if err != nil {
		return stack.ImageConfig{}, fmt.Errorf("inspect image %s: %w", ref, err)
	}
	out := stack.ImageConfig{Ref: ref, ID: img.ID, Platform: platformString(img.Os, img.Architecture, img.Variant), Env: map[string]string{}}
	if c := img.Config; c != nil {
		out.User = c.User
		out.Entrypoint = c.Entrypoint
		out.Cmd = c.Cmd
		for _, kv := range c.Env {
			name, value, _ := strings.Cut(kv, "=")
			out.Env[name] = value
		}
		if c.Healthcheck != nil && len(c.Healthcheck.Test) > 0 {
			out.Healthcheck = c.Healthcheck.Test
		}
	}
	h, err := e.cli.ImageHistory(ctx, img.ID)
	if err != nil {
		return out, fmt.Errorf("history of image %s: %w", ref, err)
	}
	// The engine lists the newest layer first.
	for _, item := range slices.Backward(h.Items) {
		out.History = append(out.History, item.CreatedBy)
	}
	return out, nil
}

// SaveImage exports the local image ref as `docker save` does: a tar
// stream of its configuration, its layers and a manifest.json, which
// go-containerregistry's tarball package reads. The caller closes it.
func (e *Engine) SaveImage(ctx context.Context, ref string) (io.ReadCloser, error) {
	rc, err := e.cli.ImageSave(ctx, []string{ref})
	if errdefs.IsNotFound(err) {
		return nil, fmt.Errorf("%w: %s is not present locally", stack.ErrImageNotFound, ref)
	}
	if err != nil {
		return nil, fmt.Errorf("export image %s: %w", ref, err)
	}
	return rc, nil
}

// SecretFiles exports the image ref and returns the paths in any of its
// layers that look like secrets or local configuration (.env files, private
// keys, cloud credentials), sorted. A file a later layer deletes is still in
// the image, so it is reported too.
func (e *Engine) SecretFiles(ctx context.Context, ref string) ([]string, error) {
	rc, err := e.cli.ImageSave(ctx, []string{ref})
	if err != nil {
		return nil, fmt.Errorf("export image %s: %w", ref, err)
	}
	defer rc.Close()
	found, err := secretFilesInSave(rc)
	if err != nil {
		return nil, fmt.Errorf("read image %s: %w", ref, err)
	}
	return found, nil
}

// secretFilesInSave reads the tar stream `docker save` writes: layers are
// tar files inside it (<id>/layer.tar in the classic layout, blobs/sha256/…
// in the OCI one, next to JSON documents that are not tars).
func secretFilesInSave(r io.Reader) ([]string, error) {
	var found []string
	outer := tar.NewReader(r)
	for {
		h, err := outer.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag != tar.TypeReg || !(strings.HasSuffix(h.Name, "layer.tar") || strings.HasPrefix(h.Name, "blobs/")) {
			continue
		}
		inner := tar.NewReader(outer)
		for {
			lh, err := inner.Next()
			if err != nil {
				break // the end of the layer, or a blob that is not a tar
			}
			if lh.Typeflag == tar.TypeReg && secretPath(lh.Name) && !slices.Contains(found, "/"+strings.TrimPrefix(lh.Name, "./")) {
				found = append(found, "/"+strings.TrimPrefix(lh.Name, "./"))
			}
		}
	}
	slices.Sort(found)
	return found, nil
}

// systemDirs hold certificates and keys the OS ships (CA bundles, test
// keys of packages), not the project's secrets.
var systemDirs = []string{"etc/ssl/", "etc/pki/", "etc/ca-certificates/", "usr/share/", "usr/lib/", "usr/local/lib/", "usr/local/share/ca-certificates/", "usr/local/go/", "go/pkg/mod/", "root/go/pkg/mod/", "proc/", "sys/"}

// secretNames are file names that are secrets wherever they are.
var secretNames = []string{"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", ".netrc", ".npmrc", ".pypirc", ".git-credentials", ".pgpass", "credentials.json", "terraform.tfstate", "terraform.tfvars"}

// secretPath reports whether a layer path looks like a secret or local
// configuration.
func secretPath(p string) bool {
	p = strings.TrimPrefix(p, "./")
	if slices.ContainsFunc(systemDirs, func(d string) bool { return strings.HasPrefix(p, d) }) {
		return false
	}
	base := path.Base(p)
	switch {
	case strings.HasPrefix(base, ".wh."):
		return false // a whiteout: the deleted file is reported where it is
	case base == ".env", strings.HasPrefix(base, ".env.") && !slices.Contains([]string{".env.example", ".env.sample", ".env.template", ".env.dist"}, base):
		return true
	case slices.Contains(secretNames, base):
		return true
	case strings.HasSuffix(p, ".aws/credentials"), strings.HasSuffix(p, ".docker/config.json"), strings.HasSuffix(p, ".kube/config"):
		return true
	case strings.HasSuffix(base, ".pem"), strings.HasSuffix(base, ".key"), strings.HasSuffix(base, ".p12"), strings.HasSuffix(base, ".pfx"):
		return true
	}
	return false
}
