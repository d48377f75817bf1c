package server_test

import (
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/prodlike/prodlike/emulators/sqs/server"
)

// BenchmarkSendReceive measures SDK round trips over loopback: one
// SendMessage, ReceiveMessage and DeleteMessage per message.
func BenchmarkSendReceive(b *testing.B) {
	e := start(b)
	url := aws.String(e.createQueue(b, "bench", nil))
	ctx := b.Context()
	body := aws.String("a message body of a typical size, some JSON perhaps: {\"order\":12345,\"items\":[1,2,3]}")
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		if _, err := e.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url, MessageBody: body}); err != nil {
			b.Fatal(err)
		}
		out, err := e.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url})
		if err != nil || len(out.Messages) != 1 {
			b.Fatalf("receive: %v, %v", out, err)
		}
		if _, err := e.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: url, ReceiptHandle: out.Messages[0].ReceiptHandle}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkSendMessageBatch measures sending batches of ten.
func BenchmarkSendMessageBatch(b *testing.B) {
	e := start(b)
	url := aws.String(e.createQueue(b, "bench", nil))
	ctx := b.Context()
	entries := make([]types.SendMessageBatchRequestEntry, 10)
	for i := range entries {
		entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String("message " + strconv.Itoa(i))}
	}
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		out, err := e.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: url, Entries: entries})
		if err != nil || len(out.Successful) != 10 {
			b.Fatalf("SendMessageBatch: %v, %v", out, err)
		}
	}
	b.ReportMetric(float64(10*b.N)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkStartToReady measures from New, through a loopback listener,
// to the first ListQueues answered through the SDK.
func BenchmarkStartToReady(b *testing.B) {
	ctx := b.Context()
	for b.Loop() {
		srv := server.New()
		ts := httptest.NewServer(srv)
		c := newClient(ts.URL)
		if _, err := c.ListQueues(ctx, &sqs.ListQueuesInput{}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		srv.Close()
		ts.Close()
		b.StartTimer()
	}
}
