package server_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/prodlike/prodlike/emulators/sqs/server"
)

// post sends a raw request and returns the status, the decoded JSON body
// (nil if not JSON) and the headers.
func post(t *testing.T, url string, header map[string]string, body string) (int, map[string]string, http.Header) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]string
	json.Unmarshal(raw, &m)
	if m == nil {
		m = map[string]string{"raw": string(raw)}
	}
	return resp.StatusCode, m, resp.Header
}

func TestProtocolErrors(t *testing.T) {
	e := start(t)
	e.createQueue(t, "q", nil)
	signed := func(target string) map[string]string {
		return map[string]string{
			"X-Amz-Target":  target,
			"Content-Type":  "application/x-amz-json-1.0",
			"Authorization": "AWS4-HMAC-SHA256 Credential=a/20250601/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=00",
		}
	}
	tests := []struct {
		name       string
		header     map[string]string
		body       string
		status     int
		typ        string
		queryError string
	}{
		{"unknown action", signed("AmazonSQS.Frobnicate"), "{}", 400, "com.amazonaws.sqs#InvalidAction", "InvalidAction;Sender"},
		{"other service", signed("DynamoDB_20120810.ListTables"), "{}", 400, "com.amazonaws.sqs#InvalidAction", "InvalidAction;Sender"},
		{"malformed JSON", signed("AmazonSQS.ListQueues"), "{", 400, "com.amazon.coral.service#SerializationException", "SerializationException;Sender"},
		{"wrong JSON type", signed("AmazonSQS.ReceiveMessage"), `{"QueueUrl":"q","MaxNumberOfMessages":"ten"}`, 400, "com.amazon.coral.service#SerializationException", "SerializationException;Sender"},
		{"unknown queue", signed("AmazonSQS.GetQueueUrl"), `{"QueueName":"nope"}`, 400, "com.amazonaws.sqs#QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue;Sender"},
		{"missing QueueUrl", signed("AmazonSQS.PurgeQueue"), `{}`, 400, "com.amazonaws.sqs#MissingParameter", "MissingParameter;Sender"},
		{"invalid receipt handle", signed("AmazonSQS.DeleteMessage"), `{"QueueUrl":"http://x/000000000000/q","ReceiptHandle":"x"}`, 404, "com.amazonaws.sqs#ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid;Sender"},
		{"no Authorization", map[string]string{"X-Amz-Target": "AmazonSQS.ListQueues", "Content-Type": "application/x-amz-json-1.0"}, "{}", 403, "com.amazonaws.sqs#MissingAuthenticationToken", "MissingAuthenticationToken;Sender"},
		{"no X-Amz-Target", map[string]string{"Content-Type": "application/x-amz-json-1.0", "Authorization": "x"}, "{}", 400, "com.amazonaws.sqs#InvalidAction", "InvalidAction;Sender"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, h := post(t, e.ts.URL+"/", tt.header, tt.body)
			if status != tt.status || body["__type"] != tt.typ {
				t.Errorf("got %d %v, want %d with __type %s", status, body, tt.status, tt.typ)
			}
			if body["message"] == "" {
				t.Errorf("got no message in %v", body)
			}
			if got := h.Get("X-Amzn-Query-Error"); got != tt.queryError {
				t.Errorf("x-amzn-query-error: got %q, want %q", got, tt.queryError)
			}
			if got := h.Get("Content-Type"); got != "application/x-amz-json-1.0" {
				t.Errorf("Content-Type: got %q, want application/x-amz-json-1.0", got)
			}
		})
	}

	t.Run("query protocol", func(t *testing.T) {
		status, body, _ := post(t, e.ts.URL+"/", map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Authorization": "x"}, "Action=ListQueues&Version=2012-11-05")
		if status != 400 || !strings.Contains(body["raw"], "<Code>InvalidAction</Code>") || !strings.Contains(body["raw"], "JSON 1.0") {
			t.Errorf("query-protocol request: got %d %s, want 400 with an XML InvalidAction that names the JSON protocol", status, body["raw"])
		}
	})

	t.Run("known but unsupported action", func(t *testing.T) {
		_, err := e.client.AddPermission(t.Context(), &sqs.AddPermissionInput{QueueUrl: aws.String(e.ts.URL + "/000000000000/q"), Label: aws.String("l"), AWSAccountIds: []string{"1"}, Actions: []string{"SendMessage"}})
		var unsupported *types.UnsupportedOperation
		if !errors.As(err, &unsupported) {
			t.Errorf("AddPermission: got %v, want types.UnsupportedOperation", err)
		}
	})
}

func TestServerInfo(t *testing.T) {
	e := start(t, server.WithVersion("1.2.3"))
	resp, err := http.Get(e.ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		t.Fatal(err)
	}
	if info["server"] != "prodlike-sqs" || info["version"] != "1.2.3" {
		t.Errorf("GET /: got %v, want server prodlike-sqs version 1.2.3", info)
	}
	if got := resp.Header.Get(server.VersionHeader); got != "1.2.3" {
		t.Errorf("%s: got %q, want 1.2.3", server.VersionHeader, got)
	}
	// Every answer carries the version, errors too.
	_, _, h := post(t, e.ts.URL+"/", map[string]string{"X-Amz-Target": "AmazonSQS.Nope"}, "{}")
	if got := h.Get(server.VersionHeader); got != "1.2.3" {
		t.Errorf("%s on an error: got %q, want 1.2.3", server.VersionHeader, got)
	}
}

func TestCreateQueueFromGo(t *testing.T) {
	srv := server.New(server.WithRegion("eu-central-1"), server.WithAccountID("111122223333"))
	defer srv.Close()
	info, err := srv.CreateQueue("jobs.fifo", map[string]string{"FifoQueue": "true"})
	if err != nil {
		t.Fatal(err)
	}
	if want := (server.QueueInfo{Name: "jobs.fifo", ARN: "arn:aws:sqs:eu-central-1:111122223333:jobs.fifo", FIFO: true}); info != want {
		t.Errorf("CreateQueue: got %+v, want %+v", info, want)
	}
	if _, err := srv.CreateQueue("jobs.fifo", map[string]string{"FifoQueue": "true"}); err != nil {
		t.Errorf("CreateQueue again with the same attributes: %v", err)
	}
	_, err = srv.CreateQueue("jobs.fifo", map[string]string{"FifoQueue": "true", "VisibilityTimeout": "5"})
	var apiErr *server.Error
	if !errors.As(err, &apiErr) || apiErr.Code != "QueueNameExists" {
		t.Errorf("CreateQueue with other attributes: got %v, want a QueueNameExists *server.Error", err)
	}
	if got := srv.URL("localhost:9324", "jobs.fifo"); got != "http://localhost:9324/111122223333/jobs.fifo" {
		t.Errorf("URL: got %s", got)
	}
}

func TestValidateQueue(t *testing.T) {
	tests := []struct {
		name  string
		attrs map[string]string
		code  string
	}{
		{"jobs", nil, ""},
		{"jobs.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"}, ""},
		{"jobs", map[string]string{"RedrivePolicy": redrive("anything", 5)}, ""},
		{"jobs.fifo", nil, "InvalidParameterValue"},
		{"jobs", map[string]string{"Visibility": "1"}, "InvalidAttributeName"},
		{"jobs", map[string]string{"VisibilityTimeout": "x"}, "InvalidAttributeValue"},
	}
	for _, tt := range tests {
		err := server.ValidateQueue(tt.name, tt.attrs)
		var apiErr *server.Error
		switch {
		case tt.code == "" && err != nil:
			t.Errorf("ValidateQueue(%s, %v): %v, want nil", tt.name, tt.attrs, err)
		case tt.code != "" && (!errors.As(err, &apiErr) || apiErr.Code != tt.code):
			t.Errorf("ValidateQueue(%s, %v): got %v, want %s", tt.name, tt.attrs, err, tt.code)
		}
	}
}

func TestValidateAttribute(t *testing.T) {
	tests := []struct {
		fifo        bool
		name, value string
		code        string
	}{
		{false, "VisibilityTimeout", "30", ""},
		{true, "FifoThroughputLimit", "perMessageGroupId", ""}, // alone it is fine
		{false, "FifoThroughputLimit", "perQueue", "InvalidAttributeName"},
		{false, "ApproximateNumberOfMessages", "1", "InvalidAttributeName"},
		{true, "DeduplicationScope", "everywhere", "InvalidAttributeValue"},
	}
	for _, tt := range tests {
		err := server.ValidateAttribute(tt.fifo, tt.name, tt.value)
		var apiErr *server.Error
		switch {
		case tt.code == "" && err != nil:
			t.Errorf("ValidateAttribute(%v, %s, %s): %v, want nil", tt.fifo, tt.name, tt.value, err)
		case tt.code != "" && (!errors.As(err, &apiErr) || apiErr.Code != tt.code):
			t.Errorf("ValidateAttribute(%v, %s, %s): got %v, want %s", tt.fifo, tt.name, tt.value, err, tt.code)
		}
	}
}
