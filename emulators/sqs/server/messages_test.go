package server_test

import (
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// attributesMD5 computes MD5OfMessageAttributes the way the SQS developer
// guide describes it, written apart from the server's code so that the
// two check each other.
func attributesMD5(attrs map[string]types.MessageAttributeValue) string {
	var buf bytes.Buffer
	field := func(b []byte) {
		binary.Write(&buf, binary.BigEndian, int32(len(b)))
		buf.Write(b)
	}
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		a := attrs[n]
		field([]byte(n))
		field([]byte(aws.ToString(a.DataType)))
		if a.BinaryValue != nil {
			buf.WriteByte(2)
			field(a.BinaryValue)
		} else {
			buf.WriteByte(1)
			field([]byte(aws.ToString(a.StringValue)))
		}
	}
	sum := md5.Sum(buf.Bytes())
	return hex.EncodeToString(sum[:])
}

func TestAttributesMD5KnownValues(t *testing.T) {
	// Digests other SQS clients check against SQS.
	tests := []struct {
		attrs map[string]types.MessageAttributeValue
		want  string
	}{
		{map[string]types.MessageAttributeValue{
			"SellerName": {DataType: aws.String("String"), StringValue: aws.String("Example Store")},
		}, "cd28f3b68aeee4b2eac9c66f2f694b58"},
		{map[string]types.MessageAttributeValue{
			"ordinal":  {DataType: aws.String("Number"), StringValue: aws.String("1")},
			"category": {DataType: aws.String("String"), StringValue: aws.String("test")},
		}, "d21ae90c49061e927f57df5f5d72be1f"},
	}
	for _, tt := range tests {
		if got := attributesMD5(tt.attrs); got != tt.want {
			t.Errorf("attributesMD5(%v): got %s, want %s", tt.attrs, got, tt.want)
		}
	}
	// And the server agrees.
	e := start(t)
	url := e.createQueue(t, "q", nil)
	for _, tt := range tests {
		out, err := e.client.SendMessage(t.Context(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), MessageAttributes: tt.attrs})
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(out.MD5OfMessageAttributes); got != tt.want {
			t.Errorf("MD5OfMessageAttributes: got %s, want %s", got, tt.want)
		}
	}
}

func TestSendReceiveAttributes(t *testing.T) {
	e, clock := startClock(t)
	url := e.createQueue(t, "q", nil)
	attrs := map[string]types.MessageAttributeValue{
		"name":       {DataType: aws.String("String"), StringValue: aws.String("Ünïcødé ✓")},
		"count":      {DataType: aws.String("Number"), StringValue: aws.String("-12.5e3")},
		"blob":       {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2, 255}},
		"order.id":   {DataType: aws.String("String.uuid"), StringValue: aws.String("42")},
		"order.kind": {DataType: aws.String("Binary.gz"), BinaryValue: []byte("gz")},
	}
	trace := "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"
	body := "hello\tworld\n\u00e9\U0001F600"
	sentAt := strconv.FormatInt(clock.Now().UnixMilli(), 10)
	sent, err := e.client.SendMessage(t.Context(), &sqs.SendMessageInput{
		QueueUrl:          aws.String(url),
		MessageBody:       aws.String(body),
		MessageAttributes: attrs,
		MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{
			"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String(trace)},
		},
	})
	if err != nil {
		t.Fatal(err) // the SDK checks MD5OfMessageBody
	}
	if got, want := aws.ToString(sent.MD5OfMessageAttributes), attributesMD5(attrs); got != want {
		t.Errorf("MD5OfMessageAttributes: got %s, want %s", got, want)
	}
	sys := map[string]types.MessageAttributeValue{"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String(trace)}}
	if got, want := aws.ToString(sent.MD5OfMessageSystemAttributes), attributesMD5(sys); got != want {
		t.Errorf("MD5OfMessageSystemAttributes: got %s, want %s", got, want)
	}

	tests := []struct {
		names []string
		want  []string
	}{
		{[]string{"All"}, []string{"blob", "count", "name", "order.id", "order.kind"}},
		{[]string{".*"}, []string{"blob", "count", "name", "order.id", "order.kind"}},
		{[]string{"order.*"}, []string{"order.id", "order.kind"}},
		{[]string{"name", "count"}, []string{"count", "name"}},
		{[]string{"missing"}, nil},
		{nil, nil},
	}
	for _, tt := range tests {
		out, err := e.client.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(url),
			MessageAttributeNames:       tt.names,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			VisibilityTimeout:           1,
		})
		if err != nil {
			t.Fatal(err) // the SDK checks MD5OfBody
		}
		if len(out.Messages) != 1 {
			t.Fatalf("ReceiveMessage: got %d messages, want 1", len(out.Messages))
		}
		m := out.Messages[0]
		if aws.ToString(m.Body) != body || aws.ToString(m.MessageId) != aws.ToString(sent.MessageId) {
			t.Errorf("got message %s %q, want %s %q", aws.ToString(m.MessageId), aws.ToString(m.Body), aws.ToString(sent.MessageId), body)
		}
		var names []string
		for n, a := range m.MessageAttributes {
			names = append(names, n)
			w := attrs[n]
			if aws.ToString(a.DataType) != aws.ToString(w.DataType) || aws.ToString(a.StringValue) != aws.ToString(w.StringValue) || !bytes.Equal(a.BinaryValue, w.BinaryValue) {
				t.Errorf("attribute %s: got %+v, want %+v", n, a, w)
			}
		}
		slices.Sort(names)
		if !slices.Equal(names, tt.want) {
			t.Errorf("MessageAttributeNames %q: got %v, want %v", tt.names, names, tt.want)
		}
		wantMD5 := ""
		if len(m.MessageAttributes) > 0 {
			wantMD5 = attributesMD5(m.MessageAttributes)
		}
		if got := aws.ToString(m.MD5OfMessageAttributes); got != wantMD5 {
			t.Errorf("MessageAttributeNames %q: MD5OfMessageAttributes got %q, want %q (of the attributes returned)", tt.names, got, wantMD5)
		}
		if m.Attributes["AWSTraceHeader"] != trace {
			t.Errorf("AWSTraceHeader: got %q, want %q", m.Attributes["AWSTraceHeader"], trace)
		}
		if m.Attributes["SentTimestamp"] != sentAt {
			t.Errorf("SentTimestamp: got %s, want %s", m.Attributes["SentTimestamp"], sentAt)
		}
		if m.Attributes["SenderId"] == "" {
			t.Error("SenderId: got none, want one")
		}
		clock.Advance(time.Second) // the visibility timeout runs out
	}
}

func TestSystemAttributeSelection(t *testing.T) {
	e := start(t)
	url := e.createQueue(t, "q", nil)
	e.send(t, url, "x")
	out, err := e.client.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(url),
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{"ApproximateReceiveCount"},
		AttributeNames:              []types.QueueAttributeName{"SentTimestamp"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for k := range out.Messages[0].Attributes {
		got = append(got, k)
	}
	slices.Sort(got)
	if want := []string{"ApproximateReceiveCount", "SentTimestamp"}; !slices.Equal(got, want) {
		t.Errorf("system attributes: got %v, want %v", got, want)
	}
	_, err = e.client.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MessageSystemAttributeNames: []types.MessageSystemAttributeName{"Colour"}})
	wantCode(t, err, "InvalidAttributeName")
}

func TestSendRejects(t *testing.T) {
	e := start(t)
	url := e.createQueue(t, "q", map[string]string{"MaximumMessageSize": "1024"})
	fifo := e.createQueue(t, "q.fifo", map[string]string{"FifoQueue": "true"})
	str := func(s string) types.MessageAttributeValue {
		return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(s)}
	}
	tests := []struct {
		name string
		in   sqs.SendMessageInput
		code string
	}{
		{"unknown queue", sqs.SendMessageInput{QueueUrl: aws.String(e.ts.URL + "/000000000000/nope"), MessageBody: aws.String("x")}, "AWS.SimpleQueueService.NonExistentQueue"},
		{"body over MaximumMessageSize", sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(strings.Repeat("x", 1025))}, "InvalidParameterValue"},
		{"body and attributes over MaximumMessageSize", sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(strings.Repeat("x", 1000)),
			MessageAttributes: map[string]types.MessageAttributeValue{"name": str(strings.Repeat("v", 20))}}, "InvalidParameterValue"},
		{"empty body", sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("")}, "MissingParameter"},
		{"NUL in body", sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("a\x00b")}, "InvalidMessageContents"},
		{"control character in body", sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("a\x1bb")}, "InvalidMessageContents"},
		{"DelaySeconds over 900", sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), DelaySeconds: 901}, "InvalidParameterValue"},
		{"dedup ID on a standard queue", sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), MessageDeduplicationId: aws.String("d")}, "InvalidParameterValue"},
		{"attribute name with AWS. prefix", sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"),
			MessageAttributes: map[string]types.MessageAttributeValue{"AWS.x": str("v")}}, "InvalidParameterValue"},
		{"attribute name with two dots", sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"),
			MessageAttributes: map[string]types.MessageAttributeValue{"a..b": str("v")}}, "InvalidParameterValue"},
		{"attribute name over 256 characters", sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"),
			MessageAttributes: map[string]types.MessageAttributeValue{strings.Repeat("n", 257): str("v")}}, "InvalidParameterValue"},
		{"attribute of unknown type", sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"),
			MessageAttributes: map[string]types.MessageAttributeValue{"a": {DataType: aws.String("Date"), StringValue: aws.String("v")}}}, "InvalidParameterValue"},
		{"Number that is not", sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"),
			MessageAttributes: map[string]types.MessageAttributeValue{"a": {DataType: aws.String("Number"), StringValue: aws.String("12a")}}}, "InvalidParameterValue"},
		{"Binary without a value", sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"),
			MessageAttributes: map[string]types.MessageAttributeValue{"a": {DataType: aws.String("Binary"), StringValue: aws.String("v")}}}, "InvalidParameterValue"},
		{"eleven attributes", sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), MessageAttributes: func() map[string]types.MessageAttributeValue {
			m := map[string]types.MessageAttributeValue{}
			for i := range 11 {
				m["a"+strconv.Itoa(i)] = str("v")
			}
			return m
		}()}, "InvalidParameterValue"},
		{"unknown system attribute", sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"),
			MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{"Colour": {DataType: aws.String("String"), StringValue: aws.String("v")}}}, "InvalidParameterValue"},
		{"FIFO without MessageGroupId", sqs.SendMessageInput{QueueUrl: aws.String(fifo), MessageBody: aws.String("x"), MessageDeduplicationId: aws.String("d")}, "MissingParameter"},
		{"FIFO without dedup ID or content-based dedup", sqs.SendMessageInput{QueueUrl: aws.String(fifo), MessageBody: aws.String("x"), MessageGroupId: aws.String("g")}, "InvalidParameterValue"},
		{"FIFO with per-message DelaySeconds", sqs.SendMessageInput{QueueUrl: aws.String(fifo), MessageBody: aws.String("x"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("d"), DelaySeconds: 5}, "InvalidParameterValue"},
		{"FIFO with a space in MessageGroupId", sqs.SendMessageInput{QueueUrl: aws.String(fifo), MessageBody: aws.String("x"), MessageGroupId: aws.String("a b"), MessageDeduplicationId: aws.String("d")}, "InvalidParameterValue"},
		{"FIFO with a 129-character dedup ID", sqs.SendMessageInput{QueueUrl: aws.String(fifo), MessageBody: aws.String("x"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String(strings.Repeat("d", 129))}, "InvalidParameterValue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.client.SendMessage(t.Context(), &tt.in)
			wantCode(t, err, tt.code)
		})
	}
	if got := e.counts(t, url); got != [3]string{"0", "0", "0"} {
		t.Errorf("counts after rejected sends: got %v, want none", got)
	}

	// MessageGroupId on a standard queue is accepted (fair queues) and
	// comes back.
	if _, err := e.client.SendMessage(t.Context(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x"), MessageGroupId: aws.String("tenant-1")}); err != nil {
		t.Fatalf("MessageGroupId on a standard queue: %v", err)
	}
	if m := e.receive(t, url, 1, 0); len(m) != 1 || m[0].Attributes["MessageGroupId"] != "tenant-1" {
		t.Errorf("MessageGroupId on a standard queue: got %v, want tenant-1 back", m)
	}
}

func TestReceiveRejects(t *testing.T) {
	e := start(t)
	url := e.createQueue(t, "q", nil)
	for _, in := range []sqs.ReceiveMessageInput{
		{QueueUrl: aws.String(url), MaxNumberOfMessages: 11},
		{QueueUrl: aws.String(url), MaxNumberOfMessages: -1},
		{QueueUrl: aws.String(url), WaitTimeSeconds: 21},
		{QueueUrl: aws.String(url), VisibilityTimeout: 43201},
	} {
		_, err := e.client.ReceiveMessage(t.Context(), &in)
		wantCode(t, err, "InvalidParameterValue")
	}
}

func TestBatches(t *testing.T) {
	e := start(t)
	url := e.createQueue(t, "q", nil)
	entry := func(id, body string) types.SendMessageBatchRequestEntry {
		return types.SendMessageBatchRequestEntry{Id: aws.String(id), MessageBody: aws.String(body)}
	}
	out, err := e.client.SendMessageBatch(t.Context(), &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{
		entry("a", "one"),
		entry("b", "bad\x00"),
		entry("c", "three"),
		{Id: aws.String("d"), MessageBody: aws.String("four"), DelaySeconds: 1000},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var ok, bad []string
	for _, s := range out.Successful {
		ok = append(ok, aws.ToString(s.Id))
	}
	for _, f := range out.Failed {
		bad = append(bad, aws.ToString(f.Id)+":"+aws.ToString(f.Code))
		if !f.SenderFault {
			t.Errorf("failed entry %s: SenderFault false, want true", aws.ToString(f.Id))
		}
	}
	if !slices.Equal(ok, []string{"a", "c"}) || !slices.Equal(bad, []string{"b:InvalidMessageContents", "d:InvalidParameterValue"}) {
		t.Errorf("SendMessageBatch: got successful %v failed %v, want [a c] and [b:InvalidMessageContents d:InvalidParameterValue]", ok, bad)
	}

	msgs := e.receive(t, url, 10, 30)
	if got := bodies(msgs); len(got) != 2 {
		t.Fatalf("received %v, want the two sent", got)
	}
	vis, err := e.client.ChangeMessageVisibilityBatch(t.Context(), &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url), Entries: []types.ChangeMessageVisibilityBatchRequestEntry{
		{Id: aws.String("x"), ReceiptHandle: msgs[0].ReceiptHandle, VisibilityTimeout: 0},
		{Id: aws.String("y"), ReceiptHandle: aws.String("not-a-handle"), VisibilityTimeout: 10},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(vis.Successful) != 1 || len(vis.Failed) != 1 || aws.ToString(vis.Failed[0].Code) != "ReceiptHandleIsInvalid" {
		t.Errorf("ChangeMessageVisibilityBatch: got %+v, want x successful and y ReceiptHandleIsInvalid", vis)
	}
	again := e.receive(t, url, 10, 30) // msgs[0] is visible again
	if len(again) != 1 || aws.ToString(again[0].MessageId) != aws.ToString(msgs[0].MessageId) {
		t.Fatalf("after visibility 0: got %v, want %s again", bodies(again), aws.ToString(msgs[0].Body))
	}
	del, err := e.client.DeleteMessageBatch(t.Context(), &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: []types.DeleteMessageBatchRequestEntry{
		{Id: aws.String("x"), ReceiptHandle: again[0].ReceiptHandle},
		{Id: aws.String("y"), ReceiptHandle: msgs[1].ReceiptHandle},
		{Id: aws.String("z"), ReceiptHandle: aws.String("garbage")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(del.Successful) != 2 || len(del.Failed) != 1 || aws.ToString(del.Failed[0].Id) != "z" {
		t.Errorf("DeleteMessageBatch: got %+v, want x and y successful, z failed", del)
	}
	if got := e.counts(t, url); got != [3]string{"0", "0", "0"} {
		t.Errorf("counts after deleting all: got %v, want zeros", got)
	}

	// Errors of the whole batch.
	many := make([]types.SendMessageBatchRequestEntry, 11)
	for i := range many {
		many[i] = entry("e"+strconv.Itoa(i), "x")
	}
	big := strings.Repeat("x", 600*1024)
	tests := []struct {
		name    string
		entries []types.SendMessageBatchRequestEntry
		code    string
	}{
		{"eleven entries", many, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"},
		{"no entries", []types.SendMessageBatchRequestEntry{}, "AWS.SimpleQueueService.EmptyBatchRequest"},
		{"same id twice", []types.SendMessageBatchRequestEntry{entry("a", "x"), entry("a", "y")}, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"},
		{"invalid id", []types.SendMessageBatchRequestEntry{entry("a.b", "x")}, "AWS.SimpleQueueService.InvalidBatchEntryId"},
		{"id over 80 characters", []types.SendMessageBatchRequestEntry{entry(strings.Repeat("i", 81), "x")}, "AWS.SimpleQueueService.InvalidBatchEntryId"},
		{"over 1 MiB in all", []types.SendMessageBatchRequestEntry{entry("a", big), entry("b", big)}, "AWS.SimpleQueueService.BatchRequestTooLong"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.client.SendMessageBatch(t.Context(), &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: tt.entries})
			wantCode(t, err, tt.code)
		})
	}
	var tooMany *types.TooManyEntriesInBatchRequest
	_, err = e.client.DeleteMessageBatch(t.Context(), &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: make([]types.DeleteMessageBatchRequestEntry, 11)})
	if err == nil || (!errors.As(err, &tooMany) && !strings.Contains(err.Error(), "Id")) {
		// The SDK may refuse entries without Id itself.
		t.Errorf("DeleteMessageBatch of 11: got %v, want an error", err)
	}
}

func TestVisibilityTimeout(t *testing.T) {
	e, clock := startClock(t)
	url := e.createQueue(t, "q", nil)
	sent := e.send(t, url, "job")
	first := e.receive(t, url, 1, 30)
	if len(first) != 1 || first[0].Attributes["ApproximateReceiveCount"] != "1" {
		t.Fatalf("first receive: got %+v, want the message with ApproximateReceiveCount 1", first)
	}
	firstAt := first[0].Attributes["ApproximateFirstReceiveTimestamp"]
	if got := e.counts(t, url); got != [3]string{"0", "1", "0"} {
		t.Errorf("counts in flight: got %v, want [0 1 0]", got)
	}
	clock.Advance(29 * time.Second)
	if got := e.receive(t, url, 1, 30); len(got) != 0 {
		t.Fatalf("receive inside the visibility timeout: got %v, want nothing", bodies(got))
	}
	clock.Advance(time.Second)
	second := e.receive(t, url, 1, 30)
	if len(second) != 1 || aws.ToString(second[0].MessageId) != aws.ToString(sent.MessageId) {
		t.Fatalf("receive after the visibility timeout: got %v, want the message again", bodies(second))
	}
	if got := second[0].Attributes["ApproximateReceiveCount"]; got != "2" {
		t.Errorf("ApproximateReceiveCount on redelivery: got %s, want 2", got)
	}
	if got := second[0].Attributes["ApproximateFirstReceiveTimestamp"]; got != firstAt {
		t.Errorf("ApproximateFirstReceiveTimestamp on redelivery: got %s, want %s", got, firstAt)
	}
	if aws.ToString(second[0].ReceiptHandle) == aws.ToString(first[0].ReceiptHandle) {
		t.Error("redelivery reused the receipt handle, want a new one")
	}

	// A stale handle deletes nothing on a standard queue, but succeeds.
	if _, err := e.client.DeleteMessage(t.Context(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: first[0].ReceiptHandle}); err != nil {
		t.Fatalf("DeleteMessage with a stale handle: %v", err)
	}
	if got := e.counts(t, url); got != [3]string{"0", "1", "0"} {
		t.Errorf("counts after deleting with a stale handle: got %v, want [0 1 0]", got)
	}

	// ChangeMessageVisibility extends, from now.
	if _, err := e.client.ChangeMessageVisibility(t.Context(), &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: second[0].ReceiptHandle, VisibilityTimeout: 100}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(99 * time.Second)
	if got := e.receive(t, url, 1, 30); len(got) != 0 {
		t.Fatalf("receive inside the extended timeout: got %v, want nothing", bodies(got))
	}
	// More than 12 hours from the receive is refused.
	_, err := e.client.ChangeMessageVisibility(t.Context(), &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: second[0].ReceiptHandle, VisibilityTimeout: 43200})
	wantCode(t, err, "InvalidParameterValue")
	clock.Advance(time.Second)
	// Visible again: not in flight.
	_, err = e.client.ChangeMessageVisibility(t.Context(), &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: second[0].ReceiptHandle, VisibilityTimeout: 10})
	var notInflight *types.MessageNotInflight
	if !errors.As(err, &notInflight) {
		t.Errorf("ChangeMessageVisibility on a visible message: got %v, want types.MessageNotInflight", err)
	}
	_, err = e.client.ChangeMessageVisibility(t.Context(), &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String("bogus"), VisibilityTimeout: 10})
	var invalid *types.ReceiptHandleIsInvalid
	if !errors.As(err, &invalid) {
		t.Errorf("ChangeMessageVisibility with a bogus handle: got %v, want types.ReceiptHandleIsInvalid", err)
	}

	third := e.receive(t, url, 1, 30)
	if len(third) != 1 || third[0].Attributes["ApproximateReceiveCount"] != "3" {
		t.Fatalf("third receive: got %+v, want ApproximateReceiveCount 3", third)
	}
	if _, err := e.client.DeleteMessage(t.Context(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: third[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	if got := e.receive(t, url, 1, 30); len(got) != 0 {
		t.Errorf("receive after DeleteMessage: got %v, want nothing", bodies(got))
	}
	// Deleting again succeeds.
	if _, err := e.client.DeleteMessage(t.Context(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: third[0].ReceiptHandle}); err != nil {
		t.Errorf("second DeleteMessage: %v", err)
	}
	// A handle from another queue is invalid.
	other := e.createQueue(t, "other", nil)
	_, err = e.client.DeleteMessage(t.Context(), &sqs.DeleteMessageInput{QueueUrl: aws.String(other), ReceiptHandle: third[0].ReceiptHandle})
	if !errors.As(err, &invalid) {
		t.Errorf("DeleteMessage with another queue's handle: got %v, want types.ReceiptHandleIsInvalid", err)
	}
}

func TestQueueVisibilityTimeoutDefault(t *testing.T) {
	e, clock := startClock(t)
	url := e.createQueue(t, "q", map[string]string{"VisibilityTimeout": "5"})
	e.send(t, url, "x")
	e.receive(t, url, 1, 0) // the queue's 5 s
	clock.Advance(4 * time.Second)
	if got := e.receive(t, url, 1, 0); len(got) != 0 {
		t.Fatalf("receive after 4 s of 5: got %v, want nothing", bodies(got))
	}
	clock.Advance(time.Second)
	if got := e.receive(t, url, 1, 0); len(got) != 1 {
		t.Fatalf("receive after 5 s: got %v, want the message", bodies(got))
	}
}

func TestDelaySeconds(t *testing.T) {
	e, clock := startClock(t)
	url := e.createQueue(t, "q", map[string]string{"DelaySeconds": "10"})
	e.send(t, url, "queue delay")
	if _, err := e.client.SendMessage(t.Context(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("own delay"), DelaySeconds: 20}); err != nil {
		t.Fatal(err)
	}
	if got := e.counts(t, url); got != [3]string{"0", "0", "2"} {
		t.Errorf("counts: got %v, want [0 0 2]", got)
	}
	if got := e.receive(t, url, 10, 30); len(got) != 0 {
		t.Fatalf("receive before any delay ends: got %v", bodies(got))
	}
	clock.Advance(10 * time.Second)
	if got := bodies(e.receive(t, url, 10, 30)); !slices.Equal(got, []string{"queue delay"}) {
		t.Fatalf("after 10 s: got %v, want [queue delay]", got)
	}
	clock.Advance(10 * time.Second)
	if got := bodies(e.receive(t, url, 10, 30)); !slices.Equal(got, []string{"own delay"}) {
		t.Fatalf("after 20 s: got %v, want [own delay]", got)
	}
}

func TestRetention(t *testing.T) {
	e, clock := startClock(t)
	url := e.createQueue(t, "q", map[string]string{"MessageRetentionPeriod": "120"})
	e.send(t, url, "old")
	clock.Advance(60 * time.Second)
	e.send(t, url, "new")
	e.receive(t, url, 1, 600) // "old" in flight still expires
	clock.Advance(60 * time.Second)
	if got := e.counts(t, url); got != [3]string{"1", "0", "0"} {
		t.Errorf("counts after the first message's retention: got %v, want [1 0 0]", got)
	}
	if got := bodies(e.receive(t, url, 10, 30)); !slices.Equal(got, []string{"new"}) {
		t.Errorf("received: got %v, want [new]", got)
	}
	// A shorter period applies to messages already queued.
	e.send(t, url, "newest")
	if _, err := e.client.SetQueueAttributes(t.Context(), &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{"MessageRetentionPeriod": "60"}}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(60 * time.Second)
	if got := e.counts(t, url); got != [3]string{"0", "0", "0"} {
		t.Errorf("counts after the period shrank: got %v, want zeros", got)
	}
}

func TestPurgeQueue(t *testing.T) {
	e, clock := startClock(t)
	url := e.createQueue(t, "q", nil)
	e.send(t, url, "a")
	e.send(t, url, "b")
	e.receive(t, url, 1, 30)
	if _, err := e.client.SendMessage(t.Context(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("c"), DelaySeconds: 60}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.PurgeQueue(t.Context(), &sqs.PurgeQueueInput{QueueUrl: aws.String(url)}); err != nil {
		t.Fatal(err)
	}
	if got := e.counts(t, url); got != [3]string{"0", "0", "0"} {
		t.Errorf("counts after purge: got %v, want zeros", got)
	}
	clock.Advance(59 * time.Second)
	_, err := e.client.PurgeQueue(t.Context(), &sqs.PurgeQueueInput{QueueUrl: aws.String(url)})
	var inProgress *types.PurgeQueueInProgress
	if !errors.As(err, &inProgress) {
		t.Errorf("second purge within 60 s: got %v, want types.PurgeQueueInProgress", err)
	}
	clock.Advance(time.Second)
	if _, err := e.client.PurgeQueue(t.Context(), &sqs.PurgeQueueInput{QueueUrl: aws.String(url)}); err != nil {
		t.Errorf("purge after 60 s: %v", err)
	}
	e.send(t, url, "after")
	if got := bodies(e.receive(t, url, 10, 30)); !slices.Equal(got, []string{"after"}) {
		t.Errorf("after purge: got %v, want [after]", got)
	}
}

func TestRedrive(t *testing.T) {
	e, clock := startClock(t)
	dlq := e.createQueue(t, "jobs-dlq", nil)
	url := e.createQueue(t, "jobs", map[string]string{"RedrivePolicy": redrive("jobs-dlq", 2), "VisibilityTimeout": "10"})
	sent := e.send(t, url, "poison")
	for i := 1; i <= 2; i++ {
		got := e.receive(t, url, 1, 0)
		if len(got) != 1 || got[0].Attributes["ApproximateReceiveCount"] != strconv.Itoa(i) {
			t.Fatalf("receive %d: got %+v, want the message", i, got)
		}
		clock.Advance(10 * time.Second)
	}
	if got := e.receive(t, url, 1, 0); len(got) != 0 {
		t.Fatalf("receive after maxReceiveCount receives: got %v, want nothing (moved)", bodies(got))
	}
	if got := e.counts(t, url); got != [3]string{"0", "0", "0"} {
		t.Errorf("source counts: got %v, want zeros", got)
	}
	got := e.receive(t, dlq, 1, 30)
	if len(got) != 1 || aws.ToString(got[0].MessageId) != aws.ToString(sent.MessageId) || aws.ToString(got[0].Body) != "poison" {
		t.Fatalf("dead-letter queue: got %+v, want the message", got)
	}
	if src := got[0].Attributes["DeadLetterQueueSourceArn"]; src != "arn:aws:sqs:us-east-1:000000000000:jobs" {
		t.Errorf("DeadLetterQueueSourceArn: got %q, want the source queue's ARN", src)
	}
}

func TestRedriveFIFO(t *testing.T) {
	e, clock := startClock(t)
	dlq := e.createQueue(t, "jobs-dlq.fifo", map[string]string{"FifoQueue": "true"})
	url := e.createQueue(t, "jobs.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true", "RedrivePolicy": redrive("jobs-dlq.fifo", 1)})
	for _, b := range []string{"1", "2"} {
		if _, err := e.client.SendMessage(t.Context(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(b), MessageGroupId: aws.String("g")}); err != nil {
			t.Fatal(err)
		}
	}
	if got := bodies(e.receive(t, url, 1, 5)); !slices.Equal(got, []string{"1"}) {
		t.Fatalf("first receive: got %v, want [1]", got)
	}
	clock.Advance(5 * time.Second)
	// "1" has had its receive: it moves, and "2" comes next.
	if got := bodies(e.receive(t, url, 1, 5)); !slices.Equal(got, []string{"2"}) {
		t.Fatalf("second receive: got %v, want [2]", got)
	}
	got := e.receive(t, dlq, 10, 5)
	if len(got) != 1 || aws.ToString(got[0].Body) != "1" || got[0].Attributes["MessageGroupId"] != "g" {
		t.Fatalf("dead-letter queue: got %+v, want message 1 of group g", got)
	}
}

func TestLongPoll(t *testing.T) {
	e := start(t)
	url := e.createQueue(t, "q", nil)

	t.Run("returns early when a message arrives", func(t *testing.T) {
		const arrival = 200 * time.Millisecond
		timer := time.AfterFunc(arrival, func() { e.send(t, url, "late") })
		defer timer.Stop()
		start := time.Now()
		out, err := e.client.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 10})
		elapsed := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		if got := bodies(out.Messages); !slices.Equal(got, []string{"late"}) {
			t.Fatalf("long poll: got %v, want [late]", got)
		}
		if elapsed < arrival/2 || elapsed > 3*time.Second {
			t.Errorf("long poll returned after %v, want about %v (well before 10 s)", elapsed, arrival)
		}
		e.client.DeleteMessage(t.Context(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: out.Messages[0].ReceiptHandle})
	})

	t.Run("returns when a visibility timeout ends", func(t *testing.T) {
		e.send(t, url, "again")
		e.receive(t, url, 1, 1)
		start := time.Now()
		out, err := e.client.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 10})
		elapsed := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		if got := bodies(out.Messages); !slices.Equal(got, []string{"again"}) {
			t.Fatalf("long poll: got %v, want [again]", got)
		}
		if elapsed > 3*time.Second {
			t.Errorf("long poll returned after %v, want about 1 s", elapsed)
		}
		e.client.DeleteMessage(t.Context(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: out.Messages[0].ReceiptHandle})
	})

	t.Run("waits the whole time for nothing", func(t *testing.T) {
		start := time.Now()
		out, err := e.client.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 1})
		elapsed := time.Since(start)
		if err != nil || len(out.Messages) != 0 {
			t.Fatalf("long poll on an empty queue: got %v, %v; want nothing", out, err)
		}
		if elapsed < time.Second || elapsed > 3*time.Second {
			t.Errorf("long poll of 1 s took %v", elapsed)
		}
	})

	t.Run("queue default wait", func(t *testing.T) {
		q := e.createQueue(t, "waits", map[string]string{"ReceiveMessageWaitTimeSeconds": "1"})
		start := time.Now()
		if got := e.receive(t, q, 1, 0); len(got) != 0 {
			t.Fatalf("got %v, want nothing", bodies(got))
		}
		if elapsed := time.Since(start); elapsed < time.Second {
			t.Errorf("receive on a queue with ReceiveMessageWaitTimeSeconds 1 took %v, want at least 1 s", elapsed)
		}
	})

	t.Run("many waiters, one message each", func(t *testing.T) {
		const n = 5
		var wg sync.WaitGroup
		results := make(chan string, n)
		for range n {
			wg.Go(func() {
				out, err := e.client.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 5, VisibilityTimeout: 60})
				if err != nil {
					t.Error(err)
					return
				}
				for _, m := range out.Messages {
					results <- aws.ToString(m.Body)
				}
			})
		}
		for i := range n {
			e.send(t, url, strconv.Itoa(i))
		}
		wg.Wait()
		close(results)
		var got []string
		for b := range results {
			got = append(got, b)
		}
		slices.Sort(got)
		if want := []string{"0", "1", "2", "3", "4"}; !slices.Equal(got, want) {
			t.Errorf("waiters received %v, want each of %v once", got, want)
		}
	})
}

func TestCloseEndsLongPolls(t *testing.T) {
	e := start(t)
	url := e.createQueue(t, "q", nil)
	done := make(chan time.Duration)
	go func() {
		start := time.Now()
		out, err := e.client.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 20})
		if err != nil || len(out.Messages) != 0 {
			t.Errorf("long poll ended by Close: got %v, %v; want no messages", out, err)
		}
		done <- time.Since(start)
	}()
	// By the time Close runs the poll waits or, if it is slow to start,
	// finds the server closed: either way it must end long before 20 s.
	time.AfterFunc(100*time.Millisecond, e.srv.Close)
	select {
	case elapsed := <-done:
		if elapsed > 5*time.Second {
			t.Errorf("long poll took %v after Close, want it to end at once", elapsed)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("long poll still waiting 10 s after Close")
	}
}

func TestDeleteQueueEndsLongPolls(t *testing.T) {
	e := start(t)
	url := e.createQueue(t, "q", nil)
	done := make(chan error)
	go func() {
		_, err := e.client.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 20})
		done <- err
	}()
	time.AfterFunc(100*time.Millisecond, func() {
		e.client.DeleteQueue(t.Context(), &sqs.DeleteQueueInput{QueueUrl: aws.String(url)})
	})
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("long poll on a deleted queue: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("long poll still waiting 10 s after DeleteQueue")
	}
}
