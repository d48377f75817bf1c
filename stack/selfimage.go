package stack

import (
	"context"
	"debug/elf"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"
)

// LabelBinary marks an image prodlike built from its own executable.
const LabelBinary = "dev.prodlike.self-image"

// SelfImage is prodlike's own image, which runs the stand-ins prodlike
// implements itself (`prodlike emulate sqs`).
type SelfImage struct {
	// Ref is the image reference the plan gives those stand-ins.
	Ref string
	// Published says Ref is a released image worth pulling before building.
	Published bool
	// Executable is a static Linux build of prodlike to build the image
	// from when it cannot be pulled; "" when there is none (the reason is
	// in NoBuild).
	Executable string
	NoBuild    string
}

// selfDockerfile is the whole image: the static binary on an empty base,
// run as nobody (the emulators keep their state in memory). Releases build
// the published image from the same file (.goreleaser.yaml).
//
//go:embed selfimage.Dockerfile
var selfDockerfile string

// WithSelfImage tells the executor how to come by prodlike's own image.
func WithSelfImage(s SelfImage) Option { return func(x *Executor) { x.self = s } }

// selfBuild makes sure prodlike's own image is pulled or built once per
// executor, however many stand-ins run it.
type selfBuild struct {
	mu   sync.Mutex
	done bool
	err  error
}

// ensureSelfImage pulls prodlike's image when it is published, else (or if
// that fails) builds it from the executable, reporting progress as the
// service's events.
func (x *Executor) ensureSelfImage(ctx context.Context, info Info, service string, start time.Time) error {
	b := &x.selfBuild
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return b.err
	}
	b.err = x.selfImage(ctx, info, service, start)
	b.done = ctx.Err() == nil // an interrupted attempt is not an answer
	return b.err
}

func (x *Executor) selfImage(ctx context.Context, info Info, service string, start time.Time) error {
	var pullErr error
	if x.self.Published {
		if pullErr = x.pull(ctx, service, x.self.Ref, start); pullErr == nil {
			return nil
		}
		if ctx.Err() != nil {
			return pullErr
		}
	}
	reason := x.self.NoBuild
	switch {
	case x.self.Executable == "" && reason == "":
		reason = "no prodlike executable to build it from"
	case x.self.Executable != "" && (info.OS != "linux" || info.Arch != runtime.GOARCH):
		reason = fmt.Sprintf("the engine runs %s/%s containers and this prodlike is a %s/%s executable", info.OS, info.Arch, runtime.GOOS, runtime.GOARCH)
	}
	if reason != "" {
		msg := fmt.Sprintf("prodlike's own image %s is not present", x.self.Ref)
		if pullErr != nil {
			msg += fmt.Sprintf(" and could not be pulled (%v)", pullErr)
		}
		return fmt.Errorf("%w: %s; it cannot be built here: %s. Pull or load it (docker load), or set x-prodlike.image on the service", ErrImageNotFound, msg, reason)
	}
	x.emit(service, StateBuilding, start, x.self.Ref+" from "+x.self.Executable, nil)
	dir, err := os.MkdirTemp("", "prodlike-self-image-")
	if err != nil {
		return fmt.Errorf("build %s: %w", x.self.Ref, err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(selfDockerfile), 0o644); err != nil {
		return fmt.Errorf("build %s: %w", x.self.Ref, err)
	}
	if err := copyFile(filepath.Join(dir, "prodlike"), x.self.Executable); err != nil {
		return fmt.Errorf("build %s: %w", x.self.Ref, err)
	}
	_, err = x.engine.Build(ctx, BuildSpec{
		Context: dir,
		Tag:     x.self.Ref,
		Labels:  map[string]string{LabelBinary: "true"},
	}, func(line string) { x.emit(service, StateBuilding, start, line, nil) })
	if err != nil {
		return fmt.Errorf("build prodlike's own image %s: %w", x.self.Ref, err)
	}
	return nil
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// ErrNotStatic: an executable needs a dynamic loader, which a FROM scratch
// image does not have.
var ErrNotStatic = errors.New("not a statically linked Linux executable")

// CheckStatic reports whether path is a static Linux ELF executable that a
// FROM scratch image can run.
func CheckStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("%s: %w (%v)", path, ErrNotStatic, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s: %w: it is dynamically linked (build with CGO_ENABLED=0)", path, ErrNotStatic)
		}
	}
	return nil
}
