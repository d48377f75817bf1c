package stack

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/prodlike/prodlike/internal/atomicfile"
)

// StartTimes keeps how long each service took from its container's start
// to ready, as Up measured it, so that later commands can tell (parity's
// IMAGE-START-TIME): one small JSON file per project in Dir. A record is
// good only for the container it was measured on; a reused container keeps
// the record of its start.
type StartTimes struct {
	Dir string
}

type startRecord struct {
	Container string    `json:"container"`
	Millis    int64     `json:"start_to_ready_ms"`
	Measured  time.Time `json:"measured"`
}

func (s StartTimes) path(project string) string {
	return filepath.Join(s.Dir, project+".json")
}

// startRecords are a project's records by service.
type startRecords map[string]startRecord

// get returns the service's record if it was measured on container.
func (m startRecords) get(service, container string) (time.Duration, bool) {
	r, ok := m[service]
	if !ok || container == "" || r.Container != container {
		return 0, false
	}
	return time.Duration(r.Millis) * time.Millisecond, true
}

func (s StartTimes) read(project string) (startRecords, error) {
	b, err := os.ReadFile(s.path(project))
	if errors.Is(err, fs.ErrNotExist) {
		return startRecords{}, nil
	}
	if err != nil {
		return nil, err
	}
	recs := startRecords{}
	if err := json.Unmarshal(b, &recs); err != nil {
		// A damaged file only loses measurements: start afresh.
		return startRecords{}, nil
	}
	return recs, nil
}

// Record stores d for the service's container, replacing what was there.
func (s StartTimes) Record(project, service, container string, d time.Duration, now time.Time) error {
	recs, err := s.read(project)
	if err != nil {
		return fmt.Errorf("start times: %w", err)
	}
	recs[service] = startRecord{Container: container, Millis: d.Milliseconds(), Measured: now.UTC()}
	b, err := json.MarshalIndent(recs, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return fmt.Errorf("start times: %w", err)
	}
	if err := atomicfile.WriteFile(s.path(project), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("start times: %w", err)
	}
	return nil
}

// Lookup returns what Record stored for the service, if it was measured on
// container.
func (s StartTimes) Lookup(project, service, container string) (time.Duration, bool) {
	recs, _ := s.read(project)
	return recs.get(service, container)
}
