package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/prodlike/prodlike/emulators/sqs"
	"github.com/prodlike/prodlike/emulators/sqs/server"
)

func newEmulateCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "emulate",
		Short: "Run one of prodlike's own service emulators in the foreground",
		Long: `emulate runs a service emulator that prodlike implements itself. up runs
it inside prodlike's own image as a stand-in; it also runs on its own, for
tests or tools that need the service without Docker.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newEmulateSQSCmd(a))
	return cmd
}

type emulateSQSOptions struct {
	host    string
	port    int
	region  string
	account string
}

func newEmulateSQSCmd(a *app) *cobra.Command {
	var o emulateSQSOptions
	cmd := &cobra.Command{
		Use:   "sqs",
		Short: "Serve an SQS-compatible API (the AWS JSON protocol of current SDKs) until stopped",
		Long: `emulate sqs serves an SQS-compatible API over HTTP: queues (standard and
FIFO, with dead-letter redrive), messages with attributes, long polling and
visibility timeouts, as the AWS SDKs speak it. Queues live in memory and are
gone when it stops; prodlike up creates a stand-in's declared queues on every
start. Requests are not authenticated: any credentials are accepted.

Point a client at it with AWS_ENDPOINT_URL_SQS=http://localhost:9324.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.emulateSQS(cmd.Context(), o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.host, "host", "", "address to listen on (default: all interfaces)")
	f.IntVar(&o.port, "port", sqs.Port, "TCP port to listen on")
	f.StringVar(&o.region, "region", server.DefaultRegion, "AWS region named in queue ARNs")
	f.StringVar(&o.account, "account", server.DefaultAccountID, "AWS account ID named in queue URLs and ARNs")
	return cmd
}

func (a *app) emulateSQS(ctx context.Context, o emulateSQSOptions) error {
	if o.port < 0 || o.port > 65535 {
		return usageError{fmt.Errorf("--port %d: want a TCP port from 0 to 65535", o.port)}
	}
	version := currentBuild().Version
	srv := server.New(server.WithRegion(o.region), server.WithAccountID(o.account), server.WithVersion(version))
	l, err := net.Listen("tcp", net.JoinHostPort(o.host, strconv.Itoa(o.port)))
	if err != nil {
		return fmt.Errorf("emulate sqs: %w", err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(a.stdout, "prodlike sqs %s listening on %s (region %s, account %s)\n", version, l.Addr(), o.region, o.account)
	served := make(chan error, 1)
	go func() { served <- hs.Serve(l) }()
	select {
	case err := <-served:
		srv.Close()
		return fmt.Errorf("emulate sqs: %w", err)
	case <-ctx.Done():
	}
	// Long polls return at once with no messages; then in-flight requests
	// finish.
	srv.Close()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("emulate sqs: shut down: %w", err)
	}
	fmt.Fprintln(a.stdout, "prodlike sqs stopped")
	return nil
}
