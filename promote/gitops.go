package promote

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/prodlike/prodlike/internal/atomicfile"
	"github.com/prodlike/prodlike/internal/textdiff"
)

// Change is a planned edit of one GitOps file: its bytes before and after,
// and what changes in a line. Plan it, show Diff for a dry run, Write it.
type Change struct {
	File    string // the file as given
	Summary string // e.g. "images[name=shop-api]: digest sha256:… (was newTag: 1.4.2)"
	Before  []byte
	After   []byte
}

// Changed reports whether the file would change.
func (c Change) Changed() bool { return !bytes.Equal(c.Before, c.After) }

// Diff is a unified diff of the changed lines, "" when nothing changes.
func (c Change) Diff() string { return textdiff.Unified(c.File, c.Before, c.After, 2) }

// Write replaces the file with After through a temporary file in the same
// directory, keeping its mode. It writes nothing when nothing changes, and
// refuses when the file is no longer what was planned from.
func (c Change) Write() error {
	if !c.Changed() {
		return nil
	}
	path, err := filepath.EvalSymlinks(c.File) // write the file a link points to, keep the link
	if err != nil {
		return fmt.Errorf("write %s: %w", c.File, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", c.File, err)
	}
	now, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", c.File, err)
	}
	if !bytes.Equal(now, c.Before) {
		return fmt.Errorf("write %s: the file changed since prodlike read it; run the command again", c.File)
	}
	return atomicfile.WriteFile(path, c.After, info.Mode().Perm())
}

// PlanKustomization reads a kustomization.yaml and plans pinning img in it
// (see EditKustomization). It writes nothing.
func PlanKustomization(file string, img KustomizeImage) (Change, error) {
	return plan(file, func(b []byte) ([]byte, string, error) { return EditKustomization(b, img) })
}

// PlanHelmValue reads a Helm values file and plans setting the dotted key
// path to value (see EditHelmValue). It writes nothing.
func PlanHelmValue(file, path, value string) (Change, error) {
	return plan(file, func(b []byte) ([]byte, string, error) { return EditHelmValue(b, path, value) })
}

// UpdateKustomization pins img in a kustomization.yaml and writes it when
// it changes.
func UpdateKustomization(file string, img KustomizeImage) (Change, error) {
	c, err := PlanKustomization(file, img)
	if err != nil {
		return c, err
	}
	return c, c.Write()
}

// UpdateHelmValue sets a Helm value and writes the file when it changes.
func UpdateHelmValue(file, path, value string) (Change, error) {
	c, err := PlanHelmValue(file, path, value)
	if err != nil {
		return c, err
	}
	return c, c.Write()
}

func plan(file string, edit func([]byte) ([]byte, string, error)) (Change, error) {
	before, err := os.ReadFile(file)
	if err != nil {
		return Change{}, fmt.Errorf("read GitOps file: %w", err)
	}
	after, summary, err := edit(before)
	if err != nil {
		var e *EditError
		if errors.As(err, &e) {
			e.File = file
		}
		return Change{}, err
	}
	return Change{File: file, Summary: summary, Before: before, After: after}, nil
}
