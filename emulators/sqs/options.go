package sqs

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/prodlike/prodlike/emulators"
	"github.com/prodlike/prodlike/emulators/sqs/server"
)

// ErrInvalidOption is wrapped by every error New returns, so callers can
// tell a bad configuration (a usage error) from a failure to run.
var ErrInvalidOption = errors.New("invalid sqs option")

// Queue is a queue the stand-in creates, as production has it.
type Queue struct {
	Name string
	// Attributes are SQS queue attributes by their AWS names
	// (VisibilityTimeout, FifoQueue …). RedrivePolicy is not among them:
	// see DeadLetter. A name ending in .fifo makes a FIFO queue even
	// without FifoQueue=true.
	Attributes map[string]string
	// DeadLetter names the queue, declared in the same stand-in, that
	// takes a message after MaxReceiveCount receives; "" for none.
	DeadLetter string
	// MaxReceiveCount is how many receives a message gets before it moves
	// to DeadLetter; SQS allows 1 to 1000.
	MaxReceiveCount int
}

// FIFO reports whether q is a FIFO queue.
func (q Queue) FIFO() bool { return strings.HasSuffix(q.Name, ".fifo") }

// attributes returns what CreateQueue gets: the declared attributes, with
// FifoQueue=true for a FIFO queue.
func (q Queue) attributes() map[string]string {
	attrs := maps.Clone(q.Attributes)
	if attrs == nil {
		attrs = map[string]string{}
	}
	if q.FIFO() {
		if _, set := attrs[server.AttrFifoQueue]; !set {
			attrs[server.AttrFifoQueue] = "true"
		}
	}
	return attrs
}

func (q Queue) clone() Queue {
	q.Attributes = maps.Clone(q.Attributes)
	return q
}

// options are the settings New collects; defaults come from defaultOptions.
type options struct {
	queues    []Queue
	region    string
	accountID string
	accessKey string
	secretKey string
	// envNames maps a default variable name to the name the service wants
	// instead.
	envNames emulators.EnvNames
}

func defaultOptions() options {
	return options{
		region:    server.DefaultRegion,
		accountID: server.DefaultAccountID,
		accessKey: DefaultAccessKeyID,
		secretKey: DefaultSecretAccessKey,
		envNames:  emulators.EnvNames{},
	}
}

// Option configures an sqs stand-in.
type Option func(*options)

// WithQueues declares queues to create. Repeated calls add to the list.
func WithQueues(queues ...Queue) Option {
	return func(o *options) {
		for _, q := range queues {
			o.queues = append(o.queues, q.clone())
		}
	}
}

// WithRegion sets the region the server puts in queue ARNs and the app
// gets as AWS_REGION. Default "us-east-1".
func WithRegion(region string) Option {
	return func(o *options) { o.region = region }
}

// WithAccountID sets the account that owns the queues, in their URLs and
// ARNs: production's account keeps ARNs the app builds itself right.
// Default "000000000000".
func WithAccountID(id string) Option {
	return func(o *options) { o.accountID = id }
}

// WithCredentials sets the access key the app gets. The server accepts
// any; these only have to look like credentials to the SDK. Default
// "prodlike" / "prodlike-dev-secret": static development credentials,
// not secrets.
func WithCredentials(accessKeyID, secretAccessKey string) Option {
	return func(o *options) {
		o.accessKey = accessKeyID
		o.secretKey = secretAccessKey
	}
}

// WithEnvNames renames variables Env returns, from the default name to the
// name the service reads, e.g. {"SQS_QUEUE_URL_JOBS": "JOBS_QUEUE"}.
// Repeated calls merge.
func WithEnvNames(names map[string]string) Option {
	return func(o *options) { maps.Copy(o.envNames, names) }
}

var (
	regionName = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	accountID  = regexp.MustCompile(`^[0-9]{12}$`)
)

// validate reports every problem at once, in a stable order, each wrapping
// ErrInvalidOption.
func (o *options) validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format+": %w", append(args, ErrInvalidOption)...))
	}

	if !regionName.MatchString(o.region) {
		bad("region %q: want an AWS region such as us-east-1", o.region)
	}
	if !accountID.MatchString(o.accountID) {
		bad("account ID %q: want twelve digits", o.accountID)
	}
	if o.accessKey == "" || o.secretKey == "" {
		bad("credentials: want an access key ID and a secret access key, both non-empty")
	}

	declared := map[string]Queue{}
	envOwner := map[string]string{}
	for _, q := range o.queues {
		if _, dup := declared[q.Name]; dup {
			bad("queue %q is declared twice", q.Name)
			continue
		}
		declared[q.Name] = q
		for _, msg := range checkQueue(q) {
			bad("queue %q: %s", q.Name, msg)
		}
		env := EnvQueueURL(q.Name)
		if other, taken := envOwner[env]; taken {
			bad("queues %q and %q both give %s: rename one", other, q.Name, env)
		}
		envOwner[env] = q.Name
	}
	for _, q := range o.queues {
		switch dlq, ok := declared[q.DeadLetter]; {
		case q.DeadLetter == "" && q.MaxReceiveCount != 0:
			bad("queue %q: MaxReceiveCount without a DeadLetter queue", q.Name)
		case q.DeadLetter == "":
		case q.DeadLetter == q.Name:
			bad("queue %q: a queue cannot be its own dead-letter queue", q.Name)
		case !ok:
			bad("queue %q: dead-letter queue %q is not declared", q.Name, q.DeadLetter)
		case dlq.FIFO() != q.FIFO():
			bad("queue %q: it and its dead-letter queue %q must both be FIFO or both standard, as SQS requires", q.Name, q.DeadLetter)
		}
		if q.DeadLetter != "" && (q.MaxReceiveCount < 1 || q.MaxReceiveCount > 1000) {
			bad("queue %q: MaxReceiveCount %d: SQS allows 1 to 1000", q.Name, q.MaxReceiveCount)
		}
	}

	provides := []string{EnvEndpoint, EnvRegion, EnvAccessKeyID, EnvSecretAccessKey}
	for _, q := range o.queues {
		provides = append(provides, EnvQueueURL(q.Name))
	}
	for _, err := range o.envNames.Check(Kind, provides...) {
		errs = append(errs, fmt.Errorf("%w: %w", err, ErrInvalidOption))
	}
	return errors.Join(errs...)
}

// checkQueue checks one queue's name and attributes the way SQS would,
// each attribute on its own so that every bad one is reported.
func checkQueue(q Queue) []string {
	var msgs []string
	attrs := q.attributes()
	fifo := map[string]string{}
	if v, ok := attrs[server.AttrFifoQueue]; ok {
		fifo[server.AttrFifoQueue] = v
	}
	if err := server.ValidateQueue(q.Name, fifo); err != nil {
		msgs = append(msgs, reason(err))
		return msgs
	}
	ok := true
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		if name == server.AttrFifoQueue {
			continue
		}
		if name == server.AttrRedrivePolicy {
			msgs = append(msgs, "attribute RedrivePolicy: declare DeadLetter and MaxReceiveCount instead")
			ok = false
			continue
		}
		if err := server.ValidateAttribute(q.FIFO(), name, attrs[name]); err != nil {
			msgs = append(msgs, fmt.Sprintf("attribute %s: %s", name, reason(err)))
			ok = false
		}
	}
	if ok {
		if err := server.ValidateQueue(q.Name, attrs); err != nil {
			msgs = append(msgs, reason(err))
		}
	}
	return msgs
}

// reason is what SQS would have said, without its error code or final
// full stop.
func reason(err error) string {
	msg := err.Error()
	var e *server.Error
	if errors.As(err, &e) {
		msg = e.Message
	}
	return strings.TrimSuffix(msg, ".")
}
