package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/jackc/pgx/v5"
	"github.com/prodlike/prodlike/emulators"
	goredis "github.com/redis/go-redis/v9"
)

// attemptTimeout bounds one probe attempt: polls go on until the arm's own
// timeout, so a hung attempt only delays the next one.
const attemptTimeout = 2 * time.Second

// debugProbes logs every probe attempt (BENCH_DEBUG_PROBES=1).
var debugProbes = os.Getenv("BENCH_DEBUG_PROBES") != ""

// probe is one host-side readiness check that does real work against a
// service. It is called again until it returns nil.
type probe struct {
	name  string // postgres, redis, s3, sqs, app
	check func(ctx context.Context) error
	close func()
}

// probeResult is when each probe first succeeded, since the arm's start.
type probeResult map[string]time.Duration

// all is when the last probe succeeded: the whole set was ready.
func (r probeResult) all() time.Duration {
	var last time.Duration
	for _, d := range r {
		last = max(last, d)
	}
	return last
}

// hedgeAfter is how long one attempt may run before a second one starts
// beside it, and maxInFlight how many may run at once: a stalled connection
// (a lost packet waits a second for its retransmission) does not hold up
// the figure when a fresh attempt would have gone through.
const (
	hedgeAfter  = 50 * time.Millisecond
	maxInFlight = 4
)

// runProbes polls every probe concurrently, each every poll until it first
// succeeds, and returns when each did, measured from start. A probe with a
// gate waits for it to close before its first attempt. It gives up at ctx's
// deadline with the probes' last errors.
//
// Gates keep the probes off a container's published port until Docker
// reports the container started: a connection that Docker's port proxy
// accepts before the container's network is up is sent to an address that
// is not there yet, and every connection to it then waits for the kernel's
// next neighbour (ARP) attempt, a second later — the benchmark would slow
// down the very stacks it measures, prodlike's own readiness checks
// included. Nothing can answer before its container started anyway.
func runProbes(ctx context.Context, start time.Time, poll time.Duration, probes []probe, gates map[string]<-chan struct{}) (probeResult, error) {
	var (
		mu   sync.Mutex
		res  = probeResult{}
		errs []error
		wg   sync.WaitGroup
	)
	for _, p := range probes {
		wg.Go(func() {
			if g := gates[p.name]; g != nil {
				select {
				case <-g:
				case <-ctx.Done():
					mu.Lock()
					errs = append(errs, fmt.Errorf("%s: its container did not start: %w", p.name, ctx.Err()))
					mu.Unlock()
					return
				}
			}
			at, err := pollProbe(ctx, start, poll, p)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("%s not ready: %w", p.name, err))
				return
			}
			res[p.name] = at
		})
	}
	wg.Wait()
	for _, p := range probes {
		if p.close != nil {
			p.close()
		}
	}
	return res, errors.Join(errs...)
}

// pollProbe runs p's attempts until one succeeds: the next one poll after a
// failure, or hedgeAfter into a slow one. It returns when the first success
// came, since start, once the other attempts have stopped.
func pollProbe(ctx context.Context, start time.Time, poll time.Duration, p probe) (time.Duration, error) {
	actx, cancel := context.WithCancel(ctx)
	results := make(chan error, maxInFlight)
	inFlight := 0
	launch := func() {
		inFlight++
		go func() {
			c, done := context.WithTimeout(actx, attemptTimeout)
			defer done()
			results <- p.check(c)
		}()
	}
	finish := func() {
		cancel()
		for ; inFlight > 0; inFlight-- {
			<-results
		}
	}
	defer finish()

	var last error
	launch()
	for {
		var hedge, next <-chan time.Time
		if inFlight > 0 && inFlight < maxInFlight {
			hedge = time.After(hedgeAfter)
		}
		if inFlight == 0 {
			next = time.After(poll)
		}
		select {
		case err := <-results:
			inFlight--
			if debugProbes {
				progress("    probe %s at %s: %v", p.name, time.Since(start).Round(time.Millisecond), err)
			}
			if err == nil {
				return time.Since(start), nil
			}
			last = err
		case <-hedge:
			launch()
		case <-next:
			launch()
		case <-ctx.Done():
			if last == nil {
				last = ctx.Err()
			}
			return 0, last
		}
	}
}

// awsAccess is what the S3 and SQS probes sign with.
type awsAccess struct {
	Region, KeyID, Secret string
}

// directHTTP is the stand-ins' direct HTTP client (no proxy), with each
// request bounded like every other probe attempt.
func directHTTP() (*http.Client, func()) {
	hc, tr := emulators.DirectHTTPClient(attemptTimeout)
	hc.Timeout = attemptTimeout
	return hc, tr.CloseIdleConnections
}

// postgresProbe connects (TLS where the URL asks for it) and runs SELECT 1.
func postgresProbe(url string) probe {
	return probe{name: "postgres", check: func(ctx context.Context) error {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return err
		}
		defer conn.Close(context.Background())
		var one int
		if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
			return err
		}
		if one != 1 {
			return fmt.Errorf("SELECT 1 returned %d", one)
		}
		return nil
	}}
}

// redisProbe sends PING.
func redisProbe(url string) (probe, error) {
	opts, err := goredis.ParseURL(url)
	if err != nil {
		return probe{}, fmt.Errorf("redis url: %w", err)
	}
	opts.MaxRetries = -1
	opts.DialTimeout = attemptTimeout
	opts.PoolSize = maxInFlight
	c := goredis.NewClient(opts)
	return probe{name: "redis", check: func(ctx context.Context) error {
		return c.Ping(ctx).Err()
	}, close: func() { c.Close() }}, nil
}

// s3Probe puts a small object into bucket and reads it back. With create,
// it first creates the bucket (what an init script does under plain
// compose, where nothing else does).
func s3Probe(endpoint, bucket string, a awsAccess, create bool) probe {
	hc, closeIdle := directHTTP()
	c := s3.New(s3.Options{
		Region:                     a.Region,
		BaseEndpoint:               aws.String(endpoint),
		Credentials:                credentials.NewStaticCredentialsProvider(a.KeyID, a.Secret, ""),
		UsePathStyle:               true,
		HTTPClient:                 hc,
		Retryer:                    aws.NopRetryer{},
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
	var created atomic.Bool
	var n atomic.Int64
	return probe{name: "s3", check: func(ctx context.Context) error {
		if create && !created.Load() {
			_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{
				Bucket: aws.String(bucket),
				CreateBucketConfiguration: &s3types.CreateBucketConfiguration{
					LocationConstraint: s3types.BucketLocationConstraint(a.Region),
				},
			})
			var owned *s3types.BucketAlreadyOwnedByYou
			if err != nil && !errors.As(err, &owned) {
				return fmt.Errorf("create bucket: %w", err)
			}
			created.Store(true)
		}
		attempt := strconv.FormatInt(n.Add(1), 10)
		body := []byte("bench probe " + attempt)
		// A key per attempt: attempts may overlap (see hedgeAfter).
		key := aws.String("bench/probe-" + attempt)
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: key, Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body)))}); err != nil {
			return fmt.Errorf("put: %w", err)
		}
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: key})
		if err != nil {
			return fmt.Errorf("get: %w", err)
		}
		got, err := io.ReadAll(out.Body)
		out.Body.Close()
		if err != nil {
			return fmt.Errorf("get: %w", err)
		}
		if !bytes.Equal(got, body) {
			return fmt.Errorf("get: got %q, want %q", got, body)
		}
		return nil
	}, close: closeIdle}
}

// sqsProbe sends a message to queueURL and receives it back (and deletes
// what it received). With create, it first creates the shop's queues — the
// dead-letter queue, then the jobs queue with its redrive policy — as an
// init script must under plain compose, and probes the dead-letter queue it
// got back; nothing consumes that queue, while the app's worker takes jobs.
func sqsProbe(endpoint, queueURL string, a awsAccess, create bool) probe {
	hc, closeIdle := directHTTP()
	c := sqs.New(sqs.Options{
		Region:       a.Region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(a.KeyID, a.Secret, ""),
		HTTPClient:   hc,
		Retryer:      aws.NopRetryer{},
	})
	var (
		n  atomic.Int64
		mu sync.Mutex
	)
	return probe{name: "sqs", check: func(ctx context.Context) error {
		mu.Lock()
		url := queueURL
		mu.Unlock()
		if create && url == "" {
			var err error
			if url, err = createShopQueues(ctx, c); err != nil {
				return err
			}
			mu.Lock()
			queueURL = url
			mu.Unlock()
		}
		queueURL := url
		body := "bench probe " + strconv.FormatInt(n.Add(1), 10)
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String(body)}); err != nil {
			return fmt.Errorf("send: %w", err)
		}
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10})
		if err != nil {
			return fmt.Errorf("receive: %w", err)
		}
		found := false
		for _, m := range out.Messages {
			found = found || aws.ToString(m.Body) == body
			if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
				return fmt.Errorf("delete: %w", err)
			}
		}
		if !found {
			return fmt.Errorf("receive: the message just sent did not come back (%d others)", len(out.Messages))
		}
		return nil
	}, close: closeIdle}
}

// createShopQueues creates jobs-dlq and jobs (visibility 60 s, redrive to
// jobs-dlq after 3 receives), as examples/shop declares them, and returns
// the dead-letter queue's URL. CreateQueue with the same attributes is
// idempotent, so a retry after a partial failure is safe.
func createShopQueues(ctx context.Context, c *sqs.Client) (string, error) {
	dlq, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("jobs-dlq"), Attributes: map[string]string{"MessageRetentionPeriod": "1209600"}})
	if err != nil {
		return "", fmt.Errorf("create jobs-dlq: %w", err)
	}
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: dlq.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return "", fmt.Errorf("jobs-dlq arn: %w", err)
	}
	redrive, _ := json.Marshal(map[string]string{"deadLetterTargetArn": attrs.Attributes["QueueArn"], "maxReceiveCount": "3"})
	if _, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("jobs"), Attributes: map[string]string{"VisibilityTimeout": "60", "RedrivePolicy": string(redrive)}}); err != nil {
		return "", fmt.Errorf("create jobs: %w", err)
	}
	return aws.ToString(dlq.QueueUrl), nil
}

// httpProbe GETs url and wants a 200.
func httpProbe(name, url string) probe {
	hc, closeIdle := directHTTP()
	return probe{name: name, check: func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		return nil
	}, close: closeIdle}
}

// healthcheck is the -healthcheck mode: what the compose files' healthchecks
// run inside the FROM scratch images that have no wget or curl. It GETs url
// once and succeeds on any status below 500 (the SQS server answers its root
// with 200, versitygw's --health path with 200).
func healthcheck(url string) error {
	hc, _ := directHTTP()
	resp, err := hc.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 500 {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}
