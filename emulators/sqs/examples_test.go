package sqs_test

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/prodlike/prodlike/emulators"
	"github.com/prodlike/prodlike/emulators/sqs"
)

// A stand-in for a work queue with a dead-letter queue and a FIFO queue,
// in production's account.
func ExampleNew() {
	queues, err := sqs.New("ghcr.io/prodlike/prodlike:0.4.0",
		sqs.WithAccountID("123456789012"),
		sqs.WithQueues(
			sqs.Queue{Name: "jobs", Attributes: map[string]string{"VisibilityTimeout": "120"}, DeadLetter: "jobs-dlq", MaxReceiveCount: 5},
			sqs.Queue{Name: "jobs-dlq", Attributes: map[string]string{"MessageRetentionPeriod": "1209600"}},
			sqs.Queue{Name: "orders.fifo", Attributes: map[string]string{"ContentBasedDeduplication": "true"}},
		),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	c := queues.Container()
	fmt.Println(c.Image, c.Port, c.DataDir == "")
	fmt.Printf("%q\n", c.Cmd)
	// Output:
	// ghcr.io/prodlike/prodlike:0.4.0 9324 true
	// ["emulate" "sqs" "--port" "9324" "--region" "us-east-1" "--account" "123456789012"]
}

// The app gets what the AWS SDKs read, and each queue's URL.
func ExampleStandin_Env() {
	queues, _ := sqs.New("",
		sqs.WithQueues(sqs.Queue{Name: "jobs"}, sqs.Queue{Name: "orders.fifo"}),
		sqs.WithEnvNames(map[string]string{"SQS_QUEUE_URL_JOBS": "JOBS_QUEUE_URL"}),
	)
	env := queues.Env(emulators.Endpoint{Host: "queues", Port: sqs.Port})
	for _, k := range slices.Sorted(maps.Keys(env)) {
		fmt.Printf("%s=%s\n", k, env[k])
	}
	// Output:
	// AWS_ACCESS_KEY_ID=prodlike
	// AWS_ENDPOINT_URL_SQS=http://queues:9324
	// AWS_REGION=us-east-1
	// AWS_SECRET_ACCESS_KEY=prodlike-dev-secret
	// JOBS_QUEUE_URL=http://queues:9324/000000000000/jobs
	// SQS_QUEUE_URL_ORDERS_FIFO=http://queues:9324/000000000000/orders.fifo
}

// New checks every option and reports all problems at once.
func ExampleNew_invalid() {
	_, err := sqs.New("",
		sqs.WithQueues(
			sqs.Queue{Name: "jobs", Attributes: map[string]string{"VisibilityTimeout": "46800"}, DeadLetter: "jobs-dlq.fifo", MaxReceiveCount: 5},
			sqs.Queue{Name: "jobs-dlq.fifo"},
		),
	)
	fmt.Println(errors.Is(err, sqs.ErrInvalidOption))
	fmt.Println(err)
	// Output:
	// true
	// sqs: queue "jobs": attribute VisibilityTimeout: Invalid value for the parameter VisibilityTimeout. Reason: must be an integer from 0 to 43200: invalid sqs option
	// queue "jobs": it and its dead-letter queue "jobs-dlq.fifo" must both be FIFO or both standard, as SQS requires: invalid sqs option
}
