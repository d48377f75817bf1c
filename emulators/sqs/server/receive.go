package server

import (
	"context"
	"slices"
	"strconv"
	"time"
)

// maxWait bounds a long poll (WaitTimeSeconds).
const maxWait = 20 * time.Second

// systemAttributeNames are the message system attributes ReceiveMessage
// can return.
var systemAttributeNames = []string{
	"All",
	"SenderId",
	"SentTimestamp",
	"ApproximateReceiveCount",
	"ApproximateFirstReceiveTimestamp",
	"SequenceNumber",
	"MessageDeduplicationId",
	"MessageGroupId",
	"AWSTraceHeader",
	"DeadLetterQueueSourceArn",
}

type receiveMessageInput struct {
	QueueUrl                    string
	AttributeNames              []string
	MessageSystemAttributeNames []string
	MessageAttributeNames       []string
	MaxNumberOfMessages         *int
	VisibilityTimeout           *int
	WaitTimeSeconds             *int
	// ReceiveRequestAttemptId is accepted and ignored: a retried FIFO
	// receive gets new messages, not the ones of the lost answer.
	ReceiveRequestAttemptId string
}

type messageOutput struct {
	MessageId              string
	ReceiptHandle          string
	MD5OfBody              string
	Body                   string
	Attributes             map[string]string    `json:",omitempty"`
	MD5OfMessageAttributes string               `json:",omitempty"`
	MessageAttributes      map[string]attrValue `json:",omitempty"`
}

type receiveMessageOutput struct {
	Messages []messageOutput `json:",omitempty"`
}

func (s *Server) receiveMessage(c *call, in *receiveMessageInput) (any, *Error) {
	q, err := s.queueByURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	n := 1
	if in.MaxNumberOfMessages != nil {
		n = *in.MaxNumberOfMessages
		if n < 1 || n > maxBatch {
			return nil, errInvalidParam(n, "MaxNumberOfMessages", "Must be between 1 and 10, if provided.")
		}
	}
	var vis *time.Duration
	if in.VisibilityTimeout != nil {
		v := *in.VisibilityTimeout
		if v < 0 || v > 43200 {
			return nil, errInvalidParam(v, "VisibilityTimeout", "Must be between 0 and 43200, if provided.")
		}
		d := time.Duration(v) * time.Second
		vis = &d
	}
	var wait *time.Duration
	if in.WaitTimeSeconds != nil {
		v := *in.WaitTimeSeconds
		if v < 0 || time.Duration(v)*time.Second > maxWait {
			return nil, errInvalidParam(v, "WaitTimeSeconds", "Must be >= 0 and <= 20, if provided.")
		}
		d := time.Duration(v) * time.Second
		wait = &d
	}
	// AttributeNames is the deprecated spelling; it also takes queue
	// attribute names, which mean nothing here.
	want := slices.Concat(in.AttributeNames, in.MessageSystemAttributeNames)
	for _, name := range in.MessageSystemAttributeNames {
		if !slices.Contains(systemAttributeNames, name) {
			return nil, apiError("InvalidAttributeName", "Unknown Attribute %s.", name)
		}
	}
	got := s.receive(c.ctx, q, n, vis, wait)
	out := receiveMessageOutput{}
	for _, r := range got {
		m := r.m
		mo := messageOutput{
			MessageId:     m.id,
			ReceiptHandle: r.receipt,
			MD5OfBody:     m.md5Body,
			Body:          m.body,
			Attributes:    systemAttributes(r, want),
		}
		if attrs := selectAttributes(m.attrs, in.MessageAttributeNames); len(attrs) > 0 {
			mo.MessageAttributes = attrs
			mo.MD5OfMessageAttributes = md5OfAttributes(attrs)
		}
		out.Messages = append(out.Messages, mo)
	}
	return out, nil
}

// receive takes up to n messages from q. With nothing to take it waits
// up to wait (nil: the queue's ReceiveMessageWaitTimeSeconds) for a send,
// a visibility timeout or a delay to make a message receivable, and
// returns as soon as one is, or with nothing when the wait, the request,
// the queue or the server ends. It sleeps on the queue's notification and
// on a timer for the next visibility change it knows of, never in a loop.
func (s *Server) receive(ctx context.Context, q *queue, n int, vis, wait *time.Duration) []receive {
	q.mu.Lock()
	w := q.cfg.wait
	q.mu.Unlock()
	if wait != nil {
		w = *wait
	}
	deadline := time.Now().Add(w)
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		dlq := s.deadLetterQueue(q)
		now := s.now()
		q.mu.Lock()
		if q.deleted {
			q.unlock()
			return nil
		}
		q.advance(now)
		v := q.cfg.visibility
		if vis != nil {
			v = *vis
		}
		got, moved := q.take(now, n, v, dlq != nil)
		remaining := time.Until(deadline)
		if len(got) > 0 || remaining <= 0 {
			q.unlock()
			s.moveToDeadLetter(q, dlq, moved)
			return got
		}
		notify := q.notify
		q.waiters++
		d := remaining
		if next, ok := q.nextTimer(); ok {
			if until := next.Sub(now); until < d {
				d = max(until, time.Millisecond)
			}
		}
		q.unlock()
		s.moveToDeadLetter(q, dlq, moved)

		if timer == nil {
			timer = time.NewTimer(d)
		} else {
			timer.Reset(d)
		}
		done := false
		select {
		case <-notify:
		case <-timer.C:
		case <-ctx.Done():
			done = true
		case <-s.closed:
			done = true
		}
		q.mu.Lock()
		q.waiters--
		q.mu.Unlock()
		if done {
			return nil
		}
	}
}

// deadLetterQueue returns q's dead-letter queue, nil if it has none or the
// queue is gone. It looks it up before q is locked: the server's lock is
// never taken while a queue's is held.
func (s *Server) deadLetterQueue(q *queue) *queue {
	q.mu.Lock()
	target := q.cfg.redriveTarget
	q.mu.Unlock()
	if target == "" {
		return nil
	}
	return s.lookup(target)
}

// systemAttributes returns the message system attributes asked for.
func systemAttributes(r receive, want []string) map[string]string {
	if len(want) == 0 {
		return nil
	}
	m := r.m
	all := slices.Contains(want, "All")
	out := map[string]string{}
	add := func(name, v string) {
		if v != "" && (all || slices.Contains(want, name)) {
			out[name] = v
		}
	}
	add("SenderId", m.senderID)
	add("SentTimestamp", millis(m.sentAt))
	add("ApproximateReceiveCount", strconv.Itoa(r.receiveCount))
	add("ApproximateFirstReceiveTimestamp", millis(r.firstReceive))
	add("SequenceNumber", m.seq)
	add("MessageDeduplicationId", m.dedupID)
	add("MessageGroupId", m.groupID)
	if a, ok := m.sysAttrs["AWSTraceHeader"]; ok {
		add("AWSTraceHeader", deref(a.StringValue))
	}
	add("DeadLetterQueueSourceArn", m.dlqSource)
	if len(out) == 0 {
		return nil
	}
	return out
}

// Deleting and changing visibility

type deleteMessageInput struct {
	QueueUrl      string
	ReceiptHandle string
}

type deleteMessageBatchInput struct {
	QueueUrl string
	Entries  []deleteEntry
}

type deleteEntry struct {
	Id            string
	ReceiptHandle string
}

type changeMessageVisibilityInput struct {
	QueueUrl          string
	ReceiptHandle     string
	VisibilityTimeout *int
}

type changeMessageVisibilityBatchInput struct {
	QueueUrl string
	Entries  []visibilityEntry
}

type visibilityEntry struct {
	Id                string
	ReceiptHandle     string
	VisibilityTimeout *int
}

// message finds the message a receipt handle names. A handle the server
// could not have made, or made for another queue, is invalid; a message
// that is no longer there comes back nil.
func (q *queue) message(handle string) (*message, *Error) {
	if handle == "" {
		return nil, errMissing("ReceiptHandle")
	}
	uid, id, ok := decodeReceipt(handle)
	if !ok || uid != q.uid {
		return nil, apiError("ReceiptHandleIsInvalid", "The input receipt handle %q is not a valid receipt handle.", handle)
	}
	return q.msgs[id], nil
}

// deleteMessage deletes the message a receipt handle names, as SQS does:
// deleting a message that is gone succeeds; on a standard queue, a handle
// from an earlier receive succeeds without deleting (the message was
// received again since); on a FIFO queue, a handle whose visibility
// timeout ran out is invalid.
func (q *queue) deleteMessage(handle string, now time.Time) *Error {
	q.advance(now)
	m, err := q.message(handle)
	if err != nil || m == nil {
		return err
	}
	if q.fifo && (m.receipt != handle || m.state != stateInflight) {
		return apiError("ReceiptHandleIsInvalid", "The receipt handle has expired.")
	}
	if m.receipt == handle {
		q.remove(m)
	}
	return nil
}

// changeVisibility sets the visibility timeout of an in-flight message,
// counted from now; 0 makes it receivable at once.
func (q *queue) changeVisibility(handle string, vis *int, now time.Time) *Error {
	if vis == nil {
		return errMissing("VisibilityTimeout")
	}
	if *vis < 0 || *vis > 43200 {
		return errInvalidParam(*vis, "VisibilityTimeout", "Must be between 0 and 43200.")
	}
	q.advance(now)
	m, err := q.message(handle)
	if err != nil {
		return err
	}
	if m == nil || m.receipt != handle {
		return errInvalidParam(handle, "ReceiptHandle", "Message does not exist or is not available for visibility timeout change.")
	}
	if m.state != stateInflight {
		return apiError("MessageNotInflight", "The message referred to isn't in flight.")
	}
	until := now.Add(time.Duration(*vis) * time.Second)
	if until.Sub(m.lastReceive) > maxVisibility {
		return errInvalidParam(*vis, "VisibilityTimeout", "Total VisibilityTimeout for the message is beyond the limit [43200 seconds].")
	}
	m.visibleAt = until
	fixTimer(q, m)
	q.advance(now)
	return nil
}

func (s *Server) deleteMessage(c *call, in *deleteMessageInput) (any, *Error) {
	q, err := s.queueByURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.unlock()
	if err := q.deleteMessage(in.ReceiptHandle, s.now()); err != nil {
		return nil, err
	}
	return empty{}, nil
}

func (s *Server) deleteMessageBatch(c *call, in *deleteMessageBatchInput) (any, *Error) {
	return batch(s, in.QueueUrl, in.Entries, func(e deleteEntry) string { return e.Id },
		func(q *queue, e deleteEntry, now time.Time) *Error { return q.deleteMessage(e.ReceiptHandle, now) })
}

func (s *Server) changeMessageVisibility(c *call, in *changeMessageVisibilityInput) (any, *Error) {
	q, err := s.queueByURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.unlock()
	if err := q.changeVisibility(in.ReceiptHandle, in.VisibilityTimeout, s.now()); err != nil {
		return nil, err
	}
	return empty{}, nil
}

func (s *Server) changeMessageVisibilityBatch(c *call, in *changeMessageVisibilityBatchInput) (any, *Error) {
	return batch(s, in.QueueUrl, in.Entries, func(e visibilityEntry) string { return e.Id },
		func(q *queue, e visibilityEntry, now time.Time) *Error {
			return q.changeVisibility(e.ReceiptHandle, e.VisibilityTimeout, now)
		})
}

// batch checks a batch's entry IDs, then applies do to each entry under the
// queue's lock, reporting every entry as Successful or Failed, as AWS does.
func batch[E any](s *Server, queueURL string, entries []E, id func(E) string, do func(*queue, E, time.Time) *Error) (any, *Error) {
	q, err := s.queueByURL(queueURL)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = id(e)
	}
	if err := checkBatch(ids); err != nil {
		return nil, err
	}
	out := batchOutput{Successful: []idEntry{}, Failed: []batchResultError{}}
	now := s.now()
	q.mu.Lock()
	defer q.unlock()
	for _, e := range entries {
		if err := do(q, e, now); err != nil {
			out.Failed = append(out.Failed, failed(id(e), err))
			continue
		}
		out.Successful = append(out.Successful, idEntry{Id: id(e)})
	}
	return out, nil
}
