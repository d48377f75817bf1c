package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// schema is applied on every start; it only creates what is missing.
const schema = `
CREATE TABLE IF NOT EXISTS orders (
	id         bigserial PRIMARY KEY,
	item       text NOT NULL,
	quantity   int NOT NULL CHECK (quantity > 0),
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS boots (
	id         bigserial PRIMARY KEY,
	started_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS uploads (
	name         text PRIMARY KEY,
	key          text NOT NULL UNIQUE,
	size         bigint NOT NULL CHECK (size >= 0),
	content_type text NOT NULL,
	uploaded_at  timestamptz NOT NULL DEFAULT now(),
	sha256       text,
	processed_at timestamptz
);`

// schemaLock is the advisory lock key that serialises migrations when several
// replicas start at once (CREATE TABLE IF NOT EXISTS alone can race).
const schemaLock = 0x73686f70 // "shop"

// postgresStore keeps orders, boots and uploads in Postgres.
type postgresStore struct {
	pool *pgxpool.Pool
}

// openPostgres connects to url and waits until the server answers.
func openPostgres(ctx context.Context, url string, log *slog.Logger) (*postgresStore, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := retry(ctx, log, "postgres", pool.Ping); err != nil {
		pool.Close()
		return nil, err
	}
	return &postgresStore{pool: pool}, nil
}

func (s *postgresStore) Close() { s.pool.Close() }

// Ping runs SELECT 1.
func (s *postgresStore) Ping(ctx context.Context) error {
	var one int
	return s.pool.QueryRow(ctx, "SELECT 1").Scan(&one)
}

// Migrate creates the tables the service needs.
func (s *postgresStore) Migrate(ctx context.Context) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", schemaLock); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, schema)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: create schema: %w", err)
	}
	return nil
}

// RecordBoot inserts a row into boots and returns its id.
func (s *postgresStore) RecordBoot(ctx context.Context) (int64, error) {
	var id int64
	if err := s.pool.QueryRow(ctx, "INSERT INTO boots DEFAULT VALUES RETURNING id").Scan(&id); err != nil {
		return 0, fmt.Errorf("postgres: record boot: %w", err)
	}
	return id, nil
}

// Boots counts the recorded starts.
func (s *postgresStore) Boots(ctx context.Context) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, "SELECT count(*) FROM boots").Scan(&n)
	return n, err
}

// CreateOrder inserts an order and returns it as stored.
func (s *postgresStore) CreateOrder(ctx context.Context, item string, quantity int) (Order, error) {
	o := Order{Item: item, Quantity: quantity}
	err := s.pool.QueryRow(ctx,
		"INSERT INTO orders (item, quantity) VALUES ($1, $2) RETURNING id, created_at",
		item, quantity,
	).Scan(&o.ID, &o.CreatedAt)
	return o, err
}

// ListOrders returns up to limit orders, newest first.
func (s *postgresStore) ListOrders(ctx context.Context, limit int) ([]Order, error) {
	rows, err := s.pool.Query(ctx,
		"SELECT id, item, quantity, created_at FROM orders ORDER BY created_at DESC, id DESC LIMIT $1",
		limit,
	)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Order])
}

// SaveUpload inserts an upload, or replaces the one with the same name (a
// re-upload, which is then not processed yet), and returns it as stored.
func (s *postgresStore) SaveUpload(ctx context.Context, name, key, contentType string, size int64) (Upload, error) {
	u := Upload{Name: name, Key: key, Size: size, ContentType: contentType}
	err := s.pool.QueryRow(ctx, `
		INSERT INTO uploads (name, key, size, content_type) VALUES ($1, $2, $3, $4)
		ON CONFLICT (name) DO UPDATE SET
			key = EXCLUDED.key, size = EXCLUDED.size, content_type = EXCLUDED.content_type,
			uploaded_at = now(), sha256 = NULL, processed_at = NULL
		RETURNING uploaded_at`,
		name, key, size, contentType,
	).Scan(&u.UploadedAt)
	return u, err
}

// GetUpload returns the upload called name; errNoUpload when there is none.
func (s *postgresStore) GetUpload(ctx context.Context, name string) (Upload, error) {
	rows, err := s.pool.Query(ctx,
		"SELECT name, key, size, content_type, uploaded_at, sha256, processed_at FROM uploads WHERE name = $1",
		name,
	)
	if err != nil {
		return Upload{}, err
	}
	u, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByPos[Upload])
	if errors.Is(err, pgx.ErrNoRows) {
		return Upload{}, errNoUpload
	}
	return u, err
}

// UploadCounts counts all uploads and the processed ones.
func (s *postgresStore) UploadCounts(ctx context.Context) (total, processed int64, err error) {
	err = s.pool.QueryRow(ctx, "SELECT count(*), count(processed_at) FROM uploads").Scan(&total, &processed)
	return total, processed, err
}

// RecordChecksum stores an upload's size and SHA-256 and marks it processed.
func (s *postgresStore) RecordChecksum(ctx context.Context, key string, size int64, sha256 string) error {
	tag, err := s.pool.Exec(ctx,
		"UPDATE uploads SET size = $2, sha256 = $3, processed_at = now() WHERE key = $1",
		key, size, sha256,
	)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w with key %s", errNoUpload, key)
	}
	return nil
}

// redisStore is the Cache, backed by Redis.
type redisStore struct {
	client *redis.Client
}

// openRedis connects to url and waits until the server answers PING.
func openRedis(ctx context.Context, url string, log *slog.Logger) (*redisStore, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	if opts.DialerRetries == 0 {
		// Fail fast when Redis is down: the handlers fall back to Postgres
		// (or report it in /healthz) instead of stalling on redials.
		opts.DialerRetries = 1
	}
	redis.SetLogger(redisLogger{log})
	s := &redisStore{client: redis.NewClient(opts)}
	if err := retry(ctx, log, "redis", s.Ping); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// redisLogger sends go-redis's own messages to the service's log.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	msg := strings.TrimPrefix(fmt.Sprintf(format, v...), "redis: ")
	l.log.WarnContext(ctx, msg, "component", "go-redis")
}

func (s *redisStore) Close() { _ = s.client.Close() }

func (s *redisStore) Ping(ctx context.Context) error { return s.client.Ping(ctx).Err() }

func (s *redisStore) Get(ctx context.Context, key string) ([]byte, error) {
	b, err := s.client.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, errCacheMiss
	}
	return b, err
}

func (s *redisStore) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	return s.client.Set(ctx, key, value, ttl).Err()
}

func (s *redisStore) Del(ctx context.Context, key string) error {
	return s.client.Del(ctx, key).Err()
}

func (s *redisStore) Incr(ctx context.Context, key string) (int64, error) {
	return s.client.Incr(ctx, key).Result()
}

func (s *redisStore) Int(ctx context.Context, key string) (int64, error) {
	n, err := s.client.Get(ctx, key).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	return n, err
}
