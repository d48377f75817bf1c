package config

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error Load returns matches one of them with
// errors.Is, so a caller can map configuration problems to their own exit
// code without parsing messages.
var (
	// ErrNotFound means no compose file could be found: default discovery
	// found nothing in the working directory or its parents, or a file named
	// with -f or COMPOSE_FILE does not exist.
	ErrNotFound = errors.New("compose file not found")

	// ErrInvalid means the compose files were found but cannot be used:
	// malformed YAML, something compose-go rejects, or an x-prodlike rule
	// broken. The errors behind it are *Error values (several may be joined
	// with errors.Join; errors.As finds the first).
	ErrInvalid = errors.New("invalid configuration")
)

// Error is one configuration problem, located as precisely as prodlike can:
// the file (relative to the working directory when it is inside it), the line
// when known, the service and the field. It matches ErrInvalid with errors.Is.
type Error struct {
	File    string // compose file, "" when not tied to one
	Line    int    // 1-based, 0 when unknown
	Service string // service name, "" for project-level problems
	Field   string // e.g. "x-prodlike.standin", "ports", "image"
	Msg     string // what is wrong and what to do
	Err     error  // underlying error, if any (compose-go, YAML parser)
}

// Error renders as `file:line: service "name": field: message: cause`,
// leaving out the parts that are unknown.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Service != "" {
		fmt.Fprintf(&b, "service %q: ", e.Service)
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	switch {
	case e.Msg != "" && e.Err != nil:
		b.WriteString(e.Msg)
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	case e.Msg != "":
		b.WriteString(e.Msg)
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Is reports whether target is ErrInvalid.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }
