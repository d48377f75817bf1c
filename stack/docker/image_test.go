package docker

import (
	"archive/tar"
	"bytes"
	"slices"
	"testing"
)

func tarOf(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range files {
			if !yield(k) {
				return
			}
		}
	}) {
		if err := w.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(files[name])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(files[name]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSecretFilesInSave(t *testing.T) {
	layer1 := tarOf(t, map[string][]byte{
		"app/.env":                              []byte("DB_PASSWORD=x"),
		"app/.env.example":                      []byte("DB_PASSWORD="),
		"etc/ssl/certs/ca-certificates.crt":     []byte("ca"),
		"etc/ssl/private/ssl-cert-snakeoil.key": []byte("k"),
		"root/.aws/credentials":                 []byte("[default]"),
		"srv/tls/server.key":                    []byte("k"),
		"shop":                                  []byte("binary"),
	})
	layer2 := tarOf(t, map[string][]byte{"app/.wh..env": nil, "home/app/.ssh/id_ed25519": []byte("k")})
	save := tarOf(t, map[string][]byte{
		"manifest.json":       []byte(`[{}]`),
		"abc/layer.tar":       layer1,
		"blobs/sha256/def":    layer2,
		"blobs/sha256/config": []byte(`{"architecture":"amd64"}`),
	})
	got, err := secretFilesInSave(bytes.NewReader(save))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/app/.env", "/home/app/.ssh/id_ed25519", "/root/.aws/credentials", "/srv/tls/server.key"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
