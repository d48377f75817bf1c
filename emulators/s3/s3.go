// Package s3 is the S3 stand-in kind (for Amazon S3 and S3-compatible object
// stores). By default it runs versitygw, an Apache-2.0 S3 gateway, on its
// posix backend: buckets are directories, objects are files, and bucket
// settings (versioning, CORS, ACLs) are user extended attributes on them.
// A service that already runs a MinIO image (MinIO no longer publishes
// images, but pinned ones live on) keeps it: ServerMinIO runs it the way
// MinIO's own documentation does, in single-drive mode on the volume.
//
// The package describes the container, probes readiness with a signed
// ListBuckets, creates the declared buckets with their versioning and CORS
// (Configure), gives the app the variables the AWS SDKs read, and reads
// facts from the live gateway. It never starts containers: stack/docker does.
//
// # Layout
//
// The named volume is mounted at DataDir (/data), and the gateway keeps
// everything on it, in two directories beside each other:
//
//   - BucketsDir (/data/buckets) is the gateway's root: every directory in
//     it is a bucket, and versitygw keeps its own .vgwlocks there, which it
//     does not list.
//   - VersionsDir (/data/versions) is its versioning directory, where
//     noncurrent object versions and delete markers live.
//
// versitygw creates neither its root nor its versioning directory, refuses a
// versioning directory inside the root, and the image may have no shell to
// make them, so Container lists both in Dirs and the engine creates them on
// the volume before the first start. Buckets, objects, old versions,
// versioning state and CORS are therefore all on the volume and survive
// `down`. The filesystem under the volume must support user extended
// attributes (ext4, xfs and btrfs do).
package s3

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/distribution/reference"

	"github.com/prodlike/prodlike/emulators"
)

const (
	// Kind is what Standin.Kind returns.
	Kind = "s3"
	// DefaultImage is versitygw's official image repository; New uses it
	// when given no image. Callers normally pass a tag:
	// versity/versitygw:v1.8.0.
	DefaultImage = "versity/versitygw"
	// Port is the port versitygw listens on inside the container.
	Port = 7070
	// MinIOPort is the port a MinIO server listens on inside the container.
	MinIOPort = 9000
	// DataDir is where the named volume is mounted inside the container.
	DataDir = "/data"
	// BucketsDir is the gateway's root, on the volume: one directory per
	// bucket.
	BucketsDir = DataDir + "/buckets"
	// VersionsDir is the gateway's versioning directory, on the volume
	// beside BucketsDir (versitygw refuses one inside its root): noncurrent
	// object versions and delete markers.
	VersionsDir = DataDir + "/versions"
	// DefaultRegion is the region the gateway signs for unless WithRegion
	// says otherwise.
	DefaultRegion = "us-east-1"
	// DefaultAccessKeyID and DefaultSecretAccessKey are the gateway's root
	// credentials unless WithCredentials says otherwise. They are static
	// development credentials, only ever used against the stand-in.
	DefaultAccessKeyID     = "prodlike"
	DefaultSecretAccessKey = "prodlike-dev-secret"
)

// The S3 servers a stand-in can run; WithServer chooses, else the image.
const (
	ServerVersitygw = "versitygw"
	ServerMinIO     = "minio"
)

// Servers lists the S3 servers a stand-in can run.
var Servers = []string{ServerVersitygw, ServerMinIO}

// ServerOf names the server an image runs: ServerMinIO for MinIO's
// repositories (minio/minio, quay.io/minio/minio, anything ending in
// /minio), else ServerVersitygw.
func ServerOf(image string) string {
	// Only the name matters, so a digest is left out before parsing.
	name, _, _ := strings.Cut(image, "@")
	named, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return ServerVersitygw
	}
	// The path without registry, tag or digest: library/minio, minio/minio.
	if p := reference.Path(named); p == "minio" || strings.HasSuffix(p, "/minio") {
		return ServerMinIO
	}
	return ServerVersitygw
}

// The variables Env sets, unless renamed.
const (
	// EnvEndpoint is the S3 endpoint URL, which the AWS SDKs and CLI read
	// natively (service-specific endpoint configuration).
	EnvEndpoint = "AWS_ENDPOINT_URL_S3"
	// EnvRegion, EnvAccessKeyID and EnvSecretAccessKey are the standard AWS
	// variables.
	EnvRegion          = "AWS_REGION"
	EnvAccessKeyID     = "AWS_ACCESS_KEY_ID"
	EnvSecretAccessKey = "AWS_SECRET_ACCESS_KEY"
	// EnvPathStyle is "true": the app must address buckets path-style.
	// No SDK reads it; the app passes it to its client.
	EnvPathStyle = "S3_USE_PATH_STYLE"
	// EnvBucketPrefix starts each bucket's variable; see BucketEnvName.
	EnvBucketPrefix = "S3_BUCKET_"
)

const (
	// readyTimeout bounds one Ready attempt when the caller's context
	// allows longer: callers poll, so a slow attempt only delays the next.
	readyTimeout = time.Second
	// factsTimeout and configureTimeout bound Facts and Configure when the
	// caller's context has no deadline.
	factsTimeout     = 10 * time.Second
	configureTimeout = 30 * time.Second
)

// Standin is a configured S3 stand-in. It implements emulators.Standin and
// emulators.Configurer and is safe for concurrent use.
type Standin struct {
	image string
	opts  options
}

var (
	_ emulators.Standin    = (*Standin)(nil)
	_ emulators.Configurer = (*Standin)(nil)
)

// New returns an S3 stand-in that runs image ("" means DefaultImage). It
// checks the options and returns an error wrapping ErrInvalidOption that
// lists every problem; a returned Standin is always valid.
func New(image string, opts ...Option) (*Standin, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if image == "" {
		image = DefaultImage
	}
	if o.server == "" {
		o.server = ServerOf(image)
	}
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	return &Standin{image: image, opts: o}, nil
}

// Server returns the S3 server the stand-in runs (ServerVersitygw,
// ServerMinIO).
func (s *Standin) Server() string { return s.opts.server }

// Kind returns "s3".
func (s *Standin) Kind() string { return Kind }

// Region returns the region the gateway signs for.
func (s *Standin) Region() string { return s.opts.region }

// Buckets returns the declared buckets, in declaration order. Each call
// returns fresh slices.
func (s *Standin) Buckets() []Bucket {
	out := make([]Bucket, len(s.opts.buckets))
	for i, b := range s.opts.buckets {
		out[i] = b.clone()
	}
	return out
}

// Container describes the container. The root credentials go in the
// environment (ROOT_ACCESS_KEY_ID, ROOT_SECRET_ACCESS_KEY), where plans mask
// them; the command line holds the listen address, the region and the posix
// backend with BucketsDir as the root and VersionsDir for noncurrent
// versions:
//
//	--port :7070 --region us-east-1 posix --versioning-dir /data/versions /data/buckets
//
// Dirs lists both directories, which the engine creates on the volume
// mounted at DataDir before the container starts. The official image's
// entrypoint passes these arguments to versitygw; an image FROM scratch
// with versitygw as its entrypoint takes them as they are. Each call
// returns fresh maps and slices.
//
// A MinIO server runs `server /data --address :9000` with its root user and
// password in MINIO_ROOT_USER and MINIO_ROOT_PASSWORD and the region in
// MINIO_SITE_REGION, keeping everything on the volume at DataDir.
func (s *Standin) Container() emulators.Container {
	if s.opts.server == ServerMinIO {
		return emulators.Container{
			Image: s.image,
			Env: map[string]string{
				"MINIO_ROOT_USER":     s.opts.accessKeyID,
				"MINIO_ROOT_PASSWORD": s.opts.secretAccessKey,
				"MINIO_SITE_REGION":   s.opts.region,
			},
			Cmd:     []string{"server", DataDir, "--address", fmt.Sprintf(":%d", MinIOPort)},
			Port:    MinIOPort,
			DataDir: DataDir,
		}
	}
	return emulators.Container{
		Image: s.image,
		Env: map[string]string{
			"ROOT_ACCESS_KEY_ID":     s.opts.accessKeyID,
			"ROOT_SECRET_ACCESS_KEY": s.opts.secretAccessKey,
		},
		Cmd: []string{
			"--port", fmt.Sprintf(":%d", Port),
			"--region", s.opts.region,
			"posix",
			"--versioning-dir", VersionsDir,
			BucketsDir,
		},
		Port:    Port,
		DataDir: DataDir,
		Dirs:    []string{BucketsDir, VersionsDir},
	}
}

// EndpointURL returns the endpoint for a client that reaches the stand-in at
// ep: http://host:port.
func (s *Standin) EndpointURL(ep emulators.Endpoint) string {
	return "http://" + ep.Addr()
}

// BucketEnvName returns the default name of a bucket's variable:
// S3_BUCKET_ and the name in upper case, with everything but letters and
// digits turned into '_' ("user-uploads" gives S3_BUCKET_USER_UPLOADS).
func BucketEnvName(bucket string) string {
	return EnvBucketPrefix + emulators.EnvSuffix(bucket)
}

// Env returns the variables for a client that reaches the stand-in at ep,
// each under the service's name for it if renamed with WithEnvNames:
//
//   - AWS_ENDPOINT_URL_S3: EndpointURL(ep). The AWS SDKs and CLI read it
//     natively.
//   - AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: the region and
//     the root credentials. The gateway checks the region of every
//     signature, so the app must sign for this one.
//   - S3_USE_PATH_STYLE: "true". No SDK reads it: the app passes it to its
//     client (o.UsePathStyle in aws-sdk-go-v2, forcePathStyle in the
//     JavaScript SDK, addressing_style "path" in boto3). Path style is a
//     must, because the in-network host name ("files") cannot carry bucket
//     sub-domains (uploads.files does not resolve).
//   - S3_BUCKET_<NAME> for each declared bucket (see BucketEnvName): the
//     bucket's name, so the app reads it as it reads the real bucket's.
func (s *Standin) Env(ep emulators.Endpoint) map[string]string {
	env := s.defaultEnv(ep)
	out := make(map[string]string, len(env))
	for name, value := range env {
		out[s.opts.envNames.Name(name)] = value
	}
	return out
}

// defaultEnv is Env before renames.
func (s *Standin) defaultEnv(ep emulators.Endpoint) map[string]string {
	env := map[string]string{
		EnvEndpoint:        s.EndpointURL(ep),
		EnvRegion:          s.opts.region,
		EnvAccessKeyID:     s.opts.accessKeyID,
		EnvSecretAccessKey: s.opts.secretAccessKey,
		EnvPathStyle:       "true",
	}
	for _, b := range s.opts.buckets {
		env[BucketEnvName(b.Name)] = b.Name
	}
	return env
}

// Ready makes one attempt: a ListBuckets signed with the root credentials
// for the stand-in's region, without retries. It returns an error while the
// gateway is down or not answering, and when it refuses the signature
// (wrong credentials, or a wrong region other than us-east-1, which S3 and
// versitygw take for ListBuckets whatever their region). One attempt takes
// at most about a second, less if ctx ends sooner.
func (s *Standin) Ready(ctx context.Context, ep emulators.Endpoint) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	c, done := s.client(ep, readyTimeout, false)
	defer done()
	if _, err := c.ListBuckets(ctx, &awss3.ListBucketsInput{}); err != nil {
		return fmt.Errorf("s3 at %s not ready: %w", ep.Addr(), err)
	}
	return nil
}

// client returns an S3 client for ep: path-style, signed with the root
// credentials for the stand-in's region, on its own connections (done
// closes them), without proxies. retry false makes every call a single
// attempt. It reads no environment and no shared AWS configuration, and
// logs nothing.
func (s *Standin) client(ep emulators.Endpoint, dialTimeout time.Duration, retry bool) (*awss3.Client, func()) {
	hc, tr := emulators.DirectHTTPClient(dialTimeout)
	tr.ResponseHeaderTimeout = factsTimeout
	o := awss3.Options{
		Region:       s.opts.region,
		BaseEndpoint: aws.String(s.EndpointURL(ep)),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s.opts.accessKeyID, s.opts.secretAccessKey, ""),
		HTTPClient:   hc,
	}
	if !retry {
		o.Retryer = aws.NopRetryer{}
	}
	return awss3.New(o), tr.CloseIdleConnections
}

// providedEnv lists the default names of the variables Env sets, for
// checking renames.
func (o *options) providedEnv() []string {
	names := []string{EnvEndpoint, EnvRegion, EnvAccessKeyID, EnvSecretAccessKey, EnvPathStyle}
	for _, b := range o.buckets {
		names = append(names, BucketEnvName(b.Name))
	}
	return names
}
