package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

const (
	// receiveWait is the long poll of ReceiveMessage: SQS answers as soon as
	// a message arrives, or empty after this many seconds (its maximum).
	receiveWait = 20
	// receiveBatch is the most messages one ReceiveMessage returns (SQS's
	// maximum).
	receiveBatch = 10
)

// loadAWSConfig loads the SDK's configuration the SDK's own way: region,
// credentials and, for stand-ins, the service endpoints
// (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_SQS) come from its environment
// variables, shared config files or the task role.
func loadAWSConfig(ctx context.Context) (aws.Config, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("aws: load configuration: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, errors.New("aws: no region: set AWS_REGION (e.g. eu-west-1)")
	}
	return cfg, nil
}

// s3Store is the ObjectStore, backed by one S3 bucket.
type s3Store struct {
	client *s3.Client
	bucket string
}

// openS3 returns the store for bucket and waits until the bucket answers.
// pathStyle puts the bucket in the URL path rather than in the host name,
// which stand-ins reached by a plain host name need.
func openS3(ctx context.Context, cfg aws.Config, bucket string, pathStyle bool, log *slog.Logger) (*s3Store, error) {
	s := &s3Store{
		client: s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = pathStyle }),
		bucket: bucket,
	}
	if err := retry(ctx, log, "s3", s.Ping); err != nil {
		return nil, err
	}
	return s, nil
}

// Ping checks that the bucket exists and is reachable with the credentials.
func (s *s3Store) Ping(ctx context.Context) error {
	_, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(s.bucket)})
	return err
}

func (s *s3Store) Put(ctx context.Context, key, contentType string, body []byte) error {
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		ContentType:   aws.String(contentType),
	})
	return err
}

func (s *s3Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(key),
	})
	if err != nil {
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode() == "NoSuchKey" {
			return nil, fmt.Errorf("%w: %s", errNoObject, key)
		}
		return nil, err
	}
	return out.Body, nil
}

// newSQSClient returns the client that the jobs queue and its dead-letter
// queue share.
func newSQSClient(cfg aws.Config) *sqs.Client { return sqs.NewFromConfig(cfg) }

// sqsQueue is a JobQueue, backed by one SQS queue.
type sqsQueue struct {
	client *sqs.Client
	url    string
}

// openSQS returns the queue at url and waits until it answers.
func openSQS(ctx context.Context, client *sqs.Client, url string, log *slog.Logger) (*sqsQueue, error) {
	q := &sqsQueue{client: client, url: url}
	if err := retry(ctx, log, "sqs", q.Ping); err != nil {
		return nil, err
	}
	return q, nil
}

// Ping checks that the queue exists by reading its ARN.
func (q *sqsQueue) Ping(ctx context.Context) error {
	_, err := q.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(q.url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	return err
}

func (q *sqsQueue) Send(ctx context.Context, body string) error {
	_, err := q.client.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:    aws.String(q.url),
		MessageBody: aws.String(body),
	})
	return err
}

func (q *sqsQueue) Receive(ctx context.Context) ([]Message, error) {
	out, err := q.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:            aws.String(q.url),
		MaxNumberOfMessages: receiveBatch,
		WaitTimeSeconds:     receiveWait,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{
			sqstypes.MessageSystemAttributeNameApproximateReceiveCount,
		},
	})
	if err != nil {
		return nil, err
	}
	msgs := make([]Message, 0, len(out.Messages))
	for _, m := range out.Messages {
		count, _ := strconv.Atoi(m.Attributes[string(sqstypes.MessageSystemAttributeNameApproximateReceiveCount)])
		msgs = append(msgs, Message{
			ID:            aws.ToString(m.MessageId),
			Body:          aws.ToString(m.Body),
			ReceiptHandle: aws.ToString(m.ReceiptHandle),
			ReceiveCount:  count,
		})
	}
	return msgs, nil
}

func (q *sqsQueue) Delete(ctx context.Context, m Message) error {
	_, err := q.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{
		QueueUrl:      aws.String(q.url),
		ReceiptHandle: aws.String(m.ReceiptHandle),
	})
	return err
}

// Retry sets m's visibility timeout to 0: it can be received again at once.
func (q *sqsQueue) Retry(ctx context.Context, m Message) error {
	_, err := q.client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl:          aws.String(q.url),
		ReceiptHandle:     aws.String(m.ReceiptHandle),
		VisibilityTimeout: 0,
	})
	return err
}

// Depth returns the queue's ApproximateNumberOfMessages.
func (q *sqsQueue) Depth(ctx context.Context) (int64, error) {
	const attr = sqstypes.QueueAttributeNameApproximateNumberOfMessages
	out, err := q.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(q.url),
		AttributeNames: []sqstypes.QueueAttributeName{attr},
	})
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(out.Attributes[string(attr)], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("sqs: %s of %s: %w", attr, q.url, err)
	}
	return n, nil
}
