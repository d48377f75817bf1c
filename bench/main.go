// Command bench measures how fast prodlike brings up a production-shaped
// stack, side by side with plain docker-compose and with each stand-in
// started alone, on the same Docker engine with the same local images, in
// one run: arms interleaved round by round in a seeded shuffled order, a
// warm-up round that is not counted, then -n rounds summarised as median,
// min, max (and p90 from ten rounds on). See bench/README.md.
//
// "Ready" is the same host-side check for every arm: SELECT 1 over pgx
// (TLS where the URL asks for it), PING over go-redis, an S3 put and get,
// an SQS send and receive, and a GET of the app's /healthz, each polled
// every -poll from the moment the arm's command starts.
//
// Run it from the repository root (make bench does, with the offline images
// and the image mirror): go run ./bench [-n 5] [-json results.json].
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Names of what the benchmark creates: unlike any other test's or a
// running demo's, so that nothing collides and clean-up finds only its own.
const (
	prodlikeProject      = "bench-prodlike"
	composeProjectPrefix = "bench-compose-"
	floorPrefix          = "bench-floor-"
	floorLabel           = "dev.prodlike.bench"
	floorKindLabel       = "dev.prodlike.bench.kind"
	appImage             = "bench-shop-api" // a tag of shop-api, or built by prodlike
)

// options are the command's flags.
type options struct {
	rounds   int
	warmup   bool
	seed     uint64
	poll     time.Duration
	timeout  time.Duration
	settle   time.Duration
	jsonOut  string
	units    string
	repo     string
	mirror   string
	compose  string
	keepTemp bool
}

func main() {
	var o options
	var healthURL string
	flag.IntVar(&o.rounds, "n", 5, "rounds counted (after the warm-up round)")
	flag.BoolVar(&o.warmup, "warmup", true, "run one round first that is not counted")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of each round's arm order (the same seed gives the same orders)")
	flag.DurationVar(&o.poll, "poll", 15*time.Millisecond, "pause between two attempts of a readiness probe")
	flag.DurationVar(&o.timeout, "timeout", 3*time.Minute, "how long one arm may take to be ready")
	flag.DurationVar(&o.settle, "settle", 2*time.Second, "pause after a teardown before the next measurement, so that Docker's clean-up does not run into it")
	flag.StringVar(&o.jsonOut, "json", "", "also write every sample, timeline and setting to this JSON file")
	flag.StringVar(&o.units, "arms", "", "comma-separated arms to run (default all): "+strings.Join(allUnits, ", "))
	flag.StringVar(&o.repo, "repo", ".", "the prodlike repository (its cmd/prodlike is built, its examples/shop copied)")
	flag.StringVar(&o.mirror, "mirror", os.Getenv("PRODLIKE_IMAGE_MIRROR"), "image mirror prefix of the stand-in images (default $PRODLIKE_IMAGE_MIRROR)")
	flag.StringVar(&o.compose, "compose", "docker-compose", "the compose command of the compose arms")
	flag.BoolVar(&o.keepTemp, "keep-temp", false, "keep the working directory (binaries, the copy of examples/shop)")
	flag.StringVar(&healthURL, "healthcheck", "", "GET this URL once and exit 0 if it answers below 500 (what the compose files' healthchecks run)")
	flag.Parse()

	if healthURL != "" {
		if err := healthcheck(healthURL); err != nil {
			fmt.Fprintln(os.Stderr, "unhealthy:", err)
			os.Exit(1)
		}
		return
	}
	if flag.NArg() > 0 || o.rounds < 1 {
		fmt.Fprintln(os.Stderr, "usage: go run ./bench [-n ROUNDS] [-json FILE] [flags]; see -h")
		os.Exit(64)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		if ctx.Err() != nil {
			os.Exit(130)
		}
		os.Exit(1)
	}
}

// ports are the host ports the benchmark publishes, chosen free at start.
type ports struct {
	prodlike, compose, floor struct{ postgres, redis, s3, sqs, app int }
	sqsProcess               int
}

// bench is one run of the benchmark.
type bench struct {
	opts      options
	repo      string
	work      string // working directory: binaries, the copy of examples/shop
	prodlike  string // the prodlike binary under test
	probeBin  string // this program, static, for the compose healthchecks
	shopDir   string
	env       []string // children's environment
	ports     ports
	sqsImage  string            // prodlike's own image, as prodlike built it
	hostEnv   map[string]string // prodlike env --format json of the stack
	counting  bool              // false in the warm-up round
	round     int
	res       *results
	composeOK bool
}

func run(ctx context.Context, o options) (err error) {
	repo, err := filepath.Abs(o.repo)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(repo, "cmd", "prodlike")); err != nil {
		return fmt.Errorf("-repo %s is not the prodlike repository (no cmd/prodlike): run from its root", repo)
	}
	units, err := selectUnits(o.units)
	if err != nil {
		return err
	}
	b := &bench{opts: o, repo: repo, res: newResults(o)}
	b.res.Units = units

	b.work, err = os.MkdirTemp("", "prodlike-bench-")
	if err != nil {
		return err
	}
	// The compose healthchecks run the probe binary from here as nobody.
	if err := os.Chmod(b.work, 0o755); err != nil {
		return err
	}
	if !o.keepTemp {
		defer os.RemoveAll(b.work)
	} else {
		defer progress("working directory kept: %s", b.work)
	}
	if err := b.setup(ctx); err != nil {
		return err
	}
	defer func() {
		// A fresh context: clean-up runs after Ctrl-C too.
		cctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		progress("cleaning up")
		if cerr := b.cleanup(cctx); cerr != nil {
			err = errors.Join(err, fmt.Errorf("clean-up: %w", cerr))
		}
	}()
	if err := b.prepare(ctx); err != nil {
		return err
	}

	first := 1
	if o.warmup {
		first = 0
	}
	began := time.Now()
	for round := first; round <= o.rounds; round++ {
		b.round, b.counting = round, round > 0
		order := roundOrder(units, o.seed, round)
		label := fmt.Sprintf("round %d/%d", round, o.rounds)
		if round == 0 {
			label = "warm-up round (not counted)"
		}
		progress("%s: %s", label, strings.Join(order, ", "))
		for _, u := range order {
			if err := b.runUnitRetrying(ctx, u); err != nil {
				return fmt.Errorf("%s, %s: %w", label, u, err)
			}
		}
	}
	b.res.Took = time.Since(began)
	b.res.Machine = machineInfo(ctx, b)
	report := markdown(b.res)
	fmt.Print(report)
	if o.jsonOut != "" {
		if err := writeJSON(o.jsonOut, b.res); err != nil {
			return err
		}
		progress("wrote %s", o.jsonOut)
	}
	return nil
}

// setup builds the binaries, picks ports, and copies examples/shop with
// fixed host ports and the app image's benchmark tag.
func (b *bench) setup(ctx context.Context) error {
	if _, err := b.output(ctx, "", "docker", "info", "--format", "{{.ServerVersion}}"); err != nil {
		return fmt.Errorf("no Docker engine answers: %w", err)
	}
	b.prodlike = filepath.Join(b.work, "prodlike")
	b.probeBin = filepath.Join(b.work, "bench-probe")
	progress("building prodlike and the healthcheck probe (static, CGO_ENABLED=0)")
	build := func(out, pkg string) error {
		c := b.command(ctx, b.repo, "go", "build", "-o", out, pkg)
		c.Env = append(os.Environ(), "CGO_ENABLED=0")
		if o, err := c.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %w\n%s", pkg, err, o)
		}
		return nil
	}
	if err := errors.Join(build(b.prodlike, "./cmd/prodlike"), build(b.probeBin, "./bench")); err != nil {
		return err
	}
	if err := os.Chmod(b.probeBin, 0o755); err != nil {
		return err
	}

	var err error
	if b.ports, err = pickPorts(); err != nil {
		return err
	}
	b.shopDir = filepath.Join(b.work, "shop")
	if err := copyDir(filepath.Join(b.repo, "examples", "shop"), b.shopDir); err != nil {
		return err
	}
	src, err := os.ReadFile(filepath.Join(b.repo, "examples", "shop", "compose.yaml"))
	if err != nil {
		return err
	}
	p := b.ports.prodlike
	shop, err := benchShopCompose(string(src), appImage, map[string]int{"db": p.postgres, "cache": p.redis, "files": p.s3, "jobs": p.sqs, "api": p.app})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(b.shopDir, "compose.yaml"), []byte(shop), 0o644); err != nil {
		return err
	}

	b.env = childEnv(os.Environ(), b.opts.mirror)
	c := b.ports.compose
	b.env = append(b.env,
		"BENCH_APP_IMAGE="+appImage,
		"BENCH_POSTGRES_IMAGE="+b.image("postgres:15"),
		"BENCH_REDIS_IMAGE="+b.image("redis:7.0"),
		"BENCH_S3_IMAGE="+b.image("versity/versitygw:v1.8.0"),
		"BENCH_PROBE="+b.probeBin,
		"BENCH_APP_PORT="+strconv.Itoa(c.app),
		"BENCH_POSTGRES_PORT="+strconv.Itoa(c.postgres),
		"BENCH_REDIS_PORT="+strconv.Itoa(c.redis),
		"BENCH_S3_PORT="+strconv.Itoa(c.s3),
		"BENCH_SQS_PORT="+strconv.Itoa(c.sqs),
		// Known once prodlike has built its own image (prepare); compose
		// down needs some value before that.
		"BENCH_SQS_IMAGE=none",
	)
	for _, img := range []string{b.image("postgres:15"), b.image("redis:7.0"), b.image("versity/versitygw:v1.8.0")} {
		if _, err := b.output(ctx, "", "docker", "image", "inspect", "--format", "{{.Id}}", img); err != nil {
			return fmt.Errorf("image %s is missing: make bench builds the offline images (e2e/images/build.sh), or set -mirror", img)
		}
	}
	if out, err := b.output(ctx, "", b.opts.compose, "version", "--short"); err != nil {
		progress("no %s: the compose arms are left out (%v)", b.opts.compose, err)
		b.res.Notes = append(b.res.Notes, fmt.Sprintf("%s did not run (%v): no compose figures.", b.opts.compose, firstLine(err.Error())))
	} else {
		b.composeOK = true
		b.res.ComposeVersion = strings.TrimSpace(out)
	}
	// The shop's image as make demo or the e2e tests built it, under a tag of
	// the benchmark's own; when there is none, prodlike builds it in prepare.
	if _, err := b.output(ctx, "", "docker", "image", "inspect", "--format", "{{.Id}}", "shop-api"); err == nil {
		if _, err := b.output(ctx, "", "docker", "tag", "shop-api", appImage); err != nil {
			return err
		}
	}
	// What an interrupted earlier run may have left behind.
	return b.cleanup(ctx)
}

// prepare runs prodlike once, not measured: it builds prodlike's own image
// (the SQS stand-in's) for this binary and the app's image if missing, and
// reads the stack's host-side connection variables, which stay the same
// from run to run because every host port is fixed.
func (b *bench) prepare(ctx context.Context) error {
	progress("preparing: prodlike up once (builds prodlike's own image, and the app's if missing)")
	up := []string{"-p", prodlikeProject, "up", "--detach"}
	f, err := b.timed(ctx, time.Now(), b.shopDir, b.prodlike, up...)
	if err != nil {
		return err
	}
	if f.Code != 0 {
		return exitError(f, "prodlike", up)
	}
	if b.hostEnv, err = b.prodlikeEnv(ctx); err != nil {
		return err
	}
	for _, k := range []string{"DATABASE_URL", "REDIS_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SQS", "UPLOADS_BUCKET", "JOBS_DLQ_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"} {
		if b.hostEnv[k] == "" {
			return fmt.Errorf("prodlike env: no %s in %v", k, b.hostEnv)
		}
	}
	p := b.ports.prodlike
	for k, port := range map[string]int{"DATABASE_URL": p.postgres, "REDIS_URL": p.redis, "AWS_ENDPOINT_URL_S3": p.s3, "AWS_ENDPOINT_URL_SQS": p.sqs} {
		if !strings.Contains(b.hostEnv[k], "127.0.0.1:"+strconv.Itoa(port)) {
			return fmt.Errorf("prodlike env: %s is %s, want host port %d (taken by something else?)", k, b.hostEnv[k], port)
		}
	}
	out, err := b.output(ctx, "", "docker", "inspect", "--format", "{{.Config.Image}}", "prodlike-"+prodlikeProject+"-jobs")
	if err != nil {
		return err
	}
	b.sqsImage = strings.TrimSpace(out)
	b.env = append(b.env, "BENCH_SQS_IMAGE="+b.sqsImage) // the last value of a key wins
	b.res.SQSImage = b.sqsImage
	if _, err := b.output(ctx, "", "docker", "image", "inspect", "--format", "{{.Id}}", appImage); err != nil {
		return fmt.Errorf("prodlike up did not leave the app image %s: %w", appImage, err)
	}
	return b.prodlikeDown(ctx, true)
}

// cleanup removes everything the benchmark may have created: its prodlike
// project, its compose projects, its floor containers, and as a last line
// whatever still carries their labels. Images are kept.
func (b *bench) cleanup(ctx context.Context) error {
	var errs []error
	if _, err := b.output(ctx, b.shopDir, b.prodlike, "-p", prodlikeProject, "down", "--volumes"); err != nil {
		errs = append(errs, err)
	}
	if b.composeOK {
		for _, v := range composeVariants {
			if _, err := b.output(ctx, "", b.opts.compose, "-p", composeProjectPrefix+v, "-f", b.composeFile(v), "down", "-v", "-t", "2"); err != nil {
				errs = append(errs, err)
			}
		}
	}
	errs = append(errs, b.removeLabelled(ctx, floorLabel, "floor")...)
	errs = append(errs, b.removeLabelled(ctx, "dev.prodlike.project", prodlikeProject)...)
	for _, v := range composeVariants {
		errs = append(errs, b.removeLabelled(ctx, "com.docker.compose.project", composeProjectPrefix+v)...)
	}
	return errors.Join(errs...)
}

// image is ref through the mirror.
func (b *bench) image(ref string) string {
	if b.opts.mirror == "" {
		return ref
	}
	return strings.TrimSuffix(b.opts.mirror, "/") + "/" + ref
}

func (b *bench) composeFile(variant string) string {
	return filepath.Join(b.repo, "bench", "compose."+variant+".yaml")
}

// childEnv is the environment of prodlike and compose: the caller's, with
// the image mirror set and nothing that would redirect a compose file or
// project.
func childEnv(environ []string, mirror string) []string {
	var env []string
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if k == "PRODLIKE_IMAGE_MIRROR" || k == "COMPOSE_FILE" || k == "COMPOSE_PROJECT_NAME" || strings.HasPrefix(k, "BENCH_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "PRODLIKE_IMAGE_MIRROR="+mirror)
}

// benchShopCompose rewrites examples/shop's compose file for the benchmark:
// every service gets a fixed host port on 127.0.0.1 (so that the probes
// know where to look from the first millisecond, as they do under compose),
// and the app runs the benchmark's tag of its image. It fails when the
// example no longer looks as expected, rather than benchmark something else.
func benchShopCompose(src, image string, hostPorts map[string]int) (string, error) {
	containerPort := map[string]int{"db": 5432, "cache": 6379, "files": 7070, "jobs": 9324}
	out := src
	replace := func(old, repl string) error {
		if n := strings.Count(out, old); n != 1 {
			return fmt.Errorf("examples/shop/compose.yaml: found %q %d times, want once: update bench to the example", old, n)
		}
		out = strings.Replace(out, old, repl, 1)
		return nil
	}
	if err := replace("    ports: [\"8080:8080\"]\n", fmt.Sprintf("    image: %s\n    ports: [\"127.0.0.1:%d:8080\"]\n", image, hostPorts["api"])); err != nil {
		return "", err
	}
	for _, svc := range []string{"db", "cache", "files", "jobs"} {
		if err := replace("\n  "+svc+":\n", fmt.Sprintf("\n  %s:\n    ports: [\"127.0.0.1:%d:%d\"]\n", svc, hostPorts[svc], containerPort[svc])); err != nil {
			return "", err
		}
	}
	return out, nil
}

// pickPorts chooses free host ports outside the ephemeral range, where
// Docker and other tests pick theirs.
func pickPorts() (ports, error) {
	var p ports
	taken := map[int]bool{}
	next := func() (int, error) {
		for range 1000 {
			port := 20000 + rand.IntN(10000)
			if taken[port] {
				continue
			}
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
			if err != nil {
				continue
			}
			l.Close()
			taken[port] = true
			return port, nil
		}
		return 0, errors.New("no free host port between 20000 and 29999")
	}
	for _, set := range []*struct{ postgres, redis, s3, sqs, app int }{&p.prodlike, &p.compose, &p.floor} {
		for _, f := range []*int{&set.postgres, &set.redis, &set.s3, &set.sqs, &set.app} {
			port, err := next()
			if err != nil {
				return p, err
			}
			*f = port
		}
	}
	port, err := next()
	p.sqsProcess = port
	return p, err
}

// copyDir copies the regular files under src to dst.
func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

// selectUnits checks -arms against the known arms.
func selectUnits(list string) ([]string, error) {
	if list == "" {
		return slices.Clone(allUnits), nil
	}
	var units []string
	for u := range strings.SplitSeq(list, ",") {
		u = strings.TrimSpace(u)
		if !slices.Contains(allUnits, u) {
			return nil, fmt.Errorf("-arms: unknown arm %q; known: %s", u, strings.Join(allUnits, ", "))
		}
		if !slices.Contains(units, u) {
			units = append(units, u)
		}
	}
	return units, nil
}

// progress prints a line for the person waiting, on stderr.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
