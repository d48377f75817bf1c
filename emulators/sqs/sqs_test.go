package sqs

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/prodlike/prodlike/emulators"
	"github.com/prodlike/prodlike/emulators/sqs/server"
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

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
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

// startServer runs prodlike's SQS server in process on loopback and
// returns where it answers.
func startServer(t *testing.T, opts ...server.Option) (emulators.Endpoint, *fakeClock) {
	t.Helper()
	clock := &fakeClock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	srv := server.New(append([]server.Option{server.WithClock(clock.Now)}, opts...)...)
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
	})
	addr := ts.Listener.Addr().(*net.TCPAddr)
	return emulators.Endpoint{Host: "127.0.0.1", Port: addr.Port}, clock
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
			want: emulators.Container{Image: "ghcr.io/prodlike/prodlike", Cmd: []string{"emulate", "sqs", "--port", "9324", "--region", "us-east-1", "--account", "000000000000"}, Port: 9324},
		},
		{
			name:  "region and account",
			image: "ghcr.io/prodlike/prodlike:0.4.0",
			opts:  []Option{WithRegion("eu-west-3"), WithAccountID("123456789012")},
			want:  emulators.Container{Image: "ghcr.io/prodlike/prodlike:0.4.0", Cmd: []string{"emulate", "sqs", "--port", "9324", "--region", "eu-west-3", "--account", "123456789012"}, Port: 9324},
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
	if got := mustNew(t, "").Kind(); got != "sqs" {
		t.Errorf("Kind() = %q, want sqs", got)
	}
}

func TestEnvQueueURL(t *testing.T) {
	tests := map[string]string{
		"jobs":          "SQS_QUEUE_URL_JOBS",
		"jobs-dlq":      "SQS_QUEUE_URL_JOBS_DLQ",
		"orders.fifo":   "SQS_QUEUE_URL_ORDERS_FIFO",
		"Mixed_Case-2x": "SQS_QUEUE_URL_MIXED_CASE_2X",
	}
	for name, want := range tests {
		if got := EnvQueueURL(name); got != want {
			t.Errorf("EnvQueueURL(%q): got %s, want %s", name, got, want)
		}
	}
}

func TestEnv(t *testing.T) {
	queues := WithQueues(Queue{Name: "jobs", DeadLetter: "jobs-dlq", MaxReceiveCount: 5}, Queue{Name: "jobs-dlq"}, Queue{Name: "orders.fifo"})
	tests := []struct {
		name string
		opts []Option
		ep   emulators.Endpoint
		want map[string]string
	}{
		{
			name: "defaults, in-network form",
			opts: []Option{queues},
			ep:   emulators.Endpoint{Host: "queues", Port: 9324},
			want: map[string]string{
				"AWS_ENDPOINT_URL_SQS":      "http://queues:9324",
				"AWS_REGION":                "us-east-1",
				"AWS_ACCESS_KEY_ID":         "prodlike",
				"AWS_SECRET_ACCESS_KEY":     "prodlike-dev-secret",
				"SQS_QUEUE_URL_JOBS":        "http://queues:9324/000000000000/jobs",
				"SQS_QUEUE_URL_JOBS_DLQ":    "http://queues:9324/000000000000/jobs-dlq",
				"SQS_QUEUE_URL_ORDERS_FIFO": "http://queues:9324/000000000000/orders.fifo",
			},
		},
		{
			name: "renamed, own account and credentials, host form",
			opts: []Option{
				queues,
				WithAccountID("123456789012"),
				WithRegion("eu-west-1"),
				WithCredentials("AKIDEXAMPLE", "secret"),
				WithEnvNames(map[string]string{"SQS_QUEUE_URL_JOBS": "JOBS_QUEUE", "AWS_REGION": "AWS_DEFAULT_REGION"}),
			},
			ep: emulators.Endpoint{Host: "localhost", Port: 49324},
			want: map[string]string{
				"AWS_ENDPOINT_URL_SQS":      "http://localhost:49324",
				"AWS_DEFAULT_REGION":        "eu-west-1",
				"AWS_ACCESS_KEY_ID":         "AKIDEXAMPLE",
				"AWS_SECRET_ACCESS_KEY":     "secret",
				"JOBS_QUEUE":                "http://localhost:49324/123456789012/jobs",
				"SQS_QUEUE_URL_JOBS_DLQ":    "http://localhost:49324/123456789012/jobs-dlq",
				"SQS_QUEUE_URL_ORDERS_FIFO": "http://localhost:49324/123456789012/orders.fifo",
			},
		},
		{
			name: "IPv6 host, no queues",
			ep:   emulators.Endpoint{Host: "::1", Port: 9324},
			want: map[string]string{
				"AWS_ENDPOINT_URL_SQS":  "http://[::1]:9324",
				"AWS_REGION":            "us-east-1",
				"AWS_ACCESS_KEY_ID":     "prodlike",
				"AWS_SECRET_ACCESS_KEY": "prodlike-dev-secret",
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

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		want []string // substrings of the error, in order
	}{
		{"bad region", []Option{WithRegion("moon")}, []string{`region "moon"`}},
		{"bad account", []Option{WithAccountID("12345")}, []string{`account ID "12345"`}},
		{"empty secret", []Option{WithCredentials("a", "")}, []string{"credentials"}},
		{"bad queue name", []Option{WithQueues(Queue{Name: "jobs!"})}, []string{`queue "jobs!"`}},
		{"queue declared twice", []Option{WithQueues(Queue{Name: "a"}, Queue{Name: "a"})}, []string{`queue "a" is declared twice`}},
		{"FifoQueue without .fifo", []Option{WithQueues(Queue{Name: "jobs", Attributes: map[string]string{"FifoQueue": "true"}})}, []string{`queue "jobs"`, ".fifo"}},
		{".fifo with FifoQueue false", []Option{WithQueues(Queue{Name: "jobs.fifo", Attributes: map[string]string{"FifoQueue": "false"}})}, []string{`queue "jobs.fifo"`}},
		{"unknown attribute", []Option{WithQueues(Queue{Name: "jobs", Attributes: map[string]string{"Visibility": "30"}})}, []string{`attribute Visibility`}},
		{"read-only attribute", []Option{WithQueues(Queue{Name: "jobs", Attributes: map[string]string{"QueueArn": "x"}})}, []string{`attribute QueueArn`}},
		{"FIFO attribute on a standard queue", []Option{WithQueues(Queue{Name: "jobs", Attributes: map[string]string{"ContentBasedDeduplication": "true"}})}, []string{`attribute ContentBasedDeduplication`}},
		{"bad attribute value", []Option{WithQueues(Queue{Name: "jobs", Attributes: map[string]string{"VisibilityTimeout": "46800"}})}, []string{`attribute VisibilityTimeout`}},
		{"RedrivePolicy as an attribute", []Option{WithQueues(Queue{Name: "jobs", Attributes: map[string]string{"RedrivePolicy": "{}"}})}, []string{"declare DeadLetter"}},
		{"unknown dead-letter queue", []Option{WithQueues(Queue{Name: "jobs", DeadLetter: "dlq", MaxReceiveCount: 3})}, []string{`dead-letter queue "dlq" is not declared`}},
		{"own dead-letter queue", []Option{WithQueues(Queue{Name: "jobs", DeadLetter: "jobs", MaxReceiveCount: 3})}, []string{"its own dead-letter queue"}},
		{"FIFO with a standard dead-letter queue", []Option{WithQueues(Queue{Name: "jobs.fifo", DeadLetter: "dlq", MaxReceiveCount: 3}, Queue{Name: "dlq"})}, []string{"both be FIFO or both standard"}},
		{"MaxReceiveCount out of range", []Option{WithQueues(Queue{Name: "jobs", DeadLetter: "dlq", MaxReceiveCount: 1001}, Queue{Name: "dlq"})}, []string{"MaxReceiveCount 1001"}},
		{"MaxReceiveCount without a dead-letter queue", []Option{WithQueues(Queue{Name: "jobs", MaxReceiveCount: 3})}, []string{"MaxReceiveCount without a DeadLetter"}},
		{"two queues, one variable", []Option{WithQueues(Queue{Name: "a-b"}, Queue{Name: "a_b"})}, []string{`queues "a-b" and "a_b" both give SQS_QUEUE_URL_A_B`}},
		{"rename of a variable not set", []Option{WithQueues(Queue{Name: "jobs"}), WithEnvNames(map[string]string{"SQS_QUEUE_URL_OTHER": "X"})}, []string{`env rename "SQS_QUEUE_URL_OTHER"`}},
		{"rename to an invalid name", []Option{WithEnvNames(map[string]string{"AWS_REGION": "AWS-REGION"})}, []string{`"AWS-REGION": not a valid variable name`}},
		{
			"every problem at once, in order",
			[]Option{
				WithRegion("x"),
				WithQueues(
					Queue{Name: "b", Attributes: map[string]string{"DelaySeconds": "901", "Colour": "red"}},
					Queue{Name: "a", DeadLetter: "missing", MaxReceiveCount: 2},
				),
			},
			[]string{`region "x"`, `queue "b": attribute Colour`, `queue "b": attribute DelaySeconds`, `queue "a": dead-letter queue "missing"`},
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
			standintest.ErrorsInOrder(t, err, tt.want)
		})
	}
}

func TestNewAccepts(t *testing.T) {
	_, err := New("",
		WithQueues(
			Queue{Name: "orders.fifo", Attributes: map[string]string{"ContentBasedDeduplication": "true", "DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"}, DeadLetter: "orders-dlq.fifo", MaxReceiveCount: 1000},
			Queue{Name: "orders-dlq.fifo", Attributes: map[string]string{"FifoQueue": "true", "MessageRetentionPeriod": "1209600"}},
			Queue{Name: "a", DeadLetter: "b", MaxReceiveCount: 1},
			Queue{Name: "b", DeadLetter: "a", MaxReceiveCount: 1},
		),
		WithEnvNames(map[string]string{"SQS_QUEUE_URL_ORDERS_FIFO": "ORDERS_QUEUE_URL"}),
	)
	if err != nil {
		t.Errorf("New: %v", err)
	}
}

func TestOptionsDoNotAliasCallerMaps(t *testing.T) {
	attrs := map[string]string{"VisibilityTimeout": "60"}
	s := mustNew(t, "", WithQueues(Queue{Name: "jobs", Attributes: attrs}))
	attrs["VisibilityTimeout"] = "-1"
	if got := s.Queues()[0].Attributes["VisibilityTimeout"]; got != "60" {
		t.Errorf("VisibilityTimeout after changing the caller's map: got %s, want 60", got)
	}
	s.Queues()[0].Attributes["VisibilityTimeout"] = "1"
	if got := s.Queues()[0].Attributes["VisibilityTimeout"]; got != "60" {
		t.Errorf("VisibilityTimeout after changing a returned queue: got %s, want 60", got)
	}
}

func declared() Option {
	return WithQueues(
		Queue{Name: "jobs", Attributes: map[string]string{"VisibilityTimeout": "60", "DelaySeconds": "2"}, DeadLetter: "jobs-dlq", MaxReceiveCount: 5},
		Queue{Name: "jobs-dlq", Attributes: map[string]string{"MessageRetentionPeriod": "1209600"}},
		Queue{Name: "orders.fifo", Attributes: map[string]string{"ContentBasedDeduplication": "true"}, DeadLetter: "orders-dlq.fifo", MaxReceiveCount: 3},
		Queue{Name: "orders-dlq.fifo"},
	)
}

func TestConfigure(t *testing.T) {
	ep, clock := startServer(t, server.WithVersion("9.9.9"))
	s := mustNew(t, "", declared())
	if err := s.Ready(t.Context(), ep); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	if err := s.Configure(t.Context(), ep); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	f := readFacts(t, s, ep)
	if f.Version != "9.9.9" || f.ServerVersion() != "9.9.9" {
		t.Errorf("Version: got %q, want 9.9.9", f.Version)
	}
	var names []string
	for _, q := range f.Queues {
		names = append(names, q.Name)
	}
	if want := []string{"jobs", "jobs-dlq", "orders-dlq.fifo", "orders.fifo"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("queues: got %v, want %v", names, want)
	}
	for _, q := range s.Queues() {
		got, _ := f.Queue(q.Name)
		if got.DeadLetter != q.DeadLetter || got.MaxReceiveCount != q.MaxReceiveCount {
			t.Errorf("queue %s: dead letter %q after %d, want %q after %d", q.Name, got.DeadLetter, got.MaxReceiveCount, q.DeadLetter, q.MaxReceiveCount)
		}
		for k, v := range q.attributes() {
			if got.Attributes[k] != v {
				t.Errorf("queue %s: %s = %q, want %q", q.Name, k, got.Attributes[k], v)
			}
		}
		if got.URL != s.QueueURL(ep, q.Name) {
			t.Errorf("queue %s: URL %s, want %s (what Env gives)", q.Name, got.URL, s.QueueURL(ep, q.Name))
		}
	}
	if dlq, _ := f.Queue("jobs"); dlq.Attributes["RedrivePolicy"] != `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:jobs-dlq","maxReceiveCount":5}` {
		t.Errorf("jobs RedrivePolicy: got %s", dlq.Attributes["RedrivePolicy"])
	}

	// Again: nothing changes (no SetQueueAttributes moves
	// LastModifiedTimestamp on).
	before := lastModified(f)
	clock.Advance(time.Hour)
	if err := s.Configure(t.Context(), ep); err != nil {
		t.Fatalf("second Configure: %v", err)
	}
	if after := lastModified(readFacts(t, s, ep)); !reflect.DeepEqual(after, before) {
		t.Errorf("LastModifiedTimestamp after a second Configure: got %v, want unchanged %v", after, before)
	}

	// Someone changes an attribute, removes the redrive policy and deletes
	// a queue by hand; the next Configure puts it all back.
	c, done := s.client(ep, true)
	defer done()
	jobs, dlq := s.QueueURL(ep, "jobs"), s.QueueURL(ep, "orders-dlq.fifo")
	if _, err := c.SetQueueAttributes(t.Context(), &awssqs.SetQueueAttributesInput{QueueUrl: aws.String(jobs), Attributes: map[string]string{"VisibilityTimeout": "5", "RedrivePolicy": ""}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetQueueAttributes(t.Context(), &awssqs.SetQueueAttributesInput{QueueUrl: aws.String(s.QueueURL(ep, "orders.fifo")), Attributes: map[string]string{"RedrivePolicy": ""}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteQueue(t.Context(), &awssqs.DeleteQueueInput{QueueUrl: aws.String(dlq)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendMessage(t.Context(), &awssqs.SendMessageInput{QueueUrl: aws.String(jobs), MessageBody: aws.String("kept")}); err != nil {
		t.Fatal(err)
	}
	if err := s.Configure(t.Context(), ep); err != nil {
		t.Fatalf("Configure after changes: %v", err)
	}
	f = readFacts(t, s, ep)
	got, _ := f.Queue("jobs")
	if got.Attributes["VisibilityTimeout"] != "60" || got.DeadLetter != "jobs-dlq" || got.MaxReceiveCount != 5 {
		t.Errorf("jobs after Configure: VisibilityTimeout %s, dead letter %q after %d; want 60, jobs-dlq after 5", got.Attributes["VisibilityTimeout"], got.DeadLetter, got.MaxReceiveCount)
	}
	if got.Attributes["ApproximateNumberOfMessagesDelayed"] != "1" {
		t.Errorf("jobs after Configure: %s messages delayed, want the 1 sent (Configure leaves messages alone)", got.Attributes["ApproximateNumberOfMessagesDelayed"])
	}
	if got, ok := f.Queue("orders.fifo"); !ok || got.DeadLetter != "orders-dlq.fifo" {
		t.Errorf("orders.fifo after Configure: dead letter %q, want orders-dlq.fifo", got.DeadLetter)
	}
	if _, ok := f.Queue("orders-dlq.fifo"); !ok {
		t.Error("orders-dlq.fifo after Configure: missing, want it created again")
	}
}

func TestConfigureRemovesUndeclaredRedrive(t *testing.T) {
	ep, _ := startServer(t)
	with := mustNew(t, "", WithQueues(Queue{Name: "jobs", DeadLetter: "dlq", MaxReceiveCount: 2}, Queue{Name: "dlq"}))
	if err := with.Configure(t.Context(), ep); err != nil {
		t.Fatal(err)
	}
	without := mustNew(t, "", WithQueues(Queue{Name: "jobs"}, Queue{Name: "dlq"}))
	if err := without.Configure(t.Context(), ep); err != nil {
		t.Fatal(err)
	}
	if got, _ := readFacts(t, without, ep).Queue("jobs"); got.DeadLetter != "" {
		t.Errorf("jobs after a Configure without dead letter: got %q, want none", got.DeadLetter)
	}
}

func TestConfigureCycle(t *testing.T) {
	ep, _ := startServer(t)
	s := mustNew(t, "", WithQueues(Queue{Name: "a", DeadLetter: "b", MaxReceiveCount: 1}, Queue{Name: "b", DeadLetter: "a", MaxReceiveCount: 2}))
	if err := s.Configure(t.Context(), ep); err != nil {
		t.Fatal(err)
	}
	f := readFacts(t, s, ep)
	a, _ := f.Queue("a")
	b, _ := f.Queue("b")
	if a.DeadLetter != "b" || b.DeadLetter != "a" {
		t.Errorf("dead letters: a→%q b→%q, want a→b b→a", a.DeadLetter, b.DeadLetter)
	}
}

// The queues Configure makes do what their declaration says: a message
// received MaxReceiveCount times moves to the dead-letter queue.
func TestConfiguredRedriveWorks(t *testing.T) {
	ep, clock := startServer(t)
	s := mustNew(t, "", WithQueues(Queue{Name: "jobs", Attributes: map[string]string{"VisibilityTimeout": "10"}, DeadLetter: "jobs-dlq", MaxReceiveCount: 2}, Queue{Name: "jobs-dlq"}))
	if err := s.Configure(t.Context(), ep); err != nil {
		t.Fatal(err)
	}
	env := s.Env(ep)
	c, done := s.client(ep, true)
	defer done()
	jobs := aws.String(env["SQS_QUEUE_URL_JOBS"])
	if _, err := c.SendMessage(t.Context(), &awssqs.SendMessageInput{QueueUrl: jobs, MessageBody: aws.String("poison")}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := c.ReceiveMessage(t.Context(), &awssqs.ReceiveMessageInput{QueueUrl: jobs}); err != nil {
			t.Fatal(err)
		}
		clock.Advance(10 * time.Second)
	}
	out, err := c.ReceiveMessage(t.Context(), &awssqs.ReceiveMessageInput{QueueUrl: aws.String(env["SQS_QUEUE_URL_JOBS_DLQ"]), MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 || aws.ToString(out.Messages[0].Body) != "poison" {
		t.Fatalf("dead-letter queue: got %+v, want the message", out.Messages)
	}
}

func readFacts(t *testing.T, s *Standin, ep emulators.Endpoint) *Facts {
	t.Helper()
	f, err := s.Facts(t.Context(), ep)
	if err != nil {
		t.Fatalf("Facts: %v", err)
	}
	return f.(*Facts)
}

func lastModified(f *Facts) map[string]string {
	out := map[string]string{}
	for _, q := range f.Queues {
		out[q.Name] = q.Attributes["LastModifiedTimestamp"]
	}
	return out
}

func TestFactsOfAnotherServer(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	defer ts.Close()
	addr := ts.Listener.Addr().(*net.TCPAddr)
	f, err := mustNew(t, "").Facts(t.Context(), emulators.Endpoint{Host: "127.0.0.1", Port: addr.Port})
	if err == nil || f != nil {
		t.Errorf("Facts of a server that is not prodlike's: got %v, %v; want nil and an error", f, err)
	}
}

func TestReadyAndConfigureFail(t *testing.T) {
	ep := emulators.Endpoint{Host: "127.0.0.1", Port: standintest.FreePort(t)}
	s := mustNew(t, "", declared())
	if err := s.Configure(t.Context(), ep); err == nil {
		t.Error("Configure on a closed port: got nil, want an error")
	}
}

func TestContract(t *testing.T) {
	standintest.Contract(t, mustNew(t, "", declared()), readyTimeout)
}
