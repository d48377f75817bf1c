package main

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prodlike/prodlike/emulators"
	"github.com/prodlike/prodlike/emulators/sqs"
	"github.com/prodlike/prodlike/emulators/standintest"
)

func TestEmulateSQSServesUntilInterrupted(t *testing.T) {
	port := standintest.FreePort(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var out, errOut standintest.SyncBuffer
	e := env{stdout: &out, stderr: &errOut, signals: func(chan<- os.Signal) func() { return func() {} }}
	exited := make(chan struct{})
	var code int
	go func() {
		defer close(exited)
		code = run(ctx, []string{"emulate", "sqs", "--host", "127.0.0.1", "--port", strconv.Itoa(port), "--region", "eu-west-1"}, e)
	}()

	st, err := sqs.New("", sqs.WithRegion("eu-west-1"), sqs.WithQueues(sqs.Queue{Name: "jobs", Attributes: map[string]string{"VisibilityTimeout": "45"}}))
	if err != nil {
		t.Fatal(err)
	}
	ep := emulators.Endpoint{Host: "127.0.0.1", Port: port}
	standintest.WaitReady(t, st, ep, exited, &out, 10*time.Second)
	if err := st.Configure(ctx, ep); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	f, err := st.Facts(ctx, ep)
	if err != nil {
		t.Fatalf("Facts: %v", err)
	}
	facts := f.(*sqs.Facts)
	if facts.Version != currentBuild().Version {
		t.Errorf("server version: got %q, want prodlike's %q", facts.Version, currentBuild().Version)
	}
	q, ok := facts.Queue("jobs")
	if !ok || q.Attributes["VisibilityTimeout"] != "45" || !strings.Contains(q.Attributes["QueueArn"], ":eu-west-1:") {
		t.Errorf("queue jobs: got %+v, want VisibilityTimeout 45 and an eu-west-1 ARN", q)
	}

	cancel() // what SIGTERM from docker stop does
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		t.Fatal("emulate sqs did not stop within 10s of being interrupted")
	}
	if code != 0 {
		t.Errorf("exit code: got %d, want 0 after an interrupt\nstderr: %s", code, errOut.String())
	}
	for _, want := range []string{"listening on 127.0.0.1:" + strconv.Itoa(port), "region eu-west-1", "stopped"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stdout %q: want it to contain %q", out.String(), want)
		}
	}
}

func TestEmulateSQSBadPort(t *testing.T) {
	code, _, stderr := runIn(t, "", "emulate", "sqs", "--port", "70000")
	if code != exitUsage || !strings.Contains(stderr, "--port 70000") {
		t.Errorf("got exit %d, stderr %q; want %d naming the port", code, stderr, exitUsage)
	}
}
