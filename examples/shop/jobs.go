package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// errNoObject is what ObjectStore.Get returns (wrapped) for a key that does
// not exist.
var errNoObject = errors.New("no such object")

// ObjectStore keeps the uploaded files (an S3 bucket in production).
type ObjectStore interface {
	Ping(ctx context.Context) error
	Put(ctx context.Context, key, contentType string, body []byte) error
	// Get returns the object's content; errNoObject when key does not exist.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
}

// Message is one message received from a JobQueue.
type Message struct {
	ID            string
	Body          string
	ReceiptHandle string
	// ReceiveCount is how many times the queue has handed the message out,
	// this time included (0 when the queue did not say).
	ReceiveCount int
}

// JobQueue carries the background jobs (an SQS queue in production).
type JobQueue interface {
	Ping(ctx context.Context) error
	Send(ctx context.Context, body string) error
	// Receive waits for messages and returns up to ten. It may return none
	// when none arrived in its wait; it returns ctx's error when ctx ends.
	Receive(ctx context.Context) ([]Message, error)
	// Delete removes a processed message from the queue.
	Delete(ctx context.Context, m Message) error
	// Retry makes m visible again at once instead of when its visibility
	// timeout ends. Every receive counts towards the queue's
	// maxReceiveCount, after which the queue moves m to its dead-letter
	// queue.
	Retry(ctx context.Context, m Message) error
	// Depth returns the approximate number of messages waiting.
	Depth(ctx context.Context) (int64, error)
}

// ChecksumStore records the result of a checksum job (Postgres in
// production).
type ChecksumStore interface {
	// RecordChecksum stores the size and SHA-256 of the upload whose object
	// key is key and marks it processed; errNoUpload when no upload has that
	// key.
	RecordChecksum(ctx context.Context, key string, size int64, sha256 string) error
}

// jobChecksum is the kind of job that computes an upload's SHA-256.
const jobChecksum = "checksum"

// job is a message body on the jobs queue.
type job struct {
	Kind string `json:"kind"`
	Key  string `json:"key"`
}

// errBadJob marks a message that is not a job this worker knows.
var errBadJob = errors.New("bad job")

// encode returns the job as a message body.
func (j job) encode() string {
	b, _ := json.Marshal(j) // two strings cannot fail to encode
	return string(b)
}

// parseJob decodes and checks a message body.
func parseJob(body string) (job, error) {
	var j job
	if err := json.Unmarshal([]byte(body), &j); err != nil {
		return job{}, fmt.Errorf("%w: %v", errBadJob, err)
	}
	switch {
	case j.Kind != jobChecksum:
		return j, fmt.Errorf("%w: unknown kind %q", errBadJob, j.Kind)
	case j.Key == "":
		return j, fmt.Errorf("%w: %s job without a key", errBadJob, j.Kind)
	}
	return j, nil
}

const (
	// jobTimeout bounds one job; it matches SQS's default visibility
	// timeout, after which the queue hands the message out again anyway.
	jobTimeout = 30 * time.Second
	// releaseTimeout bounds handing back, on shutdown, the messages of a
	// batch that were not started.
	releaseTimeout = 2 * time.Second
	// maxLoggedBody is how much of a failed message's body is logged.
	maxLoggedBody = 200
)

// worker receives jobs from the queue and runs them.
type worker struct {
	jobs  JobQueue
	blobs ObjectStore
	db    ChecksumStore
	log   *slog.Logger
	// minBackoff and maxBackoff bound the pause after a failed receive; it
	// doubles with each failure in a row.
	minBackoff, maxBackoff time.Duration
}

func newWorker(jobs JobQueue, blobs ObjectStore, db ChecksumStore, log *slog.Logger) *worker {
	return &worker{
		jobs:       jobs,
		blobs:      blobs,
		db:         db,
		log:        log.With("component", "worker"),
		minBackoff: time.Second,
		maxBackoff: 10 * time.Second,
	}
}

// Run receives and runs jobs until ctx ends. Then it receives no more,
// finishes the job in hand, hands the rest of its batch back to the queue
// and returns.
//
// A job that succeeds is deleted from the queue. A job that cannot succeed
// (not a job, unknown kind, object or upload missing) is handed back at once
// so that the queue moves it to its dead-letter queue after its
// maxReceiveCount. A job that failed for another reason (S3 or Postgres not
// answering) is left to come back when its visibility timeout ends.
func (w *worker) Run(ctx context.Context) {
	w.log.Info("worker started")
	defer w.log.Info("worker stopped")
	var (
		failures int // failed receives in a row
		since    time.Time
		backoff  = w.minBackoff
	)
	for ctx.Err() == nil {
		msgs, err := w.jobs.Receive(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if failures == 0 {
				since = time.Now()
				w.log.Warn("receive jobs failed; retrying with back-off", "err", err)
			}
			failures++
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, w.maxBackoff)
			continue
		}
		if failures > 0 {
			w.log.Info("receiving jobs again", "failed_receives", failures,
				"after", time.Since(since).Round(time.Millisecond).String())
			failures, backoff = 0, w.minBackoff
		}
		for i, m := range msgs {
			if ctx.Err() != nil {
				w.release(msgs[i:])
				return
			}
			w.handle(ctx, m)
		}
	}
}

// handle runs one message's job to its end even when ctx ends meanwhile, and
// deletes the message, hands it back or leaves it.
func (w *worker) handle(ctx context.Context, m Message) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), jobTimeout)
	defer cancel()
	log := w.log.With("message_id", m.ID, "receive_count", m.ReceiveCount)
	started := time.Now()

	var size int64
	var sum string
	j, err := parseJob(m.Body)
	if err == nil {
		size, sum, err = w.checksum(ctx, j.Key)
	}
	switch {
	case err == nil:
		if err := w.jobs.Delete(ctx, m); err != nil {
			// The job is done; running it again when the message comes
			// back does no harm.
			log.Warn("delete finished job", "kind", j.Kind, "key", j.Key, "err", err)
			return
		}
		log.Info("job done", "kind", j.Kind, "key", j.Key, "size", size, "sha256", sum,
			"duration_ms", float64(time.Since(started).Microseconds())/1000)
	case unprocessable(err):
		log.Error("job cannot be processed; handing it back for a retry (the queue dead-letters it after its maxReceiveCount)",
			"err", err, "body", truncate(m.Body, maxLoggedBody))
		if err := w.jobs.Retry(ctx, m); err != nil {
			log.Warn("hand job back", "err", err)
		}
	default:
		log.Warn("job failed; the queue delivers it again after its visibility timeout",
			"kind", j.Kind, "key", j.Key, "err", err)
	}
}

// unprocessable reports whether err means the job can never succeed, as
// opposed to a failure of S3 or Postgres that may pass.
func unprocessable(err error) bool {
	return errors.Is(err, errBadJob) || errors.Is(err, errNoObject) || errors.Is(err, errNoUpload)
}

// checksum reads the object at key and records its size and SHA-256.
func (w *worker) checksum(ctx context.Context, key string) (size int64, sum string, err error) {
	body, err := w.blobs.Get(ctx, key)
	if err != nil {
		return 0, "", fmt.Errorf("get object: %w", err)
	}
	defer body.Close()
	h := sha256.New()
	if size, err = io.Copy(h, body); err != nil {
		return 0, "", fmt.Errorf("read object %s: %w", key, err)
	}
	sum = hex.EncodeToString(h.Sum(nil))
	if err := w.db.RecordChecksum(ctx, key, size, sum); err != nil {
		return 0, "", fmt.Errorf("record checksum: %w", err)
	}
	return size, sum, nil
}

// release hands messages that were received but not started back to the
// queue, so that another replica takes them at once.
func (w *worker) release(msgs []Message) {
	ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	defer cancel()
	for _, m := range msgs {
		if err := w.jobs.Retry(ctx, m); err != nil {
			w.log.Warn("hand back unstarted job", "message_id", m.ID, "err", err)
		}
	}
	w.log.Info("handed back unstarted jobs", "count", len(msgs))
}

// truncate returns s cut to at most n bytes.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
