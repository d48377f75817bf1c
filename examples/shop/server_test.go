package main

import (
	"context"
	"encoding/json"
	"errors"
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
		name         string
		pgErr, rdErr error
		wantStatus   int
		wantBody     map[string]string
	}{
		{"both up", nil, nil, 200, map[string]string{"status": "ok"}},
		{"postgres down", down, nil, 503, map[string]string{"status": "unavailable", "postgres": "connection refused", "redis": "ok"}},
		{"redis down", nil, down, 503, map[string]string{"status": "unavailable", "postgres": "ok", "redis": "connection refused"}},
		{"both down", down, down, 503, map[string]string{"status": "unavailable", "postgres": "connection refused", "redis": "connection refused"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cache := newFakeCache()
			cache.pingErr = tt.rdErr
			h := newServer(&fakeDB{pingErr: tt.pgErr}, cache, discard())
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
			rec := do(t, newServer(db, cache, discard()), "POST", "/orders", tt.body)
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
	h := newServer(db, cache, discard())

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
	rec := do(t, newServer(db, cache, discard()), "POST", "/orders", `{"item":"widget","quantity":1}`)
	if rec.Code != http.StatusCreated {
		t.Errorf("status = %d, want 201: the order is stored even when Redis fails", rec.Code)
	}
	if len(db.orders) != 1 {
		t.Errorf("stored %d orders, want 1", len(db.orders))
	}
}

func TestCreateOrderDBFailure(t *testing.T) {
	db := &fakeDB{err: errors.New("secret connection detail")}
	rec := do(t, newServer(db, newFakeCache(), discard()), "POST", "/orders", `{"item":"widget","quantity":1}`)
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
	h := newServer(db, cache, discard())

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
	rec := do(t, newServer(db, cache, discard()), "GET", "/orders", "")
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
	rec := do(t, newServer(db, newFakeCache(), discard()), "GET", "/orders", "")
	got := decode[[]Order](t, rec)
	if len(got) != 100 || got[0].ID != 120 {
		t.Errorf("got %d orders starting at id %d, want 100 starting at 120", len(got), got[0].ID)
	}
}

func TestStats(t *testing.T) {
	db := &fakeDB{boots: 3}
	cache := newFakeCache()
	cache.data[keyBoots] = []byte("2") // e.g. Redis was flushed once
	h := newServer(db, cache, discard())
	for range 4 {
		do(t, h, "POST", "/orders", `{"item":"widget","quantity":1}`)
	}

	rec := do(t, h, "GET", "/stats", "")
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	got := decode[statsResponse](t, rec)
	want := statsResponse{Boots: 3, RedisBoots: 2, Orders: 4}
	if got != want {
		t.Errorf("stats = %+v, want %+v", got, want)
	}
	var raw map[string]int64
	json.Unmarshal(rec.Body.Bytes(), &raw)
	for _, k := range []string{"boots", "redis_boots", "orders"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("stats body %s has no %q", rec.Body, k)
		}
	}
}

func TestStatsEmpty(t *testing.T) {
	rec := do(t, newServer(&fakeDB{}, newFakeCache(), discard()), "GET", "/stats", "")
	if got := decode[statsResponse](t, rec); got != (statsResponse{}) {
		t.Errorf("stats = %+v, want zeros", got)
	}
}

func TestStatsStoreFailure(t *testing.T) {
	cache := newFakeCache()
	cache.err = errors.New("redis down")
	rec := do(t, newServer(&fakeDB{}, cache, discard()), "GET", "/stats", "")
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", rec.Code)
	}
}

func TestRoutes(t *testing.T) {
	h := newServer(&fakeDB{}, newFakeCache(), discard())
	tests := []struct {
		method, path string
		want         int
	}{
		{"DELETE", "/orders", http.StatusMethodNotAllowed},
		{"POST", "/healthz", http.StatusMethodNotAllowed},
		{"GET", "/nope", http.StatusNotFound},
	}
	for _, tt := range tests {
		if rec := do(t, h, tt.method, tt.path, ""); rec.Code != tt.want {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, rec.Code, tt.want)
		}
	}
}
