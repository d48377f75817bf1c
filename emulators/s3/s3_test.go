package s3

import (
	"errors"
	"path"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/prodlike/prodlike/emulators"
	"github.com/prodlike/prodlike/emulators/standintest"
)

func mustNew(t *testing.T, image string, opts ...Option) *Standin {
	t.Helper()
	s, err := New(image, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func TestContainer(t *testing.T) {
	tests := []struct {
		name  string
		image string
		opts  []Option
		want  emulators.Container
	}{
		{
			name: "defaults",
			want: emulators.Container{
				Image: "versity/versitygw",
				Env:   map[string]string{"ROOT_ACCESS_KEY_ID": "prodlike", "ROOT_SECRET_ACCESS_KEY": "prodlike-dev-secret"},
				Cmd:   []string{"--port", ":7070", "--region", "us-east-1", "posix", "--versioning-dir", "/data/versions", "/data/buckets"},
				Port:  7070, DataDir: "/data",
				Dirs: []string{"/data/buckets", "/data/versions"},
			},
		},
		{
			name:  "image as given, region and credentials",
			image: "mirror.local/versity/versitygw:v1.8.0",
			opts: []Option{
				WithRegion("eu-central-1"),
				WithCredentials("AKIADEV", "dev/secret+="),
				WithBuckets(Bucket{Name: "uploads", Versioning: true}),
			},
			want: emulators.Container{
				Image: "mirror.local/versity/versitygw:v1.8.0",
				Env:   map[string]string{"ROOT_ACCESS_KEY_ID": "AKIADEV", "ROOT_SECRET_ACCESS_KEY": "dev/secret+="},
				Cmd:   []string{"--port", ":7070", "--region", "eu-central-1", "posix", "--versioning-dir", "/data/versions", "/data/buckets"},
				Port:  7070, DataDir: "/data",
				Dirs: []string{"/data/buckets", "/data/versions"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustNew(t, tt.image, tt.opts...).Container()
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Container():\ngot  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

// cmdDirs returns the root and the versioning directory from a Cmd.
func cmdDirs(t *testing.T, cmd []string) (root, versions string) {
	t.Helper()
	i := slices.Index(cmd, "--versioning-dir")
	if i < 0 || i+1 >= len(cmd) {
		t.Fatalf("Cmd %q: no --versioning-dir", cmd)
	}
	if cmd[len(cmd)-1] == cmd[i+1] {
		t.Fatalf("Cmd %q: no root after --versioning-dir", cmd)
	}
	return cmd[len(cmd)-1], cmd[i+1]
}

// inside reports whether path lies inside dir (and is not dir itself).
func inside(path, dir string) bool {
	return strings.HasPrefix(path, strings.TrimSuffix(dir, "/")+"/")
}

// The versioning directory must lie outside the root (versitygw refuses it
// otherwise), and neither may be the root of the volume itself.
func TestContainerVersioningDirOutsideRoot(t *testing.T) {
	root, versions := cmdDirs(t, mustNew(t, "").Container().Cmd)
	if versions == root || inside(versions, root) {
		t.Errorf("--versioning-dir %q lies inside the root %q", versions, root)
	}
	if inside(root, versions) {
		t.Errorf("root %q lies inside --versioning-dir %q", root, versions)
	}
}

// Everything the gateway keeps is on the volume: every entry of Dirs lies
// inside DataDir, and the root and the versioning directory are among Dirs,
// so the engine creates them before versitygw, which does not, starts.
func TestContainerDirsOnVolume(t *testing.T) {
	c := mustNew(t, "").Container()
	if c.DataDir == "" {
		t.Fatal("DataDir is empty, want a volume")
	}
	for _, d := range c.Dirs {
		if !path.IsAbs(d) || path.Clean(d) != d || !inside(d, c.DataDir) {
			t.Errorf("Dirs entry %q: want a clean absolute path inside DataDir %q", d, c.DataDir)
		}
	}
	root, versions := cmdDirs(t, c.Cmd)
	for _, d := range []string{root, versions} {
		if !slices.Contains(c.Dirs, d) {
			t.Errorf("Cmd directory %q is not among Dirs %q", d, c.Dirs)
		}
	}
}

func TestContainerReturnsFreshValues(t *testing.T) {
	s := mustNew(t, "")
	c := s.Container()
	c.Cmd[3] = "changed"
	c.Env["ROOT_ACCESS_KEY_ID"] = "changed"
	c.Dirs[0] = "changed"
	c = s.Container()
	if c.Cmd[3] != "us-east-1" || c.Env["ROOT_ACCESS_KEY_ID"] != "prodlike" || c.Dirs[0] != BucketsDir {
		t.Errorf("after changing an earlier result: Cmd[3] = %q, Env = %q, Dirs = %q", c.Cmd[3], c.Env, c.Dirs)
	}
}

func TestOptionsDoNotAliasCallerSlices(t *testing.T) {
	rule := CORSRule{AllowedOrigins: []string{"https://app.example.com"}, AllowedMethods: []string{"GET"}}
	buckets := []Bucket{{Name: "uploads", CORS: []CORSRule{rule}}}
	s := mustNew(t, "", WithBuckets(buckets...))
	buckets[0].Name = "changed"
	buckets[0].CORS[0].AllowedOrigins[0] = "changed"
	rule.AllowedMethods[0] = "changed"

	got := s.Buckets()
	want := []Bucket{{Name: "uploads", CORS: []CORSRule{{AllowedOrigins: []string{"https://app.example.com"}, AllowedMethods: []string{"GET"}}}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Buckets() after changing the caller's slices:\ngot  %+v\nwant %+v", got, want)
	}
	got[0].CORS[0].AllowedMethods[0] = "changed"
	if m := s.Buckets()[0].CORS[0].AllowedMethods[0]; m != "GET" {
		t.Errorf("Buckets() after changing an earlier result: method %q, want GET", m)
	}
}

func TestKindAndRegion(t *testing.T) {
	s := mustNew(t, "", WithRegion("ap-southeast-2"))
	if s.Kind() != "s3" || s.Region() != "ap-southeast-2" {
		t.Errorf("Kind(), Region() = %q, %q; want s3, ap-southeast-2", s.Kind(), s.Region())
	}
}

func TestNewAccepts(t *testing.T) {
	names := []string{
		"abc", "a-b", "1.2.3", "my.bucket.name", "0-logs-9",
		strings.Repeat("a", 63), "1.2.3.4x", "s3alias-no", "xn-one-dash",
	}
	for _, name := range names {
		if _, err := New("", WithBuckets(Bucket{Name: name})); err != nil {
			t.Errorf("bucket %q: %v", name, err)
		}
	}
	_, err := New("", WithBuckets(Bucket{Name: "site", CORS: []CORSRule{{
		AllowedOrigins: []string{"*", "https://*.example.com"},
		AllowedMethods: []string{"GET", "PUT", "POST", "DELETE", "HEAD"},
		AllowedHeaders: []string{"*", "x-amz-*", "Content-Type"},
		ExposeHeaders:  []string{"ETag", "x-amz-version-id"},
		MaxAgeSeconds:  3600,
	}}}))
	if err != nil {
		t.Errorf("full CORS rule: %v", err)
	}
}

func TestNewRejects(t *testing.T) {
	ok := CORSRule{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}}
	cors := func(r CORSRule) Option { return WithBuckets(Bucket{Name: "site", CORS: []CORSRule{r}}) }
	tests := []struct {
		name string
		opts []Option
		want []string // substrings of the error, in order
	}{
		{"too short", []Option{WithBuckets(Bucket{Name: "ab"})}, []string{`bucket "ab": 2 characters, want 3 to 63`}},
		{"too long", []Option{WithBuckets(Bucket{Name: strings.Repeat("a", 64)})}, []string{"64 characters"}},
		{"empty name", []Option{WithBuckets(Bucket{})}, []string{`bucket "": 0 characters`}},
		{"upper case", []Option{WithBuckets(Bucket{Name: "Uploads"})}, []string{`bucket "Uploads": want lower case`}},
		{"underscore", []Option{WithBuckets(Bucket{Name: "my_bucket"})}, []string{`bucket "my_bucket"`}},
		{"starts with a hyphen", []Option{WithBuckets(Bucket{Name: "-abc"})}, []string{`bucket "-abc"`}},
		{"ends with a dot", []Option{WithBuckets(Bucket{Name: "abc."})}, []string{`bucket "abc."`}},
		{"adjacent dots", []Option{WithBuckets(Bucket{Name: "a..b"})}, []string{"two adjacent dots"}},
		{"IP address", []Option{WithBuckets(Bucket{Name: "192.168.5.4"})}, []string{"shaped like an IP address"}},
		{"reserved prefix", []Option{WithBuckets(Bucket{Name: "xn--abc"})}, []string{`starts with "xn--"`}},
		{"reserved suffix", []Option{WithBuckets(Bucket{Name: "data-s3alias"})}, []string{`ends with "-s3alias"`}},
		{"declared twice", []Option{WithBuckets(Bucket{Name: "uploads"}), WithBuckets(Bucket{Name: "uploads"})}, []string{`bucket "uploads": declared twice`}},
		{
			"two buckets, one variable",
			[]Option{WithBuckets(Bucket{Name: "my-bucket"}, Bucket{Name: "my.bucket"})},
			[]string{`bucket "my.bucket": its variable S3_BUCKET_MY_BUCKET is also bucket "my-bucket"'s`},
		},
		{"no origin", []Option{cors(CORSRule{AllowedMethods: []string{"GET"}})}, []string{`bucket "site": CORS rule 1: no allowed origin`}},
		{"no method", []Option{cors(CORSRule{AllowedOrigins: []string{"*"}})}, []string{"CORS rule 1: no allowed method"}},
		{"lower case method", []Option{cors(CORSRule{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"get"}})}, []string{`allowed method "get": want one of GET, PUT, POST, DELETE, HEAD`}},
		{"PATCH", []Option{cors(CORSRule{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"PATCH"}})}, []string{`allowed method "PATCH"`}},
		{"two wildcards in an origin", []Option{cors(CORSRule{AllowedOrigins: []string{"https://*.*.com"}, AllowedMethods: []string{"GET"}})}, []string{"more than one *"}},
		{"empty origin", []Option{cors(CORSRule{AllowedOrigins: []string{""}, AllowedMethods: []string{"GET"}})}, []string{"empty allowed origin"}},
		{"bad allowed header", []Option{cors(CORSRule{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}, AllowedHeaders: []string{"X Bad"}})}, []string{`allowed header "X Bad": not a header name`}},
		{"bad expose header", []Option{cors(CORSRule{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}, ExposeHeaders: []string{"ETag:"}})}, []string{`expose header "ETag:"`}},
		{"negative max age", []Option{cors(CORSRule{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}, MaxAgeSeconds: -1})}, []string{"max age -1 seconds"}},
		{"too many rules", []Option{WithBuckets(Bucket{Name: "site", CORS: make([]CORSRule, 101)})}, []string{"101 CORS rules, S3 allows 100"}},
		{
			"second rule of several",
			[]Option{WithBuckets(Bucket{Name: "site", CORS: []CORSRule{ok, {AllowedOrigins: []string{"*"}}}})},
			[]string{"CORS rule 2: no allowed method"},
		},
		{"empty region", []Option{WithRegion("")}, []string{`region ""`}},
		{"region with spaces", []Option{WithRegion("us east 1")}, []string{`region "us east 1"`}},
		{"access key with a slash", []Option{WithCredentials("a/b", "secret")}, []string{`access key ID "a/b"`}},
		{"empty access key", []Option{WithCredentials("", "secret")}, []string{`access key ID ""`}},
		{"empty secret", []Option{WithCredentials("key", "")}, []string{"secret access key is empty"}},
		{"NUL in secret", []Option{WithCredentials("key", "a\x00b")}, []string{"NUL"}},
		{"rename unknown variable", []Option{WithEnvNames(emulators.EnvNames{"S3_BUCKET_NOPE": "X"})}, []string{`env rename "S3_BUCKET_NOPE"`}},
		{"rename to invalid name", []Option{WithEnvNames(emulators.EnvNames{"AWS_REGION": "MY-REGION"})}, []string{`"MY-REGION": not a valid variable name`}},
		{
			"rename onto another variable",
			[]Option{WithBuckets(Bucket{Name: "uploads"}), WithEnvNames(emulators.EnvNames{"AWS_REGION": "S3_BUCKET_UPLOADS"})},
			[]string{"AWS_REGION and S3_BUCKET_UPLOADS would both be S3_BUCKET_UPLOADS"},
		},
		{
			"two renames onto one name",
			[]Option{WithEnvNames(emulators.EnvNames{"AWS_REGION": "X", "S3_USE_PATH_STYLE": "X"})},
			[]string{"AWS_REGION and S3_USE_PATH_STYLE would both be X"},
		},
		{
			"every problem at once, in order",
			[]Option{
				WithRegion("EU"),
				WithCredentials("", ""),
				WithBuckets(Bucket{Name: "B"}, Bucket{Name: "ok-bucket", CORS: []CORSRule{{AllowedMethods: []string{"GET", "TRACE"}}}}),
			},
			[]string{`region "EU"`, `access key ID ""`, "secret access key is empty", `bucket "B"`, "no allowed origin", `allowed method "TRACE"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New("", tt.opts...)
			if err == nil {
				t.Fatalf("New: got %+v, nil error; want an error", s)
			}
			if s != nil {
				t.Errorf("New: got a Standin with the error, want nil")
			}
			if !errors.Is(err, ErrInvalidOption) {
				t.Errorf("errors.Is(%v, ErrInvalidOption) = false, want true", err)
			}
			if !strings.HasPrefix(err.Error(), "s3: ") {
				t.Errorf("error %q: want it to start with \"s3: \"", err)
			}
			standintest.ErrorsInOrder(t, err, tt.want)
		})
	}
}

func TestBucketEnvName(t *testing.T) {
	for name, want := range map[string]string{
		"uploads":          "S3_BUCKET_UPLOADS",
		"user-uploads":     "S3_BUCKET_USER_UPLOADS",
		"assets.prod.2024": "S3_BUCKET_ASSETS_PROD_2024",
	} {
		if got := BucketEnvName(name); got != want {
			t.Errorf("BucketEnvName(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestEnv(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		ep   emulators.Endpoint
		want map[string]string
	}{
		{
			name: "defaults, in-network form",
			ep:   emulators.Endpoint{Host: "files", Port: 7070},
			want: map[string]string{
				"AWS_ENDPOINT_URL_S3":   "http://files:7070",
				"AWS_REGION":            "us-east-1",
				"AWS_ACCESS_KEY_ID":     "prodlike",
				"AWS_SECRET_ACCESS_KEY": "prodlike-dev-secret",
				"S3_USE_PATH_STYLE":     "true",
			},
		},
		{
			name: "buckets, region, credentials and renames, host form",
			opts: []Option{
				WithRegion("eu-west-1"),
				WithCredentials("AKIADEV", "s3cret"),
				WithBuckets(Bucket{Name: "user-uploads", Versioning: true}, Bucket{Name: "assets.prod"}),
				WithEnvNames(emulators.EnvNames{"S3_BUCKET_USER_UPLOADS": "UPLOADS_BUCKET", "AWS_ENDPOINT_URL_S3": "S3_ENDPOINT"}),
			},
			ep: emulators.Endpoint{Host: "localhost", Port: 57070},
			want: map[string]string{
				"S3_ENDPOINT":           "http://localhost:57070",
				"AWS_REGION":            "eu-west-1",
				"AWS_ACCESS_KEY_ID":     "AKIADEV",
				"AWS_SECRET_ACCESS_KEY": "s3cret",
				"S3_USE_PATH_STYLE":     "true",
				"UPLOADS_BUCKET":        "user-uploads",
				"S3_BUCKET_ASSETS_PROD": "assets.prod",
			},
		},
		{
			name: "IPv6 host",
			ep:   emulators.Endpoint{Host: "::1", Port: 7070},
			want: map[string]string{
				"AWS_ENDPOINT_URL_S3":   "http://[::1]:7070",
				"AWS_REGION":            "us-east-1",
				"AWS_ACCESS_KEY_ID":     "prodlike",
				"AWS_SECRET_ACCESS_KEY": "prodlike-dev-secret",
				"S3_USE_PATH_STYLE":     "true",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustNew(t, "", tt.opts...).Env(tt.ep)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Env(%v):\ngot  %q\nwant %q", tt.ep, got, tt.want)
			}
		})
	}
}

// What the SDK makes of Env is what matters: aws-sdk-go-v2 reads the
// endpoint, region and credentials from the environment by itself.
func TestEnvReadBySDK(t *testing.T) {
	s := mustNew(t, "", WithRegion("eu-west-1"), WithCredentials("AKIADEV", "s3cret"))
	env := s.Env(emulators.Endpoint{Host: "files", Port: 7070})
	isolateAWSConfig(t)
	for k, v := range env {
		t.Setenv(k, v)
	}
	cfg, err := config.LoadDefaultConfig(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	o := awss3.NewFromConfig(cfg).Options()
	if got := aws.ToString(o.BaseEndpoint); got != "http://files:7070" || o.Region != "eu-west-1" ||
		creds.AccessKeyID != "AKIADEV" || creds.SecretAccessKey != "s3cret" {
		t.Errorf("SDK reads endpoint %q, region %q, key %q/%q; want http://files:7070, eu-west-1, AKIADEV/s3cret",
			got, o.Region, creds.AccessKeyID, creds.SecretAccessKey)
	}
}

// isolateAWSConfig keeps the machine's AWS configuration and variables out
// of a test that loads the SDK's default configuration.
func isolateAWSConfig(t *testing.T) {
	t.Helper()
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/credentials")
	for _, name := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"} {
		t.Setenv(name, "")
	}
}

func TestVersionFromServer(t *testing.T) {
	for server, want := range map[string]string{
		"VERSITYGW":                   "",
		"":                            "",
		"Gateway/1.2.3":               "1.2.3",
		"Gateway/1.2.3 (linux/amd64)": "1.2.3",
		"AmazonS3":                    "",
	} {
		if got := versionFromServer(server); got != want {
			t.Errorf("versionFromServer(%q) = %q, want %q", server, got, want)
		}
	}
}

func TestFactsBucket(t *testing.T) {
	f := &Facts{Buckets: []BucketFacts{{Name: "a-bucket"}, {Name: "b-bucket", Versioning: "Enabled"}}}
	if b, ok := f.Bucket("b-bucket"); !ok || b.Versioning != "Enabled" {
		t.Errorf("Bucket(b-bucket) = %+v, %v", b, ok)
	}
	if _, ok := f.Bucket("c-bucket"); ok {
		t.Error("Bucket(c-bucket): found, want not")
	}
	if f.ServerVersion() != "" {
		t.Errorf("ServerVersion() = %q, want \"\"", f.ServerVersion())
	}
}

func TestEqualCORSRule(t *testing.T) {
	a := CORSRule{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET", "PUT"}}
	b := CORSRule{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET", "PUT"}, AllowedHeaders: []string{}}
	if !equalCORSRule(a, b) {
		t.Error("nil and empty headers: want equal")
	}
	b.AllowedMethods = []string{"PUT", "GET"}
	if equalCORSRule(a, b) {
		t.Error("methods in another order: want different (S3 keeps the order)")
	}
	b = a
	b.MaxAgeSeconds = 1
	if equalCORSRule(a, b) {
		t.Error("max age differs: want different")
	}
}

func TestContract(t *testing.T) {
	standintest.Contract(t, mustNew(t, ""), readyTimeout)
}

func TestServerOf(t *testing.T) {
	tests := map[string]string{
		"minio/minio": ServerMinIO,
		"minio/minio:RELEASE.2025-09-07T16-13-09Z":     ServerMinIO,
		"quay.io/minio/minio@sha256:0123":              ServerMinIO,
		"mirror.example.com/dockerhub/minio/minio:1.2": ServerMinIO,
		"versity/versitygw:v1.8.0":                     ServerVersitygw,
		"ghcr.io/acme/s3-gateway:2":                    ServerVersitygw,
		"localhost:5000/minio-tools:1":                 ServerVersitygw,
	}
	for image, want := range tests {
		if got := ServerOf(image); got != want {
			t.Errorf("ServerOf(%q): got %q, want %q", image, got, want)
		}
	}
}

func TestMinIOContainer(t *testing.T) {
	s := mustNew(t, "minio/minio:RELEASE.2025-09-07T16-13-09Z", WithRegion("eu-west-1"), WithBuckets(Bucket{Name: "uploads", Versioning: true}))
	want := emulators.Container{
		Image: "minio/minio:RELEASE.2025-09-07T16-13-09Z",
		Env: map[string]string{
			"MINIO_ROOT_USER":     DefaultAccessKeyID,
			"MINIO_ROOT_PASSWORD": DefaultSecretAccessKey,
			"MINIO_SITE_REGION":   "eu-west-1",
		},
		Cmd:     []string{"server", "/data", "--address", ":9000"},
		Port:    MinIOPort,
		DataDir: DataDir,
	}
	if got := s.Container(); !reflect.DeepEqual(got, want) {
		t.Errorf("Container():\ngot  %+v\nwant %+v", got, want)
	}
	if s.Server() != ServerMinIO {
		t.Errorf("Server(): got %q, want %q", s.Server(), ServerMinIO)
	}
	// WithServer wins over the image's name.
	if s := mustNew(t, "registry.example.com/object-store:7", WithServer(ServerMinIO)); s.Container().Port != MinIOPort {
		t.Errorf("WithServer(minio) on an unrecognised image: got port %d, want %d", s.Container().Port, MinIOPort)
	}
}

func TestMinIORejects(t *testing.T) {
	_, err := New("minio/minio:RELEASE.2025-09-07T16-13-09Z",
		WithCredentials("ab", "short"),
		WithBuckets(Bucket{Name: "site", CORS: []CORSRule{{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}}}}))
	standintest.ErrorsInOrder(t, err, []string{
		`access key ID "ab": MinIO wants at least 3 characters`,
		"secret access key: MinIO wants at least 8 characters",
		`bucket "site": MinIO has no per-bucket CORS rules`,
	})
	if !errors.Is(err, ErrInvalidOption) {
		t.Errorf("got %v, want ErrInvalidOption", err)
	}
	if _, err := New("", WithServer("ceph")); err == nil || !strings.Contains(err.Error(), `server "ceph": want one of versitygw, minio`) {
		t.Errorf("WithServer(ceph): got %v, want the known servers named", err)
	}
}
