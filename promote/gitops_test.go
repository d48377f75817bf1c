package promote

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prodlike/prodlike/internal/textdiff"
)

var (
	digestNew = "sha256:" + strings.Repeat("ab", 32)
	digestOld = "sha256:" + strings.Repeat("01", 32)
	// fill lets the cases below write DIGEST and PREV for readability.
	fill = strings.NewReplacer("DIGEST", digestNew, "PREV", digestOld)
)

// shopAPI is the entry most cases pin: the manifests say shop-api, prod
// pulls from registry.example.com/shop/api.
var shopAPI = KustomizeImage{Name: "shop-api", NewName: "registry.example.com/shop/api", Digest: digestNew}

type editCase struct {
	name    string
	in      string
	want    string // whole file; "" means unchanged
	summary string
}

// crlf repeats cases with CRLF line endings: the edit must keep them.
func crlf(cases []editCase) []editCase {
	out := cases
	for _, c := range cases {
		if !strings.Contains(c.in, "\n") {
			continue // nothing says which line ending the file uses
		}
		c.name += "/crlf"
		c.in = strings.ReplaceAll(c.in, "\n", "\r\n")
		c.want = strings.ReplaceAll(c.want, "\n", "\r\n")
		out = append(out, c)
	}
	return out
}

func runEdits(t *testing.T, cases []editCase, edit func([]byte) ([]byte, string, error)) {
	t.Helper()
	for _, tt := range crlf(cases) {
		t.Run(tt.name, func(t *testing.T) {
			in := fill.Replace(tt.in)
			want := fill.Replace(tt.want)
			if tt.want == "" {
				want = in
			}
			got, summary, err := edit([]byte(in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != want {
				t.Errorf("got:\n%s\nwant:\n%s\ndiff (want → got):\n%s", got, want, textdiff.Unified("file", []byte(want), got, 2))
			}
			if s := fill.Replace(tt.summary); summary != s {
				t.Errorf("summary: got %q, want %q", summary, s)
			}
		})
	}
}

func TestEditKustomization(t *testing.T) {
	cases := []editCase{
		{
			name: "entry with newTag, list under the key",
			in: `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
# the app and its config
resources:
- deployment.yaml
- service.yaml
images:
- name: shop-api # the API server
  newTag: 1.4.2
- name: worker
  newTag: "2.0"
`,
			want: `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
# the app and its config
resources:
- deployment.yaml
- service.yaml
images:
- name: shop-api # the API server
  newName: registry.example.com/shop/api
  digest: DIGEST
- name: worker
  newTag: "2.0"
`,
			summary: "images[name=shop-api]: newName registry.example.com/shop/api, digest DIGEST (was newTag: 1.4.2)",
		},
		{
			name: "newTag first on the dash line, list indented 4",
			in: `images:
    -   newTag: '1.4.2'
        name: shop-api
        newName: registry.example.com/shop/api
resources:
    - deployment.yaml
`,
			want: `images:
    -   name: shop-api
        newName: registry.example.com/shop/api
        digest: DIGEST
resources:
    - deployment.yaml
`,
			summary: "images[name=shop-api]: digest DIGEST (was newTag: 1.4.2)",
		},
		{
			name: "newTag in the middle, comment after it kept",
			in: `images:
  - name: shop-api
    newTag: 1.4.2
    # pulled from the prod registry
    newName: registry.example.com/shop/api
`,
			want: `images:
  - name: shop-api
    # pulled from the prod registry
    newName: registry.example.com/shop/api
    digest: DIGEST
`,
			summary: "images[name=shop-api]: digest DIGEST (was newTag: 1.4.2)",
		},
		{
			name: "digest replaced in its quotes, comment kept",
			in: `images:
  - name: shop-api
    newName: "registry.example.com/shop/api"
    digest: "PREV"  # set by prodlike
`,
			want: `images:
  - name: shop-api
    newName: "registry.example.com/shop/api"
    digest: "DIGEST"  # set by prodlike
`,
			summary: "images[name=shop-api]: digest DIGEST (was PREV)",
		},
		{
			name: "newName replaced in single quotes",
			in: `images:
- name: shop-api
  newName: 'old.example.com/shop/api'
  digest: DIGEST
`,
			want: `images:
- name: shop-api
  newName: 'registry.example.com/shop/api'
  digest: DIGEST
`,
			summary: "images[name=shop-api]: newName registry.example.com/shop/api (was old.example.com/shop/api)",
		},
		{
			name: "empty digest filled in",
			in: `images:
- name: shop-api
  newName: registry.example.com/shop/api
  digest:
`,
			want: `images:
- name: shop-api
  newName: registry.example.com/shop/api
  digest: DIGEST
`,
			summary: "images[name=shop-api]: digest DIGEST",
		},
		{
			name: "already at the digest",
			in: `images:
- name: shop-api
  newName: registry.example.com/shop/api
  digest: DIGEST
`,
			summary: "images[name=shop-api]: already at digest DIGEST",
		},
		{
			name: "entry absent: appended like the others",
			in: `images:
  - name: worker
    newTag: "2.0"
# trailing comment
`,
			want: `images:
  - name: worker
    newTag: "2.0"
  - name: shop-api
    newName: registry.example.com/shop/api
    digest: DIGEST
# trailing comment
`,
			summary: "images[name=shop-api]: added with digest DIGEST",
		},
		{
			name: "images absent: added in the file's list style",
			in: `resources:
  - deployment.yaml
`,
			want: `resources:
  - deployment.yaml
images:
  - name: shop-api
    newName: registry.example.com/shop/api
    digest: DIGEST
`,
			summary: "images[name=shop-api]: added with digest DIGEST",
		},
		{
			name: "images absent, no final line ending",
			in:   "resources:\n- deployment.yaml",
			want: `resources:
- deployment.yaml
images:
- name: shop-api
  newName: registry.example.com/shop/api
  digest: DIGEST
`,
			summary: "images[name=shop-api]: added with digest DIGEST",
		},
		{
			name: "images empty",
			in: `images:
resources:
- deployment.yaml
`,
			want: `images:
- name: shop-api
  newName: registry.example.com/shop/api
  digest: DIGEST
resources:
- deployment.yaml
`,
			summary: "images[name=shop-api]: added with digest DIGEST",
		},
		{
			name: "images an empty flow list",
			in: `resources:
    - deployment.yaml
images: []   # none yet
`,
			want: `resources:
    - deployment.yaml
images:   # none yet
    - name: shop-api
      newName: registry.example.com/shop/api
      digest: DIGEST
`,
			summary: "images[name=shop-api]: added with digest DIGEST",
		},
		{
			name:    "only comments",
			in:      "# kustomization for prod\n",
			want:    "# kustomization for prod\nimages:\n- name: shop-api\n  newName: registry.example.com/shop/api\n  digest: DIGEST\n",
			summary: "images[name=shop-api]: added with digest DIGEST",
		},
	}
	runEdits(t, cases, func(b []byte) ([]byte, string, error) { return EditKustomization(b, shopAPI) })
}

// A newName equal to the name is not written; one already there is kept.
func TestEditKustomizationSameName(t *testing.T) {
	img := KustomizeImage{Name: "registry.example.com/shop/api", NewName: "registry.example.com/shop/api", Digest: digestNew}
	cases := []editCase{{
		name: "no newName",
		in: `images:
- name: registry.example.com/shop/api
  newTag: 1.4.2
`,
		want: `images:
- name: registry.example.com/shop/api
  digest: DIGEST
`,
		summary: "images[name=registry.example.com/shop/api]: digest DIGEST (was newTag: 1.4.2)",
	}}
	runEdits(t, cases, func(b []byte) ([]byte, string, error) { return EditKustomization(b, img) })
}

func TestEditKustomizationErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		img  KustomizeImage
		says string
	}{
		{"flow list", "images: [{name: shop-api, newTag: 1.0}]\n", shopAPI, "line 1: images: is a flow list"},
		{"flow entry", "images:\n- {name: shop-api, newTag: 1.0}\n", shopAPI, "line 2: the images[name=shop-api] entry is in flow style"},
		{"images a mapping", "images:\n  shop-api: 1.0\n", shopAPI, "line 2: images: is a mapping, not a list"},
		{"two documents", "resources: []\n---\nimages: []\n", shopAPI, "line 2: the file has 2 YAML documents"},
		{"not YAML", "images:\n- name: [\n", shopAPI, "not valid YAML"},
		{"top level a list", "- a\n", shopAPI, "this file's top level is a list"},
		{"bad digest", "images: []\n", KustomizeImage{Name: "shop-api", Digest: "sha256:abc"}, `"sha256:abc" is not an image digest`},
		{"no name", "images: []\n", KustomizeImage{Digest: digestNew}, "no image name"},
		{"block scalar digest", "images:\n- name: shop-api\n  digest: |\n    sha256:0\n", shopAPI, "line 3: the value is a block scalar"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := EditKustomization([]byte(tt.in), tt.img)
			var e *EditError
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want an *EditError", err)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("got %q, want it to say %q", err, tt.says)
			}
		})
	}
}

func TestEditHelmValue(t *testing.T) {
	values := `# Default values for shop.
replicaCount: 2
image:
  repository: registry.example.com/shop/api   # where CI pushes
  tag: "1.4.2"
  digest: PREV
  pullPolicy: IfNotPresent

service:
  port: 8080
`
	nested := `api:
    image:
        repository: registry.example.com/shop/api
        tag: '1.4.2'
    # resources for the api
    resources:
        limits:
            memory: 256Mi
worker:
    replicas: 1
`
	tests := []struct {
		editCase
		path, value string
	}{
		{editCase{
			name:    "digest replaced",
			in:      values,
			want:    strings.Replace(values, "digest: PREV", "digest: DIGEST", 1),
			summary: "image.digest: DIGEST (was PREV)",
		}, "image.digest", digestNew},
		{editCase{
			name:    "already set",
			in:      strings.Replace(values, "digest: PREV", "digest: DIGEST", 1),
			summary: "image.digest: already DIGEST",
		}, "image.digest", digestNew},
		{editCase{
			name:    "digest added to its mapping",
			in:      strings.Replace(values, "  digest: PREV\n", "", 1),
			want:    strings.Replace(values, "  digest: PREV\n  pullPolicy: IfNotPresent\n", "  pullPolicy: IfNotPresent\n  digest: DIGEST\n", 1),
			summary: "image.digest: DIGEST (added)",
		}, "image.digest", digestNew},
		{editCase{
			name:    "digest in a tag field, quotes kept",
			in:      nested,
			want:    strings.Replace(nested, "tag: '1.4.2'", "tag: 'DIGEST'", 1),
			summary: "api.image.tag: DIGEST (was 1.4.2)",
		}, "api.image.tag", digestNew},
		{editCase{
			// The new line goes after the last key of api.image, above
			// the comment that belongs to resources.
			name:    "added at 4-space indentation",
			in:      strings.Replace(nested, "        tag: '1.4.2'\n", "", 1),
			want:    strings.Replace(nested, "        tag: '1.4.2'\n", "        tag: DIGEST\n", 1),
			summary: "api.image.tag: DIGEST (added)",
		}, "api.image.tag", digestNew},
		{editCase{
			name:    "new top-level key",
			in:      "replicaCount: 2\n",
			want:    "replicaCount: 2\ndigest: DIGEST\n",
			summary: "digest: DIGEST (added)",
		}, "digest", digestNew},
		{editCase{
			name:    "empty file",
			in:      "",
			want:    "digest: DIGEST\n",
			summary: "digest: DIGEST (added)",
		}, "digest", digestNew},
		{editCase{
			name:    "empty value filled in",
			in:      "image:\n  digest:   # set at promotion\n",
			want:    "image:\n  digest: DIGEST   # set at promotion\n",
			summary: "image.digest: DIGEST (was empty)",
		}, "image.digest", digestNew},
		{editCase{
			name:    "flow mapping value",
			in:      "image: {repository: registry.example.com/shop/api, tag: 1.4.2}\n",
			want:    "image: {repository: registry.example.com/shop/api, tag: DIGEST}\n",
			summary: "image.tag: DIGEST (was 1.4.2)",
		}, "image.tag", digestNew},
		{editCase{
			name:    "anchored value keeps its anchor",
			in:      "image:\n  tag: &tag 1.4.2\nsidecar:\n  tag: 2.0.0\n",
			want:    "image:\n  tag: &tag DIGEST\nsidecar:\n  tag: 2.0.0\n",
			summary: "image.tag: DIGEST (was 1.4.2)",
		}, "image.tag", digestNew},
		{editCase{
			name:    "a value that needs quotes gets them",
			in:      "image:\n  tag: latest\n",
			want:    "image:\n  tag: \"1.5\"\n",
			summary: "image.tag: 1.5 (was latest)",
		}, "image.tag", "1.5"},
		{editCase{
			name:    "added after a block scalar",
			in:      "image:\n  notes: |\n    built by CI\n\n    from main\n\nother: 1\n",
			want:    "image:\n  notes: |\n    built by CI\n\n    from main\n  digest: DIGEST\n\nother: 1\n",
			summary: "image.digest: DIGEST (added)",
		}, "image.digest", digestNew},
		{editCase{
			name:    "list of mappings above is skipped over",
			in:      "image:\n  pullSecrets:\n    - name: regcred\n  # end of image\nother: 1\n",
			want:    "image:\n  pullSecrets:\n    - name: regcred\n  digest: DIGEST\n  # end of image\nother: 1\n",
			summary: "image.digest: DIGEST (added)",
		}, "image.digest", digestNew},
	}
	for _, tt := range tests {
		runEdits(t, []editCase{tt.editCase}, func(b []byte) ([]byte, string, error) { return EditHelmValue(b, tt.path, tt.value) })
	}
}

func TestEditHelmValueErrors(t *testing.T) {
	values := "replicaCount: 2\napi:\n    image:\n        tag: 1.0\n    flow: {a: b}\n    link: *x\n"
	values = "anchors:\n    x: &x {a: b}\n" + values
	tests := []struct {
		name, in, path string
		says           string
	}{
		{"parent missing", values, "api.resources.requests.memory", `key path "api.resources.requests.memory": "api" has no key "resources" (the last key found is "api")`},
		{"top level missing", values, "global.image.digest", `no top-level key "global"`},
		{"parent a value", values, "replicaCount.x", `"replicaCount" is a single value, not a mapping`},
		{"empty key", values, "image..digest", "has an empty key"},
		{"value a mapping", values, "api.image", "image is a mapping, not a single value"},
		{"add to a flow mapping", values, "api.flow.c", "is in flow style"},
		{"alias", values, "api.link", "link is an alias (*x)"},
		{"two documents", "a: 1\n---\nb: 2\n", "a", "the file has 2 YAML documents"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := EditHelmValue([]byte(tt.in), tt.path, "v")
			if err == nil || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("got %v, want an error saying %q", err, tt.says)
			}
		})
	}
}

func TestPlanAndWrite(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "kustomization.yaml")
	before := "resources:\n- deployment.yaml\nimages:\n- name: shop-api\n  newTag: 1.4.2\n"
	if err := os.WriteFile(file, []byte(before), 0o640); err != nil {
		t.Fatal(err)
	}

	c, err := PlanKustomization(file, shopAPI)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(file); string(got) != before {
		t.Fatalf("Plan wrote the file:\n%s", got)
	}
	if !c.Changed() {
		t.Fatal("Changed: got false, want true")
	}
	wantDiff := fill.Replace(`--- FILE
+++ FILE
@@ -3,3 +3,4 @@
 images:
 - name: shop-api
-  newTag: 1.4.2
+  newName: registry.example.com/shop/api
+  digest: DIGEST
`)
	wantDiff = strings.ReplaceAll(wantDiff, "FILE", file)
	if got := c.Diff(); got != wantDiff {
		t.Errorf("Diff: got\n%s\nwant\n%s", got, wantDiff)
	}

	if err := c.Write(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(c.After) {
		t.Errorf("file after Write:\n%s\nwant\n%s", got, c.After)
	}
	info, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o640 {
		t.Errorf("mode: got %v, want -rw-r-----", info.Mode().Perm())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after Write, want only the file (no temporary left)", len(entries))
	}

	// Planned again, nothing changes and nothing is written.
	again, err := UpdateKustomization(file, shopAPI)
	if err != nil {
		t.Fatal(err)
	}
	if again.Changed() || again.Diff() != "" {
		t.Errorf("second update: got a change %q, want none", again.Diff())
	}

	// A plan made from bytes that are no longer in the file is refused.
	stale := c
	if err := stale.Write(); err == nil || !strings.Contains(err.Error(), "changed since prodlike read it") {
		t.Errorf("stale Write: got %v, want a refusal", err)
	}
}

func TestPlanErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "values.yaml")
	if err := os.WriteFile(file, []byte("api:\n  replicas: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := PlanHelmValue(file, "api.image.tag", digestNew)
	want := file + `:1: key path "api.image.tag": "api" has no key "image" (the last key found is "api")`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got %v, want it to start with %q", err, want)
	}
	if _, err := PlanHelmValue(filepath.Join(dir, "missing.yaml"), "a", "b"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: got %v, want os.ErrNotExist", err)
	}
}

// Writing through a symbolic link replaces the file it points to and
// keeps the link.
func TestWriteThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "values-prod.yaml")
	link := filepath.Join(dir, "values.yaml")
	if err := os.WriteFile(real, []byte("image:\n  tag: 1.4.2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("values-prod.yaml", link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	if _, err := UpdateHelmValue(link, "image.tag", digestNew); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("values.yaml is no longer a link (%v)", err)
	}
	got, err := os.ReadFile(real)
	if err != nil {
		t.Fatal(err)
	}
	if want := "image:\n  tag: " + digestNew + "\n"; string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
