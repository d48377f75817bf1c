package server

import (
	"encoding/base64"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// handlers are the actions the server speaks, by name.
var handlers = map[string]handler{
	"CreateQueue":                  action((*Server).createQueueAction),
	"GetQueueUrl":                  action((*Server).getQueueURL),
	"ListQueues":                   action((*Server).listQueues),
	"DeleteQueue":                  action((*Server).deleteQueueAction),
	"GetQueueAttributes":           action((*Server).getQueueAttributes),
	"SetQueueAttributes":           action((*Server).setQueueAttributes),
	"SendMessage":                  action((*Server).sendMessage),
	"SendMessageBatch":             action((*Server).sendMessageBatch),
	"ReceiveMessage":               action((*Server).receiveMessage),
	"DeleteMessage":                action((*Server).deleteMessage),
	"DeleteMessageBatch":           action((*Server).deleteMessageBatch),
	"ChangeMessageVisibility":      action((*Server).changeMessageVisibility),
	"ChangeMessageVisibilityBatch": action((*Server).changeMessageVisibilityBatch),
	"PurgeQueue":                   action((*Server).purgeQueue),
	"ListDeadLetterSourceQueues":   action((*Server).listDeadLetterSourceQueues),
	"TagQueue":                     action((*Server).tagQueue),
	"UntagQueue":                   action((*Server).untagQueue),
	"ListQueueTags":                action((*Server).listQueueTags),
}

// unsupported are SQS actions the server knows but does not do: they get
// UnsupportedOperation rather than InvalidAction.
var unsupported = []string{
	"AddPermission",
	"RemovePermission",
	"StartMessageMoveTask",
	"CancelMessageMoveTask",
	"ListMessageMoveTasks",
}

// empty is the output of actions that return nothing.
type empty struct{}

type queueURLInput struct {
	QueueUrl string
}

// Queues

type createQueueInput struct {
	QueueName  string
	Attributes map[string]string
	Tags       map[string]string `json:"tags"`
}

type queueURLOutput struct {
	QueueUrl string
}

func (s *Server) createQueueAction(c *call, in *createQueueInput) (any, *Error) {
	if in.QueueName == "" {
		return nil, errMissing("QueueName")
	}
	q, err := s.createQueue(in.QueueName, in.Attributes, in.Tags)
	if err != nil {
		return nil, err
	}
	return queueURLOutput{QueueUrl: s.URL(c.host, q.name)}, nil
}

type getQueueURLInput struct {
	QueueName              string
	QueueOwnerAWSAccountId string
}

func (s *Server) getQueueURL(c *call, in *getQueueURLInput) (any, *Error) {
	if in.QueueName == "" {
		return nil, errMissing("QueueName")
	}
	if in.QueueOwnerAWSAccountId != "" && in.QueueOwnerAWSAccountId != s.opts.accountID {
		return nil, errQueueDoesNotExist()
	}
	q := s.lookup(in.QueueName)
	if q == nil {
		return nil, errQueueDoesNotExist()
	}
	return queueURLOutput{QueueUrl: s.URL(c.host, q.name)}, nil
}

type listQueuesInput struct {
	QueueNamePrefix string
	NextToken       string
	MaxResults      *int
}

type listQueuesOutput struct {
	QueueUrls []string `json:",omitempty"`
	NextToken string   `json:",omitempty"`
}

func (s *Server) listQueues(c *call, in *listQueuesInput) (any, *Error) {
	s.mu.RLock()
	var names []string
	for name := range s.queues {
		if strings.HasPrefix(name, in.QueueNamePrefix) {
			names = append(names, name)
		}
	}
	s.mu.RUnlock()
	slices.Sort(names)
	page, next, err := paginate(names, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := listQueuesOutput{NextToken: next}
	for _, name := range page {
		out.QueueUrls = append(out.QueueUrls, s.URL(c.host, name))
	}
	return out, nil
}

// maxListResults is what one list call returns at most.
const maxListResults = 1000

// paginate returns the page of sorted names after token. Without
// maxResults it returns up to 1000 names and no token, as SQS does.
func paginate(names []string, maxResults *int, token string) (page []string, next string, err *Error) {
	limit := maxListResults
	if maxResults != nil {
		if *maxResults < 1 || *maxResults > maxListResults {
			return nil, "", errInvalidParam(*maxResults, "MaxResults", "must be between 1 and 1000")
		}
		limit = *maxResults
	}
	if token != "" {
		after, derr := base64.RawURLEncoding.DecodeString(token)
		if derr != nil {
			return nil, "", apiError("InvalidParameterValue", "Invalid NextToken value.")
		}
		i, _ := slices.BinarySearch(names, string(after))
		for i < len(names) && names[i] <= string(after) {
			i++
		}
		names = names[i:]
	}
	if len(names) > limit {
		page = names[:limit]
		if maxResults != nil {
			next = base64.RawURLEncoding.EncodeToString([]byte(page[len(page)-1]))
		}
		return page, next, nil
	}
	return names, "", nil
}

func (s *Server) deleteQueueAction(c *call, in *queueURLInput) (any, *Error) {
	q, err := s.queueByURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	s.deleteQueue(q)
	return empty{}, nil
}

type getQueueAttributesInput struct {
	QueueUrl       string
	AttributeNames []string
}

type attributesOutput struct {
	Attributes map[string]string `json:",omitempty"`
}

func (s *Server) getQueueAttributes(c *call, in *getQueueAttributesInput) (any, *Error) {
	q, err := s.queueByURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	attrs, err := q.attributes(in.AttributeNames, s.now())
	if err != nil {
		return nil, err
	}
	return attributesOutput{Attributes: attrs}, nil
}

// attributes returns the attributes named (All for all of them): those
// set, with defaults, and those SQS computes.
func (q *queue) attributes(names []string, now time.Time) (map[string]string, *Error) {
	q.mu.Lock()
	defer q.unlock()
	q.advance(now)
	all := maps.Clone(q.attrs)
	all[AttrQueueArn] = q.arn
	all[AttrApproximateNumberOfMessages] = strconv.Itoa(q.nReady)
	all[AttrApproximateNumberOfMessagesNotVisible] = strconv.Itoa(q.nInflight)
	all[AttrApproximateNumberOfMessagesDelayed] = strconv.Itoa(q.nDelayed)
	all[AttrCreatedTimestamp] = strconv.FormatInt(q.created.Unix(), 10)
	all[AttrLastModifiedTimestamp] = strconv.FormatInt(q.modified.Unix(), 10)
	if slices.Contains(names, "All") {
		return all, nil
	}
	out := map[string]string{}
	for _, name := range names {
		spec, ok := settable[name]
		if (!ok && !slices.Contains(readOnly, name)) || (spec.fifoOnly && !q.fifo) {
			return nil, apiError("InvalidAttributeName", "Unknown Attribute %s.", name)
		}
		if v, ok := all[name]; ok {
			out[name] = v
		}
	}
	return out, nil
}

type setQueueAttributesInput struct {
	QueueUrl   string
	Attributes map[string]string
}

func (s *Server) setQueueAttributes(c *call, in *setQueueAttributesInput) (any, *Error) {
	q, err := s.queueByURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	given, err := normalizeAttributes(in.Attributes, q.fifo, false)
	if err != nil {
		return nil, err
	}
	if err := s.checkRedrive(q.arn, q.fifo, given[AttrRedrivePolicy]); err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.unlock()
	all := merge(q.attrs, given)
	if err := checkFifoSettings(all); err != nil {
		return nil, err
	}
	if all[AttrKmsMasterKeyID] != "" && all[AttrSqsManagedSseEnabled] == "true" {
		return nil, apiError("InvalidAttributeValue", "Invalid value for the parameter SqsManagedSseEnabled. Reason: You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.")
	}
	q.attrs = all
	q.cfg = newConfig(all)
	q.modified = s.now()
	return empty{}, nil
}

func (s *Server) purgeQueue(c *call, in *queueURLInput) (any, *Error) {
	q, err := s.queueByURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	now := s.now()
	q.mu.Lock()
	defer q.unlock()
	if !q.lastPurge.IsZero() && now.Sub(q.lastPurge) < purgeInterval {
		return nil, apiError("PurgeQueueInProgress", "Only one PurgeQueue operation on %s is allowed every 60 seconds.", q.name)
	}
	q.purge()
	q.lastPurge = now
	return empty{}, nil
}

type listDeadLetterSourceQueuesInput struct {
	QueueUrl   string
	NextToken  string
	MaxResults *int
}

type listDeadLetterSourceQueuesOutput struct {
	QueueUrls []string `json:"queueUrls"`
	NextToken string   `json:",omitempty"`
}

func (s *Server) listDeadLetterSourceQueues(c *call, in *listDeadLetterSourceQueuesInput) (any, *Error) {
	dlq, err := s.queueByURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	var names []string
	for name, q := range s.queues {
		q.mu.Lock()
		if q.cfg.redrive != nil && q.cfg.redrive.DeadLetterTargetArn == dlq.arn {
			names = append(names, name)
		}
		q.mu.Unlock()
	}
	s.mu.RUnlock()
	slices.Sort(names)
	page, next, err := paginate(names, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := listDeadLetterSourceQueuesOutput{QueueUrls: []string{}, NextToken: next}
	for _, name := range page {
		out.QueueUrls = append(out.QueueUrls, s.URL(c.host, name))
	}
	return out, nil
}

// Tags

type tagQueueInput struct {
	QueueUrl string
	Tags     map[string]string
}

type untagQueueInput struct {
	QueueUrl string
	TagKeys  []string
}

type tagsOutput struct {
	Tags map[string]string `json:",omitempty"`
}

// maxTags is how many tags a queue may have.
const maxTags = 50

func checkTags(tags map[string]string) *Error {
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		if n := utf8.RuneCountInString(k); n < 1 || n > 128 {
			return apiError("InvalidParameterValue", "Tag key %q must be 1 to 128 characters long.", k)
		}
		if utf8.RuneCountInString(tags[k]) > 256 {
			return apiError("InvalidParameterValue", "The value of tag %q must be at most 256 characters long.", k)
		}
	}
	if len(tags) > maxTags {
		return apiError("InvalidParameterValue", "Too many tags: a queue can have at most %d.", maxTags)
	}
	return nil
}

func (s *Server) tagQueue(c *call, in *tagQueueInput) (any, *Error) {
	q, err := s.queueByURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if len(in.Tags) == 0 {
		return nil, errMissing("Tags")
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	all := maps.Clone(q.tags)
	maps.Copy(all, in.Tags)
	if err := checkTags(all); err != nil {
		return nil, err
	}
	q.tags = all
	return empty{}, nil
}

func (s *Server) untagQueue(c *call, in *untagQueueInput) (any, *Error) {
	q, err := s.queueByURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if len(in.TagKeys) == 0 {
		return nil, errMissing("TagKeys")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, k := range in.TagKeys {
		delete(q.tags, k)
	}
	return empty{}, nil
}

func (s *Server) listQueueTags(c *call, in *queueURLInput) (any, *Error) {
	q, err := s.queueByURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return tagsOutput{Tags: maps.Clone(q.tags)}, nil
}

// Batches

// maxBatch is how many entries a batch may have.
const maxBatch = 10

// Lengths are checked apart from the pattern: a counted repetition such as
// {1,80} compiles into a program 80 times larger, at every start.
var batchEntryID = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// checkBatch checks what every batch action checks of its entries' IDs.
func checkBatch(ids []string) *Error {
	switch {
	case len(ids) == 0:
		return apiError("EmptyBatchRequest", "There should be at least one entry in the request.")
	case len(ids) > maxBatch:
		return apiError("TooManyEntriesInBatchRequest", "Maximum number of entries per request are %d. You have sent %d.", maxBatch, len(ids))
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if len(id) > 80 || !batchEntryID.MatchString(id) {
			return apiError("InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
		if seen[id] {
			return apiError("BatchEntryIdsNotDistinct", "Id %s repeated.", id)
		}
		seen[id] = true
	}
	return nil
}

type batchResultError struct {
	Id          string
	SenderFault bool
	Code        string
	Message     string
}

func failed(id string, err *Error) batchResultError {
	k := err.kind()
	return batchResultError{Id: id, SenderFault: !k.server, Code: err.Code, Message: err.Message}
}

type idEntry struct {
	Id string
}

type batchOutput struct {
	Successful []idEntry
	Failed     []batchResultError
}
