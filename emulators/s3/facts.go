package s3

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/prodlike/prodlike/emulators"
)

// Facts is what a live gateway reports about itself and its buckets.
type Facts struct {
	// Version is the version the server reports. versitygw reports none
	// over the network (it prints it only in its start-up banner, and its
	// Server header is a bare "VERSITYGW"), so it is "" for versitygw. A
	// server whose Server header reads "name/version" gives that version.
	Version string
	// Server is the HTTP Server header of the gateway's answers:
	// "VERSITYGW".
	Server string
	// Buckets are all the buckets the root account sees, declared or not,
	// sorted by name.
	Buckets []BucketFacts
}

// BucketFacts is what the gateway reports about one bucket.
type BucketFacts struct {
	Name string
	// Versioning is "Enabled", "Suspended", or "" for a bucket whose
	// versioning was never set.
	Versioning string
	// CORS is the bucket's CORS configuration; nil for none.
	CORS []CORSRule
}

var _ emulators.Facts = (*Facts)(nil)

// ServerVersion returns Version: "" for versitygw.
func (f *Facts) ServerVersion() string { return f.Version }

// Bucket returns the facts of the named bucket, and whether it exists.
func (f *Facts) Bucket(name string) (BucketFacts, bool) {
	i := slices.IndexFunc(f.Buckets, func(b BucketFacts) bool { return b.Name == name })
	if i < 0 {
		return BucketFacts{}, false
	}
	return f.Buckets[i], true
}

// Facts reads the live gateway at ep: ListBuckets, then each bucket's
// versioning and CORS. Without a deadline on ctx it gives up after ten
// seconds.
func (s *Standin) Facts(ctx context.Context, ep emulators.Endpoint) (emulators.Facts, error) {
	ctx, cancel := emulators.WithDefaultTimeout(ctx, factsTimeout)
	defer cancel()
	c, done := s.client(ep, readyTimeout, true)
	defer done()

	fail := func(err error) (emulators.Facts, error) {
		return nil, fmt.Errorf("s3 facts at %s: %w", ep.Addr(), err)
	}
	list, err := c.ListBuckets(ctx, &awss3.ListBucketsInput{})
	if err != nil {
		return fail(fmt.Errorf("list buckets: %w", err))
	}
	f := &Facts{Server: serverHeader(list.ResultMetadata)}
	f.Version = versionFromServer(f.Server)
	for _, b := range list.Buckets {
		name := aws.ToString(b.Name)
		v, err := c.GetBucketVersioning(ctx, &awss3.GetBucketVersioningInput{Bucket: aws.String(name)})
		if err != nil {
			return fail(fmt.Errorf("bucket %q: get versioning: %w", name, err))
		}
		var cors []CORSRule
		if s.opts.server != ServerMinIO { // MinIO answers NotImplemented
			if cors, err = getCORS(ctx, c, name); err != nil {
				return fail(err)
			}
		}
		f.Buckets = append(f.Buckets, BucketFacts{Name: name, Versioning: string(v.Status), CORS: cors})
	}
	slices.SortFunc(f.Buckets, func(a, b BucketFacts) int { return strings.Compare(a.Name, b.Name) })
	return f, nil
}

// serverHeader returns the Server header of the HTTP response behind an
// operation's result.
func serverHeader(md middleware.Metadata) string {
	if r, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok {
		return r.Header.Get("Server")
	}
	return ""
}

// versionFromServer returns the version in a Server header of the form
// "name/version (comment)", "" when there is none ("VERSITYGW").
func versionFromServer(server string) string {
	product, _, _ := strings.Cut(server, " ")
	_, version, ok := strings.Cut(product, "/")
	if !ok {
		return ""
	}
	return version
}
