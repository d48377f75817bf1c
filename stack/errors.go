package stack

import "errors"

// Sentinel errors of running a stack. Engines wrap them so that callers (the
// CLI's exit codes, the dashboard) can tell causes apart with errors.Is.
var (
	// ErrEngineUnreachable: no container engine answered.
	ErrEngineUnreachable = errors.New("container engine not reachable")
	// ErrImageNotFound: an image is neither present locally nor pullable.
	ErrImageNotFound = errors.New("image not found")
	// ErrBuild: building the app's image failed.
	ErrBuild = errors.New("image build failed")
	// ErrPortInUse: a host port is taken by another process.
	ErrPortInUse = errors.New("port already in use")
	// ErrNotReady: a container exited or did not become ready in time.
	ErrNotReady = errors.New("service did not become ready")
	// ErrNotRunning: the stack (or a service of it) is not running.
	ErrNotRunning = errors.New("not running")
	// ErrInterrupted: the run was cancelled (Ctrl-C) and cleaned up.
	ErrInterrupted = errors.New("interrupted")
)
