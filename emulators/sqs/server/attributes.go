package server

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Queue attribute names, as the API spells them.
const (
	AttrDelaySeconds                  = "DelaySeconds"
	AttrMaximumMessageSize            = "MaximumMessageSize"
	AttrMessageRetentionPeriod        = "MessageRetentionPeriod"
	AttrReceiveMessageWaitTimeSeconds = "ReceiveMessageWaitTimeSeconds"
	AttrVisibilityTimeout             = "VisibilityTimeout"
	AttrPolicy                        = "Policy"
	AttrRedrivePolicy                 = "RedrivePolicy"
	AttrRedriveAllowPolicy            = "RedriveAllowPolicy"
	AttrKmsMasterKeyID                = "KmsMasterKeyId"
	AttrKmsDataKeyReusePeriodSeconds  = "KmsDataKeyReusePeriodSeconds"
	AttrSqsManagedSseEnabled          = "SqsManagedSseEnabled"
	AttrFifoQueue                     = "FifoQueue"
	AttrContentBasedDeduplication     = "ContentBasedDeduplication"
	AttrDeduplicationScope            = "DeduplicationScope"
	AttrFifoThroughputLimit           = "FifoThroughputLimit"

	AttrQueueArn                              = "QueueArn"
	AttrApproximateNumberOfMessages           = "ApproximateNumberOfMessages"
	AttrApproximateNumberOfMessagesNotVisible = "ApproximateNumberOfMessagesNotVisible"
	AttrApproximateNumberOfMessagesDelayed    = "ApproximateNumberOfMessagesDelayed"
	AttrCreatedTimestamp                      = "CreatedTimestamp"
	AttrLastModifiedTimestamp                 = "LastModifiedTimestamp"
)

// attrSpec says where an attribute may be set and how its value is read.
type attrSpec struct {
	// def is the value a queue has when nobody set it; "" for attributes
	// that are absent until set (Policy, RedrivePolicy …).
	def string
	// fifoOnly attributes exist on FIFO queues only; on a standard queue
	// SQS calls them unknown.
	fifoOnly bool
	// createOnly attributes are fixed when the queue is created.
	createOnly bool
	// normalize checks a value and returns it the way the queue keeps and
	// reports it, or why it is invalid.
	normalize func(v string) (string, error)
}

var settable = map[string]attrSpec{
	AttrDelaySeconds:                  {def: "0", normalize: intRange(0, 900)},
	AttrMaximumMessageSize:            {def: "1048576", normalize: intRange(1024, 1048576)},
	AttrMessageRetentionPeriod:        {def: "345600", normalize: intRange(60, 1209600)},
	AttrReceiveMessageWaitTimeSeconds: {def: "0", normalize: intRange(0, 20)},
	AttrVisibilityTimeout:             {def: "30", normalize: intRange(0, 43200)},
	AttrPolicy:                        {normalize: jsonObject},
	AttrRedrivePolicy:                 {normalize: normalizeRedrivePolicy},
	AttrRedriveAllowPolicy:            {normalize: normalizeRedriveAllowPolicy},
	AttrKmsMasterKeyID:                {normalize: anyValue},
	AttrKmsDataKeyReusePeriodSeconds:  {normalize: intRange(60, 86400)},
	// New queues get SSE-SQS unless they name a KMS key, as in AWS since
	// 2022.
	AttrSqsManagedSseEnabled:      {def: "true", normalize: boolean},
	AttrFifoQueue:                 {createOnly: true, normalize: boolean},
	AttrContentBasedDeduplication: {def: "false", fifoOnly: true, normalize: boolean},
	AttrDeduplicationScope:        {def: "messageQueue", fifoOnly: true, normalize: oneOf("messageQueue", "messageGroup")},
	AttrFifoThroughputLimit:       {def: "perQueue", fifoOnly: true, normalize: oneOf("perQueue", "perMessageGroupId")},
}

var readOnly = []string{
	AttrApproximateNumberOfMessages,
	AttrApproximateNumberOfMessagesDelayed,
	AttrApproximateNumberOfMessagesNotVisible,
	AttrCreatedTimestamp,
	AttrLastModifiedTimestamp,
	AttrQueueArn,
}

func intRange(lo, hi int) func(string) (string, error) {
	return func(v string) (string, error) {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < lo || n > hi {
			return "", fmt.Errorf("must be an integer from %d to %d", lo, hi)
		}
		return strconv.Itoa(n), nil
	}
}

func boolean(v string) (string, error) {
	switch strings.ToLower(v) {
	case "true":
		return "true", nil
	case "false":
		return "false", nil
	}
	return "", fmt.Errorf("must be true or false")
}

func oneOf(values ...string) func(string) (string, error) {
	return func(v string) (string, error) {
		if slices.Contains(values, v) {
			return v, nil
		}
		return "", fmt.Errorf("must be %s", strings.Join(values, " or "))
	}
}

func anyValue(v string) (string, error) { return v, nil }

func jsonObject(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(v), &m); err != nil {
		return "", fmt.Errorf("must be a JSON object")
	}
	return v, nil
}

// redrivePolicy is a parsed RedrivePolicy.
type redrivePolicy struct {
	DeadLetterTargetArn string `json:"deadLetterTargetArn"`
	MaxReceiveCount     int    `json:"maxReceiveCount"`
}

// parseRedrivePolicy reads the JSON SQS takes; maxReceiveCount may be a
// number or a string holding one, as AWS accepts both.
func parseRedrivePolicy(v string) (redrivePolicy, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		return redrivePolicy{}, fmt.Errorf("must be a JSON object with deadLetterTargetArn and maxReceiveCount")
	}
	var p redrivePolicy
	for _, k := range slices.Sorted(maps.Keys(raw)) {
		switch k {
		case "deadLetterTargetArn":
			if err := json.Unmarshal(raw[k], &p.DeadLetterTargetArn); err != nil {
				return p, fmt.Errorf("deadLetterTargetArn must be a string")
			}
		case "maxReceiveCount":
			var n json.Number
			if err := json.Unmarshal(raw[k], &n); err != nil {
				var s string
				if json.Unmarshal(raw[k], &s) != nil {
					return p, fmt.Errorf("maxReceiveCount must be a number")
				}
				n = json.Number(s)
			}
			c, err := strconv.Atoi(string(n))
			if err != nil {
				return p, fmt.Errorf("maxReceiveCount must be an integer")
			}
			p.MaxReceiveCount = c
		default:
			return p, fmt.Errorf("unknown key %s", k)
		}
	}
	if _, _, _, err := parseARN(p.DeadLetterTargetArn); err != nil {
		return p, fmt.Errorf("deadLetterTargetArn: %w", err)
	}
	if p.MaxReceiveCount < 1 || p.MaxReceiveCount > 1000 {
		return p, fmt.Errorf("maxReceiveCount must be from 1 to 1000")
	}
	return p, nil
}

func normalizeRedrivePolicy(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	p, err := parseRedrivePolicy(v)
	if err != nil {
		return "", err
	}
	b, _ := json.Marshal(p)
	return string(b), nil
}

// redriveAllowPolicy is a parsed RedriveAllowPolicy: which source queues
// may use this one as their dead-letter queue.
type redriveAllowPolicy struct {
	RedrivePermission string   `json:"redrivePermission"`
	SourceQueueArns   []string `json:"sourceQueueArns,omitempty"`
}

func parseRedriveAllowPolicy(v string) (redriveAllowPolicy, error) {
	var p redriveAllowPolicy
	d := json.NewDecoder(strings.NewReader(v))
	d.DisallowUnknownFields()
	if err := d.Decode(&p); err != nil {
		return p, fmt.Errorf("must be a JSON object with redrivePermission and sourceQueueArns")
	}
	switch p.RedrivePermission {
	case "allowAll", "denyAll":
		if len(p.SourceQueueArns) > 0 {
			return p, fmt.Errorf("sourceQueueArns is only for redrivePermission byQueue")
		}
	case "byQueue":
		if len(p.SourceQueueArns) < 1 || len(p.SourceQueueArns) > 10 {
			return p, fmt.Errorf("byQueue needs from 1 to 10 sourceQueueArns")
		}
	default:
		return p, fmt.Errorf("redrivePermission must be allowAll, denyAll or byQueue")
	}
	return p, nil
}

func normalizeRedriveAllowPolicy(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	p, err := parseRedriveAllowPolicy(v)
	if err != nil {
		return "", err
	}
	b, _ := json.Marshal(p)
	return string(b), nil
}

// allows reports whether a queue with this policy takes dead letters from
// the queue sourceARN.
func (p redriveAllowPolicy) allows(sourceARN string) bool {
	switch p.RedrivePermission {
	case "denyAll":
		return false
	case "byQueue":
		return slices.Contains(p.SourceQueueArns, sourceARN)
	}
	return true
}

// parseARN splits arn:aws:sqs:region:account:name.
func parseARN(arn string) (region, account, name string, err error) {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sqs" || parts[5] == "" {
		return "", "", "", fmt.Errorf("%q is not an SQS queue ARN", arn)
	}
	return parts[3], parts[4], parts[5], nil
}

var queueName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`) // and at most 80 long

// checkQueueName checks a name the way CreateQueue does: up to 80
// characters of letters, digits, hyphens and underscores, and for a FIFO
// queue the .fifo suffix (counted in the 80).
func checkQueueName(name string, fifo bool) *Error {
	base, isFifoName := strings.CutSuffix(name, ".fifo")
	switch {
	case fifo && !isFifoName:
		return apiError("InvalidParameterValue", "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.")
	case fifo && (len(name) > 80 || !queueName.MatchString(base)):
		return apiError("InvalidParameterValue", "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.")
	case !fifo && isFifoName:
		return apiError("InvalidParameterValue", "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length. A queue whose name ends in .fifo must be created with the attribute FifoQueue=true.")
	case !fifo && (len(name) > 80 || !queueName.MatchString(name)):
		return apiError("InvalidParameterValue", "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	return nil
}

// normalizeAttributes checks attributes given to CreateQueue (create) or
// SetQueueAttributes for a FIFO or standard queue and returns them the way
// the queue keeps them. Names are checked in order, so the error is always
// the same one.
func normalizeAttributes(attrs map[string]string, fifo, create bool) (map[string]string, *Error) {
	out := make(map[string]string, len(attrs))
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		spec, ok := settable[name]
		if !ok || (spec.fifoOnly && !fifo) || (spec.createOnly && !create) {
			return nil, apiError("InvalidAttributeName", "Unknown Attribute %s.", name)
		}
		v, err := spec.normalize(attrs[name])
		if err != nil {
			return nil, apiError("InvalidAttributeValue", "Invalid value for the parameter %s. Reason: %v.", name, err)
		}
		out[name] = v
	}
	if v, ok := out[AttrFifoQueue]; ok && (v == "true") != fifo {
		// Only CreateQueue sets it, and it decides fifo; a mismatch is a
		// caller's bug.
		return nil, apiError("InvalidAttributeValue", "Invalid value for the parameter FifoQueue.")
	}
	if out[AttrKmsMasterKeyID] != "" && out[AttrSqsManagedSseEnabled] == "true" {
		return nil, apiError("InvalidAttributeValue", "Invalid value for the parameter SqsManagedSseEnabled. Reason: You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.")
	}
	return out, nil
}

// ValidateQueue checks a queue name and attributes the way CreateQueue
// would, without looking at other queues: a RedrivePolicy must be well
// formed, but its dead-letter queue need not exist. The error is an
// *Error.
func ValidateQueue(name string, attrs map[string]string) error {
	fifo := false
	if v, ok := attrs[AttrFifoQueue]; ok {
		b, err := boolean(v)
		if err != nil {
			return apiError("InvalidAttributeValue", "Invalid value for the parameter FifoQueue. Reason: %v.", err)
		}
		fifo = b == "true"
	}
	if err := checkQueueName(name, fifo); err != nil {
		return err
	}
	n, aerr := normalizeAttributes(attrs, fifo, true)
	if aerr != nil {
		return aerr
	}
	if err := checkFifoSettings(n); err != nil {
		return err
	}
	return nil
}

// ValidateAttribute checks one attribute the way CreateQueue would for a
// FIFO or a standard queue, apart from how it combines with others (which
// ValidateQueue checks). The error is an *Error.
func ValidateAttribute(fifo bool, name, value string) error {
	if _, err := normalizeAttributes(map[string]string{name: value}, fifo, true); err != nil {
		return err
	}
	return nil
}

// checkFifoSettings checks the combination high-throughput FIFO allows:
// per-group throughput needs per-group deduplication.
func checkFifoSettings(attrs map[string]string) *Error {
	if attrs[AttrFifoThroughputLimit] == "perMessageGroupId" && attrs[AttrDeduplicationScope] != "messageGroup" {
		return apiError("InvalidAttributeValue", "Invalid value for the parameter FifoThroughputLimit. Reason: perMessageGroupId is allowed only when DeduplicationScope is messageGroup.")
	}
	return nil
}

// defaultAttributes returns the attributes a new queue starts from.
func defaultAttributes(fifo bool) map[string]string {
	out := map[string]string{}
	for name, spec := range settable {
		if spec.def == "" || (spec.fifoOnly && !fifo) {
			continue
		}
		out[name] = spec.def
	}
	if fifo {
		out[AttrFifoQueue] = "true"
	}
	return out
}

// merge applies changes to attrs: an empty value removes an attribute
// that has no default. Naming a KMS key turns SSE-SQS off unless the same
// change turns it on (which normalizeAttributes refused).
func merge(attrs, changes map[string]string) map[string]string {
	out := maps.Clone(attrs)
	for name, v := range changes {
		if v == "" && settable[name].def == "" {
			delete(out, name)
			continue
		}
		out[name] = v
	}
	if changes[AttrKmsMasterKeyID] != "" {
		if _, set := changes[AttrSqsManagedSseEnabled]; !set {
			out[AttrSqsManagedSseEnabled] = "false"
		}
	}
	if out[AttrKmsMasterKeyID] != "" {
		if _, set := out[AttrKmsDataKeyReusePeriodSeconds]; !set {
			out[AttrKmsDataKeyReusePeriodSeconds] = "300"
		}
	}
	return out
}

// config is what a queue's attributes mean to the code that moves its
// messages, read once whenever they change.
type config struct {
	delay        time.Duration
	maxSize      int
	retention    time.Duration
	wait         time.Duration
	visibility   time.Duration
	contentDedup bool
	dedupByGroup bool
	redrive      *redrivePolicy
	// redriveTarget is the name of the dead-letter queue.
	redriveTarget string
	allow         *redriveAllowPolicy
}

func seconds(v string) time.Duration {
	n, _ := strconv.Atoi(v)
	return time.Duration(n) * time.Second
}

// newConfig reads attributes that normalizeAttributes accepted.
func newConfig(attrs map[string]string) config {
	c := config{
		delay:        seconds(attrs[AttrDelaySeconds]),
		retention:    seconds(attrs[AttrMessageRetentionPeriod]),
		wait:         seconds(attrs[AttrReceiveMessageWaitTimeSeconds]),
		visibility:   seconds(attrs[AttrVisibilityTimeout]),
		contentDedup: attrs[AttrContentBasedDeduplication] == "true",
		dedupByGroup: attrs[AttrDeduplicationScope] == "messageGroup",
	}
	c.maxSize, _ = strconv.Atoi(attrs[AttrMaximumMessageSize])
	if v := attrs[AttrRedrivePolicy]; v != "" {
		p, err := parseRedrivePolicy(v)
		if err == nil {
			c.redrive = &p
			_, _, c.redriveTarget, _ = parseARN(p.DeadLetterTargetArn)
		}
	}
	if v := attrs[AttrRedriveAllowPolicy]; v != "" {
		p, err := parseRedriveAllowPolicy(v)
		if err == nil {
			c.allow = &p
		}
	}
	return c
}
