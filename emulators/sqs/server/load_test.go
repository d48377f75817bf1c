package server_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// TestLoad runs producers and consumers at once on loopback through the
// SDK: every message must be delivered exactly once (the visibility
// timeout is longer than the test, so a second delivery would be two
// consumers holding the same message), and all within the deadline.
func TestLoad(t *testing.T) {
	const producers, perProducer, consumers = 8, 500, 8
	const total = producers * perProducer
	if testing.Short() {
		t.Skip("load test")
	}
	e := start(t)
	url := e.createQueue(t, "load", nil)
	ctx, cancel := context.WithTimeout(t.Context(), 25*time.Second)
	defer cancel()

	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			for i := range perProducer {
				body := fmt.Sprintf("%d-%d", p, i)
				if _, err := e.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body)}); err != nil {
					t.Errorf("send %s: %v", body, err)
					return
				}
			}
		})
	}

	var (
		mu       sync.Mutex
		seen     = make(map[string]int, total)
		received atomic.Int64
	)
	for range consumers {
		wg.Go(func() {
			for received.Load() < total && ctx.Err() == nil {
				out, err := e.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
					QueueUrl:            aws.String(url),
					MaxNumberOfMessages: 10,
					WaitTimeSeconds:     1,
					VisibilityTimeout:   300,
				})
				if err != nil {
					if ctx.Err() == nil {
						t.Errorf("receive: %v", err)
					}
					return
				}
				if len(out.Messages) == 0 {
					continue
				}
				entries := make([]types.DeleteMessageBatchRequestEntry, len(out.Messages))
				mu.Lock()
				for i, m := range out.Messages {
					seen[aws.ToString(m.Body)]++
					entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: m.ReceiptHandle}
				}
				mu.Unlock()
				received.Add(int64(len(out.Messages)))
				del, err := e.client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
				if err != nil {
					t.Errorf("delete: %v", err)
					return
				}
				if len(del.Failed) > 0 {
					t.Errorf("delete: %d entries failed: %+v", len(del.Failed), del.Failed[0])
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		t.Fatalf("load test did not finish: %d of %d messages received: %v", received.Load(), total, err)
	}
	if len(seen) != total {
		t.Errorf("distinct messages received: got %d, want %d", len(seen), total)
	}
	for body, n := range seen {
		if n != 1 {
			t.Errorf("message %s received %d times, want once", body, n)
		}
	}
	if got := e.counts(t, url); got != [3]string{"0", "0", "0"} {
		t.Errorf("counts after the load: got %v, want zeros", got)
	}
}
