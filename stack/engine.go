// Package stack runs a plan: it starts the stand-ins in parallel, reuses the
// unchanged ones, starts the app once its stand-ins are ready, reports every
// state change as an event, and tears the stack down again.
//
// The Docker work itself sits behind Engine, a small interface implemented by
// stack/docker and by hand-written fakes in tests.
package stack

import (
	"context"
	"io"
	"time"

	"github.com/prodlike/prodlike/emulators"
)

// Labels every resource prodlike creates carries. Everything prodlike later
// finds, reuses or removes, it finds by these.
const (
	LabelProject = "dev.prodlike.project"
	LabelService = "dev.prodlike.service"
	LabelKind    = "dev.prodlike.kind"
	LabelHash    = "dev.prodlike.config-hash"
	LabelImage   = "dev.prodlike.image"   // the image reference asked for
	LabelVersion = "dev.prodlike.version" // the prod version a stand-in is pinned to
)

// Engine is what the executor needs from a container engine.
type Engine interface {
	// Ping checks that the engine answers and describes it.
	Ping(ctx context.Context) (Info, error)
	// Containers lists the project's containers, running or not.
	Containers(ctx context.Context, project string) ([]Container, error)
	// EnsureNetwork creates the named network unless it exists and reports
	// whether it created it.
	EnsureNetwork(ctx context.Context, name string, labels map[string]string) (created bool, err error)
	RemoveNetwork(ctx context.Context, name string) error
	// EnsureVolume creates the named volume unless it exists and reports
	// whether it created it.
	EnsureVolume(ctx context.Context, name string, labels map[string]string) (created bool, err error)
	RemoveVolume(ctx context.Context, name string) error
	// Volumes lists the names of the project's volumes.
	Volumes(ctx context.Context, project string) ([]string, error)
	// ImageID returns the local image ID of ref, or an error matching
	// ErrImageNotFound when the image is not present locally.
	ImageID(ctx context.Context, ref string) (string, error)
	// Pull fetches ref from its registry, reporting progress lines.
	Pull(ctx context.Context, ref string, progress func(string)) error
	// Build builds an image and returns its ID, reporting build output lines.
	Build(ctx context.Context, b BuildSpec, progress func(string)) (string, error)
	// Run creates and starts a container and waits until it is ready. On
	// failure after creation it returns the container along with the error so
	// that the caller can remove it.
	Run(ctx context.Context, spec ContainerSpec) (Container, error)
	// Remove stops (giving the process timeout to exit) and removes a
	// container. Volumes are kept.
	Remove(ctx context.Context, id string, timeout time.Duration) error
	// Logs writes a container's output to w, stdout and stderr interleaved.
	Logs(ctx context.Context, id string, opts LogOptions, w io.Writer) error
}

// Info describes the container engine.
type Info struct {
	Endpoint      string // e.g. unix:///var/run/docker.sock
	ServerVersion string
	APIVersion    string
	OS            string // the engine's operating system (linux)
	Arch          string // the engine's architecture (amd64, arm64)
	OSName        string // e.g. "Docker Desktop", "Debian GNU/Linux 12"
	RootDir       string // where the engine keeps images and volumes
	// Host is where published ports are reached from this machine
	// (127.0.0.1 for a local engine, the remote host for tcp:// endpoints).
	Host string
}

// Container is a container as the engine reports it.
type Container struct {
	ID      string
	Name    string
	Image   string // the image reference asked for (from LabelImage)
	ImageID string
	Running bool
	Status  string // the engine's words: "Up 3 minutes", "Exited (1) …"
	Labels  map[string]string
	Ports   []Port // published ports
}

// Service returns the prodlike service the container belongs to.
func (c Container) Service() string { return c.Labels[LabelService] }

// HostPort returns the host port published for a container port, 0 if none.
func (c Container) HostPort(containerPort int) int {
	for _, p := range c.Ports {
		if p.Container == containerPort && p.Host != 0 {
			return p.Host
		}
	}
	return 0
}

// Port is a published port.
type Port struct {
	HostIP    string
	Host      int // 0: any free port
	Container int
	Protocol  string // tcp (default) or udp
}

// Mount puts a named volume at Target.
type Mount struct {
	Volume string
	Target string
}

// ContainerSpec is a container to run.
type ContainerSpec struct {
	Name       string
	Image      string
	Env        map[string]string
	Cmd        []string
	Entrypoint []string
	Labels     map[string]string
	Network    string
	Aliases    []string
	Ports      []Port
	Mounts     []Mount
	// Dirs are directories to create before the container starts (inside
	// its volumes, for images without a shell to make them).
	Dirs []string
	// ReadyPort is the container port Ready is probed on (through its
	// published host port). With Ready nil the container is ready once it
	// runs.
	ReadyPort int
	Ready     func(ctx context.Context, ep emulators.Endpoint) error
	// Timeout bounds the wait for readiness.
	Timeout time.Duration
	// Started, if set, is called once the container has started and the
	// wait for readiness begins.
	Started func()
}

// BuildSpec is an image to build from a Dockerfile.
type BuildSpec struct {
	Context    string // absolute directory
	Dockerfile string // relative to Context; "" for Dockerfile
	Tag        string
	Args       map[string]string
	Target     string
	Labels     map[string]string
}

// LogOptions select which output Logs returns.
type LogOptions struct {
	Follow bool
	Tail   string // "all" or a number of lines
	Since  time.Time
	// Prefix starts every line (a service name, padded and coloured).
	Prefix string
}
