package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"

	"strings"

	"github.com/spf13/cobra"

	"github.com/prodlike/prodlike/config"
	"github.com/prodlike/prodlike/plan"
	"github.com/prodlike/prodlike/stack"
)

// lowDisk is the free space below which doctor warns: a Postgres image,
// its data and an app build fill a few GiB quickly.
const lowDisk = 5 << 30

type check struct {
	level  string // ok, warn, fail, info
	title  string
	detail string
}

type systemInfoer interface {
	SystemInfo(ctx context.Context) (stack.Info, error)
}

// platformer is what an engine can tell about images' platforms.
type platformer interface {
	ImagePlatform(ctx context.Context, ref string) (string, error)
	RegistryPlatforms(ctx context.Context, ref string) ([]string, error)
}

func newDoctorCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "doctor",
		Short: "Check that prodlike can run here: Docker, disk, compose file, images, ports",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			checks := a.doctor(cmd.Context())
			failed := 0
			for _, c := range checks {
				mark := map[string]string{"ok": "✓", "warn": "!", "fail": "✗", "info": "·"}[c.level]
				fmt.Fprintf(a.stdout, "%s %s\n", mark, c.title)
				if c.detail != "" {
					fmt.Fprintf(a.stdout, "    %s\n", strings.ReplaceAll(c.detail, "\n", "\n    "))
				}
				if c.level == "fail" {
					failed++
				}
			}
			if failed > 0 {
				return fmt.Errorf("%d check(s) failed", failed)
			}
			return nil
		},
	}
}

func (a *app) doctor(ctx context.Context) []check {
	b := currentBuild()
	checks := []check{{"info", fmt.Sprintf("prodlike %s on a %s/%s host", b.Version, runtime.GOOS, runtime.GOARCH), ""}}
	eng, err := a.engine()
	var info stack.Info
	if err == nil {
		if si, ok := eng.(systemInfoer); ok {
			info, err = si.SystemInfo(ctx)
		} else {
			info, err = eng.Ping(ctx)
		}
	}
	if err != nil {
		checks = append(checks, check{"fail", "Docker engine not reachable", err.Error()})
	} else {
		kind := engineKind(info)
		checks = append(checks, check{"ok", fmt.Sprintf("Docker engine %s (API %s) on %s/%s", info.ServerVersion, info.APIVersion, info.OS, info.Arch),
			fmt.Sprintf("%s at %s", kind, info.Endpoint)})
		checks = append(checks, diskCheck(info))
	}

	_, p, lerr := a.load(ctx)
	switch {
	case errors.Is(lerr, config.ErrNotFound):
		checks = append(checks, check{"info", "no compose file here", lerr.Error()})
		return checks
	case lerr != nil:
		checks = append(checks, check{"fail", "compose file is not valid", lerr.Error()})
		return checks
	}
	checks = append(checks, check{"ok", fmt.Sprintf("compose file: project %s, %d stand-in(s)%s", p.Project, len(p.Standins), appNote(p)), ""})
	if err != nil {
		return checks
	}
	var self stack.SelfImage
	if usesSelf(p) {
		self = a.self()
	}
	checks = append(checks, imageChecks(ctx, eng, p, self)...)
	if pl, ok := eng.(platformer); ok && info.Arch != "" {
		checks = append(checks, platformChecks(ctx, pl, p, info)...)
	}
	checks = append(checks, portChecks(ctx, eng, p)...)
	return checks
}

func appNote(p *plan.Plan) string {
	if p.App == nil {
		return ", no app"
	}
	return ", app " + p.App.Service
}

func engineKind(info stack.Info) string {
	ep := strings.ToLower(info.Endpoint)
	switch {
	case strings.Contains(strings.ToLower(info.OSName), "docker desktop"):
		return "Docker Desktop"
	case strings.Contains(ep, "colima"):
		return "Colima"
	case strings.Contains(ep, "podman"):
		return "Podman"
	case strings.HasPrefix(ep, "tcp://") || strings.HasPrefix(ep, "ssh://"):
		return "remote engine (published ports are on " + info.Host + ")"
	case info.OSName != "":
		return "Docker Engine on " + info.OSName
	}
	return "Docker Engine"
}

func diskCheck(info stack.Info) check {
	if info.RootDir == "" {
		return check{"info", "free disk space of the engine: unknown", ""}
	}
	free, err := freeBytes(info.RootDir)
	if err != nil {
		return check{"info", "free disk space of the engine: not readable from here", fmt.Sprintf("%s: %v (an engine in a VM keeps its disk there)", info.RootDir, err)}
	}
	title := fmt.Sprintf("%.1f GiB free for images and volumes (%s)", float64(free)/(1<<30), info.RootDir)
	if free < lowDisk {
		return check{"warn", title, "images, data volumes and app builds need a few GiB: docker system prune frees unused ones"}
	}
	return check{"ok", title, ""}
}

func imageChecks(ctx context.Context, eng stack.Engine, p *plan.Plan, self stack.SelfImage) []check {
	var missing []string
	var checks []check
	for _, ref := range planImages(p) {
		if _, err := eng.ImageID(ctx, ref); err == nil {
			continue
		}
		if self.Ref == "" || ref != self.Ref {
			missing = append(missing, ref)
			continue
		}
		// prodlike's own image: whether up can come by it.
		switch {
		case self.Executable != "":
			checks = append(checks, check{"info", "prodlike's own image " + ref + " will be built from " + self.Executable + " on the first up", ""})
		case self.Published:
			missing = append(missing, ref)
		default:
			checks = append(checks, check{"warn", "prodlike's own image " + ref + " is missing and cannot be built here", self.NoBuild})
		}
	}
	switch {
	case len(missing) == 0 && len(checks) == 0:
		return []check{{"ok", "all stand-in images are present", ""}}
	case len(missing) > 0:
		checks = append(checks, check{"info", "images to pull on the first up: " + strings.Join(missing, ", "),
			"no registry reachable? set --image-mirror / PRODLIKE_IMAGE_MIRROR, or build compatible images with e2e/images/build.sh"})
	}
	return checks
}

// portChecks reports declared host ports that another process holds.
func portChecks(ctx context.Context, eng stack.Engine, p *plan.Plan) []check {
	ours := map[int]bool{}
	if cs, err := eng.Containers(ctx, p.Project); err == nil {
		for _, c := range cs {
			for _, port := range c.Ports {
				ours[port.Host] = true
			}
		}
	}
	type want struct {
		service string
		port    int
		ip      string
	}
	var wants []want
	for _, s := range p.Standins {
		if s.Publish.Host != 0 {
			wants = append(wants, want{s.Service, s.Publish.Host, s.Publish.HostIP})
		}
	}
	if p.App != nil {
		for _, port := range p.App.Ports {
			if port.Host != 0 && port.Protocol != "udp" {
				wants = append(wants, want{p.App.Service, port.Host, port.HostIP})
			}
		}
	}
	var checks []check
	for _, w := range wants {
		if ours[w.port] {
			continue
		}
		if !stack.HostPortFree(w.ip, w.port) {
			checks = append(checks, check{"warn", fmt.Sprintf("port %d (%s) is taken by another program", w.port, w.service),
				"up will publish on a free port instead and say which; prodlike env and status show it"})
		}
	}
	if len(checks) == 0 && len(wants) > 0 {
		checks = append(checks, check{"ok", "declared host ports are free", ""})
	}
	return checks
}

// platformChecks warns about images that have no variant for the engine's
// architecture (an amd64-only image on Apple Silicon runs emulated, slowly,
// and some crash): local images by their platform, missing ones by asking
// their registry when it answers.
func platformChecks(ctx context.Context, pl platformer, p *plan.Plan, info stack.Info) []check {
	want := info.OS + "/" + info.Arch
	var checks []check
	for _, ref := range planImages(p) {
		if got, err := pl.ImagePlatform(ctx, ref); err == nil {
			if !samePlatform(got, want) {
				checks = append(checks, check{"warn", fmt.Sprintf("%s is a %s image; the engine runs %s", ref, got, want),
					"it runs emulated: slowly, and some engines crash on it; use an image with a " + want + " variant"})
			}
			continue
		}
		platforms, err := pl.RegistryPlatforms(ctx, ref)
		if err != nil || len(platforms) == 0 {
			continue // no registry to ask; the image check above already says it is missing
		}
		if !slices.ContainsFunc(platforms, func(got string) bool { return samePlatform(got, want) }) {
			checks = append(checks, check{"warn", fmt.Sprintf("%s has no %s variant (it has %s)", ref, want, strings.Join(platforms, ", ")),
				"it would run emulated: slowly, and some engines crash on it; pick a tag built for " + want})
		}
	}
	if len(checks) == 0 {
		return []check{{"ok", "images match the engine's platform, " + want, ""}}
	}
	return checks
}

// planImages lists the images a plan runs that are not built, each once,
// stand-ins first.
func planImages(p *plan.Plan) []string {
	var refs []string
	for _, s := range p.Standins {
		if !slices.Contains(refs, s.Container.Image) {
			refs = append(refs, s.Container.Image)
		}
	}
	if p.App != nil && p.App.Build == nil && !slices.Contains(refs, p.App.Image) {
		refs = append(refs, p.App.Image)
	}
	return refs
}

// samePlatform compares os/arch, ignoring a variant on either side.
func samePlatform(a, b string) bool {
	trim := func(s string) string {
		parts := strings.SplitN(s, "/", 3)
		return strings.Join(parts[:min(2, len(parts))], "/")
	}
	return trim(a) == trim(b)
}
