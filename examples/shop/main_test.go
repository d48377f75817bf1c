package main

import (
	"maps"
	"strings"
	"testing"
)

func TestConfigFromEnv(t *testing.T) {
	// base is a complete environment; env adds to it or, with "", unsets.
	base := map[string]string{
		"DATABASE_URL":   "postgres://db",
		"REDIS_URL":      "redis://cache",
		"UPLOADS_BUCKET": "shop-uploads",
		"JOBS_QUEUE_URL": "http://queues:9324/000000000000/shop-jobs",
	}
	baseCfg := config{
		DatabaseURL:   "postgres://db",
		RedisURL:      "redis://cache",
		UploadsBucket: "shop-uploads",
		JobsQueueURL:  "http://queues:9324/000000000000/shop-jobs",
		Port:          8080,
	}
	with := func(change func(*config)) config {
		cfg := baseCfg
		change(&cfg)
		return cfg
	}
	tests := []struct {
		name     string
		env      map[string]string
		nothing  bool // start from an empty environment instead of base
		want     config
		wantErrs []string
	}{
		{
			name: "defaults",
			want: baseCfg,
		},
		{
			name: "port",
			env:  map[string]string{"PORT": "9000"},
			want: with(func(c *config) { c.Port = 9000 }),
		},
		{
			name: "dead-letter queue and path style",
			env: map[string]string{
				"JOBS_DLQ_URL":      "https://sqs.eu-west-1.amazonaws.com/123456789012/shop-jobs-dlq",
				"S3_USE_PATH_STYLE": "true",
			},
			want: with(func(c *config) {
				c.JobsDLQURL = "https://sqs.eu-west-1.amazonaws.com/123456789012/shop-jobs-dlq"
				c.S3PathStyle = true
			}),
		},
		{
			name: "path style off",
			env:  map[string]string{"S3_USE_PATH_STYLE": "false"},
			want: baseCfg,
		},
		{
			name:    "nothing set",
			nothing: true,
			wantErrs: []string{
				"DATABASE_URL is required", "REDIS_URL is required",
				"UPLOADS_BUCKET is required", "JOBS_QUEUE_URL is required",
			},
		},
		{
			name:     "redis missing",
			env:      map[string]string{"REDIS_URL": ""},
			wantErrs: []string{"REDIS_URL is required"},
		},
		{
			name:     "aws settings missing",
			env:      map[string]string{"UPLOADS_BUCKET": "", "JOBS_QUEUE_URL": ""},
			wantErrs: []string{"UPLOADS_BUCKET is required", "JOBS_QUEUE_URL is required"},
		},
		{
			name: "all reported together",
			env: map[string]string{
				"DATABASE_URL": "", "UPLOADS_BUCKET": "", "JOBS_QUEUE_URL": "",
				"PORT": "http", "S3_USE_PATH_STYLE": "yes please",
			},
			wantErrs: []string{
				"DATABASE_URL is required", "UPLOADS_BUCKET is required", "JOBS_QUEUE_URL is required",
				`PORT must be a port number, got "http"`, `S3_USE_PATH_STYLE must be true or false, got "yes please"`,
			},
		},
		{
			name:     "queue URLs not URLs",
			env:      map[string]string{"JOBS_QUEUE_URL": "shop-jobs", "JOBS_DLQ_URL": "sqs://queues/dlq"},
			wantErrs: []string{`JOBS_QUEUE_URL must be an http(s) queue URL, got "shop-jobs"`, `JOBS_DLQ_URL must be an http(s) queue URL, got "sqs://queues/dlq"`},
		},
		{
			name:     "bad port",
			env:      map[string]string{"PORT": "http"},
			wantErrs: []string{`PORT must be a port number, got "http"`},
		},
		{
			name:     "port out of range",
			env:      map[string]string{"PORT": "70000"},
			wantErrs: []string{"PORT must be a port number"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			if !tt.nothing {
				maps.Copy(env, base)
			}
			maps.Copy(env, tt.env)
			got, err := configFromEnv(func(k string) string { return env[k] })
			if len(tt.wantErrs) == 0 {
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
				if got != tt.want {
					t.Errorf("config = %+v, want %+v", got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("err = nil, want %q", tt.wantErrs)
			}
			for _, want := range tt.wantErrs {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("err = %q, want it to contain %q", err, want)
				}
			}
			if n := len(strings.Split(err.Error(), "\n")); n != len(tt.wantErrs) {
				t.Errorf("err has %d lines, want %d:\n%s", n, len(tt.wantErrs), err)
			}
		})
	}
}
