// Package server is prodlike's own Amazon SQS: an in-memory server that
// speaks the AWS JSON 1.0 protocol current AWS SDKs use, with the queue
// semantics SQS documents (visibility timeouts, delays, retention, long
// polling, dead-letter redrive, FIFO ordering and deduplication) and its
// limits and error codes, so that code which works against it works
// against SQS.
//
// It keeps no goroutine or timer per message: delays, visibility timeouts
// and retention are worked out from the clock whenever a queue is touched,
// and a long poll waits on its queue's notification. A Server is ready as
// soon as New returns.
//
// Requests must carry an Authorization header, as every SDK sends, but the
// signature is not checked: any credentials work. The older query protocol
// (Action=… forms) is not spoken; such requests get an error that says so.
package server

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// VersionHeader is the response header that carries the server's version.
const VersionHeader = "X-Prodlike-Sqs-Version"

// ServerName is what GET / reports as the server.
const ServerName = "prodlike-sqs"

// maxRequestBody bounds a request body: a 1 MiB batch grows by base64 and
// JSON escaping, but not by more than this.
const maxRequestBody = 8 << 20

// Server is an SQS server. It is an http.Handler, safe for concurrent use.
type Server struct {
	opts options

	mu     sync.RWMutex
	queues map[string]*queue
	uids   uint64

	closed    chan struct{}
	closeOnce sync.Once
}

// New returns a server with no queues.
func New(opts ...Option) *Server {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	return &Server{opts: o, queues: map[string]*queue{}, closed: make(chan struct{})}
}

// Close ends pending long polls, which return no messages, and makes later
// ones return at once, so that an http.Server can shut down without
// waiting up to 20 s for them. Other requests are still answered. The
// server holds no other goroutines or timers.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closed) })
}

func (s *Server) now() time.Time { return s.opts.now() }

// QueueInfo describes a queue.
type QueueInfo struct {
	Name string
	ARN  string
	FIFO bool
}

// URL returns the queue's URL for clients that reach the server at host
// (host:port): http://host/account/name, as the server itself reports it.
func (s *Server) URL(host, name string) string {
	return QueueURL(host, s.opts.accountID, name)
}

// QueueURL returns http://host/account/name.
func QueueURL(host, account, name string) string {
	return "http://" + host + "/" + account + "/" + name
}

// ARN returns the ARN of the queue name: arn:aws:sqs:region:account:name.
func (s *Server) ARN(name string) string {
	return "arn:aws:sqs:" + s.opts.region + ":" + s.opts.accountID + ":" + name
}

// CreateQueue creates a queue the way the CreateQueue action does: attrs
// use AWS attribute names, FifoQueue=true makes a FIFO queue (whose name
// must end in .fifo). If the queue exists and every attribute given has
// the value the queue has, it returns the queue; otherwise the error is an
// *Error with the code QueueNameExists.
func (s *Server) CreateQueue(name string, attrs map[string]string) (QueueInfo, error) {
	q, err := s.createQueue(name, attrs, nil)
	if err != nil {
		return QueueInfo{}, err
	}
	return QueueInfo{Name: q.name, ARN: q.arn, FIFO: q.fifo}, nil
}

func (s *Server) createQueue(name string, attrs, tags map[string]string) (*queue, *Error) {
	fifo := false
	if v, ok := attrs[AttrFifoQueue]; ok {
		b, err := boolean(v)
		if err != nil {
			return nil, apiError("InvalidAttributeValue", "Invalid value for the parameter FifoQueue. Reason: %v.", err)
		}
		fifo = b == "true"
	}
	if err := checkQueueName(name, fifo); err != nil {
		return nil, err
	}
	given, err := normalizeAttributes(attrs, fifo, true)
	if err != nil {
		return nil, err
	}
	if err := checkTags(tags); err != nil {
		return nil, err
	}
	if q := s.lookup(name); q != nil {
		return q, q.sameAttributes(given)
	}
	if !fifo {
		delete(given, AttrFifoQueue)
	}
	all := merge(defaultAttributes(fifo), given)
	if err := checkFifoSettings(all); err != nil {
		return nil, err
	}
	arn := s.ARN(name)
	if err := s.checkRedrive(arn, fifo, all[AttrRedrivePolicy]); err != nil {
		return nil, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if q := s.queues[name]; q != nil {
		// Created meanwhile.
		return q, q.sameAttributes(given)
	}
	s.uids++
	q := newQueue(name, arn, s.uids, fifo, all, maps.Clone(tags), s.now())
	if q.tags == nil {
		q.tags = map[string]string{}
	}
	s.queues[name] = q
	return q, nil
}

// sameAttributes reports QueueNameExists unless every attribute given has
// the value the queue has: that is when CreateQueue returns an existing
// queue.
func (q *queue) sameAttributes(given map[string]string) *Error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, name := range slices.Sorted(maps.Keys(given)) {
		have := q.attrs[name]
		if name == AttrFifoQueue && !q.fifo {
			have = "false"
		}
		if given[name] != have {
			return apiError("QueueNameExists", "A queue already exists with the same name and a different value for attribute %s", name)
		}
	}
	return nil
}

// checkRedrive checks a RedrivePolicy for the queue arn: its dead-letter
// queue must exist, be of the same type and allow this queue as a source.
func (s *Server) checkRedrive(arn string, fifo bool, policy string) *Error {
	if policy == "" {
		return nil
	}
	p, err := parseRedrivePolicy(policy)
	if err != nil {
		return apiError("InvalidAttributeValue", "Invalid value for the parameter RedrivePolicy. Reason: %v.", err)
	}
	region, account, name, _ := parseARN(p.DeadLetterTargetArn)
	dlq := s.lookup(name)
	if dlq == nil || region != s.opts.region || account != s.opts.accountID {
		return apiError("InvalidAttributeValue", "Value %s for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist.", policy)
	}
	if dlq.fifo != fifo {
		return apiError("InvalidAttributeValue", "Value %s for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be same type of queue as the source.", policy)
	}
	dlq.mu.Lock()
	allow := dlq.cfg.allow
	dlq.mu.Unlock()
	if allow != nil && !allow.allows(arn) {
		return apiError("InvalidAttributeValue", "Value %s for parameter RedrivePolicy is invalid. Reason: The dead-letter queue's RedriveAllowPolicy does not allow this queue as a source.", policy)
	}
	return nil
}

func (s *Server) lookup(name string) *queue {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.queues[name]
}

// queueByURL finds the queue a QueueUrl names: by its last path segment,
// on any host, and if the segment before looks like an account ID, only
// in that account.
func (s *Server) queueByURL(raw string) (*queue, *Error) {
	if raw == "" {
		return nil, errMissing("QueueUrl")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errQueueDoesNotExist()
	}
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	name := segs[len(segs)-1]
	if len(segs) >= 2 {
		if acct := segs[len(segs)-2]; isAccountID(acct) && acct != s.opts.accountID {
			return nil, errQueueDoesNotExist()
		}
	}
	q := s.lookup(name)
	if q == nil {
		return nil, errQueueDoesNotExist()
	}
	return q, nil
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// deleteQueue removes q and wakes its long polls, which return nothing.
func (s *Server) deleteQueue(q *queue) {
	s.mu.Lock()
	if s.queues[q.name] == q {
		delete(s.queues, q.name)
	}
	s.mu.Unlock()
	q.mu.Lock()
	q.deleted = true
	q.signal()
	q.unlock()
}

// moveToDeadLetter puts messages that ran out of receives into the queue
// dlq, as redrive does: same ID, body and attributes, with the source
// queue's ARN. A standard queue's messages keep their enqueue time (and so
// their age), a FIFO queue's start again, as in SQS.
func (s *Server) moveToDeadLetter(source *queue, dlq *queue, moved []*message) {
	if len(moved) == 0 {
		return
	}
	now := s.now()
	dlq.mu.Lock()
	defer dlq.unlock()
	if dlq.deleted {
		return
	}
	for _, old := range moved {
		m := &message{
			id: old.id, body: old.body, md5Body: old.md5Body,
			attrs: old.attrs, md5Attrs: old.md5Attrs,
			sysAttrs: old.sysAttrs, md5Sys: old.md5Sys,
			groupID: old.groupID, dedupID: old.dedupID,
			senderID: old.senderID, sentAt: old.sentAt,
			dlqSource:    source.arn,
			enqueuedAt:   old.enqueuedAt,
			receiveCount: old.receiveCount,
			firstReceive: old.firstReceive,
			visibleAt:    now,
		}
		if dlq.fifo {
			dlq.seq++
			m.seq = sequenceNumber(dlq.seq)
			m.enqueuedAt = now
		}
		dlq.add(m, now)
	}
}

func sequenceNumber(n uint64) string { return fmt.Sprintf("%020d", n) }

// newID returns a random UUID (version 4), the form of SQS message IDs.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ServeHTTP answers SQS requests (POST with X-Amz-Target: AmazonSQS.<Action>)
// and, on GET /, what the server is: {"server":"prodlike-sqs","version":…}.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set(VersionHeader, s.opts.version)
	h.Set("X-Amzn-RequestId", newID())
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		h.Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"server": ServerName, "version": s.opts.version})
		return
	}
	target := r.Header.Get("X-Amz-Target")
	if r.Method != http.MethodPost {
		writeError(w, apiError("InvalidAction", "prodlike sqs takes POST requests of the AWS JSON 1.0 protocol, not %s", r.Method))
		return
	}
	if target == "" {
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") || r.URL.Query().Has("Action") {
			writeQueryProtocolError(w)
			return
		}
		writeError(w, apiError("InvalidAction", "missing X-Amz-Target: prodlike sqs speaks the AWS JSON 1.0 protocol (X-Amz-Target: AmazonSQS.<Action>)"))
		return
	}
	if r.Header.Get("Authorization") == "" && !r.URL.Query().Has("X-Amz-Signature") {
		writeError(w, apiError("MissingAuthenticationToken", "Request is missing Authentication Token"))
		return
	}
	action, ok := strings.CutPrefix(target, "AmazonSQS.")
	if !ok {
		writeError(w, apiError("InvalidAction", "unknown operation %s", target))
		return
	}
	handle, ok := handlers[action]
	if !ok {
		if slices.Contains(unsupported, action) {
			writeError(w, apiError("UnsupportedOperation", "prodlike sqs does not support %s", action))
		} else {
			writeError(w, apiError("InvalidAction", "The action %s is not valid for this endpoint.", action))
		}
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, apiError("InvalidParameterValue", "The request is larger than %d bytes.", maxRequestBody))
			return
		}
		writeError(w, apiError("SerializationException", "reading the request: %v", err))
		return
	}
	host := r.Host
	if host == "" {
		host = "localhost"
	}
	out, aerr := handle(s, &call{ctx: r.Context(), host: host, body: body})
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	b, merr := json.Marshal(out)
	if merr != nil {
		writeError(w, apiError("InternalFailure", "encoding the response: %v", merr))
		return
	}
	h.Set("Content-Type", jsonContentType)
	w.Write(b)
}

const jsonContentType = "application/x-amz-json-1.0"

// call is one request as a handler sees it.
type call struct {
	ctx  context.Context
	host string
	body []byte
}

type handler func(s *Server, c *call) (any, *Error)

// action adapts a handler of a typed input: it decodes the body (empty
// means {}) and reports JSON that does not fit as a SerializationException,
// as SQS does.
func action[In any](f func(s *Server, c *call, in *In) (any, *Error)) handler {
	return func(s *Server, c *call) (any, *Error) {
		var in In
		if len(c.body) > 0 {
			if err := json.Unmarshal(c.body, &in); err != nil {
				return nil, apiError("SerializationException", "%v", err)
			}
		}
		return f(s, c, &in)
	}
}

// writeError sends e the way the JSON protocol does, with the
// query-protocol code in x-amzn-query-error for clients in query
// compatibility mode (aws-sdk-go-v2 reports that code as ErrorCode()).
func writeError(w http.ResponseWriter, e *Error) {
	k := e.kind()
	fault := "Sender"
	if k.server {
		fault = "Receiver"
	}
	h := w.Header()
	h.Set("Content-Type", jsonContentType)
	h.Set("X-Amzn-Query-Error", k.query+";"+fault)
	w.WriteHeader(k.status)
	b, _ := json.Marshal(map[string]string{"__type": k.namespace + "#" + e.Code, "message": e.Message})
	w.Write(b)
}

// writeQueryProtocolError answers a query-protocol request (Action=… in a
// form) in that protocol's XML, so that an old SDK shows why it fails.
func writeQueryProtocolError(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusBadRequest)
	io.WriteString(w, `<?xml version="1.0"?><ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code>`+
		`<Message>prodlike sqs speaks only the AWS JSON 1.0 protocol of current AWS SDKs, not the query protocol; upgrade the SDK</Message>`+
		`</Error><RequestId>`+newID()+`</RequestId></ErrorResponse>`)
}
