//go:build e2e

package s3

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/prodlike/prodlike/emulators"
	"github.com/prodlike/prodlike/emulators/standintest"
)

// TestE2EMinIO runs a real MinIO server from the stand-in's Container() (its
// Cmd with the address moved to a free loopback port and DataDir to a fresh
// directory, its Env as the whole environment) and checks Ready, Configure
// and Facts against it. The binary comes from PRODLIKE_MINIO:
//
//	GOBIN=/tmp/minio/bin CGO_ENABLED=0 go install github.com/minio/minio@latest
func TestE2EMinIO(t *testing.T) {
	bin := os.Getenv("PRODLIKE_MINIO")
	if bin == "" {
		t.Skip("set PRODLIKE_MINIO to a minio server binary to run MinIO's stand-in against a real server")
	}
	s := mustNew(t, "quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z", WithRegion("eu-west-1"),
		WithBuckets(Bucket{Name: "uploads", Versioning: true}, Bucket{Name: "reports"}))
	if s.Server() != ServerMinIO {
		t.Fatalf("Server(): got %q, want %q from a MinIO image", s.Server(), ServerMinIO)
	}
	c := s.Container()
	port := standintest.FreePort(t)
	dataDir := t.TempDir()
	var args []string
	for i, arg := range c.Cmd {
		switch {
		case i > 0 && c.Cmd[i-1] == "--address":
			if arg != ":"+strconv.Itoa(c.Port) {
				t.Fatalf("Cmd %q: --address %q, want :%d", c.Cmd, arg, c.Port)
			}
			arg = "127.0.0.1:" + strconv.Itoa(port)
		case arg == c.DataDir:
			arg = dataDir
		}
		args = append(args, arg)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"HOME=" + t.TempDir()}
	for k, v := range c.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out := &standintest.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("minio %q output:\n%s", args, out)
		}
	})
	ep := emulators.Endpoint{Host: "127.0.0.1", Port: port}
	took := standintest.WaitReady(t, s, ep, exited, out, 30*time.Second)
	t.Logf("MinIO ready in %v", took)

	mustConfigure(t, s, ep)
	mustConfigure(t, s, ep) // idempotent
	checkBuckets(t, "after Configure", mustFacts(t, s, ep).Buckets, []BucketFacts{
		{Name: "reports"},
		{Name: "uploads", Versioning: "Enabled"},
	})

	// The app's client, from Env alone, writes two versions.
	app := appClient(t, s.Env(ep))
	for _, body := range []string{"v1", "v2"} {
		if _, err := app.PutObject(t.Context(), &awss3.PutObjectInput{Bucket: aws.String("uploads"), Key: aws.String("a.txt"), Body: bytes.NewReader([]byte(body))}); err != nil {
			t.Fatalf("PutObject: %v", err)
		}
	}
	got, err := app.GetObject(t.Context(), &awss3.GetObjectInput{Bucket: aws.String("uploads"), Key: aws.String("a.txt")})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	body, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if string(body) != "v2" {
		t.Errorf("GetObject: got %q, want v2", body)
	}
	versions, err := app.ListObjectVersions(t.Context(), &awss3.ListObjectVersionsInput{Bucket: aws.String("uploads")})
	if err != nil || len(versions.Versions) != 2 {
		t.Errorf("ListObjectVersions: got %+v, %v; want 2 versions", versions, err)
	}
}
