package stack

import "time"

// State is where a service (or the project's network) is in its lifecycle.
type State string

const (
	StatePulling  State = "pulling"
	StateBuilding State = "building"
	StateCreating State = "creating"
	StateStarting State = "starting" // created and started, waiting to be ready
	// StateConfiguring: ready, and being shaped through its own API
	// (buckets, queues created).
	StateConfiguring State = "configuring"
	StateReady       State = "ready"
	StateReused      State = "reused" // an unchanged running container, ready
	StateFailed      State = "failed"
	StateStopping    State = "stopping"
	StateRemoved     State = "removed"
	StateNotice      State = "notice" // something the user should know (a port moved)
)

// Event is one state change of one service. Service is "" for project-wide
// events (the network).
type Event struct {
	Time    time.Time
	Service string
	State   State
	// Detail is a short human text: the image, the endpoint, what moved.
	Detail string
	// Elapsed is the time since work on this service began in this run.
	Elapsed time.Duration
	Err     error
}

// Sink receives events. Implementations must be safe for concurrent use: the
// executor starts services in parallel.
type Sink interface {
	Event(Event)
}

type discard struct{}

func (discard) Event(Event) {}
