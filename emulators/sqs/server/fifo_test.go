package server_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

func sendFIFO(t testing.TB, e *env, url, group, dedup, body string) *sqs.SendMessageOutput {
	t.Helper()
	in := &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body), MessageGroupId: aws.String(group)}
	if dedup != "" {
		in.MessageDeduplicationId = aws.String(dedup)
	}
	out, err := e.client.SendMessage(t.Context(), in)
	if err != nil {
		t.Fatalf("SendMessage(%s/%s): %v", group, body, err)
	}
	return out
}

func TestFIFOGroups(t *testing.T) {
	e := start(t)
	url := e.createQueue(t, "q.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	var seqs []string
	for _, m := range []struct{ group, body string }{{"a", "a1"}, {"b", "b1"}, {"a", "a2"}, {"a", "a3"}, {"b", "b2"}} {
		out := sendFIFO(t, e, url, m.group, "", m.body)
		seqs = append(seqs, aws.ToString(out.SequenceNumber))
	}
	if !slices.IsSorted(seqs) || len(slices.Compact(slices.Clone(seqs))) != len(seqs) {
		t.Errorf("SequenceNumbers: got %v, want strictly increasing", seqs)
	}

	// One receive takes as much of one group as it can.
	first := e.receive(t, url, 2, 30)
	if got := bodies(first); !slices.Equal(got, []string{"a1", "a2"}) {
		t.Fatalf("first receive: got %v, want [a1 a2]", got)
	}
	// Group a is held while a1 and a2 are in flight; b goes on.
	if got := bodies(e.receive(t, url, 10, 30)); !slices.Equal(got, []string{"b1", "b2"}) {
		t.Fatalf("second receive: got %v, want [b1 b2]", got)
	}
	if got := e.receive(t, url, 10, 30); len(got) != 0 {
		t.Fatalf("third receive: got %v, want nothing while both groups are in flight", bodies(got))
	}
	// Deleting a1 alone does not release a: a2 is still in flight.
	if _, err := e.client.DeleteMessage(t.Context(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: first[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	if got := e.receive(t, url, 10, 30); len(got) != 0 {
		t.Fatalf("receive with a2 in flight: got %v, want nothing", bodies(got))
	}
	if _, err := e.client.DeleteMessage(t.Context(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: first[1].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	got := e.receive(t, url, 10, 30)
	if bodies(got)[0] != "a3" {
		t.Fatalf("after a1 and a2 are deleted: got %v, want [a3]", bodies(got))
	}
	for _, k := range []string{"MessageGroupId", "MessageDeduplicationId", "SequenceNumber"} {
		if got[0].Attributes[k] == "" {
			t.Errorf("FIFO message attribute %s: missing", k)
		}
	}
	if got[0].Attributes["SequenceNumber"] != seqs[3] {
		t.Errorf("SequenceNumber of a3: got %s, want %s", got[0].Attributes["SequenceNumber"], seqs[3])
	}
}

func TestFIFOVisibilityKeepsOrder(t *testing.T) {
	e, clock := startClock(t)
	url := e.createQueue(t, "q.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	for i := range 3 {
		sendFIFO(t, e, url, "g", "", strconv.Itoa(i))
	}
	first := e.receive(t, url, 1, 10)
	clock.Advance(10 * time.Second)
	// The visibility timeout ran out: the same message comes first again,
	// and its old handle no longer deletes it.
	again := e.receive(t, url, 1, 10)
	if aws.ToString(again[0].MessageId) != aws.ToString(first[0].MessageId) || again[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("after the timeout: got %v (count %s), want message 0 again with count 2", bodies(again), again[0].Attributes["ApproximateReceiveCount"])
	}
	_, err := e.client.DeleteMessage(t.Context(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: first[0].ReceiptHandle})
	var invalid *types.ReceiptHandleIsInvalid
	if !errors.As(err, &invalid) {
		t.Errorf("DeleteMessage on FIFO with an expired handle: got %v, want types.ReceiptHandleIsInvalid", err)
	}
	if _, err := e.client.DeleteMessage(t.Context(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: again[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	if got := bodies(e.receive(t, url, 10, 10)); !slices.Equal(got, []string{"1", "2"}) {
		t.Errorf("rest of the group: got %v, want [1 2]", got)
	}
}

func TestFIFODeduplication(t *testing.T) {
	e, clock := startClock(t)
	url := e.createQueue(t, "q.fifo", map[string]string{"FifoQueue": "true"})
	first := sendFIFO(t, e, url, "g", "order-1", "first")
	clock.Advance(4*time.Minute + 59*time.Second)
	dup := sendFIFO(t, e, url, "g", "order-1", "second")
	if aws.ToString(dup.MessageId) != aws.ToString(first.MessageId) || aws.ToString(dup.SequenceNumber) != aws.ToString(first.SequenceNumber) {
		t.Errorf("duplicate within 5 min: got ID %s seq %s, want the first's %s %s", aws.ToString(dup.MessageId), aws.ToString(dup.SequenceNumber), aws.ToString(first.MessageId), aws.ToString(first.SequenceNumber))
	}
	if got := e.counts(t, url); got[0] != "1" {
		t.Errorf("messages after a duplicate: got %s, want 1", got[0])
	}
	clock.Advance(time.Second)
	late := sendFIFO(t, e, url, "g", "order-1", "third")
	if aws.ToString(late.MessageId) == aws.ToString(first.MessageId) {
		t.Error("same ID 5 min later: got the first message's ID, want a new message")
	}
	if got := e.counts(t, url); got[0] != "2" {
		t.Errorf("messages after the window: got %s, want 2", got[0])
	}

	// Content-based: the body's SHA-256.
	cb := e.createQueue(t, "cb.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	a := sendFIFO(t, e, cb, "g", "", "same")
	b := sendFIFO(t, e, cb, "other-group", "", "same")
	if aws.ToString(a.MessageId) != aws.ToString(b.MessageId) {
		t.Errorf("same body, queue-wide scope: got two messages, want one")
	}
	m := e.receive(t, cb, 1, 30)
	if want := "0967115f2813a3541eaef77de9d9d5773f1c0c04314b0bbfe4ff3b3b1c55b5d5"; m[0].Attributes["MessageDeduplicationId"] != want {
		t.Errorf("content-based MessageDeduplicationId: got %s, want %s (SHA-256 of the body)", m[0].Attributes["MessageDeduplicationId"], want)
	}

	// Per-group scope: the same ID in two groups is two messages.
	pg := e.createQueue(t, "pg.fifo", map[string]string{"FifoQueue": "true", "DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"})
	x := sendFIFO(t, e, pg, "g1", "id", "x")
	y := sendFIFO(t, e, pg, "g2", "id", "y")
	z := sendFIFO(t, e, pg, "g1", "id", "z")
	if aws.ToString(x.MessageId) == aws.ToString(y.MessageId) || aws.ToString(x.MessageId) != aws.ToString(z.MessageId) {
		t.Errorf("per-group deduplication: got %s %s %s, want x≠y and x=z", aws.ToString(x.MessageId), aws.ToString(y.MessageId), aws.ToString(z.MessageId))
	}
}

func TestFIFOBatchKeepsOrder(t *testing.T) {
	e := start(t)
	url := e.createQueue(t, "q.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	var entries []types.SendMessageBatchRequestEntry
	for i := range 10 {
		entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(strconv.Itoa(i)), MessageGroupId: aws.String("g")})
	}
	out, err := e.client.SendMessageBatch(t.Context(), &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
	if err != nil || len(out.Successful) != 10 {
		t.Fatalf("SendMessageBatch: got %+v, %v; want 10 successful", out, err)
	}
	if got, want := bodies(e.receive(t, url, 10, 30)), []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}; !slices.Equal(got, want) {
		t.Errorf("received: got %v, want %v", got, want)
	}
}

// Several goroutines send to their own groups while several consumers
// receive: every group must come out in the order it went in, and no group
// may be with two consumers at once.
func TestFIFOConcurrentOrder(t *testing.T) {
	const groups, perGroup, consumers = 6, 40, 4
	e := start(t)
	url := e.createQueue(t, "q.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()

	var senders sync.WaitGroup
	for g := range groups {
		senders.Go(func() {
			for i := range perGroup {
				_, err := e.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(fmt.Sprintf("%d:%d", g, i)), MessageGroupId: aws.String(strconv.Itoa(g))})
				if err != nil {
					t.Errorf("send %d:%d: %v", g, i, err)
					return
				}
			}
		})
	}

	var (
		mu     sync.Mutex
		next   = make([]int, groups)  // next index expected per group
		holder = make([]bool, groups) // a consumer has the group
		total  atomic.Int64
	)
	var consumersWG sync.WaitGroup
	for range consumers {
		consumersWG.Go(func() {
			for total.Load() < groups*perGroup && ctx.Err() == nil {
				out, err := e.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60})
				if err != nil {
					if ctx.Err() == nil {
						t.Errorf("receive: %v", err)
					}
					return
				}
				held := map[int]bool{}
				mu.Lock()
				for _, m := range out.Messages {
					g, i, _ := strings.Cut(aws.ToString(m.Body), ":")
					gi, _ := strconv.Atoi(g)
					ii, _ := strconv.Atoi(i)
					if !held[gi] {
						if holder[gi] {
							t.Errorf("group %d received by two consumers at once", gi)
						}
						holder[gi] = true
						held[gi] = true
					}
					if ii != next[gi] {
						t.Errorf("group %d: got message %d, want %d", gi, ii, next[gi])
					}
					next[gi] = ii + 1
				}
				// Let go of the groups before deleting: the server holds
				// them until the deletes are done.
				for gi := range held {
					holder[gi] = false
				}
				mu.Unlock()
				for _, m := range out.Messages {
					if _, err := e.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
						t.Errorf("delete: %v", err)
					}
				}
				total.Add(int64(len(out.Messages)))
			}
		})
	}
	senders.Wait()
	consumersWG.Wait()
	if ctx.Err() != nil {
		t.Fatalf("gave up after %d of %d messages: %v", total.Load(), groups*perGroup, ctx.Err())
	}
	for g, n := range next {
		if n != perGroup {
			t.Errorf("group %d: got %d messages, want %d", g, n, perGroup)
		}
	}
}
