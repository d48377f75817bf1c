package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeDB is an in-memory DB.
type fakeDB struct {
	mu      sync.Mutex
	orders  []Order
	uploads map[string]Upload // by name
	boots   int64
	pingErr error
	err     error // returned by every other method when set
	lists   int   // ListOrders calls
}

func (f *fakeDB) Ping(context.Context) error { return f.pingErr }

func (f *fakeDB) CreateOrder(_ context.Context, item string, quantity int) (Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return Order{}, f.err
	}
	o := Order{
		ID:        int64(len(f.orders) + 1),
		Item:      item,
		Quantity:  quantity,
		CreatedAt: time.Date(2026, 1, 2, 3, 4, len(f.orders), 0, time.UTC),
	}
	f.orders = append(f.orders, o)
	return o, nil
}

func (f *fakeDB) ListOrders(_ context.Context, limit int) ([]Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists++
	if f.err != nil {
		return nil, f.err
	}
	var out []Order
	for i := len(f.orders) - 1; i >= 0 && len(out) < limit; i-- {
		out = append(out, f.orders[i])
	}
	return out, nil
}

func (f *fakeDB) Boots(context.Context) (int64, error) { return f.boots, f.err }

func (f *fakeDB) SaveUpload(_ context.Context, name, key, contentType string, size int64) (Upload, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return Upload{}, f.err
	}
	if f.uploads == nil {
		f.uploads = map[string]Upload{}
	}
	u := Upload{
		Name:        name,
		Key:         key,
		Size:        size,
		ContentType: contentType,
		UploadedAt:  time.Date(2026, 1, 2, 3, 4, len(f.uploads), 0, time.UTC),
	}
	f.uploads[name] = u
	return u, nil
}

func (f *fakeDB) GetUpload(_ context.Context, name string) (Upload, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return Upload{}, f.err
	}
	u, ok := f.uploads[name]
	if !ok {
		return Upload{}, errNoUpload
	}
	return u, nil
}

func (f *fakeDB) UploadCounts(context.Context) (total, processed int64, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return 0, 0, f.err
	}
	for _, u := range f.uploads {
		total++
		if u.ProcessedAt != nil {
			processed++
		}
	}
	return total, processed, nil
}

func (f *fakeDB) RecordChecksum(_ context.Context, key string, size int64, sha256 string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	for name, u := range f.uploads {
		if u.Key == key {
			at := time.Date(2026, 1, 2, 4, 0, 0, 0, time.UTC)
			u.Size, u.SHA256, u.ProcessedAt = size, &sha256, &at
			f.uploads[name] = u
			return nil
		}
	}
	return fmt.Errorf("%w with key %s", errNoUpload, key)
}

// upload returns the upload called name and whether there is one.
func (f *fakeDB) upload(name string) (Upload, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.uploads[name]
	return u, ok
}

// fakeCache is an in-memory Cache.
type fakeCache struct {
	mu      sync.Mutex
	data    map[string][]byte
	ttl     map[string]time.Duration
	pingErr error
	err     error // returned by every other method when set
}

func newFakeCache() *fakeCache {
	return &fakeCache{data: map[string][]byte{}, ttl: map[string]time.Duration{}}
}

func (f *fakeCache) Ping(context.Context) error { return f.pingErr }

func (f *fakeCache) Get(_ context.Context, key string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	v, ok := f.data[key]
	if !ok {
		return nil, errCacheMiss
	}
	return v, nil
}

func (f *fakeCache) Set(_ context.Context, key string, value []byte, ttl time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.data[key] = append([]byte(nil), value...)
	f.ttl[key] = ttl
	return nil
}

func (f *fakeCache) Del(_ context.Context, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	delete(f.data, key)
	delete(f.ttl, key)
	return nil
}

func (f *fakeCache) Incr(_ context.Context, key string) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return 0, f.err
	}
	n, _ := strconv.ParseInt(string(f.data[key]), 10, 64)
	n++
	f.data[key] = []byte(strconv.FormatInt(n, 10))
	return n, nil
}

func (f *fakeCache) Int(_ context.Context, key string) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return 0, f.err
	}
	v, ok := f.data[key]
	if !ok {
		return 0, nil
	}
	return strconv.ParseInt(string(v), 10, 64)
}

func (f *fakeCache) has(key string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.data[key]
	return ok
}

// testServer returns the handler with empty fakes for the bucket and the
// jobs queue, and no dead-letter queue.
func testServer(db *fakeDB, cache *fakeCache) http.Handler {
	return newServer(db, cache, newFakeBlobs(), newFakeQueue(), nil, discard())
}

func do(t *testing.T, h http.Handler, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, r))
	return rec
}

func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode body %q: %v", rec.Body.String(), err)
	}
	return v
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestHealth(t *testing.T) {
	down := errors.New("connection refused")
	tests := []struct {
		name                     string
		pgErr, rdErr, s3, sqsErr error
		wantStatus               int
		wantBody                 map[string]string
	}{
		{"all up", nil, nil, nil, nil, 200, map[string]string{"status": "ok"}},
		{"postgres down", down, nil, nil, nil, 503, map[string]string{"status": "unavailable", "postgres": "connection refused", "redis": "ok", "s3": "ok", "sqs": "ok"}},
		{"redis down", nil, down, nil, nil, 503, map[string]string{"status": "unavailable", "postgres": "ok", "redis": "connection refused", "s3": "ok", "sqs": "ok"}},
		{"s3 down", nil, nil, down, nil, 503, map[string]string{"status": "unavailable", "postgres": "ok", "redis": "ok", "s3": "connection refused", "sqs": "ok"}},
		{"sqs down", nil, nil, nil, down, 503, map[string]string{"status": "unavailable", "postgres": "ok", "redis": "ok", "s3": "ok", "sqs": "connection refused"}},
		{"all down", down, down, down, down, 503, map[string]string{"status": "unavailable", "postgres": "connection refused", "redis": "connection refused", "s3": "connection refused", "sqs": "connection refused"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cache := newFakeCache()
			cache.pingErr = tt.rdErr
			blobs := newFakeBlobs()
			blobs.pingErr = tt.s3
			jobs := newFakeQueue()
			jobs.pingErr = tt.sqsErr
			h := newServer(&fakeDB{pingErr: tt.pgErr}, cache, blobs, jobs, nil, discard())
			rec := do(t, h, "GET", "/healthz", "")
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			got := decode[map[string]string](t, rec)
			if len(got) != len(tt.wantBody) {
				t.Errorf("body = %v, want %v", got, tt.wantBody)
			}
			for k, want := range tt.wantBody {
				if got[k] != want {
					t.Errorf("body[%q] = %q, want %q", k, got[k], want)
				}
			}
		})
	}
}

func TestCreateOrderValidation(t *testing.T) {
	tests := []struct {
		name, body string
		wantStatus int
		wantErr    string
	}{
		{"not JSON", `item=x`, 400, "invalid JSON body"},
		{"empty body", ``, 400, "invalid JSON body"},
		{"missing item", `{"quantity":1}`, 400, "item is required"},
		{"blank item", `{"item":"   ","quantity":1}`, 400, "item is required"},
		{"long item", `{"item":"` + strings.Repeat("x", 201) + `","quantity":1}`, 400, "item must be at most 200 bytes"},
		{"missing quantity", `{"item":"widget"}`, 400, "quantity must be a positive integer"},
		{"zero quantity", `{"item":"widget","quantity":0}`, 400, "quantity must be a positive integer"},
		{"negative quantity", `{"item":"widget","quantity":-3}`, 400, "quantity must be a positive integer"},
		{"fractional quantity", `{"item":"widget","quantity":1.5}`, 400, "quantity must be a positive integer"},
		{"string quantity", `{"item":"widget","quantity":"2"}`, 400, "quantity must be a positive integer"},
		{"huge quantity", `{"item":"widget","quantity":2147483648}`, 400, "quantity is too large"},
		{"numeric item", `{"item":7,"quantity":1}`, 400, "item must be a JSON string"},
		{"unknown field", `{"item":"widget","quantity":1,"price":3}`, 400, `unknown field "price"`},
		{"two objects", `{"item":"widget","quantity":1}{}`, 400, "one object expected"},
		{"too large", `{"item":"` + strings.Repeat("x", maxBodyBytes) + `","quantity":1}`, 413, "request body too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := &fakeDB{}
			cache := newFakeCache()
			rec := do(t, testServer(db, cache), "POST", "/orders", tt.body)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", rec.Code, tt.wantStatus, rec.Body)
			}
			got := decode[map[string]string](t, rec)["error"]
			if !strings.Contains(got, tt.wantErr) {
				t.Errorf("error = %q, want it to contain %q", got, tt.wantErr)
			}
			if len(db.orders) != 0 || cache.has(keyOrdersCount) {
				t.Errorf("invalid order was stored: orders %v, counter set %v", db.orders, cache.has(keyOrdersCount))
			}
		})
	}
}

func TestCreateOrder(t *testing.T) {
	db := &fakeDB{}
	cache := newFakeCache()
	cache.data[keyOrdersList] = []byte(`[]`)
	h := testServer(db, cache)

	rec := do(t, h, "POST", "/orders", `{"item":"  widget ","quantity":3}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("status = %d, want 201 (body %s)", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	got := decode[Order](t, rec)
	want := Order{ID: 1, Item: "widget", Quantity: 3, CreatedAt: db.orders[0].CreatedAt}
	if got != want {
		t.Errorf("order = %+v, want %+v", got, want)
	}
	if n, _ := cache.Int(t.Context(), keyOrdersCount); n != 1 {
		t.Errorf("%s = %d, want 1", keyOrdersCount, n)
	}
	if cache.has(keyOrdersList) {
		t.Errorf("%s still cached after a new order", keyOrdersList)
	}
}

func TestCreateOrderSurvivesCacheFailure(t *testing.T) {
	db := &fakeDB{}
	cache := newFakeCache()
	cache.err = errors.New("redis down")
	rec := do(t, testServer(db, cache), "POST", "/orders", `{"item":"widget","quantity":1}`)
	if rec.Code != http.StatusCreated {
		t.Errorf("status = %d, want 201: the order is stored even when Redis fails", rec.Code)
	}
	if len(db.orders) != 1 {
		t.Errorf("stored %d orders, want 1", len(db.orders))
	}
}

func TestCreateOrderDBFailure(t *testing.T) {
	db := &fakeDB{err: errors.New("secret connection detail")}
	rec := do(t, testServer(db, newFakeCache()), "POST", "/orders", `{"item":"widget","quantity":1}`)
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", rec.Code)
	}
	if strings.Contains(rec.Body.String(), "secret") {
		t.Errorf("body %q leaks the internal error", rec.Body)
	}
}

func TestListOrdersCache(t *testing.T) {
	db := &fakeDB{}
	cache := newFakeCache()
	h := testServer(db, cache)

	get := func(wantCache string, wantItems ...string) {
		t.Helper()
		rec := do(t, h, "GET", "/orders", "")
		if rec.Code != http.StatusOK {
			t.Fatalf("status = %d, want 200", rec.Code)
		}
		if got := rec.Header().Get("X-Cache"); got != wantCache {
			t.Errorf("X-Cache = %q, want %q", got, wantCache)
		}
		orders := decode[[]Order](t, rec)
		if orders == nil {
			t.Errorf("body = %s, want a JSON array", rec.Body)
		}
		var items []string
		for _, o := range orders {
			items = append(items, o.Item)
		}
		if strings.Join(items, ",") != strings.Join(wantItems, ",") {
			t.Errorf("items = %v, want %v", items, wantItems)
		}
	}

	get("miss") // empty list, now cached
	get("hit")
	if db.lists != 1 {
		t.Errorf("ListOrders called %d times, want 1 (second read from cache)", db.lists)
	}
	if ttl := cache.ttl[keyOrdersList]; ttl != 30*time.Second {
		t.Errorf("cache TTL = %v, want 30s", ttl)
	}

	do(t, h, "POST", "/orders", `{"item":"a","quantity":1}`)
	do(t, h, "POST", "/orders", `{"item":"b","quantity":2}`)
	get("miss", "b", "a") // invalidated by the POSTs; newest first
	get("hit", "b", "a")
}

func TestListOrdersRedisDown(t *testing.T) {
	db := &fakeDB{}
	db.CreateOrder(t.Context(), "widget", 1)
	cache := newFakeCache()
	cache.err = errors.New("redis down")
	rec := do(t, testServer(db, cache), "GET", "/orders", "")
	if rec.Code != http.StatusOK || rec.Header().Get("X-Cache") != "miss" {
		t.Fatalf("status %d, X-Cache %q; want 200 and miss (served from Postgres)", rec.Code, rec.Header().Get("X-Cache"))
	}
	if got := decode[[]Order](t, rec); len(got) != 1 {
		t.Errorf("got %d orders, want 1", len(got))
	}
}

func TestListOrdersLimit(t *testing.T) {
	db := &fakeDB{}
	for range 120 {
		db.CreateOrder(t.Context(), "widget", 1)
	}
	rec := do(t, testServer(db, newFakeCache()), "GET", "/orders", "")
	got := decode[[]Order](t, rec)
	if len(got) != 100 || got[0].ID != 120 {
		t.Errorf("got %d orders starting at id %d, want 100 starting at 120", len(got), got[0].ID)
	}
}

func TestStats(t *testing.T) {
	db := &fakeDB{boots: 3}
	cache := newFakeCache()
	cache.data[keyBoots] = []byte("2") // e.g. Redis was flushed once
	h := testServer(db, cache)
	for range 4 {
		do(t, h, "POST", "/orders", `{"item":"widget","quantity":1}`)
	}
	for _, name := range []string{"a.txt", "b.txt", "c.txt"} {
		put(t, h, "/uploads/"+name, "text/plain", "x")
	}
	db.RecordChecksum(t.Context(), "uploads/b.txt", 1, "sum")

	rec := do(t, h, "GET", "/stats", "")
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	got := decode[statsResponse](t, rec)
	want := statsResponse{Boots: 3, RedisBoots: 2, Orders: 4, Uploads: 3, Processed: 1}
	if got != want {
		t.Errorf("stats = %+v, want %+v", got, want)
	}
	var raw map[string]int64
	json.Unmarshal(rec.Body.Bytes(), &raw)
	for _, k := range []string{"boots", "redis_boots", "orders", "uploads", "processed"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("stats body %s has no %q", rec.Body, k)
		}
	}
	if _, ok := raw["dead_letters"]; ok {
		t.Errorf("stats body %s has dead_letters, but no dead-letter queue is configured", rec.Body)
	}
}

func TestStatsDeadLetters(t *testing.T) {
	dlq := newFakeQueue()
	dlq.push(`{"kind":"nope"}`)
	dlq.push(`not json`)
	h := newServer(&fakeDB{}, newFakeCache(), newFakeBlobs(), newFakeQueue(), dlq, discard())
	rec := do(t, h, "GET", "/stats", "")
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	got := decode[map[string]int64](t, rec)
	if n, ok := got["dead_letters"]; !ok || n != 2 {
		t.Errorf("stats %s: dead_letters = %d (present %v), want 2", rec.Body, n, ok)
	}

	dlq.depthErr = errors.New("queue gone")
	if rec := do(t, h, "GET", "/stats", ""); rec.Code != http.StatusInternalServerError {
		t.Errorf("status with the dead-letter queue failing = %d, want 500", rec.Code)
	}
}

func TestStatsEmpty(t *testing.T) {
	rec := do(t, testServer(&fakeDB{}, newFakeCache()), "GET", "/stats", "")
	if got := decode[statsResponse](t, rec); got != (statsResponse{}) {
		t.Errorf("stats = %+v, want zeros", got)
	}
}

func TestStatsStoreFailure(t *testing.T) {
	cache := newFakeCache()
	cache.err = errors.New("redis down")
	rec := do(t, testServer(&fakeDB{}, cache), "GET", "/stats", "")
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", rec.Code)
	}
}

func TestRoutes(t *testing.T) {
	h := testServer(&fakeDB{}, newFakeCache())
	tests := []struct {
		method, path string
		want         int
	}{
		{"DELETE", "/orders", http.StatusMethodNotAllowed},
		{"POST", "/healthz", http.StatusMethodNotAllowed},
		{"GET", "/nope", http.StatusNotFound},
		{"POST", "/uploads/a.txt", http.StatusMethodNotAllowed},
		{"DELETE", "/uploads/a.txt", http.StatusMethodNotAllowed},
		{"PUT", "/uploads/", http.StatusNotFound},
		{"PUT", "/uploads/a/b", http.StatusNotFound},
	}
	for _, tt := range tests {
		if rec := do(t, h, tt.method, tt.path, ""); rec.Code != tt.want {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, rec.Code, tt.want)
		}
	}
}

// put PUTs body to path with the given Content-Type ("" for none).
func put(t *testing.T, h http.Handler, path, contentType, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("PUT", path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestPutUpload(t *testing.T) {
	db, blobs, jobs := &fakeDB{}, newFakeBlobs(), newFakeQueue()
	h := newServer(db, newFakeCache(), blobs, jobs, nil, discard())

	rec := put(t, h, "/uploads/receipt.txt", "text/plain", "total: 42\n")
	if rec.Code != http.StatusAccepted {
		t.Fatalf("status = %d, want 202 (body %s)", rec.Code, rec.Body)
	}
	got := decode[uploadAccepted](t, rec)
	want := uploadAccepted{Name: "receipt.txt", Key: "uploads/receipt.txt", Size: 10, Status: "queued"}
	if got != want {
		t.Errorf("response = %+v, want %+v", got, want)
	}
	obj, ok := blobs.object("uploads/receipt.txt")
	if !ok || string(obj.data) != "total: 42\n" || obj.contentType != "text/plain" {
		t.Errorf("object = %+v (stored %v), want the body with Content-Type text/plain", obj, ok)
	}
	if sent := jobs.sentBodies(); len(sent) != 1 || sent[0] != `{"kind":"checksum","key":"uploads/receipt.txt"}` {
		t.Errorf("queued %q, want one checksum job for uploads/receipt.txt", sent)
	}
	u, ok := db.upload("receipt.txt")
	if !ok || u.Key != "uploads/receipt.txt" || u.Size != 10 || u.ContentType != "text/plain" || u.Status() != statusQueued {
		t.Errorf("row = %+v (stored %v), want a queued upload of 10 bytes", u, ok)
	}
}

func TestPutUploadDefaultContentType(t *testing.T) {
	blobs := newFakeBlobs()
	h := newServer(&fakeDB{}, newFakeCache(), blobs, newFakeQueue(), nil, discard())
	if rec := put(t, h, "/uploads/blob", "", "\x00\x01"); rec.Code != http.StatusAccepted {
		t.Fatalf("status = %d, want 202", rec.Code)
	}
	if obj, _ := blobs.object("uploads/blob"); obj.contentType != "application/octet-stream" {
		t.Errorf("Content-Type = %q, want application/octet-stream", obj.contentType)
	}
}

func TestPutUploadEmptyFile(t *testing.T) {
	h := newServer(&fakeDB{}, newFakeCache(), newFakeBlobs(), newFakeQueue(), nil, discard())
	rec := put(t, h, "/uploads/empty.txt", "text/plain", "")
	if rec.Code != http.StatusAccepted || decode[uploadAccepted](t, rec).Size != 0 {
		t.Errorf("status %d body %s, want 202 with size 0", rec.Code, rec.Body)
	}
}

func TestUploadNameValidation(t *testing.T) {
	for _, path := range []string{
		"/uploads/a%20b",                       // space
		"/uploads/a%2Fb",                       // slash
		"/uploads/caf%C3%A9.txt",               // not ASCII
		"/uploads/a:b",                         // colon
		"/uploads/" + strings.Repeat("x", 101), // too long
	} {
		t.Run(path, func(t *testing.T) {
			db, blobs, jobs := &fakeDB{}, newFakeBlobs(), newFakeQueue()
			h := newServer(db, newFakeCache(), blobs, jobs, nil, discard())
			for method, rec := range map[string]*httptest.ResponseRecorder{
				"PUT": put(t, h, path, "text/plain", "x"),
				"GET": do(t, h, "GET", path, ""),
			} {
				if rec.Code != http.StatusBadRequest {
					t.Fatalf("%s: status = %d, want 400 (body %s)", method, rec.Code, rec.Body)
				}
				if got := decode[map[string]string](t, rec)["error"]; !strings.Contains(got, "name must be") {
					t.Errorf("%s: error = %q, want the naming rule", method, got)
				}
			}
			if blobs.count() != 0 || len(jobs.sentBodies()) != 0 || len(db.uploads) != 0 {
				t.Errorf("an invalid upload was stored, queued or recorded")
			}
		})
	}
	for _, name := range []string{strings.Repeat("x", 100), "a", "A-z_0.9", "...", ".hidden"} {
		if err := validUploadName(name); err != nil {
			t.Errorf("validUploadName(%q) = %v, want nil", name, err)
		}
	}
	for _, name := range []string{"", ".", ".."} {
		if err := validUploadName(name); err == nil {
			t.Errorf("validUploadName(%q) = nil, want an error", name)
		}
	}
}

func TestPutUploadTooLarge(t *testing.T) {
	tooLarge := strings.Repeat("x", maxUploadBytes+1)
	tests := []struct {
		name          string
		body          string
		unknownLength bool
		want          int
	}{
		{"declared too large", tooLarge, false, http.StatusRequestEntityTooLarge},
		{"chunked too large", tooLarge, true, http.StatusRequestEntityTooLarge},
		{"exactly the limit", tooLarge[1:], true, http.StatusAccepted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, blobs, jobs := &fakeDB{}, newFakeBlobs(), newFakeQueue()
			h := newServer(db, newFakeCache(), blobs, jobs, nil, discard())
			var body io.Reader = strings.NewReader(tt.body)
			if tt.unknownLength {
				body = io.MultiReader(body) // hides the length
			}
			req := httptest.NewRequest("PUT", "/uploads/big.bin", body)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Fatalf("status = %d, want %d (body %s)", rec.Code, tt.want, rec.Body)
			}
			if tt.want != http.StatusRequestEntityTooLarge {
				return
			}
			if got := decode[map[string]string](t, rec)["error"]; !strings.Contains(got, "too large") {
				t.Errorf("error = %q, want it to say too large", got)
			}
			if blobs.count() != 0 || len(jobs.sentBodies()) != 0 || len(db.uploads) != 0 {
				t.Errorf("a too large upload was stored, queued or recorded")
			}
		})
	}
}

func TestPutUploadFailures(t *testing.T) {
	secret := errors.New("secret connection detail")
	tests := []struct {
		name                     string
		putErr, dbErr, sendErr   error
		wantStored, wantRecorded bool
	}{
		{name: "bucket fails", putErr: secret},
		{name: "postgres fails", dbErr: secret, wantStored: true},
		{name: "queue fails", sendErr: secret, wantStored: true, wantRecorded: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, blobs, jobs := &fakeDB{err: tt.dbErr}, newFakeBlobs(), newFakeQueue()
			blobs.putErr, jobs.sendErr = tt.putErr, tt.sendErr
			h := newServer(db, newFakeCache(), blobs, jobs, nil, discard())
			rec := put(t, h, "/uploads/a.txt", "text/plain", "x")
			if rec.Code != http.StatusInternalServerError {
				t.Errorf("status = %d, want 500", rec.Code)
			}
			if strings.Contains(rec.Body.String(), "secret") {
				t.Errorf("body %q leaks the internal error", rec.Body)
			}
			if got := blobs.count() == 1; got != tt.wantStored {
				t.Errorf("object stored = %v, want %v", got, tt.wantStored)
			}
			if _, got := db.upload("a.txt"); got != tt.wantRecorded {
				t.Errorf("row recorded = %v, want %v", got, tt.wantRecorded)
			}
			if n := len(jobs.sentBodies()); n != 0 {
				t.Errorf("%d jobs queued, want none", n)
			}
		})
	}
}

func TestGetUpload(t *testing.T) {
	db := &fakeDB{}
	h := newServer(db, newFakeCache(), newFakeBlobs(), newFakeQueue(), nil, discard())

	rec := do(t, h, "GET", "/uploads/receipt.txt", "")
	if rec.Code != http.StatusNotFound {
		t.Fatalf("unknown upload: status = %d, want 404", rec.Code)
	}
	if got := decode[map[string]string](t, rec)["error"]; got != "no upload called receipt.txt" {
		t.Errorf("error = %q", got)
	}

	put(t, h, "/uploads/receipt.txt", "text/plain", "total: 42\n")
	get := func(wantStatus string) map[string]any {
		t.Helper()
		rec := do(t, h, "GET", "/uploads/receipt.txt", "")
		if rec.Code != http.StatusOK {
			t.Fatalf("status = %d, want 200 (body %s)", rec.Code, rec.Body)
		}
		got := decode[map[string]any](t, rec)
		for _, k := range []string{"name", "key", "size", "sha256", "processed_at", "status"} {
			if _, ok := got[k]; !ok {
				t.Errorf("body %s has no %q", rec.Body, k)
			}
		}
		if got["name"] != "receipt.txt" || got["key"] != "uploads/receipt.txt" || got["size"] != 10.0 || got["status"] != wantStatus {
			t.Errorf("body = %s, want receipt.txt, uploads/receipt.txt, 10 bytes, %s", rec.Body, wantStatus)
		}
		return got
	}

	if got := get("queued"); got["sha256"] != nil || got["processed_at"] != nil {
		t.Errorf("queued upload has sha256 %v, processed_at %v; want null", got["sha256"], got["processed_at"])
	}
	db.RecordChecksum(t.Context(), "uploads/receipt.txt", 10, "abc123")
	if got := get("processed"); got["sha256"] != "abc123" || got["processed_at"] != "2026-01-02T04:00:00Z" {
		t.Errorf("processed upload has sha256 %v, processed_at %v", got["sha256"], got["processed_at"])
	}

	put(t, h, "/uploads/receipt.txt", "text/plain", "total: 43\n") // a re-upload is queued again
	if got := get("queued"); got["sha256"] != nil || got["processed_at"] != nil {
		t.Errorf("re-uploaded file has sha256 %v, processed_at %v; want null", got["sha256"], got["processed_at"])
	}

	db.err = errors.New("postgres down")
	if rec := do(t, h, "GET", "/uploads/receipt.txt", ""); rec.Code != http.StatusInternalServerError {
		t.Errorf("status with Postgres down = %d, want 500", rec.Code)
	}
}
