//go:build e2e

package s3

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/prodlike/prodlike/emulators"
	"github.com/prodlike/prodlike/emulators/standintest"
)

// These tests run a real versitygw on loopback, started from the stand-in's
// own Container(): its Cmd as the arguments, its Env as the whole
// environment, and a fresh empty directory for DataDir, the way a new named
// volume starts, in which the test creates Dirs as the engine does. They
// check the layout, Ready, Configure and Facts against the real gateway
// without Docker.
//
// The binary comes from PRODLIKE_VERSITYGW or PATH. To build one:
//
//	GOBIN=/tmp/vgw/bin CGO_ENABLED=0 go install github.com/versity/versitygw/cmd/versitygw@v1.8.0

type localGateway struct {
	ep     emulators.Endpoint
	cmd    *exec.Cmd
	exited chan struct{}
	out    *standintest.SyncBuffer
}

func versitygwBinary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("PRODLIKE_VERSITYGW"); bin != "" {
		return bin
	}
	bin, err := exec.LookPath("versitygw")
	if err != nil {
		t.Skip("versitygw not found: set PRODLIKE_VERSITYGW to a versitygw binary or put one on PATH " +
			"(CGO_ENABLED=0 go install github.com/versity/versitygw/cmd/versitygw@v1.8.0)")
	}
	return bin
}

// onVolume maps p, a path inside the container, to where it lives when
// dataDir stands for c.DataDir. Any path not under DataDir fails the test:
// it would not be on the volume, and the test does not know where it lives.
func onVolume(t *testing.T, c emulators.Container, dataDir, p string) string {
	t.Helper()
	if c.DataDir == "" || !path.IsAbs(p) {
		t.Fatalf("path %q: want an absolute path under DataDir %q", p, c.DataDir)
	}
	rel, ok := strings.CutPrefix(path.Clean(p), strings.TrimSuffix(path.Clean(c.DataDir), "/"))
	if !ok || (rel != "" && !strings.HasPrefix(rel, "/")) {
		t.Fatalf("path %q lies outside DataDir %q: it would not be on the volume", p, c.DataDir)
	}
	return filepath.Join(dataDir, filepath.FromSlash(rel))
}

// layOut prepares dataDir, standing for c.DataDir, as the engine prepares
// the volume before the container starts: it creates each of c.Dirs. It is
// safe to run again on a volume already laid out.
func layOut(t *testing.T, c emulators.Container, dataDir string) {
	t.Helper()
	for _, d := range c.Dirs {
		if err := os.MkdirAll(onVolume(t, c, dataDir, d), 0o755); err != nil {
			t.Fatalf("create Dirs entry %q: %v", d, err)
		}
	}
}

// startGateway runs s.Container() on a free loopback port with dataDir
// standing for DataDir, laid out as the engine lays out the volume, and
// stops it when the test ends.
func startGateway(t *testing.T, s *Standin, dataDir string) *localGateway {
	t.Helper()
	bin := versitygwBinary(t)
	c := s.Container()
	port := standintest.FreePort(t)
	layOut(t, c, dataDir)

	var args []string
	for i, arg := range c.Cmd {
		switch {
		case i > 0 && c.Cmd[i-1] == "--port":
			if arg != ":"+strconv.Itoa(c.Port) {
				t.Fatalf("Cmd %q: --port %q, want :%d", c.Cmd, arg, c.Port)
			}
			arg = "127.0.0.1:" + strconv.Itoa(port)
		case strings.HasPrefix(arg, "/"):
			arg = onVolume(t, c, dataDir, arg)
		}
		args = append(args, arg)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{}
	for k, v := range c.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	g := &localGateway{
		ep:     emulators.Endpoint{Host: "127.0.0.1", Port: port},
		cmd:    cmd,
		exited: make(chan struct{}),
		out:    &standintest.SyncBuffer{},
	}
	cmd.Stdout, cmd.Stderr = g.out, g.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() { cmd.Wait(); close(g.exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-g.exited
		if t.Failed() {
			t.Logf("versitygw %q output:\n%s", args, g.out)
		}
	})
	standintest.WaitReady(t, s, g.ep, g.exited, g.out, 10*time.Second)
	return g
}

// stop ends the gateway the way `docker stop` does.
func (g *localGateway) stop(t *testing.T) {
	t.Helper()
	g.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-g.exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("versitygw did not stop on SIGTERM\n%s", g.out)
	}
}

// writes counts the PUT and DELETE requests versitygw has logged so far,
// and whether its log shows requests at all.
func (g *localGateway) writes() (n int, logged bool) {
	out := g.out.String()
	return strings.Count(out, "| PUT |") + strings.Count(out, "| DELETE |"), strings.Contains(out, "| GET |")
}

// appClient is the client an app builds from Env: the SDK's default
// configuration read from the environment, plus path style because
// S3_USE_PATH_STYLE says so.
func appClient(t *testing.T, env map[string]string) *awss3.Client {
	t.Helper()
	isolateAWSConfig(t)
	for k, v := range env {
		t.Setenv(k, v)
	}
	cfg, err := config.LoadDefaultConfig(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return awss3.NewFromConfig(cfg, func(o *awss3.Options) {
		o.UsePathStyle = os.Getenv(EnvPathStyle) == "true"
	})
}

func mustFacts(t *testing.T, s *Standin, ep emulators.Endpoint) *Facts {
	t.Helper()
	f, err := s.Facts(t.Context(), ep)
	if err != nil {
		t.Fatalf("Facts: %v", err)
	}
	return f.(*Facts)
}

func mustConfigure(t *testing.T, s *Standin, ep emulators.Endpoint) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := s.Configure(ctx, ep); err != nil {
		t.Fatalf("Configure: %v", err)
	}
}

var (
	uploadsCORS = []CORSRule{
		{
			AllowedOrigins: []string{"https://app.example.com", "http://localhost:3000"},
			AllowedMethods: []string{"GET", "PUT", "POST"},
			AllowedHeaders: []string{"*"},
			ExposeHeaders:  []string{"ETag", "x-amz-version-id"},
			MaxAgeSeconds:  3000,
		},
		{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET", "HEAD"}},
	}
	siteCORS = []CORSRule{{AllowedOrigins: []string{"https://*.example.com"}, AllowedMethods: []string{"GET"}}}
)

func declared(t *testing.T, opts ...Option) *Standin {
	t.Helper()
	return mustNew(t, "", append([]Option{WithBuckets(
		Bucket{Name: "user-uploads", Versioning: true, CORS: uploadsCORS},
		Bucket{Name: "reports"},
		Bucket{Name: "assets.site", CORS: siteCORS},
	)}, opts...)...)
}

// wantFacts is what Facts reports for declared()'s buckets, sorted.
func wantFacts() []BucketFacts {
	return []BucketFacts{
		{Name: "assets.site", CORS: siteCORS},
		{Name: "reports"},
		{Name: "user-uploads", Versioning: "Enabled", CORS: uploadsCORS},
	}
}

func checkBuckets(t *testing.T, what string, got, want []BucketFacts) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: Facts().Buckets:\ngot  %+v\nwant %+v", what, got, want)
	}
}

func TestE2EConfigureAndFacts(t *testing.T) {
	s := declared(t)
	dataDir := t.TempDir()
	g := startGateway(t, s, dataDir)

	f := mustFacts(t, s, g.ep)
	if len(f.Buckets) != 0 {
		t.Errorf("fresh gateway: Buckets = %+v, want none", f.Buckets)
	}
	if f.Server != "VERSITYGW" || f.ServerVersion() != "" {
		t.Errorf("Server, ServerVersion() = %q, %q; want VERSITYGW and \"\" (versitygw reports no version)", f.Server, f.ServerVersion())
	}

	mustConfigure(t, s, g.ep)
	checkBuckets(t, "after Configure", mustFacts(t, s, g.ep).Buckets, wantFacts())

	// Idempotent: the second run changes nothing and writes nothing.
	before, logged := g.writes()
	mustConfigure(t, s, g.ep)
	if after, _ := g.writes(); logged && after != before {
		t.Errorf("second Configure made %d PUT or DELETE requests, want none\n%s", after-before, g.out)
	} else if !logged {
		t.Log("versitygw logs no requests: not counting the second Configure's writes")
	}
	checkBuckets(t, "after a second Configure", mustFacts(t, s, g.ep).Buckets, wantFacts())

	// The app's own client, built from Env the way an app builds it.
	env := s.Env(g.ep)
	app := appClient(t, env)
	ctx := t.Context()
	bucket := aws.String(env["S3_BUCKET_USER_UPLOADS"])
	for _, body := range []string{"first", "second"} {
		_, err := app.PutObject(ctx, &awss3.PutObjectInput{Bucket: bucket, Key: aws.String("avatars/1.txt"), Body: strings.NewReader(body)})
		if err != nil {
			t.Fatalf("PutObject through Env's configuration: %v", err)
		}
	}
	got, err := app.GetObject(ctx, &awss3.GetObjectInput{Bucket: bucket, Key: aws.String("avatars/1.txt")})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	body, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if string(body) != "second" || aws.ToString(got.VersionId) == "" {
		t.Errorf("GetObject: body %q, version %q; want \"second\" and a version ID", body, aws.ToString(got.VersionId))
	}
	versions, err := app.ListObjectVersions(ctx, &awss3.ListObjectVersionsInput{Bucket: bucket})
	if err != nil {
		t.Fatalf("ListObjectVersions: %v", err)
	}
	if len(versions.Versions) != 2 {
		t.Errorf("ListObjectVersions: %d versions, want 2 (versioning is on)", len(versions.Versions))
	}

	// Someone changes things by hand; Configure puts the declaration back
	// and leaves data and undeclared buckets alone.
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	_, err = app.DeleteBucketCors(ctx, &awss3.DeleteBucketCorsInput{Bucket: bucket})
	must("DeleteBucketCors user-uploads", err)
	_, err = app.PutBucketVersioning(ctx, &awss3.PutBucketVersioningInput{Bucket: bucket,
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}})
	must("suspend versioning on user-uploads", err)
	_, err = app.PutBucketVersioning(ctx, &awss3.PutBucketVersioningInput{Bucket: aws.String("reports"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
	must("enable versioning on reports", err)
	_, err = app.PutBucketCors(ctx, &awss3.PutBucketCorsInput{Bucket: aws.String("reports"),
		CORSConfiguration: &types.CORSConfiguration{CORSRules: []types.CORSRule{{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET"}}}}})
	must("put CORS on reports", err)
	_, err = app.PutBucketCors(ctx, &awss3.PutBucketCorsInput{Bucket: aws.String("assets.site"),
		CORSConfiguration: &types.CORSConfiguration{CORSRules: []types.CORSRule{{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"GET", "PUT"}}}}})
	must("change CORS on assets.site", err)
	_, err = app.DeleteBucket(ctx, &awss3.DeleteBucketInput{Bucket: aws.String("assets.site")})
	must("delete assets.site", err)
	_, err = app.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String("scratch-space")})
	must("create an undeclared bucket", err)

	mustConfigure(t, s, g.ep)
	want := wantFacts()
	want[1].Versioning = "Suspended" // reports: S3 cannot turn versioning off
	want = slices.Insert(want, 2, BucketFacts{Name: "scratch-space"})
	checkBuckets(t, "after changes by hand and Configure", mustFacts(t, s, g.ep).Buckets, want)
	versions, err = app.ListObjectVersions(ctx, &awss3.ListObjectVersionsInput{Bucket: bucket})
	must("ListObjectVersions", err)
	if len(versions.Versions) != 2 {
		t.Errorf("after Configure: %d versions, want the 2 written before", len(versions.Versions))
	}

	// The gateway keeps buckets as directories of its root (BucketsDir) and
	// noncurrent versions in VersionsDir, both on the volume; nothing else
	// of its own is listed as a bucket.
	c := s.Container()
	for _, name := range []string{"user-uploads", "reports", "assets.site", "scratch-space"} {
		if fi, err := os.Stat(filepath.Join(onVolume(t, c, dataDir, BucketsDir), name)); err != nil || !fi.IsDir() {
			t.Errorf("bucket %s: want a directory in %s: %v", name, BucketsDir, err)
		}
	}
	if n := countFiles(t, onVolume(t, c, dataDir, VersionsDir)); n == 0 {
		t.Errorf("%s on the volume holds no files, want the noncurrent version", VersionsDir)
	}
}

// countFiles counts the regular files under dir.
func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	return n
}

func TestE2ERegionAndCredentials(t *testing.T) {
	s := mustNew(t, "", WithRegion("eu-west-1"), WithCredentials("AKIALOCALDEV", "local/dev+secret"),
		WithBuckets(Bucket{Name: "eu-bucket", Versioning: true}))
	g := startGateway(t, s, t.TempDir())

	// CreateBucket outside us-east-1 takes a location constraint.
	mustConfigure(t, s, g.ep)
	checkBuckets(t, "eu-west-1", mustFacts(t, s, g.ep).Buckets, []BucketFacts{{Name: "eu-bucket", Versioning: "Enabled"}})
	mustConfigure(t, s, g.ep)

	// ListBuckets is global in S3: versitygw, like AWS, also takes it
	// signed for us-east-1, so Ready only notices other wrong regions.
	// Bucket operations take only the gateway's region.
	east := mustNew(t, "", WithRegion("us-east-1"), WithCredentials("AKIALOCALDEV", "local/dev+secret"))
	c, done := east.client(g.ep, time.Second, false)
	defer done()
	if _, err := c.GetBucketVersioning(t.Context(), &awss3.GetBucketVersioningInput{Bucket: aws.String("eu-bucket")}); err == nil {
		t.Error("GetBucketVersioning signed for us-east-1 on an eu-west-1 gateway: got nil, want an error")
	} else {
		t.Logf("bucket operation signed for us-east-1: %v", err)
	}

	for name, wrong := range map[string]Option{
		"another region":      WithRegion("ap-south-1"),
		"another secret":      WithCredentials("AKIALOCALDEV", "wrong"),
		"another access key":  WithCredentials("AKIAOTHER", "local/dev+secret"),
		"default credentials": WithCredentials(DefaultAccessKeyID, DefaultSecretAccessKey),
	} {
		w := mustNew(t, "", WithRegion("eu-west-1"), WithCredentials("AKIALOCALDEV", "local/dev+secret"), wrong)
		start := time.Now()
		err := w.Ready(t.Context(), g.ep)
		if err == nil {
			t.Errorf("Ready with %s: got nil, want an error", name)
			continue
		}
		if elapsed := time.Since(start); elapsed > time.Second {
			t.Errorf("Ready with %s took %v, want it to fail fast", name, elapsed)
		}
		if !strings.Contains(err.Error(), g.ep.Addr()) {
			t.Errorf("Ready with %s: error %q does not name %s", name, err, g.ep.Addr())
		}
		t.Logf("%s: %v", name, err)
	}
}

// A restarted container keeps what lives on the volume, which is
// everything: buckets, their settings, current objects and noncurrent
// versions.
func TestE2ERestartKeepsVolume(t *testing.T) {
	s := declared(t)
	dataDir := t.TempDir()
	g := startGateway(t, s, dataDir)
	mustConfigure(t, s, g.ep)
	app := appClient(t, s.Env(g.ep))
	for _, body := range []string{"v1", "v2"} {
		if _, err := app.PutObject(t.Context(), &awss3.PutObjectInput{Bucket: aws.String("user-uploads"),
			Key: aws.String("doc.txt"), Body: bytes.NewReader([]byte(body))}); err != nil {
			t.Fatalf("PutObject: %v", err)
		}
	}
	g.stop(t)

	// A new container on the same volume: the engine's layout step runs
	// again and must leave the existing directories as they are.
	g = startGateway(t, s, dataDir)
	checkBuckets(t, "after a restart", mustFacts(t, s, g.ep).Buckets, wantFacts())
	app = appClient(t, s.Env(g.ep))
	get := func(what string, in *awss3.GetObjectInput) string {
		t.Helper()
		got, err := app.GetObject(t.Context(), in)
		if err != nil {
			t.Fatalf("GetObject %s after a restart: %v", what, err)
		}
		defer got.Body.Close()
		body, err := io.ReadAll(got.Body)
		if err != nil {
			t.Fatalf("GetObject %s after a restart: read: %v", what, err)
		}
		return string(body)
	}
	if body := get("current", &awss3.GetObjectInput{Bucket: aws.String("user-uploads"), Key: aws.String("doc.txt")}); body != "v2" {
		t.Errorf("GetObject after a restart: %q, want v2", body)
	}
	versions, err := app.ListObjectVersions(t.Context(), &awss3.ListObjectVersionsInput{Bucket: aws.String("user-uploads")})
	if err != nil {
		t.Fatalf("ListObjectVersions after a restart: %v", err)
	}
	if len(versions.Versions) != 2 {
		t.Fatalf("after a restart: %d versions, want 2 (the noncurrent one is on the volume too)", len(versions.Versions))
	}
	var noncurrent string
	for _, v := range versions.Versions {
		if !aws.ToBool(v.IsLatest) {
			noncurrent = aws.ToString(v.VersionId)
		}
	}
	if noncurrent == "" {
		t.Fatalf("after a restart: no noncurrent version among %d", len(versions.Versions))
	}
	if body := get("noncurrent", &awss3.GetObjectInput{Bucket: aws.String("user-uploads"), Key: aws.String("doc.txt"),
		VersionId: aws.String(noncurrent)}); body != "v1" {
		t.Errorf("GetObject of the noncurrent version after a restart: %q, want v1", body)
	}
	mustConfigure(t, s, g.ep)
	checkBuckets(t, "after a restart and Configure", mustFacts(t, s, g.ep).Buckets, wantFacts())
}

func TestE2EReadyBeforeConfigure(t *testing.T) {
	// Ready needs no bucket: a fresh gateway on an empty volume is ready.
	s := declared(t)
	g := startGateway(t, s, t.TempDir())
	if err := s.Ready(t.Context(), g.ep); err != nil {
		t.Fatalf("Ready on a fresh gateway: %v", err)
	}
}
