package promote

import (
	"errors"
	"testing"
)

func TestCheckReferenceAndRepository(t *testing.T) {
	for _, tt := range []struct {
		ref      string
		bad      bool
		repo     string
		registry bool
	}{
		{ref: "shop-api", repo: "shop-api"},
		{ref: "acme/api:dev", repo: "acme/api"},
		{ref: "localhost/shop/api", repo: "localhost/shop/api", registry: true},
		{ref: "127.0.0.1:5000/shop/api:staging", repo: "127.0.0.1:5000/shop/api", registry: true},
		{ref: "registry.example.com:443/shop/api@sha256:" + hex64, repo: "registry.example.com:443/shop/api", registry: true},
		{ref: "ghcr.io/acme/api:1.4@sha256:" + hex64, repo: "ghcr.io/acme/api", registry: true},
		{ref: "Shop-API", bad: true, repo: "Shop-API"},
		{ref: "https://ghcr.io/acme/api", bad: true, repo: "https://ghcr.io/acme/api", registry: true},
	} {
		err := CheckReference(tt.ref)
		if got := errors.Is(err, ErrBadReference); got != tt.bad {
			t.Errorf("CheckReference(%q): got %v, want bad reference %v", tt.ref, err, tt.bad)
		}
		if got := RepositoryOf(tt.ref); got != tt.repo {
			t.Errorf("RepositoryOf(%q): got %q, want %q", tt.ref, got, tt.repo)
		}
		if got := HasRegistry(tt.ref); got != tt.registry {
			t.Errorf("HasRegistry(%q): got %v, want %v", tt.ref, got, tt.registry)
		}
	}
}

const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
