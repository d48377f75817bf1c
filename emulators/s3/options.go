package s3

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/prodlike/prodlike/emulators"
)

// ErrInvalidOption is wrapped by every error New returns, so callers can
// tell a bad configuration (a usage error) from a failure to run.
var ErrInvalidOption = errors.New("invalid s3 option")

// Bucket is a bucket the stand-in has, as production has it.
type Bucket struct {
	// Name follows S3's naming rules for general purpose buckets: 3 to 63
	// lower case letters, digits, dots and hyphens, starting and ending with
	// a letter or digit, not shaped like an IP address.
	Name string
	// Versioning enables versioning. S3 cannot turn versioning off once it
	// was on, only suspend it: Configure suspends a bucket that has it
	// enabled but is declared without.
	Versioning bool
	// CORS is the bucket's CORS configuration, rules in order; nil (or
	// empty) for none.
	CORS []CORSRule
}

// CORSRule is one rule of a bucket's CORS configuration, as in
// PutBucketCors.
type CORSRule struct {
	// AllowedOrigins are the origins the rule admits, each with at most
	// one * wildcard ("https://*.example.com", "*"). At least one.
	AllowedOrigins []string
	// AllowedMethods are GET, PUT, POST, DELETE or HEAD. At least one.
	AllowedMethods []string
	// AllowedHeaders are the request headers a preflight may ask for, each
	// with at most one * wildcard.
	AllowedHeaders []string
	// ExposeHeaders are the response headers browsers let scripts read.
	ExposeHeaders []string
	// MaxAgeSeconds is how long browsers may cache a preflight answer;
	// 0 leaves it unset.
	MaxAgeSeconds int
}

func (b Bucket) clone() Bucket {
	if b.CORS != nil {
		rules := make([]CORSRule, len(b.CORS))
		for i, r := range b.CORS {
			rules[i] = r.clone()
		}
		b.CORS = rules
	}
	return b
}

func (r CORSRule) clone() CORSRule {
	r.AllowedOrigins = slices.Clone(r.AllowedOrigins)
	r.AllowedMethods = slices.Clone(r.AllowedMethods)
	r.AllowedHeaders = slices.Clone(r.AllowedHeaders)
	r.ExposeHeaders = slices.Clone(r.ExposeHeaders)
	return r
}

// options are the settings New collects; defaults come from defaultOptions.
type options struct {
	server          string // "" until New chooses from the image
	buckets         []Bucket
	region          string
	accessKeyID     string
	secretAccessKey string
	// envNames maps a default variable name (EnvRegion, a bucket's
	// variable) to the name the service wants instead.
	envNames emulators.EnvNames
}

func defaultOptions() options {
	return options{
		region:          DefaultRegion,
		accessKeyID:     DefaultAccessKeyID,
		secretAccessKey: DefaultSecretAccessKey,
		envNames:        emulators.EnvNames{},
	}
}

// Option configures an S3 stand-in.
type Option func(*options)

// WithBuckets declares buckets; Configure creates them with their
// versioning and CORS. Repeated calls add to the list.
func WithBuckets(buckets ...Bucket) Option {
	return func(o *options) {
		for _, b := range buckets {
			o.buckets = append(o.buckets, b.clone())
		}
	}
}

// WithServer chooses the S3 server the image runs, ServerVersitygw or
// ServerMinIO, for an image whose name does not tell (see ServerOf).
func WithServer(server string) Option {
	return func(o *options) { o.server = server }
}

// WithRegion sets the region the gateway signs for (`--region`) and Env
// gives the app. Default: us-east-1. The gateway rejects requests signed for
// any other region, so clients must use this one.
func WithRegion(region string) Option {
	return func(o *options) { o.region = region }
}

// WithCredentials sets the gateway's root credentials, which Env gives the
// app. Default: DefaultAccessKeyID and DefaultSecretAccessKey. They are
// development credentials for the stand-in only: never production's.
func WithCredentials(accessKeyID, secretAccessKey string) Option {
	return func(o *options) {
		o.accessKeyID = accessKeyID
		o.secretAccessKey = secretAccessKey
	}
}

// WithEnvNames renames variables Env returns, from the default name to the
// name the service reads, e.g. {"S3_BUCKET_UPLOADS": "UPLOADS_BUCKET"}.
// Repeated calls merge.
func WithEnvNames(names emulators.EnvNames) Option {
	return func(o *options) { maps.Copy(o.envNames, names) }
}

var (
	bucketName   = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*[a-z0-9]$`)
	ipv4Shaped   = regexp.MustCompile(`^[0-9]{1,3}(\.[0-9]{1,3}){3}$`)
	regionName   = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	accessKeyID  = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	httpToken    = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
	corsMethods  = []string{"GET", "PUT", "POST", "DELETE", "HEAD"}
	namePrefixes = []string{"xn--", "sthree-", "amzn-s3-demo-"}
	nameSuffixes = []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"}
)

// maxCORSRules is S3's limit on rules in one CORS configuration.
const maxCORSRules = 100

// validate reports every problem at once, in a stable order, each wrapping
// ErrInvalidOption.
func (o *options) validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format+": %w", append(args, ErrInvalidOption)...))
	}

	if !slices.Contains(Servers, o.server) {
		bad("server %q: want one of %s", o.server, strings.Join(Servers, ", "))
	}
	if o.server == ServerMinIO {
		// MinIO refuses to start with shorter root credentials.
		if len(o.accessKeyID) < 3 {
			bad("access key ID %q: MinIO wants at least 3 characters", o.accessKeyID)
		}
		if len(o.secretAccessKey) < 8 {
			bad("secret access key: MinIO wants at least 8 characters")
		}
	}
	if !regionName.MatchString(o.region) {
		bad("region %q: want lower case letters and digits between hyphens, like us-east-1", o.region)
	}
	if !accessKeyID.MatchString(o.accessKeyID) {
		bad("access key ID %q: want letters, digits, '.', '_' or '-'", o.accessKeyID)
	}
	switch {
	case o.secretAccessKey == "":
		bad("secret access key is empty")
	case strings.ContainsRune(o.secretAccessKey, 0):
		bad("secret access key contains a NUL byte")
	}

	seen := map[string]bool{}
	envOf := map[string]string{} // bucket variable → bucket
	for _, b := range o.buckets {
		if problem := checkBucketName(b.Name); problem != "" {
			bad("bucket %q: %s", b.Name, problem)
		} else if other, ok := envOf[BucketEnvName(b.Name)]; ok && other != b.Name {
			bad("bucket %q: its variable %s is also bucket %q's", b.Name, BucketEnvName(b.Name), other)
		} else {
			envOf[BucketEnvName(b.Name)] = b.Name
		}
		if seen[b.Name] {
			bad("bucket %q: declared twice", b.Name)
		}
		seen[b.Name] = true
		if len(b.CORS) > 0 && o.server == ServerMinIO {
			bad("bucket %q: MinIO has no per-bucket CORS rules (it allows origins server-wide, MINIO_API_CORS_ALLOW_ORIGIN); drop cors: or run versitygw", b.Name)
		}
		if len(b.CORS) > maxCORSRules {
			bad("bucket %q: %d CORS rules, S3 allows %d", b.Name, len(b.CORS), maxCORSRules)
		}
		for i, r := range b.CORS {
			for _, problem := range checkCORSRule(r) {
				bad("bucket %q: CORS rule %d: %s", b.Name, i+1, problem)
			}
		}
	}

	provided := o.providedEnv()
	for _, err := range o.envNames.Check(Kind, provided...) {
		errs = append(errs, fmt.Errorf("%w: %w", err, ErrInvalidOption))
	}
	// Two variables must not end up under one name.
	slices.Sort(provided)
	final := map[string]string{}
	for _, name := range provided {
		to := o.envNames.Name(name)
		if other, ok := final[to]; ok {
			bad("env rename: %s and %s would both be %s", other, name, to)
			continue
		}
		final[to] = name
	}
	return errors.Join(errs...)
}

// checkBucketName returns what is wrong with name under S3's rules for
// general purpose buckets, or "".
func checkBucketName(name string) string {
	switch {
	case len(name) < 3 || len(name) > 63:
		return fmt.Sprintf("%d characters, want 3 to 63", len(name))
	case !bucketName.MatchString(name):
		return "want lower case letters, digits, '.' and '-', starting and ending with a letter or digit"
	case strings.Contains(name, ".."):
		return "two adjacent dots"
	case ipv4Shaped.MatchString(name):
		return "shaped like an IP address"
	}
	for _, p := range namePrefixes {
		if strings.HasPrefix(name, p) {
			return fmt.Sprintf("starts with %q, which S3 reserves", p)
		}
	}
	for _, s := range nameSuffixes {
		if strings.HasSuffix(name, s) {
			return fmt.Sprintf("ends with %q, which S3 reserves", s)
		}
	}
	return ""
}

// checkCORSRule returns what is wrong with r, in field order.
func checkCORSRule(r CORSRule) []string {
	var problems []string
	if len(r.AllowedOrigins) == 0 {
		problems = append(problems, "no allowed origin, want at least one")
	}
	for _, origin := range r.AllowedOrigins {
		switch {
		case origin == "":
			problems = append(problems, "empty allowed origin")
		case strings.Count(origin, "*") > 1:
			problems = append(problems, fmt.Sprintf("allowed origin %q: more than one *", origin))
		}
	}
	if len(r.AllowedMethods) == 0 {
		problems = append(problems, "no allowed method, want at least one")
	}
	for _, m := range r.AllowedMethods {
		if !slices.Contains(corsMethods, m) {
			problems = append(problems, fmt.Sprintf("allowed method %q: want one of %s", m, strings.Join(corsMethods, ", ")))
		}
	}
	for _, h := range r.AllowedHeaders {
		switch {
		case !httpToken.MatchString(h):
			problems = append(problems, fmt.Sprintf("allowed header %q: not a header name", h))
		case strings.Count(h, "*") > 1:
			problems = append(problems, fmt.Sprintf("allowed header %q: more than one *", h))
		}
	}
	for _, h := range r.ExposeHeaders {
		if !httpToken.MatchString(h) {
			problems = append(problems, fmt.Sprintf("expose header %q: not a header name", h))
		}
	}
	if r.MaxAgeSeconds < 0 || r.MaxAgeSeconds > math.MaxInt32 {
		problems = append(problems, fmt.Sprintf("max age %d seconds: want 0 to %d", r.MaxAgeSeconds, math.MaxInt32))
	}
	return problems
}
