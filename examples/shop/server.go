package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Redis keys the service uses.
const (
	keyBoots       = "shop:boots"        // INCR on every start
	keyOrdersCount = "shop:orders:count" // INCR on every created order
	keyOrdersList  = "shop:orders:list"  // cached GET /orders body
)

const (
	listLimit    = 100
	listCacheTTL = 30 * time.Second
	maxItemLen   = 200
	maxBodyBytes = 1 << 16
	pingTimeout  = 2 * time.Second

	maxUploadBytes = 10 << 20 // 10 MiB
	uploadPrefix   = "uploads/"
)

// uploadName is what an upload's name may be.
var uploadName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)

// Order is one order as stored and as served.
type Order struct {
	ID        int64     `json:"id"`
	Item      string    `json:"item"`
	Quantity  int       `json:"quantity"`
	CreatedAt time.Time `json:"created_at"`
}

// Upload is one uploaded file's row. SHA256 and ProcessedAt are nil until
// the checksum job has run.
type Upload struct {
	Name        string     `json:"name"`
	Key         string     `json:"key"`
	Size        int64      `json:"size"`
	ContentType string     `json:"content_type"`
	UploadedAt  time.Time  `json:"uploaded_at"`
	SHA256      *string    `json:"sha256"`
	ProcessedAt *time.Time `json:"processed_at"`
}

// Upload statuses.
const (
	statusQueued    = "queued"
	statusProcessed = "processed"
)

// Status is statusProcessed once the checksum job has run, statusQueued
// before.
func (u Upload) Status() string {
	if u.ProcessedAt != nil {
		return statusProcessed
	}
	return statusQueued
}

// errNoUpload is what DB.GetUpload and RecordChecksum return (possibly
// wrapped) for an upload that does not exist.
var errNoUpload = errors.New("no such upload")

// DB is the durable store (Postgres in production).
type DB interface {
	Ping(ctx context.Context) error
	CreateOrder(ctx context.Context, item string, quantity int) (Order, error)
	ListOrders(ctx context.Context, limit int) ([]Order, error)
	Boots(ctx context.Context) (int64, error)
	// SaveUpload inserts or replaces the upload called name; a replaced
	// upload loses its checksum until the job runs again.
	SaveUpload(ctx context.Context, name, key, contentType string, size int64) (Upload, error)
	// GetUpload returns errNoUpload when there is no upload called name.
	GetUpload(ctx context.Context, name string) (Upload, error)
	UploadCounts(ctx context.Context) (total, processed int64, err error)
	ChecksumStore
}

// errCacheMiss is what Cache.Get returns for a key that does not exist.
var errCacheMiss = errors.New("cache miss")

// Cache is the key-value store (Redis in production).
type Cache interface {
	Ping(ctx context.Context) error
	// Get returns errCacheMiss when key does not exist.
	Get(ctx context.Context, key string) ([]byte, error)
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	Del(ctx context.Context, key string) error
	Incr(ctx context.Context, key string) (int64, error)
	// Int returns the integer stored at key, 0 when key does not exist.
	Int(ctx context.Context, key string) (int64, error)
}

type server struct {
	db          DB
	cache       Cache
	blobs       ObjectStore
	jobs        JobQueue
	deadLetters JobQueue // nil when the dead-letter queue is not reported
	log         *slog.Logger
}

// newServer returns the service's HTTP handler. deadLetters may be nil.
func newServer(db DB, cache Cache, blobs ObjectStore, jobs, deadLetters JobQueue, log *slog.Logger) http.Handler {
	s := &server{db: db, cache: cache, blobs: blobs, jobs: jobs, deadLetters: deadLetters, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.health)
	mux.HandleFunc("POST /orders", s.createOrder)
	mux.HandleFunc("GET /orders", s.listOrders)
	mux.HandleFunc("PUT /uploads/{name}", s.putUpload)
	mux.HandleFunc("GET /uploads/{name}", s.getUpload)
	mux.HandleFunc("GET /stats", s.stats)
	return s.logRequests(mux)
}

// health answers 200 only when Postgres, Redis, the bucket and the jobs
// queue all answer, 503 naming the failures otherwise.
func (s *server) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), pingTimeout)
	defer cancel()

	checks := []struct {
		name string
		ping func(context.Context) error
		err  error
	}{
		{name: "postgres", ping: s.db.Ping},
		{name: "redis", ping: s.cache.Ping},
		{name: "s3", ping: s.blobs.Ping},
		{name: "sqs", ping: s.jobs.Ping},
	}
	var wg sync.WaitGroup
	for i := range checks {
		wg.Go(func() { checks[i].err = checks[i].ping(ctx) })
	}
	wg.Wait()

	body := map[string]string{"status": "ok"}
	var failed []any
	for _, c := range checks {
		if c.err != nil {
			body["status"] = "unavailable"
			failed = append(failed, c.name, c.err.Error())
		}
	}
	if len(failed) == 0 {
		writeJSON(w, http.StatusOK, body)
		return
	}
	for _, c := range checks {
		body[c.name] = "ok"
		if c.err != nil {
			body[c.name] = c.err.Error()
		}
	}
	s.log.Warn("unhealthy", failed...)
	writeJSON(w, http.StatusServiceUnavailable, body)
}

type orderRequest struct {
	Item     string `json:"item"`
	Quantity int64  `json:"quantity"`
}

// validate checks the request and returns the cleaned item name.
func (req orderRequest) validate() (string, error) {
	item := strings.TrimSpace(req.Item)
	switch {
	case item == "":
		return "", errors.New("item is required")
	case len(item) > maxItemLen:
		return "", errors.New("item must be at most 200 bytes")
	case req.Quantity <= 0:
		return "", errors.New("quantity must be a positive integer")
	case req.Quantity > math.MaxInt32:
		return "", errors.New("quantity is too large")
	}
	return item, nil
}

func (s *server) createOrder(w http.ResponseWriter, r *http.Request) {
	var req orderRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var tooLarge *http.MaxBytesError
		var wrongType *json.UnmarshalTypeError
		switch {
		case errors.As(err, &tooLarge):
			writeError(w, http.StatusRequestEntityTooLarge, "request body too large")
		case errors.As(err, &wrongType) && wrongType.Field == "quantity":
			writeError(w, http.StatusBadRequest, "quantity must be a positive integer")
		case errors.As(err, &wrongType):
			writeError(w, http.StatusBadRequest, wrongType.Field+" must be a JSON "+wrongType.Type.Kind().String())
		default:
			writeError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		}
		return
	}
	if dec.Decode(&struct{}{}) != io.EOF {
		writeError(w, http.StatusBadRequest, "invalid JSON body: one object expected")
		return
	}
	item, err := req.validate()
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}

	ctx := r.Context()
	order, err := s.db.CreateOrder(ctx, item, int(req.Quantity))
	if err != nil {
		s.internalError(w, "create order", err)
		return
	}
	// The order is committed: a Redis failure from here on must not turn
	// into an error the client would retry (and so order twice).
	if _, err := s.cache.Incr(ctx, keyOrdersCount); err != nil {
		s.log.Warn("count order", "err", err)
	}
	if err := s.cache.Del(ctx, keyOrdersList); err != nil {
		s.log.Warn("invalidate order list", "err", err)
	}
	writeJSON(w, http.StatusCreated, order)
}

func (s *server) listOrders(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	body, err := s.cache.Get(ctx, keyOrdersList)
	if err == nil {
		writeRaw(w, http.StatusOK, "hit", body)
		return
	}
	if !errors.Is(err, errCacheMiss) {
		// Serve from Postgres when Redis is down.
		s.log.Warn("read order list cache", "err", err)
	}

	orders, err := s.db.ListOrders(ctx, listLimit)
	if err != nil {
		s.internalError(w, "list orders", err)
		return
	}
	if orders == nil {
		orders = []Order{}
	}
	body, err = json.Marshal(orders)
	if err != nil {
		s.internalError(w, "encode orders", err)
		return
	}
	if err := s.cache.Set(ctx, keyOrdersList, body, listCacheTTL); err != nil {
		s.log.Warn("cache order list", "err", err)
	}
	writeRaw(w, http.StatusOK, "miss", body)
}

// uploadAccepted is the answer to an upload.
type uploadAccepted struct {
	Name   string `json:"name"`
	Key    string `json:"key"`
	Size   int64  `json:"size"`
	Status string `json:"status"`
}

// uploadStatus is an upload as served.
type uploadStatus struct {
	Upload
	Status string `json:"status"`
}

// validUploadName checks name against uploadName; "." and ".." are refused
// too, since a URL path would read them as directories.
func validUploadName(name string) error {
	if !uploadName.MatchString(name) || name == "." || name == ".." {
		return errors.New("name must be 1 to 100 letters, digits, '.', '_' or '-'")
	}
	return nil
}

// putUpload stores the body in the bucket under uploads/<name>, records the
// upload and queues its checksum job.
func (s *server) putUpload(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := validUploadName(name); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if r.ContentLength > maxUploadBytes {
		writeError(w, http.StatusRequestEntityTooLarge, "file too large (at most 10 MiB)")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxUploadBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, http.StatusRequestEntityTooLarge, "file too large (at most 10 MiB)")
			return
		}
		writeError(w, http.StatusBadRequest, "read body: "+err.Error())
		return
	}
	contentType := r.Header.Get("Content-Type")
	if contentType == "" {
		contentType = "application/octet-stream"
	}

	ctx := r.Context()
	key := uploadPrefix + name
	if err := s.blobs.Put(ctx, key, contentType, body); err != nil {
		s.internalError(w, "store upload", err)
		return
	}
	// The row goes in before the job is queued: the worker may run the job
	// at once, and a job whose row is missing is a failed one.
	if _, err := s.db.SaveUpload(ctx, name, key, contentType, int64(len(body))); err != nil {
		s.internalError(w, "record upload", err)
		return
	}
	if err := s.jobs.Send(ctx, job{Kind: jobChecksum, Key: key}.encode()); err != nil {
		// The client's retry uploads again, which is harmless.
		s.internalError(w, "queue checksum job", err)
		return
	}
	writeJSON(w, http.StatusAccepted, uploadAccepted{Name: name, Key: key, Size: int64(len(body)), Status: statusQueued})
}

func (s *server) getUpload(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := validUploadName(name); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	u, err := s.db.GetUpload(r.Context(), name)
	if errors.Is(err, errNoUpload) {
		writeError(w, http.StatusNotFound, "no upload called "+name)
		return
	}
	if err != nil {
		s.internalError(w, "read upload", err)
		return
	}
	writeJSON(w, http.StatusOK, uploadStatus{Upload: u, Status: u.Status()})
}

type statsResponse struct {
	Boots      int64 `json:"boots"`
	RedisBoots int64 `json:"redis_boots"`
	Orders     int64 `json:"orders"`
	Uploads    int64 `json:"uploads"`
	Processed  int64 `json:"processed"`
	// DeadLetters is set only when the dead-letter queue is configured.
	DeadLetters *int64 `json:"dead_letters,omitempty"`
}

func (s *server) stats(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var st statsResponse
	var err error
	if st.Boots, err = s.db.Boots(ctx); err != nil {
		s.internalError(w, "count boots", err)
		return
	}
	if st.RedisBoots, err = s.cache.Int(ctx, keyBoots); err != nil {
		s.internalError(w, "read "+keyBoots, err)
		return
	}
	if st.Orders, err = s.cache.Int(ctx, keyOrdersCount); err != nil {
		s.internalError(w, "read "+keyOrdersCount, err)
		return
	}
	if st.Uploads, st.Processed, err = s.db.UploadCounts(ctx); err != nil {
		s.internalError(w, "count uploads", err)
		return
	}
	if s.deadLetters != nil {
		n, err := s.deadLetters.Depth(ctx)
		if err != nil {
			s.internalError(w, "read dead-letter queue depth", err)
			return
		}
		st.DeadLetters = &n
	}
	writeJSON(w, http.StatusOK, st)
}

// internalError logs err and answers 500 without leaking its details.
func (s *server) internalError(w http.ResponseWriter, what string, err error) {
	s.log.Error(what, "err", err)
	writeError(w, http.StatusInternalServerError, what+" failed")
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode response", http.StatusInternalServerError)
		return
	}
	writeRaw(w, status, "", body)
}

// writeRaw writes a JSON body; xCache, when set, becomes the X-Cache header.
func writeRaw(w http.ResponseWriter, status int, xCache string, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	if xCache != "" {
		w.Header().Set("X-Cache", xCache)
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
	_, _ = io.WriteString(w, "\n")
}

// logRequests logs one line per request (health checks at debug level).
func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		level := slog.LevelInfo
		if r.URL.Path == "/healthz" && rec.status == http.StatusOK {
			level = slog.LevelDebug
		}
		s.log.Log(r.Context(), level, "request",
			"method", r.Method, "path", r.URL.Path, "status", rec.status,
			"duration_ms", float64(time.Since(start).Microseconds())/1000)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
