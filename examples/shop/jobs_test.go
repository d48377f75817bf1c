package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeBlobs is an in-memory ObjectStore.
type fakeBlobs struct {
	mu      sync.Mutex
	objects map[string]fakeObject
	pingErr error
	putErr  error
	// gate, when set, makes Get wait until it is closed; started is told
	// when a Get begins waiting.
	gate    chan struct{}
	started chan struct{}
}

type fakeObject struct {
	contentType string
	data        []byte
}

func newFakeBlobs() *fakeBlobs { return &fakeBlobs{objects: map[string]fakeObject{}} }

func (f *fakeBlobs) Ping(context.Context) error { return f.pingErr }

func (f *fakeBlobs) Put(_ context.Context, key, contentType string, body []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.putErr != nil {
		return f.putErr
	}
	f.objects[key] = fakeObject{contentType: contentType, data: bytes.Clone(body)}
	return nil
}

func (f *fakeBlobs) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if f.gate != nil {
		f.started <- struct{}{}
		select {
		case <-f.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	obj, ok := f.objects[key]
	if !ok {
		return nil, fmt.Errorf("%w: %s", errNoObject, key)
	}
	return io.NopCloser(bytes.NewReader(obj.data)), nil
}

func (f *fakeBlobs) object(key string) (fakeObject, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	obj, ok := f.objects[key]
	return obj, ok
}

func (f *fakeBlobs) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.objects)
}

// fakeQueue is an in-memory JobQueue that behaves like SQS where the worker
// can tell: a received message is invisible until it is deleted or handed
// back, and with maxReceives set, a message received that many times moves
// to deadLetters instead of being handed out again.
type fakeQueue struct {
	mu          sync.Mutex
	visible     []Message
	inFlight    map[string]Message // by receipt handle
	ids         int
	receipts    int
	sent        []string // bodies sent with Send
	deleted     []string // message IDs
	retried     []string // message IDs
	maxReceives int
	deadLetters *fakeQueue
	receiveErrs []error // returned by the next Receive calls, one each
	pingErr     error
	sendErr     error
	depthErr    error
	wake        chan struct{}
}

func newFakeQueue() *fakeQueue {
	return &fakeQueue{inFlight: map[string]Message{}, wake: make(chan struct{}, 1)}
}

// push adds a visible message with body and returns its ID.
func (f *fakeQueue) push(body string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pushLocked(Message{Body: body})
}

func (f *fakeQueue) pushLocked(m Message) string {
	if m.ID == "" {
		f.ids++
		m.ID = fmt.Sprintf("m%d", f.ids)
	}
	f.visible = append(f.visible, m)
	f.signal()
	return m.ID
}

func (f *fakeQueue) signal() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

func (f *fakeQueue) Ping(context.Context) error { return f.pingErr }

func (f *fakeQueue) Send(_ context.Context, body string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sendErr != nil {
		return f.sendErr
	}
	f.sent = append(f.sent, body)
	f.pushLocked(Message{Body: body})
	return nil
}

// Receive hands out up to ten visible messages; with none it waits for one,
// for ctx to end or, like a long poll, a short while before answering empty.
func (f *fakeQueue) Receive(ctx context.Context) ([]Message, error) {
	for {
		msgs, err := f.take()
		if err != nil || len(msgs) > 0 {
			return msgs, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-f.wake:
		case <-time.After(50 * time.Millisecond):
			return nil, nil
		}
	}
}

func (f *fakeQueue) take() ([]Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.receiveErrs) > 0 {
		err := f.receiveErrs[0]
		f.receiveErrs = f.receiveErrs[1:]
		return nil, err
	}
	var out []Message
	for len(f.visible) > 0 && len(out) < receiveBatch {
		m := f.visible[0]
		f.visible = f.visible[1:]
		if f.maxReceives > 0 && m.ReceiveCount >= f.maxReceives {
			m.ReceiptHandle = ""
			f.deadLetters.mu.Lock()
			f.deadLetters.pushLocked(m)
			f.deadLetters.mu.Unlock()
			continue
		}
		m.ReceiveCount++
		f.receipts++
		m.ReceiptHandle = fmt.Sprintf("%s-r%d", m.ID, f.receipts)
		f.inFlight[m.ReceiptHandle] = m
		out = append(out, m)
	}
	return out, nil
}

func (f *fakeQueue) Delete(_ context.Context, m Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.inFlight[m.ReceiptHandle]; !ok {
		return fmt.Errorf("receipt handle %q is not in flight", m.ReceiptHandle)
	}
	delete(f.inFlight, m.ReceiptHandle)
	f.deleted = append(f.deleted, m.ID)
	return nil
}

func (f *fakeQueue) Retry(_ context.Context, m Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	held, ok := f.inFlight[m.ReceiptHandle]
	if !ok {
		return fmt.Errorf("receipt handle %q is not in flight", m.ReceiptHandle)
	}
	delete(f.inFlight, m.ReceiptHandle)
	f.retried = append(f.retried, m.ID)
	f.pushLocked(held)
	return nil
}

func (f *fakeQueue) Depth(context.Context) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.depthErr != nil {
		return 0, f.depthErr
	}
	return int64(len(f.visible)), nil
}

// queueState is a snapshot of a fakeQueue.
type queueState struct {
	visible, inFlight int
	deleted, retried  []string
}

func (f *fakeQueue) state() queueState {
	f.mu.Lock()
	defer f.mu.Unlock()
	return queueState{
		visible:  len(f.visible),
		inFlight: len(f.inFlight),
		deleted:  append([]string(nil), f.deleted...),
		retried:  append([]string(nil), f.retried...),
	}
}

func (f *fakeQueue) sentBodies() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.sent...)
}

// logBuffer collects JSON log lines from several goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) count(substr string) int { return strings.Count(b.String(), substr) }

func newLog() (*slog.Logger, *logBuffer) {
	buf := &logBuffer{}
	return slog.New(slog.NewJSONHandler(buf, nil)), buf
}

// runWorker starts a worker with millisecond back-offs; cancel stops it and
// done is closed when Run has returned. The test's cleanup stops it too.
func runWorker(t *testing.T, jobs JobQueue, blobs ObjectStore, db ChecksumStore, log *slog.Logger) (cancel context.CancelFunc, done <-chan struct{}) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := newWorker(jobs, blobs, db, log)
	w.minBackoff, w.maxBackoff = time.Millisecond, 4*time.Millisecond
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		w.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		waitClosed(t, finished, "worker to stop")
	})
	return cancel, finished
}

func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// eventually waits up to 5 s for cond to hold.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// withUpload returns a DB and a bucket holding the upload called name.
func withUpload(t *testing.T, name, content string) (*fakeDB, *fakeBlobs) {
	t.Helper()
	db, blobs := &fakeDB{}, newFakeBlobs()
	key := uploadPrefix + name
	blobs.Put(t.Context(), key, "text/plain", []byte(content))
	if _, err := db.SaveUpload(t.Context(), name, key, "text/plain", int64(len(content))); err != nil {
		t.Fatal(err)
	}
	return db, blobs
}

func TestJobEncoding(t *testing.T) {
	body := job{Kind: jobChecksum, Key: "uploads/receipt.txt"}.encode()
	if body != `{"kind":"checksum","key":"uploads/receipt.txt"}` {
		t.Errorf("encode = %s", body)
	}
	if j, err := parseJob(body); err != nil || j.Key != "uploads/receipt.txt" {
		t.Errorf("parseJob(%s) = %+v, %v", body, j, err)
	}
}

func TestWorkerProcessesJob(t *testing.T) {
	db, blobs := withUpload(t, "receipt.txt", "total: 42\n")
	q := newFakeQueue()
	id := q.push(job{Kind: jobChecksum, Key: "uploads/receipt.txt"}.encode())
	log, logs := newLog()
	runWorker(t, q, blobs, db, log)

	eventually(t, "the job to be deleted", func() bool { return len(q.state().deleted) == 1 })
	st := q.state()
	if st.deleted[0] != id || len(st.retried) != 0 || st.visible+st.inFlight != 0 {
		t.Errorf("queue = %+v, want only %s deleted", st, id)
	}
	u, _ := db.upload("receipt.txt")
	if u.SHA256 == nil || *u.SHA256 != sha256Hex("total: 42\n") || u.Size != 10 || u.Status() != statusProcessed {
		t.Errorf("upload = %+v, want processed with the content's SHA-256", u)
	}
	if logs.count(`"msg":"job done"`) != 1 {
		t.Errorf("log has no job done line:\n%s", logs)
	}
}

func TestWorkerRetriesPoisonJobsUntilDeadLettered(t *testing.T) {
	tests := []struct {
		name, body, wantErr string
		noObject, noRow     bool
	}{
		{name: "not JSON", body: `total: 42`, wantErr: "bad job"},
		{name: "unknown kind", body: `{"kind":"resize","key":"uploads/receipt.txt"}`, wantErr: `unknown kind \"resize\"`},
		{name: "no key", body: `{"kind":"checksum"}`, wantErr: "without a key"},
		{name: "object missing", body: `{"kind":"checksum","key":"uploads/receipt.txt"}`, noObject: true, wantErr: "no such object"},
		{name: "upload unknown", body: `{"kind":"checksum","key":"uploads/receipt.txt"}`, noRow: true, wantErr: "no such upload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, blobs := withUpload(t, "receipt.txt", "total: 42\n")
			if tt.noObject {
				blobs.objects = map[string]fakeObject{}
			}
			if tt.noRow {
				db.uploads = nil
			}
			dlq := newFakeQueue()
			q := newFakeQueue()
			q.maxReceives, q.deadLetters = 3, dlq // as declared in compose.yaml
			id := q.push(tt.body)
			log, logs := newLog()
			runWorker(t, q, blobs, db, log)

			eventually(t, "the job to reach the dead-letter queue", func() bool { return dlq.state().visible == 1 })
			st := q.state()
			if len(st.deleted) != 0 {
				t.Errorf("poison job was deleted: %+v", st)
			}
			if strings.Join(st.retried, ",") != id+","+id+","+id {
				t.Errorf("handed back %v, want %s three times (once per receive)", st.retried, id)
			}
			if st.visible+st.inFlight != 0 {
				t.Errorf("queue still holds %+v", st)
			}
			for n := 1; n <= 3; n++ {
				if logs.count(fmt.Sprintf(`"receive_count":%d`, n)) != 1 {
					t.Errorf("log does not report receive %d once:\n%s", n, logs)
				}
			}
			if logs.count(tt.wantErr) != 3 {
				t.Errorf("log does not name the failure %q three times:\n%s", tt.wantErr, logs)
			}
			if u, ok := db.upload("receipt.txt"); ok && u.ProcessedAt != nil {
				t.Errorf("upload marked processed by a failed job")
			}
		})
	}
}

func TestWorkerLeavesTransientFailures(t *testing.T) {
	db, blobs := withUpload(t, "receipt.txt", "total: 42\n")
	db.err = errors.New("postgres down")
	q := newFakeQueue()
	q.push(job{Kind: jobChecksum, Key: "uploads/receipt.txt"}.encode())
	log, logs := newLog()
	runWorker(t, q, blobs, db, log)

	eventually(t, "the failure to be logged", func() bool { return logs.count("postgres down") > 0 })
	st := q.state()
	if len(st.deleted) != 0 || len(st.retried) != 0 || st.inFlight != 1 {
		t.Errorf("queue = %+v, want the job left in flight for the visibility timeout", st)
	}
}

func TestWorkerFinishesJobInHandOnShutdown(t *testing.T) {
	db, blobs := withUpload(t, "a.txt", "a")
	blobs.Put(t.Context(), "uploads/b.txt", "text/plain", []byte("b"))
	db.SaveUpload(t.Context(), "b.txt", "uploads/b.txt", "text/plain", 1)
	blobs.gate, blobs.started = make(chan struct{}), make(chan struct{}, 2)
	q := newFakeQueue()
	first := q.push(job{Kind: jobChecksum, Key: "uploads/a.txt"}.encode())
	second := q.push(job{Kind: jobChecksum, Key: "uploads/b.txt"}.encode())
	cancel, done := runWorker(t, q, blobs, db, discard())

	<-blobs.started // the first job is running
	cancel()
	select {
	case <-done:
		t.Fatal("worker returned before finishing its job in hand")
	case <-time.After(50 * time.Millisecond):
	}
	close(blobs.gate)
	waitClosed(t, done, "worker to stop")

	st := q.state()
	if strings.Join(st.deleted, ",") != first {
		t.Errorf("deleted %v, want the job in hand %s", st.deleted, first)
	}
	if strings.Join(st.retried, ",") != second || st.visible != 1 {
		t.Errorf("queue = %+v, want %s handed back unstarted", st, second)
	}
	if u, _ := db.upload("a.txt"); u.Status() != statusProcessed {
		t.Errorf("a.txt not processed")
	}
	if u, _ := db.upload("b.txt"); u.Status() != statusQueued {
		t.Errorf("b.txt processed after shutdown")
	}
}

func TestWorkerStopsWhileWaiting(t *testing.T) {
	q := newFakeQueue()
	cancel, done := runWorker(t, q, newFakeBlobs(), &fakeDB{}, discard())
	time.Sleep(20 * time.Millisecond) // inside Receive
	cancel()
	waitClosed(t, done, "worker to stop")
}

func TestWorkerBacksOffWhenQueueUnreachable(t *testing.T) {
	db, blobs := withUpload(t, "receipt.txt", "x")
	q := newFakeQueue()
	for range 6 {
		q.receiveErrs = append(q.receiveErrs, errors.New("dial tcp: connection refused"))
	}
	q.push(job{Kind: jobChecksum, Key: "uploads/receipt.txt"}.encode())
	log, logs := newLog()
	runWorker(t, q, blobs, db, log)

	eventually(t, "the job to be done", func() bool { return len(q.state().deleted) == 1 })
	if n := logs.count("receive jobs failed"); n != 1 {
		t.Errorf("logged the receive failure %d times, want once per streak:\n%s", n, logs)
	}
	if n := logs.count(`"msg":"receiving jobs again"`); n != 1 || logs.count(`"failed_receives":6`) != 1 {
		t.Errorf("want one recovery line with failed_receives 6:\n%s", logs)
	}
}

func TestWorkerStopsDuringBackoff(t *testing.T) {
	q := newFakeQueue()
	q.receiveErrs = []error{errors.New("connection refused")}
	ctx, cancel := context.WithCancel(t.Context())
	w := newWorker(q, newFakeBlobs(), &fakeDB{}, discard())
	w.minBackoff = time.Hour
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	eventually(t, "the receive to fail", func() bool {
		q.mu.Lock()
		defer q.mu.Unlock()
		return len(q.receiveErrs) == 0
	})
	cancel()
	waitClosed(t, done, "worker to stop during its back-off")
}

// TestUploadIsProcessed runs an upload through the handler and the worker.
func TestUploadIsProcessed(t *testing.T) {
	db, blobs, q := &fakeDB{}, newFakeBlobs(), newFakeQueue()
	h := newServer(db, newFakeCache(), blobs, q, nil, discard())
	runWorker(t, q, blobs, db, discard())

	if rec := put(t, h, "/uploads/receipt.txt", "text/plain", "total: 42\n"); rec.Code != http.StatusAccepted {
		t.Fatalf("PUT status = %d, want 202", rec.Code)
	}
	var got uploadStatus
	eventually(t, "the upload to be processed", func() bool {
		got = decode[uploadStatus](t, do(t, h, "GET", "/uploads/receipt.txt", ""))
		return got.Status == statusProcessed
	})
	if got.SHA256 == nil || *got.SHA256 != sha256Hex("total: 42\n") {
		t.Errorf("sha256 = %v, want %s", got.SHA256, sha256Hex("total: 42\n"))
	}
}
