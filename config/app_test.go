package config

import (
	"path/filepath"
	"reflect"
	"testing"
)

func TestAppSelection(t *testing.T) {
	dir := abs(t, "app")
	tests := []struct {
		file       string
		app        string // "" for no app
		image      string
		build      *Build
		health     string
		entrypoint []string
		services   []string
	}{
		{file: "inferred", app: "api", image: "app-api", build: &Build{Context: dir, Dockerfile: "Dockerfile"}, services: []string{"api", "db"}},
		{file: "marked", app: "api", image: "app-api", build: &Build{Context: dir, Dockerfile: "Dockerfile"}, health: "/ready", services: []string{"api", "db"}},
		{file: "marked-engine-image", app: "api", image: "ghcr.io/acme/postgres:1.0", services: []string{"api"}},
		{
			file: "build-and-image", app: "api", image: "ghcr.io/acme/api:dev",
			build:    &Build{Context: filepath.Join(dir, "src"), Dockerfile: "build/Dockerfile"},
			services: []string{"api", "cache"},
		},
		{file: "image-only", app: "api", image: "ghcr.io/acme/api:1.4.2", entrypoint: []string{"/bin/api"}, services: []string{"api", "cache"}},
		{file: "none", services: []string{"cache", "db"}},
		// an ignored service is left alone, even a kind not supported yet
		{file: "ignored-planned", app: "api", image: "app-api", build: &Build{Context: dir, Dockerfile: "Dockerfile"}, services: []string{"api"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			spec := mustLoad(t, Options{WorkDir: dir, Files: []string{tt.file + ".yaml"}})
			if got := names(spec); !reflect.DeepEqual(got, tt.services) {
				t.Errorf("services: got %v, want %v", got, tt.services)
			}
			app, ok := spec.App()
			if tt.app == "" {
				if ok {
					t.Errorf("App(): got %q, want none", app.Name)
				}
				return
			}
			if !ok || app.Name != tt.app {
				t.Fatalf("App(): got %q, %v, want %q, true", app.Name, ok, tt.app)
			}
			if app.Kind != KindApp || app.Standin != "" || app.Engine != "" || app.Version != "" {
				t.Errorf("app Kind/Standin/Engine/Version: got %q/%q/%q/%q, want app and empty", app.Kind, app.Standin, app.Engine, app.Version)
			}
			if app.Image != tt.image {
				t.Errorf("app Image: got %q, want %q", app.Image, tt.image)
			}
			if !reflect.DeepEqual(app.Build, tt.build) {
				t.Errorf("app Build: got %+v, want %+v", app.Build, tt.build)
			}
			if app.Health != tt.health {
				t.Errorf("app Health: got %q, want %q", app.Health, tt.health)
			}
			if !reflect.DeepEqual(app.Entrypoint, tt.entrypoint) {
				t.Errorf("app Entrypoint: got %q, want %q", app.Entrypoint, tt.entrypoint)
			}
		})
	}
}
