package sqs

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/prodlike/prodlike/emulators"
	"github.com/prodlike/prodlike/emulators/sqs/server"
)

// Facts is what a live SQS stand-in reports about itself.
type Facts struct {
	// Version is the server's version (prodlike's, for its own server).
	Version string
	// Queues are every queue on the server, sorted by name.
	Queues []QueueFacts
}

// QueueFacts is one queue as the server reports it.
type QueueFacts struct {
	Name string
	URL  string
	// Attributes are all of GetQueueAttributes: settings, QueueArn and
	// the approximate message counts.
	Attributes map[string]string
	// DeadLetter and MaxReceiveCount are read from RedrivePolicy; "" and
	// 0 without one.
	DeadLetter      string
	MaxReceiveCount int
}

var _ emulators.Facts = (*Facts)(nil)

// ServerVersion returns Version.
func (f *Facts) ServerVersion() string { return f.Version }

// Queue returns the facts of the queue name.
func (f *Facts) Queue(name string) (QueueFacts, bool) {
	i := slices.IndexFunc(f.Queues, func(q QueueFacts) bool { return q.Name == name })
	if i < 0 {
		return QueueFacts{}, false
	}
	return f.Queues[i], true
}

// Facts reads the live server at ep: its version from GET /, then every
// queue and its attributes through the SDK. Without a deadline on ctx it
// gives up after ten seconds.
func (s *Standin) Facts(ctx context.Context, ep emulators.Endpoint) (emulators.Facts, error) {
	f, err := s.facts(ctx, ep)
	if err != nil {
		return nil, fmt.Errorf("sqs facts at %s: %w", ep.Addr(), err)
	}
	return f, nil
}

func (s *Standin) facts(ctx context.Context, ep emulators.Endpoint) (*Facts, error) {
	ctx, cancel := emulators.WithDefaultTimeout(ctx, factsTimeout)
	defer cancel()
	c, done := s.client(ep, true)
	defer done()

	version, err := s.version(ctx, ep)
	if err != nil {
		return nil, err
	}
	f := &Facts{Version: version}
	p := awssqs.NewListQueuesPaginator(c, &awssqs.ListQueuesInput{MaxResults: aws.Int32(1000)})
	var urls []string
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		urls = append(urls, out.QueueUrls...)
	}
	for _, url := range urls {
		out, err := c.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
		if err != nil {
			return nil, fmt.Errorf("queue %s: %w", url, err)
		}
		q := QueueFacts{Name: queueName(url), URL: url, Attributes: out.Attributes}
		if p := parseRedrive(out.Attributes[server.AttrRedrivePolicy]); p.DeadLetterTargetArn != "" {
			q.DeadLetter = queueName(p.DeadLetterTargetArn)
			q.MaxReceiveCount = p.MaxReceiveCount
		}
		f.Queues = append(f.Queues, q)
	}
	slices.SortFunc(f.Queues, func(a, b QueueFacts) int { return strings.Compare(a.Name, b.Name) })
	return f, nil
}

// version asks the server what it is: GET / answers
// {"server":"prodlike-sqs","version":…}.
func (s *Standin) version(ctx context.Context, ep emulators.Endpoint) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.Endpoint(ep)+"/", nil)
	if err != nil {
		return "", err
	}
	c, done := s.httpClient()
	defer done()
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var info struct {
		Server  string `json:"server"`
		Version string `json:"version"`
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return "", fmt.Errorf("server info: %w", err)
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &info) != nil || info.Server != server.ServerName {
		return "", fmt.Errorf("GET / answered %s %q, want prodlike's SQS server", resp.Status, body)
	}
	return info.Version, nil
}
