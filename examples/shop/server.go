package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
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
)

// Order is one order as stored and as served.
type Order struct {
	ID        int64     `json:"id"`
	Item      string    `json:"item"`
	Quantity  int       `json:"quantity"`
	CreatedAt time.Time `json:"created_at"`
}

// DB is the durable store (Postgres in production).
type DB interface {
	Ping(ctx context.Context) error
	CreateOrder(ctx context.Context, item string, quantity int) (Order, error)
	ListOrders(ctx context.Context, limit int) ([]Order, error)
	Boots(ctx context.Context) (int64, error)
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
	db    DB
	cache Cache
	log   *slog.Logger
}

// newServer returns the service's HTTP handler.
func newServer(db DB, cache Cache, log *slog.Logger) http.Handler {
	s := &server{db: db, cache: cache, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.health)
	mux.HandleFunc("POST /orders", s.createOrder)
	mux.HandleFunc("GET /orders", s.listOrders)
	mux.HandleFunc("GET /stats", s.stats)
	return s.logRequests(mux)
}

// health answers 200 only when both stores answer, 503 naming the failures
// otherwise.
func (s *server) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), pingTimeout)
	defer cancel()

	var pgErr, redisErr error
	var wg sync.WaitGroup
	wg.Go(func() { pgErr = s.db.Ping(ctx) })
	wg.Go(func() { redisErr = s.cache.Ping(ctx) })
	wg.Wait()

	if pgErr == nil && redisErr == nil {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		return
	}
	body := map[string]string{"status": "unavailable", "postgres": "ok", "redis": "ok"}
	if pgErr != nil {
		body["postgres"] = pgErr.Error()
	}
	if redisErr != nil {
		body["redis"] = redisErr.Error()
	}
	s.log.Warn("unhealthy", "postgres", body["postgres"], "redis", body["redis"])
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

type statsResponse struct {
	Boots      int64 `json:"boots"`
	RedisBoots int64 `json:"redis_boots"`
	Orders     int64 `json:"orders"`
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
