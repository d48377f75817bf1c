package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/prodlike/prodlike/emulators"
	"github.com/prodlike/prodlike/plan"
	"github.com/prodlike/prodlike/stack"
)

// fakePlatforms answers for local images from local and for the rest from
// remote, or fails when the registry is unreachable.
type fakePlatforms struct {
	local  map[string]string
	remote map[string][]string
}

func (f fakePlatforms) ImagePlatform(_ context.Context, ref string) (string, error) {
	if p, ok := f.local[ref]; ok {
		return p, nil
	}
	return "", stack.ErrImageNotFound
}

func (f fakePlatforms) RegistryPlatforms(_ context.Context, ref string) ([]string, error) {
	if p, ok := f.remote[ref]; ok {
		return p, nil
	}
	return nil, errors.New("no registry")
}

func TestPlatformChecks(t *testing.T) {
	p := &plan.Plan{Standins: []plan.Standin{
		{Service: "db", Container: emulators.Container{Image: "postgres:16"}},
		{Service: "cache", Container: emulators.Container{Image: "acme/redis:7"}},
		{Service: "files", Container: emulators.Container{Image: "versity/versitygw:v1.8.0"}},
		{Service: "jobs", Container: emulators.Container{Image: "ghcr.io/prodlike/prodlike:1.0.0"}},
	}}
	f := fakePlatforms{
		local:  map[string]string{"postgres:16": "linux/arm64/v8", "acme/redis:7": "linux/amd64"},
		remote: map[string][]string{"versity/versitygw:v1.8.0": {"linux/amd64"}},
	}
	arm := stack.Info{OS: "linux", Arch: "arm64"}
	checks := platformChecks(t.Context(), f, p, arm)
	var warnings []string
	for _, c := range checks {
		if c.level == "warn" {
			warnings = append(warnings, c.title)
		}
	}
	want := []string{
		"acme/redis:7 is a linux/amd64 image; the engine runs linux/arm64",
		"versity/versitygw:v1.8.0 has no linux/arm64 variant (it has linux/amd64)",
	}
	if strings.Join(warnings, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings on an arm64 engine:\ngot  %q\nwant %q", warnings, want)
	}

	f.local["acme/redis:7"] = "linux/arm64"
	f.remote["versity/versitygw:v1.8.0"] = []string{"linux/amd64", "linux/arm64/v8"}
	checks = platformChecks(t.Context(), f, p, arm)
	if len(checks) != 1 || checks[0].level != "ok" {
		t.Errorf("all images with an arm64 variant: got %+v, want one ok check", checks)
	}
}
