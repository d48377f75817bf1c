// Package docker is the Docker implementation of stack.Engine. It is the only
// package of prodlike that talks to Docker: containers are created, started
// and waited on through testcontainers-go; listing, images, networks,
// volumes and logs go through the Docker client directly.
package docker

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"

	"github.com/prodlike/prodlike/stack"
)

// Engine runs containers on a Docker engine.
type Engine struct {
	cli  *client.Client
	host string

	once    sync.Once
	pingErr error
	info    stack.Info
}

var _ stack.Engine = (*Engine)(nil)

// New connects to the Docker engine the environment points at (DOCKER_HOST,
// or the platform default: the unix socket, or the named pipe on Windows).
// It does not contact the engine yet; Ping does.
func New() (*Engine, error) {
	// prodlike owns the lifecycle of what it starts through its labels, so
	// testcontainers-go's reaper must not remove stacks that `up --detach`
	// leaves running, and its progress logging would mix with ours.
	_ = os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	tclog.SetDefault(quietLogger{})
	cli, err := client.New(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", stack.ErrEngineUnreachable, err)
	}
	return &Engine{cli: cli, host: publishedHost(cli.DaemonHost())}, nil
}

type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

// Close releases the client.
func (e *Engine) Close() error { return e.cli.Close() }

// publishedHost is where ports published by the engine at daemonHost are
// reached from here.
func publishedHost(daemonHost string) string {
	u, err := url.Parse(daemonHost)
	if err == nil && (u.Scheme == "tcp" || u.Scheme == "http" || u.Scheme == "https") && u.Hostname() != "" {
		return u.Hostname()
	}
	return "127.0.0.1"
}

// Ping checks the engine once per Engine and describes it.
func (e *Engine) Ping(ctx context.Context) (stack.Info, error) {
	e.once.Do(func() {
		p, err := e.cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
		if err != nil {
			e.pingErr = unreachable(e.cli.DaemonHost(), err)
			return
		}
		v, err := e.cli.ServerVersion(ctx, client.ServerVersionOptions{})
		if err != nil {
			e.pingErr = unreachable(e.cli.DaemonHost(), err)
			return
		}
		e.info = stack.Info{
			Endpoint:      e.cli.DaemonHost(),
			ServerVersion: v.Version,
			APIVersion:    p.APIVersion,
			OS:            v.Os,
			Arch:          v.Arch,
			Host:          e.host,
		}
	})
	return e.info, e.pingErr
}

func unreachable(host string, err error) error {
	return fmt.Errorf("%w at %s: %v\n  is Docker running? Start Docker Desktop, Colima or the docker service, or point DOCKER_HOST at a running engine", stack.ErrEngineUnreachable, host, err)
}

// SystemInfo adds what the engine says of its host (for `doctor`).
func (e *Engine) SystemInfo(ctx context.Context) (stack.Info, error) {
	info, err := e.Ping(ctx)
	if err != nil {
		return info, err
	}
	si, err := e.cli.Info(ctx, client.InfoOptions{})
	if err != nil {
		return info, err
	}
	info.OSName = si.Info.OperatingSystem
	info.RootDir = si.Info.DockerRootDir
	return info, nil
}

func projectFilter(project string) client.Filters {
	return make(client.Filters).Add("label", stack.LabelProject+"="+project)
}

// Containers lists the project's containers.
func (e *Engine) Containers(ctx context.Context, project string) ([]stack.Container, error) {
	// Containers prodlike made carry the service label too; one run from the
	// app's image by other means inherits only the image's project label
	// and is not prodlike's to reuse or remove.
	filters := projectFilter(project).Add("label", stack.LabelService)
	res, err := e.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: filters})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	out := make([]stack.Container, 0, len(res.Items))
	for _, s := range res.Items {
		c := stack.Container{
			ID:      s.ID,
			Image:   s.Labels[stack.LabelImage],
			ImageID: s.ImageID,
			Running: s.State == container.StateRunning,
			Status:  s.Status,
			Labels:  s.Labels,
		}
		if len(s.Names) > 0 {
			c.Name = strings.TrimPrefix(s.Names[0], "/")
		}
		for _, p := range s.Ports {
			port := stack.Port{Host: int(p.PublicPort), Container: int(p.PrivatePort), Protocol: p.Type}
			if p.IP.IsValid() {
				port.HostIP = p.IP.String()
			}
			c.Ports = append(c.Ports, port)
		}
		out = append(out, c)
	}
	return out, nil
}

// EnsureNetwork creates a bridge network unless it exists.
func (e *Engine) EnsureNetwork(ctx context.Context, name string, labels map[string]string) (bool, error) {
	if _, err := e.cli.NetworkInspect(ctx, name, client.NetworkInspectOptions{}); err == nil {
		return false, nil
	} else if !errdefs.IsNotFound(err) {
		return false, err
	}
	_, err := e.cli.NetworkCreate(ctx, name, client.NetworkCreateOptions{Driver: "bridge", Labels: labels})
	if errdefs.IsConflict(err) {
		return false, nil // created meanwhile by a concurrent run
	}
	return err == nil, err
}

// RemoveNetwork removes a network; a missing one is not an error.
func (e *Engine) RemoveNetwork(ctx context.Context, name string) error {
	_, err := e.cli.NetworkRemove(ctx, name, client.NetworkRemoveOptions{})
	if errdefs.IsNotFound(err) {
		return nil
	}
	return err
}

// EnsureVolume creates a named volume unless it exists.
func (e *Engine) EnsureVolume(ctx context.Context, name string, labels map[string]string) (bool, error) {
	if _, err := e.cli.VolumeInspect(ctx, name, client.VolumeInspectOptions{}); err == nil {
		return false, nil
	} else if !errdefs.IsNotFound(err) {
		return false, err
	}
	_, err := e.cli.VolumeCreate(ctx, client.VolumeCreateOptions{Name: name, Labels: labels})
	return err == nil, err
}

// RemoveVolume removes a named volume; a missing one is not an error.
func (e *Engine) RemoveVolume(ctx context.Context, name string) error {
	_, err := e.cli.VolumeRemove(ctx, name, client.VolumeRemoveOptions{})
	if errdefs.IsNotFound(err) {
		return nil
	}
	return err
}

// Volumes lists the project's volumes.
func (e *Engine) Volumes(ctx context.Context, project string) ([]string, error) {
	res, err := e.cli.VolumeList(ctx, client.VolumeListOptions{Filters: projectFilter(project)})
	if err != nil {
		return nil, fmt.Errorf("list volumes: %w", err)
	}
	var names []string
	for _, v := range res.Items {
		names = append(names, v.Name)
	}
	return names, nil
}

// ImageID returns the local ID of ref.
func (e *Engine) ImageID(ctx context.Context, ref string) (string, error) {
	img, err := e.cli.ImageInspect(ctx, ref)
	if errdefs.IsNotFound(err) {
		return "", fmt.Errorf("%w: %s is not present locally", stack.ErrImageNotFound, ref)
	}
	if err != nil {
		return "", fmt.Errorf("inspect image %s: %w", ref, err)
	}
	return img.ID, nil
}

// ImagePlatform returns the platform (os/arch, with a variant when there
// is one) of the local image ref.
func (e *Engine) ImagePlatform(ctx context.Context, ref string) (string, error) {
	img, err := e.cli.ImageInspect(ctx, ref)
	if errdefs.IsNotFound(err) {
		return "", fmt.Errorf("%w: %s is not present locally", stack.ErrImageNotFound, ref)
	}
	if err != nil {
		return "", fmt.Errorf("inspect image %s: %w", ref, err)
	}
	return platformString(img.Os, img.Architecture, img.Variant), nil
}

// RegistryPlatforms asks ref's registry which platforms ref has, without
// pulling it.
func (e *Engine) RegistryPlatforms(ctx context.Context, ref string) ([]string, error) {
	d, err := e.cli.DistributionInspect(ctx, ref, client.DistributionInspectOptions{})
	if err != nil {
		return nil, fmt.Errorf("ask the registry about %s: %w", ref, err)
	}
	var out []string
	for _, p := range d.Platforms {
		out = append(out, platformString(p.OS, p.Architecture, p.Variant))
	}
	return out, nil
}

func platformString(os, arch, variant string) string {
	if variant != "" {
		return os + "/" + arch + "/" + variant
	}
	return os + "/" + arch
}

// Pull pulls ref once (no retries: a registry that does not answer now will
// not answer in a minute either, and the user should hear why at once).
func (e *Engine) Pull(ctx context.Context, ref string, progress func(string)) error {
	resp, err := e.cli.ImagePull(ctx, ref, client.ImagePullOptions{})
	if err == nil {
		defer resp.Close()
		for msg, merr := range resp.JSONMessages(ctx) {
			if merr != nil {
				err = merr
				break
			}
			if msg.Error != nil {
				err = errors.New(msg.Error.Message)
				break
			}
			if msg.Status != "" && progress != nil {
				progress(strings.TrimSpace(msg.ID + " " + msg.Status))
			}
		}
	}
	if err != nil {
		reason := strings.TrimPrefix(err.Error(), "Error response from daemon: ")
		return fmt.Errorf("%w: %s is not present locally and could not be pulled: %s\n"+
			"  if no registry is reachable from here, point prodlike at a mirror (--image-mirror, PRODLIKE_IMAGE_MIRROR or x-prodlike.image-mirror) or build compatible images locally (e2e/images/build.sh)", stack.ErrImageNotFound, ref, reason)
	}
	return nil
}

// Build builds an image from a Dockerfile with the engine's builder.
func (e *Engine) Build(ctx context.Context, b stack.BuildSpec, progress func(string)) (string, error) {
	provider, err := testcontainers.NewDockerProvider()
	if err != nil {
		return "", fmt.Errorf("%w: %v", stack.ErrEngineUnreachable, err)
	}
	defer provider.Close()
	var repo, tag string
	if i := strings.LastIndex(b.Tag, ":"); i > strings.LastIndex(b.Tag, "/") {
		repo, tag = b.Tag[:i], b.Tag[i+1:]
	} else {
		repo, tag = b.Tag, "latest"
	}
	args := map[string]*string{}
	for k, v := range b.Args {
		args[k] = &v
	}
	tail := &lastLines{n: 15}
	out := &lineSplitter{fn: func(line string) {
		tail.add(line)
		if progress != nil {
			progress(line)
		}
	}}
	req := testcontainers.ContainerRequest{FromDockerfile: testcontainers.FromDockerfile{
		Context:        b.Context,
		Dockerfile:     b.Dockerfile,
		Repo:           repo,
		Tag:            tag,
		BuildArgs:      args,
		BuildLogWriter: out,
		KeepImage:      true,
		BuildOptionsModifier: func(o *client.ImageBuildOptions) {
			o.Target = b.Target
			o.Labels = b.Labels
			o.Remove = true
		},
	}}
	if _, err := provider.BuildImage(ctx, &req); err != nil {
		out.flush()
		return "", fmt.Errorf("%w: %s from %s: %v%s", stack.ErrBuild, b.Tag, b.Context, err, tail.String())
	}
	out.flush()
	return e.ImageID(ctx, b.Tag)
}

// Run creates and starts a container through testcontainers-go and waits
// until spec.Ready answers on the published ReadyPort.
func (e *Engine) Run(ctx context.Context, spec stack.ContainerSpec) (stack.Container, error) {
	ports := spec.Ports
	if len(ports) == 0 {
		// Without ports testcontainers-go publishes the image's exposed
		// ports on every interface; keep them on loopback instead.
		exposed, err := e.exposedPorts(ctx, spec.Image)
		if err != nil {
			return stack.Container{}, err
		}
		for _, p := range exposed {
			ports = append(ports, stack.Port{HostIP: "127.0.0.1", Container: p.Container, Protocol: p.Protocol})
		}
	}
	var exposed []string
	bindings := network.PortMap{}
	for _, p := range ports {
		cp, err := network.ParsePort(fmt.Sprintf("%d/%s", p.Container, orTCP(p.Protocol)))
		if err != nil {
			return stack.Container{}, err
		}
		exposed = append(exposed, cp.String())
		host := ""
		if p.Host != 0 {
			host = strconv.Itoa(p.Host)
		}
		bindings[cp] = append(bindings[cp], network.PortBinding{HostIP: parseAddr(p.HostIP), HostPort: host})
	}
	var mounts []mount.Mount
	for _, m := range spec.Mounts {
		mounts = append(mounts, mount.Mount{Type: mount.TypeVolume, Source: m.Volume, Target: m.Target})
	}
	ready := &readiness{spec: spec, host: e.host}
	req := testcontainers.GenericContainerRequest{
		Started: true,
		Logger:  quietLogger{},
		ContainerRequest: testcontainers.ContainerRequest{
			Name:           spec.Name,
			Image:          spec.Image,
			Env:            spec.Env,
			Cmd:            spec.Cmd,
			Entrypoint:     spec.Entrypoint,
			Labels:         spec.Labels,
			ExposedPorts:   exposed,
			Networks:       []string{spec.Network},
			NetworkAliases: map[string][]string{spec.Network: spec.Aliases},
			WaitingFor:     ready,
			HostConfigModifier: func(hc *container.HostConfig) {
				hc.PortBindings = bindings
				hc.Mounts = mounts
			},
		},
	}
	if len(spec.Dirs) > 0 {
		req.LifecycleHooks = []testcontainers.ContainerLifecycleHooks{{
			PostCreates: []testcontainers.ContainerHook{func(ctx context.Context, c testcontainers.Container) error {
				return e.makeDirs(ctx, c.GetContainerID(), spec.Dirs)
			}},
		}}
	}
	tc, err := testcontainers.GenericContainer(ctx, req)
	var id string
	if tc != nil {
		id = tc.GetContainerID()
	}
	if err != nil {
		if ready.err != nil {
			err = ready.err
		}
		c := stack.Container{ID: id, Name: spec.Name}
		return c, e.runError(id, spec, err)
	}
	return e.inspect(ctx, id)
}

// makeDirs creates directories in a created container before it starts,
// through the engine's archive API: it writes into the container's volumes
// too, and needs no shell or mkdir in the image.
func (e *Engine) makeDirs(ctx context.Context, id string, dirs []string) error {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	seen := map[string]bool{}
	for _, dir := range dirs {
		// Parents first, each once: tar extraction does not invent them
		// with the mode we want.
		var parts []string
		for d := path.Clean(dir); d != "/" && d != "."; d = path.Dir(d) {
			parts = append([]string{d}, parts...)
		}
		for _, d := range parts {
			if seen[d] {
				continue
			}
			seen[d] = true
			hdr := &tar.Header{Typeflag: tar.TypeDir, Name: strings.TrimPrefix(d, "/") + "/", Mode: 0o755, ModTime: time.Now()}
			if err := tw.WriteHeader(hdr); err != nil {
				return fmt.Errorf("create %s: %w", dir, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if _, err := e.cli.CopyToContainer(ctx, id, client.CopyToContainerOptions{DestinationPath: "/", Content: &buf}); err != nil {
		return fmt.Errorf("create %s in the container: %w", strings.Join(dirs, ", "), err)
	}
	return nil
}

// runError turns a failed start into a message that says what happened,
// with the container's last log lines when it got as far as running.
func (e *Engine) runError(id string, spec stack.ContainerSpec, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "port is already allocated"), strings.Contains(msg, "address already in use"):
		return fmt.Errorf("%w: %v", stack.ErrPortInUse, err)
	case errdefs.IsNotFound(err) || strings.Contains(msg, "No such image"):
		return fmt.Errorf("%w: %s", stack.ErrImageNotFound, spec.Image)
	}
	if id == "" || errors.Is(err, context.Canceled) {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var logs bytes.Buffer
	if lerr := e.Logs(ctx, id, stack.LogOptions{Tail: "15", Prefix: "    "}, &logs); lerr == nil && logs.Len() > 0 {
		return fmt.Errorf("%w\n  last lines of its output:\n%s", err, strings.TrimRight(logs.String(), "\n"))
	}
	return err
}

func (e *Engine) exposedPorts(ctx context.Context, image string) ([]stack.Port, error) {
	img, err := e.cli.ImageInspect(ctx, image)
	if err != nil {
		return nil, fmt.Errorf("inspect image %s: %w", image, err)
	}
	var out []stack.Port
	if img.Config == nil {
		return nil, nil
	}
	for spec := range img.Config.ExposedPorts {
		p, err := network.ParsePort(spec)
		if err != nil {
			continue
		}
		out = append(out, stack.Port{Container: int(p.Num()), Protocol: string(p.Proto())})
	}
	return out, nil
}

func (e *Engine) inspect(ctx context.Context, id string) (stack.Container, error) {
	res, err := e.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return stack.Container{ID: id}, fmt.Errorf("inspect container: %w", err)
	}
	ci := res.Container
	c := stack.Container{
		ID:      ci.ID,
		Name:    strings.TrimPrefix(ci.Name, "/"),
		ImageID: ci.Image,
		Running: ci.State != nil && ci.State.Running,
		Status:  string(ci.State.Status),
	}
	if ci.Config != nil {
		c.Labels = ci.Config.Labels
		c.Image = c.Labels[stack.LabelImage]
	}
	if ci.NetworkSettings != nil {
		for p, bs := range ci.NetworkSettings.Ports {
			for _, b := range bs {
				host, _ := strconv.Atoi(b.HostPort)
				port := stack.Port{Host: host, Container: int(p.Num()), Protocol: string(p.Proto())}
				if b.HostIP.IsValid() {
					port.HostIP = b.HostIP.String()
				}
				c.Ports = append(c.Ports, port)
			}
		}
	}
	return c, nil
}

// Remove stops the container, giving it timeout to exit, and removes it.
func (e *Engine) Remove(ctx context.Context, id string, timeout time.Duration) error {
	if timeout > 0 {
		secs := max(1, int(timeout.Round(time.Second)/time.Second))
		_, err := e.cli.ContainerStop(ctx, id, client.ContainerStopOptions{Timeout: &secs})
		if errdefs.IsNotFound(err) {
			return nil
		}
	}
	_, err := e.cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true})
	if errdefs.IsNotFound(err) || (err != nil && strings.Contains(err.Error(), "is already in progress")) {
		return nil
	}
	return err
}

// Logs writes the container's output to w, a whole line per Write.
func (e *Engine) Logs(ctx context.Context, id string, opts stack.LogOptions, w io.Writer) error {
	lo := client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Follow: opts.Follow, Tail: opts.Tail}
	if !opts.Since.IsZero() {
		lo.Since = strconv.FormatInt(opts.Since.Unix(), 10)
	}
	rc, err := e.cli.ContainerLogs(ctx, id, lo)
	if err != nil {
		return fmt.Errorf("logs: %w", err)
	}
	defer rc.Close()
	stdout := &lineSplitter{fn: func(line string) { _, _ = io.WriteString(w, opts.Prefix+line+"\n") }}
	stderr := &lineSplitter{fn: stdout.fn}
	_, err = stdcopy.StdCopy(stdout, stderr, rc)
	stdout.flush()
	stderr.flush()
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("logs: %w", err)
	}
	return nil
}

func orTCP(p string) string {
	if p == "" {
		return "tcp"
	}
	return p
}
