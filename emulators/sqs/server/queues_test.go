package server_test

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/prodlike/prodlike/emulators/sqs/server"
)

func TestQueueLifecycle(t *testing.T) {
	e := start(t, server.WithAccountID("123456789012"), server.WithRegion("eu-west-1"))
	ctx := t.Context()
	url := e.createQueue(t, "jobs", nil)
	host := strings.TrimPrefix(e.ts.URL, "http://")
	if want := "http://" + host + "/123456789012/jobs"; url != want {
		t.Errorf("CreateQueue URL: got %s, want %s", url, want)
	}
	got, err := e.client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("jobs")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.QueueUrl) != url {
		t.Errorf("GetQueueUrl: got %s, want %s", aws.ToString(got.QueueUrl), url)
	}
	if arn := e.attributes(t, url)["QueueArn"]; arn != "arn:aws:sqs:eu-west-1:123456789012:jobs" {
		t.Errorf("QueueArn: got %s, want arn:aws:sqs:eu-west-1:123456789012:jobs", arn)
	}
	_, err = e.client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("jobs"), QueueOwnerAWSAccountId: aws.String("999999999999")})
	wantCode(t, err, "AWS.SimpleQueueService.NonExistentQueue")

	if _, err := e.client.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("jobs")})
	var dne *types.QueueDoesNotExist
	if !errors.As(err, &dne) {
		t.Fatalf("GetQueueUrl after DeleteQueue: got %v, want types.QueueDoesNotExist", err)
	}
	if dne.ErrorCode() != "AWS.SimpleQueueService.NonExistentQueue" {
		t.Errorf("ErrorCode: got %s, want AWS.SimpleQueueService.NonExistentQueue", dne.ErrorCode())
	}
	_, err = e.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x")})
	if !errors.As(err, &dne) {
		t.Errorf("SendMessage to a deleted queue: got %v, want types.QueueDoesNotExist", err)
	}
}

func TestQueueURLOnAnyHost(t *testing.T) {
	e := start(t)
	e.createQueue(t, "jobs", nil)
	tests := []struct {
		url  string
		want bool
	}{
		{"http://sqs.us-east-1.amazonaws.com/000000000000/jobs", true},
		{"http://localstack:4566/000000000000/jobs", true},
		{"http://elsewhere/queue/jobs", true},
		{"http://elsewhere/111111111111/jobs", false},
		{"http://elsewhere/000000000000/nope", false},
	}
	for _, tt := range tests {
		_, err := e.client.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(tt.url)})
		if tt.want && err != nil {
			t.Errorf("QueueUrl %s: got %v, want it found", tt.url, err)
		}
		if !tt.want {
			var dne *types.QueueDoesNotExist
			if !errors.As(err, &dne) {
				t.Errorf("QueueUrl %s: got %v, want QueueDoesNotExist", tt.url, err)
			}
		}
	}
}

func TestListQueues(t *testing.T) {
	e := start(t)
	for _, name := range []string{"b-2", "a-1", "b-1", "c", "b-3"} {
		e.createQueue(t, name, nil)
	}
	names := func(urls []string) []string {
		var out []string
		for _, u := range urls {
			out = append(out, u[strings.LastIndex(u, "/")+1:])
		}
		return out
	}
	all, err := e.client.ListQueues(t.Context(), &sqs.ListQueuesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(all.QueueUrls), []string{"a-1", "b-1", "b-2", "b-3", "c"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ListQueues: got %v, want %v", got, want)
	}
	if all.NextToken != nil {
		t.Errorf("ListQueues without MaxResults: got NextToken %q, want none", *all.NextToken)
	}

	// Pages of two with a prefix, through the SDK's paginator.
	var got []string
	pages := 0
	p := sqs.NewListQueuesPaginator(e.client, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("b-"), MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		got = append(got, names(out.QueueUrls)...)
	}
	if want := []string{"b-1", "b-2", "b-3"}; !reflect.DeepEqual(got, want) || pages != 2 {
		t.Errorf("paginated ListQueues: got %v in %d pages, want %v in 2", got, pages, want)
	}

	_, err = e.client.ListQueues(t.Context(), &sqs.ListQueuesInput{MaxResults: aws.Int32(1001)})
	wantCode(t, err, "InvalidParameterValue")
	_, err = e.client.ListQueues(t.Context(), &sqs.ListQueuesInput{MaxResults: aws.Int32(1), NextToken: aws.String("!!")})
	wantCode(t, err, "InvalidParameterValue")
}

func TestCreateQueueExisting(t *testing.T) {
	e := start(t)
	url := e.createQueue(t, "jobs", map[string]string{"VisibilityTimeout": "60"})
	tests := []struct {
		name  string
		attrs map[string]string
		code  string // "" for success
	}{
		{"no attributes", nil, ""},
		{"same value", map[string]string{"VisibilityTimeout": "60"}, ""},
		{"a default it has", map[string]string{"DelaySeconds": "0"}, ""},
		{"FifoQueue false", map[string]string{"FifoQueue": "false"}, ""},
		{"different value", map[string]string{"VisibilityTimeout": "30"}, "QueueAlreadyExists"},
		{"unset attribute", map[string]string{"Policy": `{"Version":"2012-10-17"}`}, "QueueAlreadyExists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := e.client.CreateQueue(t.Context(), &sqs.CreateQueueInput{QueueName: aws.String("jobs"), Attributes: tt.attrs})
			if tt.code == "" {
				if err != nil || aws.ToString(out.QueueUrl) != url {
					t.Fatalf("CreateQueue again: got %v, %v; want %s", out, err, url)
				}
				return
			}
			var qne *types.QueueNameExists
			if !errors.As(err, &qne) {
				t.Fatalf("CreateQueue: got %v, want types.QueueNameExists", err)
			}
			wantCode(t, err, tt.code)
		})
	}
}

func TestCreateQueueRejects(t *testing.T) {
	e := start(t)
	e.createQueue(t, "dlq", nil)
	e.createQueue(t, "dlq.fifo", map[string]string{"FifoQueue": "true"})
	e.createQueue(t, "closed-dlq", map[string]string{"RedriveAllowPolicy": `{"redrivePermission":"denyAll"}`})
	tests := []struct {
		name  string
		queue string
		attrs map[string]string
		code  string
	}{
		{"empty name", "", nil, "MissingParameter"},
		{"bad character", "jobs!", nil, "InvalidParameterValue"},
		{"too long", strings.Repeat("a", 81), nil, "InvalidParameterValue"},
		{".fifo name, standard queue", "jobs.fifo", nil, "InvalidParameterValue"},
		{"FIFO without .fifo", "jobs", map[string]string{"FifoQueue": "true"}, "InvalidParameterValue"},
		{"FIFO name too long", strings.Repeat("a", 76) + ".fifo", map[string]string{"FifoQueue": "true"}, "InvalidParameterValue"},
		{"unknown attribute", "jobs", map[string]string{"Colour": "blue"}, "InvalidAttributeName"},
		{"read-only attribute", "jobs", map[string]string{"QueueArn": "arn:aws:sqs:us-east-1:000000000000:jobs"}, "InvalidAttributeName"},
		{"FIFO attribute on a standard queue", "jobs", map[string]string{"ContentBasedDeduplication": "true"}, "InvalidAttributeName"},
		{"VisibilityTimeout too high", "jobs", map[string]string{"VisibilityTimeout": "43201"}, "InvalidAttributeValue"},
		{"DelaySeconds not a number", "jobs", map[string]string{"DelaySeconds": "soon"}, "InvalidAttributeValue"},
		{"MaximumMessageSize too small", "jobs", map[string]string{"MaximumMessageSize": "1023"}, "InvalidAttributeValue"},
		{"MaximumMessageSize too large", "jobs", map[string]string{"MaximumMessageSize": "1048577"}, "InvalidAttributeValue"},
		{"MessageRetentionPeriod too short", "jobs", map[string]string{"MessageRetentionPeriod": "59"}, "InvalidAttributeValue"},
		{"ReceiveMessageWaitTimeSeconds too long", "jobs", map[string]string{"ReceiveMessageWaitTimeSeconds": "21"}, "InvalidAttributeValue"},
		{"FifoQueue not a boolean", "jobs.fifo", map[string]string{"FifoQueue": "yes"}, "InvalidAttributeValue"},
		{"bad DeduplicationScope", "jobs.fifo", map[string]string{"FifoQueue": "true", "DeduplicationScope": "global"}, "InvalidAttributeValue"},
		{"perMessageGroupId needs messageGroup scope", "jobs.fifo", map[string]string{"FifoQueue": "true", "FifoThroughputLimit": "perMessageGroupId"}, "InvalidAttributeValue"},
		{"Policy not JSON", "jobs", map[string]string{"Policy": "{"}, "InvalidAttributeValue"},
		{"RedrivePolicy not JSON", "jobs", map[string]string{"RedrivePolicy": "dlq"}, "InvalidAttributeValue"},
		{"RedrivePolicy maxReceiveCount 0", "jobs", map[string]string{"RedrivePolicy": redrive("dlq", 0)}, "InvalidAttributeValue"},
		{"RedrivePolicy to a missing queue", "jobs", map[string]string{"RedrivePolicy": redrive("nope", 3)}, "InvalidAttributeValue"},
		{"RedrivePolicy to a FIFO queue", "jobs", map[string]string{"RedrivePolicy": redrive("dlq.fifo", 3)}, "InvalidAttributeValue"},
		{"RedrivePolicy to a queue that denies it", "jobs", map[string]string{"RedrivePolicy": redrive("closed-dlq", 3)}, "InvalidAttributeValue"},
		{"RedriveAllowPolicy byQueue without queues", "jobs", map[string]string{"RedriveAllowPolicy": `{"redrivePermission":"byQueue"}`}, "InvalidAttributeValue"},
		{"KMS and SSE-SQS at once", "jobs", map[string]string{"KmsMasterKeyId": "alias/aws/sqs", "SqsManagedSseEnabled": "true"}, "InvalidAttributeValue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.client.CreateQueue(t.Context(), &sqs.CreateQueueInput{QueueName: aws.String(tt.queue), Attributes: tt.attrs})
			if tt.queue == "" {
				// The SDK checks required parameters before sending.
				if err == nil {
					t.Fatal("CreateQueue without a name: got nil, want an error")
				}
				return
			}
			wantCode(t, err, tt.code)
			if tt.code == "InvalidAttributeName" {
				var ian *types.InvalidAttributeName
				if !errors.As(err, &ian) {
					t.Errorf("got %T, want *types.InvalidAttributeName", err)
				}
			}
			if tt.code == "InvalidAttributeValue" {
				var iav *types.InvalidAttributeValue
				if !errors.As(err, &iav) {
					t.Errorf("got %T, want *types.InvalidAttributeValue", err)
				}
			}
		})
	}
	if got, err := e.client.ListQueues(t.Context(), &sqs.ListQueuesInput{QueueNamePrefix: aws.String("jobs")}); err != nil || len(got.QueueUrls) != 0 {
		t.Errorf("queues after failed CreateQueue calls: got %v, %v; want none", got.QueueUrls, err)
	}
}

func redrive(dlq string, max int) string {
	return fmt.Sprintf(`{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:%s","maxReceiveCount":%d}`, dlq, max)
}

func TestQueueAttributes(t *testing.T) {
	e, clock := startClock(t)
	created := clock.Now()
	std := e.createQueue(t, "std", nil)
	got := e.attributes(t, std)
	want := map[string]string{
		"QueueArn":                              "arn:aws:sqs:us-east-1:000000000000:std",
		"ApproximateNumberOfMessages":           "0",
		"ApproximateNumberOfMessagesNotVisible": "0",
		"ApproximateNumberOfMessagesDelayed":    "0",
		"CreatedTimestamp":                      strconv.FormatInt(created.Unix(), 10),
		"LastModifiedTimestamp":                 strconv.FormatInt(created.Unix(), 10),
		"VisibilityTimeout":                     "30",
		"MaximumMessageSize":                    "1048576",
		"MessageRetentionPeriod":                "345600",
		"DelaySeconds":                          "0",
		"ReceiveMessageWaitTimeSeconds":         "0",
		"SqsManagedSseEnabled":                  "true",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GetQueueAttributes All on a new standard queue:\ngot  %v\nwant %v", got, want)
	}

	fifo := e.createQueue(t, "f.fifo", map[string]string{"FifoQueue": "true"})
	got = e.attributes(t, fifo, "FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit", "VisibilityTimeout")
	want = map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "false", "DeduplicationScope": "messageQueue", "FifoThroughputLimit": "perQueue", "VisibilityTimeout": "30"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("named FIFO attributes:\ngot  %v\nwant %v", got, want)
	}

	// Set every settable attribute, then read them back.
	e.createQueue(t, "dlq", nil)
	clock.Advance(90 * time.Second)
	set := map[string]string{
		"DelaySeconds":                  "5",
		"MaximumMessageSize":            "2048",
		"MessageRetentionPeriod":        "600",
		"ReceiveMessageWaitTimeSeconds": "2",
		"VisibilityTimeout":             "45",
		"Policy":                        `{"Version":"2012-10-17","Statement":[]}`,
		"RedrivePolicy":                 `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":"4"}`,
		"RedriveAllowPolicy":            `{"redrivePermission":"allowAll"}`,
		"KmsMasterKeyId":                "alias/aws/sqs",
		"KmsDataKeyReusePeriodSeconds":  "600",
	}
	if _, err := e.client.SetQueueAttributes(t.Context(), &sqs.SetQueueAttributesInput{QueueUrl: aws.String(std), Attributes: set}); err != nil {
		t.Fatal(err)
	}
	got = e.attributes(t, std)
	for k, v := range set {
		if k == "RedrivePolicy" {
			// maxReceiveCount comes back a number, as from SQS.
			v = redrive("dlq", 4)
		}
		if got[k] != v {
			t.Errorf("%s after SetQueueAttributes: got %q, want %q", k, got[k], v)
		}
	}
	if got["SqsManagedSseEnabled"] != "false" {
		t.Errorf("SqsManagedSseEnabled with a KMS key: got %q, want false", got["SqsManagedSseEnabled"])
	}
	if want := strconv.FormatInt(clock.Now().Unix(), 10); got["LastModifiedTimestamp"] != want {
		t.Errorf("LastModifiedTimestamp: got %s, want %s", got["LastModifiedTimestamp"], want)
	}
	// An empty value removes an optional attribute.
	if _, err := e.client.SetQueueAttributes(t.Context(), &sqs.SetQueueAttributesInput{QueueUrl: aws.String(std), Attributes: map[string]string{"Policy": "", "RedrivePolicy": ""}}); err != nil {
		t.Fatal(err)
	}
	got = e.attributes(t, std)
	if _, ok := got["Policy"]; ok {
		t.Errorf("Policy after setting it empty: got %q, want it gone", got["Policy"])
	}
	if _, ok := got["RedrivePolicy"]; ok {
		t.Errorf("RedrivePolicy after setting it empty: got %q, want it gone", got["RedrivePolicy"])
	}

	for _, tt := range []struct {
		url   string
		attrs map[string]string
		code  string
	}{
		{std, map[string]string{"FifoQueue": "true"}, "InvalidAttributeName"},
		{std, map[string]string{"QueueArn": "x"}, "InvalidAttributeName"},
		{std, map[string]string{"VisibilityTimeout": "-1"}, "InvalidAttributeValue"},
		{fifo, map[string]string{"FifoThroughputLimit": "perMessageGroupId"}, "InvalidAttributeValue"},
	} {
		_, err := e.client.SetQueueAttributes(t.Context(), &sqs.SetQueueAttributesInput{QueueUrl: aws.String(tt.url), Attributes: tt.attrs})
		wantCode(t, err, tt.code)
	}
	// High throughput FIFO: both at once.
	if _, err := e.client.SetQueueAttributes(t.Context(), &sqs.SetQueueAttributesInput{QueueUrl: aws.String(fifo), Attributes: map[string]string{"FifoThroughputLimit": "perMessageGroupId", "DeduplicationScope": "messageGroup"}}); err != nil {
		t.Errorf("high-throughput FIFO settings: %v", err)
	}

	_, err := e.client.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(std), AttributeNames: []types.QueueAttributeName{"Colour"}})
	wantCode(t, err, "InvalidAttributeName")
	_, err = e.client.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(std), AttributeNames: []types.QueueAttributeName{"ContentBasedDeduplication"}})
	wantCode(t, err, "InvalidAttributeName")
}

func TestTags(t *testing.T) {
	e := start(t)
	out, err := e.client.CreateQueue(t.Context(), &sqs.CreateQueueInput{QueueName: aws.String("jobs"), Tags: map[string]string{"team": "core"}})
	if err != nil {
		t.Fatal(err)
	}
	url := out.QueueUrl
	if _, err := e.client.TagQueue(t.Context(), &sqs.TagQueueInput{QueueUrl: url, Tags: map[string]string{"env": "dev", "cost": "1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.UntagQueue(t.Context(), &sqs.UntagQueueInput{QueueUrl: url, TagKeys: []string{"cost"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := e.client.ListQueueTags(t.Context(), &sqs.ListQueueTagsInput{QueueUrl: url})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"team": "core", "env": "dev"}; !maps.Equal(tags.Tags, want) {
		t.Errorf("ListQueueTags: got %v, want %v", tags.Tags, want)
	}
	_, err = e.client.TagQueue(t.Context(), &sqs.TagQueueInput{QueueUrl: url, Tags: map[string]string{strings.Repeat("k", 129): "v"}})
	wantCode(t, err, "InvalidParameterValue")
}

func TestListDeadLetterSourceQueues(t *testing.T) {
	e := start(t)
	dlq := e.createQueue(t, "dlq", nil)
	for _, name := range []string{"b", "a", "c"} {
		e.createQueue(t, name, map[string]string{"RedrivePolicy": redrive("dlq", 3)})
	}
	e.createQueue(t, "other", nil)
	out, err := e.client.ListDeadLetterSourceQueues(t.Context(), &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(dlq)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range out.QueueUrls {
		got = append(got, u[strings.LastIndex(u, "/")+1:])
	}
	if want := []string{"a", "b", "c"}; !slices.Equal(got, want) {
		t.Errorf("ListDeadLetterSourceQueues: got %v, want %v", got, want)
	}
	out, err = e.client.ListDeadLetterSourceQueues(t.Context(), &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(dlq), MaxResults: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.QueueUrls) != 2 || out.NextToken == nil {
		t.Errorf("ListDeadLetterSourceQueues MaxResults 2: got %v and token %v, want 2 and a token", out.QueueUrls, out.NextToken)
	}
}
