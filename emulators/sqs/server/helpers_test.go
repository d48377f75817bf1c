package server_test

import (
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/prodlike/prodlike/emulators/sqs/server"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a server on loopback and an SDK client for it.
type env struct {
	srv    *server.Server
	ts     *httptest.Server
	client *sqs.Client
}

// start runs a server on loopback for the test, with the official SDK's
// client pointed at it (checksum validation on, as by default).
func start(t testing.TB, opts ...server.Option) *env {
	t.Helper()
	srv := server.New(opts...)
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
	})
	return &env{srv: srv, ts: ts, client: newClient(ts.URL)}
}

func newClient(url string) *sqs.Client {
	return sqs.New(sqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("a", "b", ""),
	})
}

// startClock is start with a fake clock.
func startClock(t testing.TB, opts ...server.Option) (*env, *fakeClock) {
	t.Helper()
	clock := newFakeClock()
	return start(t, append(opts, server.WithClock(clock.Now))...), clock
}

// createQueue creates a queue through the SDK and returns its URL.
func (e *env) createQueue(t testing.TB, name string, attrs map[string]string) string {
	t.Helper()
	out, err := e.client.CreateQueue(t.Context(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateQueue(%s): %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

func (e *env) send(t testing.TB, url, body string) *sqs.SendMessageOutput {
	t.Helper()
	out, err := e.client.SendMessage(t.Context(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body)})
	if err != nil {
		t.Fatalf("SendMessage(%q): %v", body, err)
	}
	return out
}

// receive makes one ReceiveMessage call without waiting.
func (e *env) receive(t testing.TB, url string, max int32, vis int32) []types.Message {
	t.Helper()
	out, err := e.client.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(url),
		MaxNumberOfMessages:         max,
		VisibilityTimeout:           vis,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	})
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	return out.Messages
}

func (e *env) attributes(t testing.TB, url string, names ...types.QueueAttributeName) map[string]string {
	t.Helper()
	if names == nil {
		names = []types.QueueAttributeName{types.QueueAttributeNameAll}
	}
	out, err := e.client.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: names})
	if err != nil {
		t.Fatalf("GetQueueAttributes: %v", err)
	}
	return out.Attributes
}

// counts returns ApproximateNumberOfMessages, …NotVisible and …Delayed.
func (e *env) counts(t testing.TB, url string) [3]string {
	t.Helper()
	a := e.attributes(t, url)
	return [3]string{a["ApproximateNumberOfMessages"], a["ApproximateNumberOfMessagesNotVisible"], a["ApproximateNumberOfMessagesDelayed"]}
}

// wantCode fails the test unless err is an API error with that code (as
// ErrorCode reports it).
func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got error %v, want an API error %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("got error code %s (%v), want %s", ae.ErrorCode(), err, code)
	}
}

func bodies(msgs []types.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, aws.ToString(m.Body))
	}
	return out
}
