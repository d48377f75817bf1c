package server

import (
	"strconv"
	"time"
)

// maxBatchSize bounds the sum of a batch's message sizes.
const maxBatchSize = 1048576

type sendEntry struct {
	Id                      string
	MessageBody             *string
	DelaySeconds            *int
	MessageAttributes       map[string]attrValue
	MessageSystemAttributes map[string]attrValue
	MessageDeduplicationId  *string
	MessageGroupId          *string
}

type sendMessageInput struct {
	QueueUrl string
	sendEntry
}

type sendResult struct {
	Id                           string `json:",omitempty"`
	MD5OfMessageBody             string
	MD5OfMessageAttributes       string `json:",omitempty"`
	MD5OfMessageSystemAttributes string `json:",omitempty"`
	MessageId                    string
	SequenceNumber               string `json:",omitempty"`
}

type sendMessageBatchInput struct {
	QueueUrl string
	Entries  []sendEntry
}

type sendMessageBatchOutput struct {
	Successful []sendResult
	Failed     []batchResultError
}

// outgoing is a message checked on its own, before the queue sees it.
type outgoing struct {
	m     *message
	size  int
	delay *int
}

// prepare checks what SendMessage can check without the queue and builds
// the message, checksums included.
func (s *Server) prepare(e *sendEntry, now time.Time) (outgoing, *Error) {
	if e.MessageBody == nil || *e.MessageBody == "" {
		return outgoing{}, errMissing("MessageBody")
	}
	body := *e.MessageBody
	if !validText(body) {
		return outgoing{}, apiError("InvalidMessageContents", "Invalid characters found. Valid characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.")
	}
	attrSize, err := checkMessageAttributes(e.MessageAttributes)
	if err != nil {
		return outgoing{}, err
	}
	if err := checkSystemAttributes(e.MessageSystemAttributes); err != nil {
		return outgoing{}, err
	}
	for _, p := range []struct {
		name string
		v    *string
	}{{"MessageGroupId", e.MessageGroupId}, {"MessageDeduplicationId", e.MessageDeduplicationId}} {
		if p.v != nil && (len(*p.v) > 128 || !groupOrDedupID.MatchString(*p.v)) {
			return outgoing{}, errInvalidParam(*p.v, p.name, "It can be up to 128 characters long, of alphanumeric characters and punctuation.")
		}
	}
	m := &message{
		id:         newID(),
		body:       body,
		md5Body:    md5Hex(body),
		attrs:      e.MessageAttributes,
		md5Attrs:   md5OfAttributes(e.MessageAttributes),
		sysAttrs:   e.MessageSystemAttributes,
		md5Sys:     md5OfAttributes(e.MessageSystemAttributes),
		groupID:    deref(e.MessageGroupId),
		dedupID:    deref(e.MessageDeduplicationId),
		senderID:   s.opts.accountID,
		sentAt:     now,
		enqueuedAt: now,
	}
	return outgoing{m: m, size: len(body) + attrSize, delay: e.DelaySeconds}, nil
}

// send puts a prepared message into q, whose lock the caller holds, and
// returns what SendMessage answers. A FIFO duplicate inside the
// deduplication window is accepted but not queued: the answer names the
// message sent first.
func (q *queue) send(o outgoing, now time.Time) (sendResult, *Error) {
	m := o.m
	if o.size > q.cfg.maxSize {
		return sendResult{}, apiError("InvalidParameterValue", "One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", q.cfg.maxSize)
	}
	res := sendResult{MD5OfMessageBody: m.md5Body, MD5OfMessageAttributes: m.md5Attrs, MD5OfMessageSystemAttributes: m.md5Sys}
	delay := q.cfg.delay
	if !q.fifo {
		if m.dedupID != "" {
			return sendResult{}, errInvalidParam(m.dedupID, "MessageDeduplicationId", "The request includes a parameter that is not valid for this queue type.")
		}
		if o.delay != nil {
			if *o.delay < 0 || *o.delay > 900 {
				return sendResult{}, errInvalidParam(*o.delay, "DelaySeconds", "must be between 0 and 900, if provided.")
			}
			delay = time.Duration(*o.delay) * time.Second
		}
		m.visibleAt = now.Add(delay)
		q.add(m, now)
		res.MessageId = m.id
		return res, nil
	}

	if m.groupID == "" {
		return sendResult{}, errMissing("MessageGroupId")
	}
	if o.delay != nil && *o.delay != 0 {
		return sendResult{}, errInvalidParam(*o.delay, "DelaySeconds", "The request includes a parameter that is not valid for this queue type.")
	}
	if m.dedupID == "" {
		if !q.cfg.contentDedup {
			return sendResult{}, apiError("InvalidParameterValue", "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
		}
		m.dedupID = sha256Hex(m.body)
	}
	key := m.dedupID
	if q.cfg.dedupByGroup {
		key = m.groupID + "\x00" + key
	}
	if prev, ok := q.dedup[key]; ok && now.Sub(prev.at) < dedupWindow {
		res.MessageId = prev.messageID
		res.SequenceNumber = prev.seq
		return res, nil
	}
	q.seq++
	m.seq = sequenceNumber(q.seq)
	e := dedupEntry{key: key, messageID: m.id, seq: m.seq, at: now}
	q.dedup[key] = e
	q.dedupOrder.pushBack(e)
	q.deduped++
	m.visibleAt = now.Add(delay)
	q.add(m, now)
	res.MessageId = m.id
	res.SequenceNumber = m.seq
	return res, nil
}

func (s *Server) sendMessage(c *call, in *sendMessageInput) (any, *Error) {
	q, err := s.queueByURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	now := s.now()
	o, err := s.prepare(&in.sendEntry, now)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.unlock()
	if q.deleted {
		return nil, errQueueDoesNotExist()
	}
	q.advance(now)
	return q.send(o, now)
}

func (s *Server) sendMessageBatch(c *call, in *sendMessageBatchInput) (any, *Error) {
	q, err := s.queueByURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(in.Entries))
	total := 0
	for i, e := range in.Entries {
		ids[i] = e.Id
		total += len(deref(e.MessageBody))
		for name, a := range e.MessageAttributes {
			total += a.size(name)
		}
	}
	if err := checkBatch(ids); err != nil {
		return nil, err
	}
	if total > maxBatchSize {
		return nil, apiError("BatchRequestTooLong", "Batch requests cannot be longer than %d bytes. You have sent %d bytes.", maxBatchSize, total)
	}
	now := s.now()
	out := sendMessageBatchOutput{Successful: []sendResult{}, Failed: []batchResultError{}}
	ready := make([]outgoing, len(in.Entries))
	errs := make([]*Error, len(in.Entries))
	for i := range in.Entries {
		ready[i], errs[i] = s.prepare(&in.Entries[i], now)
	}
	q.mu.Lock()
	defer q.unlock()
	if q.deleted {
		return nil, errQueueDoesNotExist()
	}
	q.advance(now)
	for i, e := range in.Entries {
		if errs[i] != nil {
			out.Failed = append(out.Failed, failed(e.Id, errs[i]))
			continue
		}
		res, err := q.send(ready[i], now)
		if err != nil {
			out.Failed = append(out.Failed, failed(e.Id, err))
			continue
		}
		res.Id = e.Id
		out.Successful = append(out.Successful, res)
	}
	return out, nil
}

// millis formats t as SQS message timestamps: epoch milliseconds.
func millis(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
