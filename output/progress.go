// Package output renders engine events and stack state as text for people
// and machines: progress lines for terminals without the dashboard and for
// CI logs, the status table, and connection variables in shell, dotenv and
// JSON form.
package output

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/prodlike/prodlike/stack"
)

// Progress prints one line per state change of each service, with the time
// since work on the service began. Repeated events in the same state (pull
// and build output) are shown only when Verbose. Safe for concurrent use.
type Progress struct {
	w       io.Writer
	verbose bool
	width   int

	mu   sync.Mutex
	last map[string]stack.State
}

// NewProgress prints to w. width pads service names (the longest name).
func NewProgress(w io.Writer, width int, verbose bool) *Progress {
	return &Progress{w: w, width: max(width, 7), verbose: verbose, last: map[string]stack.State{}}
}

// Event implements stack.Sink.
func (p *Progress) Event(e stack.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	repeat := p.last[e.Service] == e.State && e.State != stack.StateNotice
	p.last[e.Service] = e.State
	if repeat {
		if p.verbose && e.Detail != "" {
			fmt.Fprintf(p.w, "%-*s   %s\n", p.width, "", e.Detail)
		}
		return
	}
	name := e.Service
	if name == "" {
		name = "project"
	}
	line := fmt.Sprintf("%-*s  %-11s %6.2fs", p.width, name, e.State, e.Elapsed.Seconds())
	if e.Detail != "" {
		line += "  " + e.Detail
	}
	if e.Err != nil {
		// The first line says what went wrong; the command's final error
		// carries the details (build output, the container's last lines).
		msg, _, _ := strings.Cut(e.Err.Error(), "\n")
		line += "  " + msg
	}
	fmt.Fprintln(p.w, line)
}
