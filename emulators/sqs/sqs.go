// Package sqs is the Amazon SQS stand-in kind. The stand-in runs
// prodlike's own SQS server (package server, in the prodlike image as
// `prodlike emulate sqs`), which speaks the AWS JSON protocol of current
// SDKs. The package describes the container, probes readiness with the
// official SDK, creates the declared queues with their attributes and
// dead-letter redrive, gives the app the endpoint, region, credentials
// and queue URLs, and reads facts from the live server. It never starts
// containers: stack/docker does.
package sqs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/prodlike/prodlike/emulators"
	"github.com/prodlike/prodlike/emulators/sqs/server"
)

const (
	// Kind is what Standin.Kind returns.
	Kind = "sqs"
	// DefaultImage is prodlike's own image, which holds the server; New
	// uses it when given no image. Callers pass it with a tag.
	DefaultImage = "ghcr.io/prodlike/prodlike"
	// Port is the port the server listens on inside the container (the
	// one ElasticMQ made customary for local SQS).
	Port = 9324

	// EnvEndpoint, EnvRegion, EnvAccessKeyID and EnvSecretAccessKey are
	// the variables Env sets unless renamed: the AWS SDKs read them
	// (AWS_ENDPOINT_URL_SQS since 2023) without code changes.
	EnvEndpoint        = "AWS_ENDPOINT_URL_SQS"
	EnvRegion          = "AWS_REGION"
	EnvAccessKeyID     = "AWS_ACCESS_KEY_ID"
	EnvSecretAccessKey = "AWS_SECRET_ACCESS_KEY"
	// EnvQueueURLPrefix starts the variable that holds each queue's URL:
	// see EnvQueueURL.
	EnvQueueURLPrefix = "SQS_QUEUE_URL_"

	// DefaultAccessKeyID and DefaultSecretAccessKey are static
	// development credentials, not secrets: the server accepts any.
	DefaultAccessKeyID     = "prodlike"
	DefaultSecretAccessKey = "prodlike-dev-secret"
)

const (
	// readyTimeout bounds one Ready attempt when the caller's context
	// allows longer: callers poll, so a slow attempt only delays the next.
	readyTimeout = time.Second
	// factsTimeout bounds Facts and Configure when the caller's context
	// has no deadline.
	factsTimeout = 10 * time.Second
)

// Standin is a configured SQS stand-in. It implements emulators.Standin
// and emulators.Configurer and is safe for concurrent use.
type Standin struct {
	image string
	opts  options
}

var (
	_ emulators.Standin    = (*Standin)(nil)
	_ emulators.Configurer = (*Standin)(nil)
)

// New returns an SQS stand-in that runs image ("" means DefaultImage,
// untagged). It checks the options and returns an error wrapping
// ErrInvalidOption that lists every problem; a returned Standin is always
// valid.
func New(image string, opts ...Option) (*Standin, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("sqs: %w", err)
	}
	if image == "" {
		image = DefaultImage
	}
	return &Standin{image: image, opts: o}, nil
}

// Kind returns "sqs".
func (s *Standin) Kind() string { return Kind }

// Queues returns the declared queues, in declaration order.
func (s *Standin) Queues() []Queue {
	out := make([]Queue, len(s.opts.queues))
	for i, q := range s.opts.queues {
		out[i] = q.clone()
	}
	return out
}

// Container describes the container: `prodlike emulate sqs` on Port with
// the region and account. There is no DataDir: like SQS messages, which
// are not meant to outlive a deploy, the server keeps everything in
// memory, and Configure recreates the declared queues at every up.
func (s *Standin) Container() emulators.Container {
	return emulators.Container{
		Image: s.image,
		Cmd:   []string{"emulate", "sqs", "--port", fmt.Sprint(Port), "--region", s.opts.region, "--account", s.opts.accountID},
		Port:  Port,
	}
}

// Endpoint returns the URL a client at ep uses: http://host:port.
func (s *Standin) Endpoint(ep emulators.Endpoint) string { return "http://" + ep.Addr() }

// QueueURL returns the URL of queue name for a client at ep, the URL the
// server itself reports: http://host:port/account/name.
func (s *Standin) QueueURL(ep emulators.Endpoint, name string) string {
	return server.QueueURL(ep.Addr(), s.opts.accountID, name)
}

// EnvQueueURL returns the variable Env sets to a queue's URL: the name
// upper-cased, every character other than a letter or digit made '_', after
// SQS_QUEUE_URL_ ("jobs-dlq" gives SQS_QUEUE_URL_JOBS_DLQ, "orders.fifo"
// SQS_QUEUE_URL_ORDERS_FIFO).
func EnvQueueURL(name string) string {
	return EnvQueueURLPrefix + emulators.EnvSuffix(name)
}

// Env returns the endpoint, region and credentials the AWS SDKs read, and
// each queue's URL, under the service's names for them if renamed with
// WithEnvNames.
func (s *Standin) Env(ep emulators.Endpoint) map[string]string {
	n := s.opts.envNames
	env := map[string]string{
		n.Name(EnvEndpoint):        s.Endpoint(ep),
		n.Name(EnvRegion):          s.opts.region,
		n.Name(EnvAccessKeyID):     s.opts.accessKey,
		n.Name(EnvSecretAccessKey): s.opts.secretKey,
	}
	for _, q := range s.opts.queues {
		env[n.Name(EnvQueueURL(q.Name))] = s.QueueURL(ep, q.Name)
	}
	return env
}

// Ready makes one attempt: ListQueues through the SDK, without retries.
// One attempt takes at most about a second, less if ctx ends sooner.
func (s *Standin) Ready(ctx context.Context, ep emulators.Endpoint) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	c, done := s.client(ep, false)
	defer done()
	if _, err := c.ListQueues(ctx, &awssqs.ListQueuesInput{MaxResults: aws.Int32(1)}); err != nil {
		return fmt.Errorf("sqs at %s not ready: %w", ep.Addr(), err)
	}
	return nil
}

// client returns an SDK client for the stand-in at ep and a function that
// closes its connections. It retries (as the SDK does by default) only
// when asked: Ready makes one attempt.
func (s *Standin) client(ep emulators.Endpoint, retries bool) (*awssqs.Client, func()) {
	hc, done := s.httpClient()
	o := awssqs.Options{
		Region:       s.opts.region,
		BaseEndpoint: aws.String(s.Endpoint(ep)),
		Credentials:  credentials.NewStaticCredentialsProvider(s.opts.accessKey, s.opts.secretKey, ""),
		HTTPClient:   hc,
	}
	if !retries {
		o.Retryer = aws.NopRetryer{}
	}
	return awssqs.New(o), done
}

// httpClient returns the stand-in's own HTTP client and a function that
// closes its connections (see emulators.DirectHTTPClient).
func (s *Standin) httpClient() (*http.Client, func()) {
	hc, tr := emulators.DirectHTTPClient(readyTimeout)
	return hc, tr.CloseIdleConnections
}

// Configure makes the server at ep have the declared queues: it creates
// those missing, dead-letter queues first, sets declared attributes that
// differ, and points each queue with a DeadLetter at its dead-letter
// queue's ARN (read from the server) with the declared MaxReceiveCount,
// removing a redrive policy nobody declared. Other attributes and all
// messages are left alone. Without a deadline on ctx it gives up after
// ten seconds.
func (s *Standin) Configure(ctx context.Context, ep emulators.Endpoint) error {
	ctx, cancel := emulators.WithDefaultTimeout(ctx, factsTimeout)
	defer cancel()
	c, done := s.client(ep, true)
	defer done()

	urls := map[string]string{}
	for _, q := range s.creationOrder() {
		url, err := ensureQueue(ctx, c, q)
		if err != nil {
			return fmt.Errorf("sqs at %s: %w", ep.Addr(), err)
		}
		urls[q.Name] = url
	}
	for _, q := range s.opts.queues {
		if err := s.ensureRedrive(ctx, c, q, urls); err != nil {
			return fmt.Errorf("sqs at %s: queue %s: %w", ep.Addr(), q.Name, err)
		}
	}
	return nil
}

// creationOrder returns the queues with every dead-letter queue before
// the queues that use it, otherwise in declaration order. (A cycle of
// dead-letter queues is created in declaration order; the redrive
// policies are set once all exist.)
func (s *Standin) creationOrder() []Queue {
	byName := map[string]Queue{}
	for _, q := range s.opts.queues {
		byName[q.Name] = q
	}
	var order []Queue
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(q Queue)
	visit = func(q Queue) {
		if state[q.Name] != 0 {
			return
		}
		state[q.Name] = 1
		if dlq, ok := byName[q.DeadLetter]; ok {
			visit(dlq)
		}
		state[q.Name] = 2
		order = append(order, q)
	}
	for _, q := range s.opts.queues {
		visit(q)
	}
	return order
}

// ensureQueue creates q, or sets its declared attributes if it exists
// with others, and returns its URL.
func ensureQueue(ctx context.Context, c *awssqs.Client, q Queue) (string, error) {
	attrs := q.attributes()
	out, err := c.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String(q.Name), Attributes: attrs})
	var exists *types.QueueNameExists
	switch {
	case err == nil:
		return aws.ToString(out.QueueUrl), nil
	case !errors.As(err, &exists):
		return "", fmt.Errorf("create queue %s: %w", q.Name, err)
	}
	got, err := c.GetQueueUrl(ctx, &awssqs.GetQueueUrlInput{QueueName: aws.String(q.Name)})
	if err != nil {
		return "", fmt.Errorf("queue %s: %w", q.Name, err)
	}
	url := aws.ToString(got.QueueUrl)
	// FifoQueue is fixed at creation, and the name already decides it.
	delete(attrs, server.AttrFifoQueue)
	if _, err := c.SetQueueAttributes(ctx, &awssqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: attrs}); err != nil {
		return "", fmt.Errorf("set attributes of queue %s: %w", q.Name, err)
	}
	return url, nil
}

// ensureRedrive makes q's RedrivePolicy what its declaration says.
func (s *Standin) ensureRedrive(ctx context.Context, c *awssqs.Client, q Queue, urls map[string]string) error {
	url := urls[q.Name]
	got, err := c.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameRedrivePolicy}})
	if err != nil {
		return err
	}
	have := parseRedrive(got.Attributes[server.AttrRedrivePolicy])
	want := ""
	if q.DeadLetter != "" {
		dlq, err := c.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: aws.String(urls[q.DeadLetter]), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
		if err != nil {
			return fmt.Errorf("dead-letter queue %s: %w", q.DeadLetter, err)
		}
		p := redrivePolicy{DeadLetterTargetArn: dlq.Attributes[server.AttrQueueArn], MaxReceiveCount: q.MaxReceiveCount}
		if have == p {
			return nil
		}
		b, _ := json.Marshal(p)
		want = string(b)
	} else if have == (redrivePolicy{}) {
		return nil
	}
	_, err = c.SetQueueAttributes(ctx, &awssqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{server.AttrRedrivePolicy: want}})
	if err != nil {
		return fmt.Errorf("set RedrivePolicy: %w", err)
	}
	return nil
}

// redrivePolicy is the RedrivePolicy attribute's JSON.
type redrivePolicy struct {
	DeadLetterTargetArn string `json:"deadLetterTargetArn"`
	MaxReceiveCount     int    `json:"maxReceiveCount"`
}

// parseRedrive reads a RedrivePolicy; "" or a policy it cannot read gives
// the zero policy. maxReceiveCount may be a number or a string.
func parseRedrive(v string) redrivePolicy {
	var raw struct {
		DeadLetterTargetArn string          `json:"deadLetterTargetArn"`
		MaxReceiveCount     json.RawMessage `json:"maxReceiveCount"`
	}
	if v == "" || json.Unmarshal([]byte(v), &raw) != nil {
		return redrivePolicy{}
	}
	p := redrivePolicy{DeadLetterTargetArn: raw.DeadLetterTargetArn}
	n := strings.Trim(string(raw.MaxReceiveCount), `"`)
	fmt.Sscan(n, &p.MaxReceiveCount)
	return p
}

// queueName is the last segment of an ARN or URL.
func queueName(s string) string {
	return s[strings.LastIndexAny(s, ":/")+1:]
}
