package s3

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/prodlike/prodlike/emulators"
)

// Configure makes the gateway at ep match the declared buckets, in
// declaration order. For each bucket it
//
//   - creates it if it is missing (in the stand-in's region);
//   - enables versioning if declared and not enabled, and suspends it if
//     enabled but declared without: S3 cannot turn versioning off, so a
//     suspended bucket is the closest to "declared without" that a real
//     bucket can be. A suspended or never-versioned bucket declared without
//     versioning is left alone;
//   - puts the declared CORS rules if the bucket's differ, and deletes the
//     bucket's CORS configuration if it has one but is declared without.
//
// It is idempotent and never deletes buckets or objects; buckets that are
// not declared are left alone. Without a deadline on ctx it gives up after
// thirty seconds.
func (s *Standin) Configure(ctx context.Context, ep emulators.Endpoint) error {
	ctx, cancel := emulators.WithDefaultTimeout(ctx, configureTimeout)
	defer cancel()
	c, done := s.client(ep, readyTimeout, true)
	defer done()

	fail := func(err error) error { return fmt.Errorf("s3 configure at %s: %w", ep.Addr(), err) }
	list, err := c.ListBuckets(ctx, &awss3.ListBucketsInput{})
	if err != nil {
		return fail(fmt.Errorf("list buckets: %w", err))
	}
	exists := map[string]bool{}
	for _, b := range list.Buckets {
		exists[aws.ToString(b.Name)] = true
	}
	for _, b := range s.opts.buckets {
		if !exists[b.Name] {
			if err := s.createBucket(ctx, c, b.Name); err != nil {
				return fail(err)
			}
		}
		if err := configureVersioning(ctx, c, b); err != nil {
			return fail(err)
		}
		if s.opts.server == ServerMinIO {
			continue // no per-bucket CORS to shape (New refused declared rules)
		}
		if err := configureCORS(ctx, c, b); err != nil {
			return fail(err)
		}
	}
	return nil
}

func (s *Standin) createBucket(ctx context.Context, c *awss3.Client, name string) error {
	in := &awss3.CreateBucketInput{Bucket: aws.String(name)}
	// S3 takes no location constraint for us-east-1 and wants one for any
	// other region; versitygw checks it the same way.
	if s.opts.region != "us-east-1" {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{
			LocationConstraint: types.BucketLocationConstraint(s.opts.region),
		}
	}
	_, err := c.CreateBucket(ctx, in)
	var owned *types.BucketAlreadyOwnedByYou
	var taken *types.BucketAlreadyExists
	if err != nil && !errors.As(err, &owned) && !errors.As(err, &taken) {
		return fmt.Errorf("create bucket %q: %w", name, err)
	}
	return nil
}

func configureVersioning(ctx context.Context, c *awss3.Client, b Bucket) error {
	out, err := c.GetBucketVersioning(ctx, &awss3.GetBucketVersioningInput{Bucket: aws.String(b.Name)})
	if err != nil {
		return fmt.Errorf("bucket %q: get versioning: %w", b.Name, err)
	}
	var want types.BucketVersioningStatus
	switch {
	case b.Versioning && out.Status != types.BucketVersioningStatusEnabled:
		want = types.BucketVersioningStatusEnabled
	case !b.Versioning && out.Status == types.BucketVersioningStatusEnabled:
		want = types.BucketVersioningStatusSuspended
	default:
		return nil
	}
	_, err = c.PutBucketVersioning(ctx, &awss3.PutBucketVersioningInput{
		Bucket:                  aws.String(b.Name),
		VersioningConfiguration: &types.VersioningConfiguration{Status: want},
	})
	if err != nil {
		return fmt.Errorf("bucket %q: set versioning %s: %w", b.Name, want, err)
	}
	return nil
}

func configureCORS(ctx context.Context, c *awss3.Client, b Bucket) error {
	have, err := getCORS(ctx, c, b.Name)
	if err != nil {
		return err
	}
	switch {
	case len(b.CORS) == 0 && have == nil:
		return nil
	case len(b.CORS) == 0:
		if _, err := c.DeleteBucketCors(ctx, &awss3.DeleteBucketCorsInput{Bucket: aws.String(b.Name)}); err != nil {
			return fmt.Errorf("bucket %q: delete CORS: %w", b.Name, err)
		}
		return nil
	case slices.EqualFunc(have, b.CORS, equalCORSRule):
		return nil
	}
	rules := make([]types.CORSRule, len(b.CORS))
	for i, r := range b.CORS {
		rules[i] = types.CORSRule{
			AllowedOrigins: slices.Clone(r.AllowedOrigins),
			AllowedMethods: slices.Clone(r.AllowedMethods),
			AllowedHeaders: slices.Clone(r.AllowedHeaders),
			ExposeHeaders:  slices.Clone(r.ExposeHeaders),
		}
		if r.MaxAgeSeconds != 0 {
			rules[i].MaxAgeSeconds = aws.Int32(int32(r.MaxAgeSeconds))
		}
	}
	_, err = c.PutBucketCors(ctx, &awss3.PutBucketCorsInput{
		Bucket:            aws.String(b.Name),
		CORSConfiguration: &types.CORSConfiguration{CORSRules: rules},
	})
	if err != nil {
		return fmt.Errorf("bucket %q: put CORS: %w", b.Name, err)
	}
	return nil
}

// getCORS returns the bucket's CORS rules, nil when it has no CORS
// configuration.
func getCORS(ctx context.Context, c *awss3.Client, bucket string) ([]CORSRule, error) {
	out, err := c.GetBucketCors(ctx, &awss3.GetBucketCorsInput{Bucket: aws.String(bucket)})
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "NoSuchCORSConfiguration" {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("bucket %q: get CORS: %w", bucket, err)
	}
	rules := make([]CORSRule, len(out.CORSRules))
	for i, r := range out.CORSRules {
		rules[i] = CORSRule{
			AllowedOrigins: r.AllowedOrigins,
			AllowedMethods: r.AllowedMethods,
			AllowedHeaders: r.AllowedHeaders,
			ExposeHeaders:  r.ExposeHeaders,
			MaxAgeSeconds:  int(aws.ToInt32(r.MaxAgeSeconds)),
		}
	}
	return rules, nil
}

// equalCORSRule compares two rules field by field, order included (S3
// keeps it); a nil and an empty list are the same.
func equalCORSRule(a, b CORSRule) bool {
	return slices.Equal(a.AllowedOrigins, b.AllowedOrigins) &&
		slices.Equal(a.AllowedMethods, b.AllowedMethods) &&
		slices.Equal(a.AllowedHeaders, b.AllowedHeaders) &&
		slices.Equal(a.ExposeHeaders, b.ExposeHeaders) &&
		a.MaxAgeSeconds == b.MaxAgeSeconds
}
