package stack

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
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

func (s StartTimes) read(project string) (map[string]startRecord, error) {
	b, err := os.ReadFile(s.path(project))
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]startRecord{}, nil
	}
	if err != nil {
		return nil, err
	}
	recs := map[string]startRecord{}
	if err := json.Unmarshal(b, &recs); err != nil {
		// A damaged file only loses measurements: start afresh.
		return map[string]startRecord{}, nil
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
	tmp, err := os.CreateTemp(s.Dir, project+".*.tmp")
	if err != nil {
		return fmt.Errorf("start times: %w", err)
	}
	_, werr := tmp.Write(append(b, '\n'))
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("start times: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path(project)); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("start times: %w", err)
	}
	return nil
}

// Lookup returns what Record stored for the service, if it was measured on
// container.
func (s StartTimes) Lookup(project, service, container string) (time.Duration, bool) {
	recs, err := s.read(project)
	if err != nil {
		return 0, false
	}
	r, ok := recs[service]
	if !ok || r.Container != container || container == "" {
		return 0, false
	}
	return time.Duration(r.Millis) * time.Millisecond, true
}
