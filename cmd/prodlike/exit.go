package main

import (
	"errors"

	"github.com/prodlike/prodlike/config"
	"github.com/prodlike/prodlike/stack"
)

// Exit codes. CI tells "parity failed" (1) from "could not run" (2) from bad
// input (64–66, after sysexits.h), and an interrupted run from all of them.
const (
	exitOK           = 0
	exitParityFailed = 1   // parity found differences at or above --fail-on
	exitCouldNotRun  = 2   // Docker unreachable, an image missing, a service failed
	exitUsage        = 64  // bad flags or arguments
	exitConfig       = 65  // the compose file or x-prodlike is invalid
	exitNoInput      = 66  // no compose file found
	exitInterrupted  = 130 // Ctrl-C; what was started has been removed
)

// usageError marks errors in how prodlike was called.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func exitCode(err error) int {
	var usage usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errParityFailed):
		return exitParityFailed
	case errors.As(err, &usage):
		return exitUsage
	case errors.Is(err, stack.ErrInterrupted):
		return exitInterrupted
	case errors.Is(err, config.ErrNotFound):
		return exitNoInput
	case errors.Is(err, config.ErrInvalid):
		return exitConfig
	}
	return exitCouldNotRun
}
