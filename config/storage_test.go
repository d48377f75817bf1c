package config

import (
	"errors"
	"reflect"
	"testing"
)

func TestStorageStandins(t *testing.T) {
	spec := mustLoad(t, Options{WorkDir: "testdata/storage"})

	files := service(t, spec, "files")
	if files.Kind != KindS3 || files.Standin != "aws.s3" || files.Image != "" || files.Version != "" {
		t.Errorf("files: got kind %q standin %q image %q version %q, want s3, aws.s3 and no image or version (the plan chooses)",
			files.Kind, files.Standin, files.Image, files.Version)
	}
	wantBuckets := []Bucket{
		{Name: "uploads"},
		{Name: "assets", Versioning: true, CORS: []CORSRule{{
			AllowedOrigins: []string{"https://shop.example.com"},
			AllowedMethods: []string{"GET", "PUT"},
			AllowedHeaders: []string{"*"},
			ExposeHeaders:  []string{"ETag"},
			MaxAgeSeconds:  3600,
		}}},
	}
	if !reflect.DeepEqual(files.Buckets, wantBuckets) {
		t.Errorf("files buckets:\ngot  %+v\nwant %+v", files.Buckets, wantBuckets)
	}

	for _, tt := range []struct{ service, engine, image string }{
		{"files", "versitygw", ""},
		{"blobs", "versitygw", "versity/versitygw:v1.8.0"},
		{"legacy", "minio", "quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z"},
	} {
		svc := service(t, spec, tt.service)
		if svc.Kind != KindS3 || svc.Engine != tt.engine || svc.Image != tt.image {
			t.Errorf("%s: got kind %q engine %q image %q, want s3 running %s from %q", tt.service, svc.Kind, svc.Engine, svc.Image, tt.engine, tt.image)
		}
	}

	jobs := service(t, spec, "jobs")
	wantQueues := []Queue{
		{Name: "jobs-dlq", Attributes: map[string]string{}},
		{Name: "jobs", Attributes: map[string]string{
			"VisibilityTimeout":             "45",
			"MessageRetentionPeriod":        "345600",
			"ReceiveMessageWaitTimeSeconds": "20",
		}, DeadLetter: "jobs-dlq", MaxReceiveCount: 3},
		{Name: "orders.fifo", Attributes: map[string]string{
			"FifoQueue":                 "true",
			"ContentBasedDeduplication": "true",
			"DelaySeconds":              "5",
			"MaximumMessageSize":        "262144",
		}, DeadLetter: "orders-dlq.fifo", MaxReceiveCount: 5},
		{Name: "orders-dlq.fifo", Attributes: map[string]string{"FifoQueue": "true"}},
	}
	if jobs.Kind != KindSQS || !reflect.DeepEqual(jobs.Queues, wantQueues) {
		t.Errorf("jobs: got kind %q queues\n%+v\nwant sqs and\n%+v", jobs.Kind, jobs.Queues, wantQueues)
	}
}

func TestStorageStandinErrors(t *testing.T) {
	_, err := Load(t.Context(), Options{WorkDir: "testdata/invalid", Files: []string{"storage.yaml"}})
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("got %v, want an error matching ErrInvalid", err)
	}
	assertContains(t, err.Error(), []string{
		`storage.yaml:5: service "files": x-prodlike.version: an s3 stand-in has no engine version`,
		`storage.yaml:6: service "files": x-prodlike.queues: does not apply to stand-ins of kind s3; it is for sqs stand-ins`,
		`storage.yaml:12: service "more": x-prodlike.buckets.1: bucket "uploads" is declared twice`,
		`storage.yaml:13: service "more": x-prodlike.buckets.2.versioning: want true or false, got "yes-please"`,
		`storage.yaml:19: service "jobs": x-prodlike.queues.0.visibility-timeout: 46800 seconds is out of range: SQS allows 0 seconds to 12 hours`,
		`storage.yaml:20: service "jobs": x-prodlike.queues.0.dead-letter.queue: queue "missing" is not declared`,
		`storage.yaml:22: service "jobs": x-prodlike.queues.1.fifo: a FIFO queue's name must end in .fifo`,
		`storage.yaml:24: service "jobs": x-prodlike.queues.2.dead-letter.max-receive-count: want a number of receives from 1 to 1000, got 0`,
		`storage.yaml:24: service "jobs": x-prodlike.queues.2.dead-letter.queue: "events.fifo" and its dead-letter queue "jobs" must both be FIFO or both standard`,
		`storage.yaml:26: service "jobs": x-prodlike.queues.3.content-based-deduplication: applies to FIFO queues only`,
		`storage.yaml:29: service "minio": x-prodlike.engine: MinIO publishes no images any more`,
		`storage.yaml:27: service "jobs": x-prodlike.queues.3.retention: want whole seconds (30) or a duration such as 30s, 5m or 4d, got "30x"`,
	})
}

func TestSeconds(t *testing.T) {
	tests := []struct {
		in   any
		want int
		ok   bool
	}{
		{30, 30, true},
		{"30s", 30, true},
		{"5m", 300, true},
		{"1h30m", 5400, true},
		{"4d", 345600, true},
		{"1.5s", 0, false},
		{"-3s", 0, false},
		{"d", 0, false},
		{"soon", 0, false},
		{true, 0, false},
	}
	for _, tt := range tests {
		got, err := seconds(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("seconds(%#v): got %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
