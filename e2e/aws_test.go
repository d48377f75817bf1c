//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// The host's AWS SDK clients, configured only from what `prodlike env`
// printed, as a developer's shell would be after eval "$(prodlike env)".

func s3Client(env map[string]string) *s3.Client {
	return s3.New(s3.Options{
		Region:       env["AWS_REGION"],
		BaseEndpoint: aws.String(env["AWS_ENDPOINT_URL_S3"]),
		Credentials:  credentials.NewStaticCredentialsProvider(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], ""),
		UsePathStyle: env["S3_USE_PATH_STYLE"] == "true",
	})
}

func sqsClient(env map[string]string) *sqs.Client {
	return sqs.New(sqs.Options{
		Region:       env["AWS_REGION"],
		BaseEndpoint: aws.String(env["AWS_ENDPOINT_URL_SQS"]),
		Credentials:  credentials.NewStaticCredentialsProvider(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], ""),
	})
}

func queueAttributes(t *testing.T, c *sqs.Client, url string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
	})
	if err != nil {
		t.Fatalf("GetQueueAttributes %s: %v", url, err)
	}
	return out.Attributes
}

// redrive decodes a queue's RedrivePolicy attribute.
func redrive(t *testing.T, attrs map[string]string) (target string, maxReceives int) {
	t.Helper()
	var p struct {
		DeadLetterTargetArn string `json:"deadLetterTargetArn"`
		MaxReceiveCount     any    `json:"maxReceiveCount"` // AWS gives a number or a string
	}
	if err := json.Unmarshal([]byte(attrs["RedrivePolicy"]), &p); err != nil {
		t.Fatalf("RedrivePolicy %q: %v", attrs["RedrivePolicy"], err)
	}
	switch n := p.MaxReceiveCount.(type) {
	case float64:
		maxReceives = int(n)
	case string:
		_ = json.Unmarshal([]byte(n), &maxReceives)
	}
	return p.DeadLetterTargetArn, maxReceives
}

// eventually polls check until it returns true or the deadline passes; it
// waits on the system under test, never a fixed time.
func eventually(t *testing.T, what string, limit time.Duration, check func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last string
	for {
		ok, state := check()
		if ok {
			return
		}
		last = state
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v; last: %s", what, limit, last)
		}
		<-tick.C
	}
}
