package parity

import (
	"context"
	"fmt"
	"maps"
	"sync"

	"github.com/prodlike/prodlike/config"
	"github.com/prodlike/prodlike/emulators"
	"github.com/prodlike/prodlike/emulators/postgres"
	"github.com/prodlike/prodlike/emulators/redis"
	"github.com/prodlike/prodlike/emulators/s3"
	"github.com/prodlike/prodlike/emulators/sqs"
	"github.com/prodlike/prodlike/plan"
	"github.com/prodlike/prodlike/stack"
)

// ImageReader reads an image's configuration and the secret-looking files
// in its layers (the Docker engine does).
type ImageReader interface {
	InspectImage(ctx context.Context, ref string) (stack.ImageConfig, error)
	SecretFiles(ctx context.Context, ref string) ([]string, error)
}

// Collect gathers the dev side of the facts: the statuses of the running
// stack of p (stack.Executor.Status reads each stand-in's facts) and the
// app's image. A stand-in that is not running or did not answer is recorded
// on its service (checks that need it skip it, saying why).
func Collect(ctx context.Context, spec *config.Spec, p *plan.Plan, statuses []stack.ServiceStatus, images ImageReader) []*Service {
	byName := map[string]stack.ServiceStatus{}
	for _, s := range statuses {
		byName[s.Service] = s
	}
	var out []*Service
	var wg sync.WaitGroup
	for _, svc := range spec.Services {
		s := &Service{Service: svc}
		out = append(out, s)
		status, ok := byName[svc.Name]
		switch {
		case svc.Kind == config.KindApp:
			wg.Go(func() { s.App = collectApp(ctx, p, status, images) })
			continue
		case !ok || status.State != "running":
			s.FactsErr = fmt.Errorf("not running (run prodlike up)")
			continue
		case status.FactsErr != nil:
			s.FactsErr = status.FactsErr
			continue
		}
		setLive(s, status.Facts)
	}
	wg.Wait()
	return out
}

// setLive stores a stand-in's facts in the field of their kind.
func setLive(s *Service, f emulators.Facts) {
	switch f := f.(type) {
	case *postgres.Facts:
		s.Postgres = f
	case *redis.Facts:
		s.Redis = f
	case *s3.Facts:
		s.S3 = f
	case *sqs.Facts:
		s.SQS = f
	default:
		s.FactsErr = fmt.Errorf("prodlike cannot read facts of type %T", f)
	}
}

func collectApp(ctx context.Context, p *plan.Plan, status stack.ServiceStatus, images ImageReader) *App {
	a := &App{}
	if p.App == nil {
		return a
	}
	a.Env = maps.Clone(p.App.Env)
	a.Injected = maps.Clone(p.App.Injected)
	a.StartTime = status.StartToReady
	ref := p.App.Image
	if status.Image != "" {
		ref = status.Image
	}
	cfg, err := images.InspectImage(ctx, ref)
	if err != nil {
		a.ImageErr = err
		return a
	}
	img := &Image{Ref: cfg.Ref, ID: cfg.ID, Platform: cfg.Platform, User: cfg.User, Healthcheck: cfg.Healthcheck,
		Entrypoint: cfg.Entrypoint, Cmd: cfg.Cmd, Env: cfg.Env, History: cfg.History}
	if files, err := images.SecretFiles(ctx, cfg.ID); err == nil {
		img.SecretFiles, img.LayersRead = files, true
	}
	a.Image = img
	return a
}
