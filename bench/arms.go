package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The units a round runs, each an arm or a chain of arms that needs the
// state the previous one left (warm up and parity need the running stack).
// Each unit starts from nothing running and leaves nothing running.
const (
	unitProdlike      = "prodlike"      // cold up (volumes removed), warm up, parity, idle memory
	unitProdlikeKept  = "prodlike-kept" // cold up with the data volumes kept
	unitComposeStd    = "compose-standard"
	unitComposeTuned  = "compose-tuned"
	unitFloorPostgres = "floor-postgres"
	unitFloorRedis    = "floor-redis"
	unitFloorS3       = "floor-s3"
	unitFloorSQS      = "floor-sqs"
	unitFloorAll      = "floor-parallel" // the four floors at once
	unitSQSProcess    = "sqs-process"    // prodlike emulate sqs as a host process
)

var allUnits = []string{
	unitProdlike, unitProdlikeKept, unitComposeStd, unitComposeTuned,
	unitFloorPostgres, unitFloorRedis, unitFloorS3, unitFloorSQS, unitFloorAll,
	unitSQSProcess,
}

// composeVariants are the compose files bench/compose.VARIANT.yaml.
var composeVariants = []string{"standard", "tuned"}

// The measures, each a row of the report.
const (
	mColdProbes   = "prodlike.cold.probes"
	mColdExit     = "prodlike.cold.exit"
	mKeptProbes   = "prodlike.kept.probes"
	mKeptExit     = "prodlike.kept.exit"
	mWarmExit     = "prodlike.warm.exit"
	mParityExit   = "prodlike.parity.exit"
	mSQSProcReady = "sqs-process.ready"
)

// composeMeasure names the compose arms' measures: what is "up" (up -d
// returned), "probes" (all host probes OK) or "healthy" (Docker reports
// every healthcheck healthy, what `docker compose up --wait` waits for).
func composeMeasure(variant, what string) string { return "compose-" + variant + "." + what }

// floorMeasure names a floor arm's measure.
func floorMeasure(kind string) string { return "floor-" + kind + ".probes" }

var shopServices = []string{"db", "cache", "files", "jobs", "api"}

// runUnit runs one unit, with the engine's load beside it.
func (b *bench) runUnit(ctx context.Context, unit string) error {
	rec := unitRecord{Round: b.round, Unit: unit, Counted: b.counting, Load1: loadAverage()}
	rec.Foreign, _ = b.foreignContainers(ctx)
	if rec.Foreign > 0 {
		progress("  %s: %d other containers are running on this engine (load %.2f)", unit, rec.Foreign, rec.Load1)
	}
	undo := b.res.checkpoint()
	start := time.Now()
	var err error
	switch unit {
	case unitProdlike:
		err = b.unitProdlike(ctx)
	case unitProdlikeKept:
		err = b.unitProdlikeKept(ctx)
	case unitComposeStd:
		err = b.unitCompose(ctx, "standard")
	case unitComposeTuned:
		err = b.unitCompose(ctx, "tuned")
	case unitFloorPostgres:
		err = b.unitFloor(ctx, "postgres")
	case unitFloorRedis:
		err = b.unitFloor(ctx, "redis")
	case unitFloorS3:
		err = b.unitFloor(ctx, "s3")
	case unitFloorSQS:
		err = b.unitFloor(ctx, "sqs")
	case unitFloorAll:
		err = b.unitFloor(ctx, "postgres", "redis", "s3", "sqs")
	case unitSQSProcess:
		err = b.unitSQSProcess(ctx)
	default:
		err = fmt.Errorf("unknown unit %q", unit)
	}
	rec.Took = time.Since(start)
	if err != nil {
		rec.Err = err.Error()
		undo() // a failed unit's samples would pair wrongly with other arms' rounds
	}
	b.res.Log = append(b.res.Log, rec)
	return err
}

// runUnitRetrying runs a unit, and once more if it fails: on a machine that
// others share, one arm's mishap (a timeout under load) should not throw
// away the rounds measured so far. The failure is kept in the report's
// notes; a second failure in a row ends the run. Every unit starts by
// removing what an earlier attempt left.
func (b *bench) runUnitRetrying(ctx context.Context, unit string) error {
	err := b.runUnit(ctx, unit)
	if err == nil || ctx.Err() != nil {
		return err
	}
	progress("  %s failed, trying once more: %s", unit, firstLine(err.Error()))
	b.res.Notes = append(b.res.Notes, fmt.Sprintf("Round %d: %s failed and was run again (its samples are from the second attempt): %s", b.round, unit, oneLine(err.Error())))
	return b.runUnit(ctx, unit)
}

// oneLine flattens a multi-line error for a Markdown paragraph.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// record keeps a sample of measure, in counted rounds only.
func (b *bench) record(measure string, d time.Duration) {
	progress("  %-34s %s", measure, formatDuration(d))
	if b.counting {
		b.res.Samples[measure] = append(b.res.Samples[measure], d)
	}
}

// recordMiB keeps a memory sample in MiB, in counted rounds only.
func (b *bench) recordMiB(what string, mib float64) {
	if b.counting {
		b.res.Memory[what] = append(b.res.Memory[what], mib)
	}
}

// recordTimeline keeps when each step of an arm happened.
func (b *bench) recordTimeline(arm string, t timeline) {
	if b.counting {
		b.res.Timelines[arm] = append(b.res.Timelines[arm], t)
	}
}

// pause lets Docker finish the previous teardown (unmounts on
// fuse-overlayfs, network removal) before the next measurement starts.
func (b *bench) pause(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(b.opts.settle):
	}
}

// measure starts the commands at once, all at start (now), and polls the
// probes from that same instant, each once its gate opens (see runProbes);
// it returns when every command has exited and every probe has succeeded. A
// command that fails ends the probing.
func (b *bench) measure(ctx context.Context, dir string, cmds [][]string, probes []probe, gates map[string]<-chan struct{}) (time.Time, []finished, probeResult, error) {
	ctx, cancel := context.WithTimeout(ctx, b.opts.timeout)
	defer cancel()
	probeCtx, stopProbes := context.WithCancel(ctx)
	defer stopProbes()
	start := time.Now()
	results := make([]finished, len(cmds))
	errs := make([]error, len(cmds))
	var wg sync.WaitGroup
	for i, c := range cmds {
		wg.Go(func() {
			f, err := b.timed(ctx, start, dir, c[0], c[1:]...)
			if err == nil && f.Code != 0 {
				err = exitError(f, c[0], c[1:])
			}
			results[i], errs[i] = f, err
			if err != nil {
				stopProbes()
			}
		})
	}
	pr, perr := runProbes(probeCtx, start, b.opts.poll, probes, gates)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return start, results, pr, err
		}
	}
	return start, results, pr, perr
}

// prodlikeProbes check the prodlike stack where prodlike env says it is.
func (b *bench) prodlikeProbes() ([]probe, error) {
	e := b.hostEnv
	access := awsAccess{Region: e["AWS_REGION"], KeyID: e["AWS_ACCESS_KEY_ID"], Secret: e["AWS_SECRET_ACCESS_KEY"]}
	rp, err := redisProbe(e["REDIS_URL"])
	if err != nil {
		return nil, err
	}
	return []probe{
		postgresProbe(e["DATABASE_URL"]),
		rp,
		s3Probe(e["AWS_ENDPOINT_URL_S3"], e["UPLOADS_BUCKET"], access, false),
		sqsProbe(e["AWS_ENDPOINT_URL_SQS"], e["JOBS_DLQ_URL"], access, false),
		httpProbe("app", fmt.Sprintf("http://127.0.0.1:%d/healthz", b.ports.prodlike.app)),
	}, nil
}

// shopAccess is the static dev credentials and the shop's region, as the
// compose files and the floors' versitygw use them.
var shopAccess = awsAccess{Region: "eu-west-1", KeyID: "prodlike", Secret: "prodlike-dev-secret"}

// composeProbes check the compose stack on the ports the compose files
// publish. Postgres there is the plain image, without TLS; the bucket and
// the queues are created by the probes themselves.
func (b *bench) composeProbes() ([]probe, error) {
	p := b.ports.compose
	rp, err := redisProbe(fmt.Sprintf("redis://127.0.0.1:%d/0", p.redis))
	if err != nil {
		return nil, err
	}
	return []probe{
		postgresProbe(fmt.Sprintf("postgres://shop:shop@127.0.0.1:%d/shop?sslmode=disable", p.postgres)),
		rp,
		s3Probe(fmt.Sprintf("http://127.0.0.1:%d", p.s3), "uploads", shopAccess, true),
		sqsProbe(fmt.Sprintf("http://127.0.0.1:%d", p.sqs), "", shopAccess, true),
		httpProbe("app", fmt.Sprintf("http://127.0.0.1:%d/healthz", p.app)),
	}, nil
}

func (b *bench) prodlikeArgs(args ...string) []string {
	return append([]string{b.prodlike, "-p", prodlikeProject}, args...)
}

// prodlikeDown removes the stack (and its data volumes with volumes).
func (b *bench) prodlikeDown(ctx context.Context, volumes bool) error {
	args := b.prodlikeArgs("down")
	if volumes {
		args = append(args, "--volumes")
	}
	_, err := b.output(ctx, b.shopDir, args[0], args[1:]...)
	return err
}

func (b *bench) prodlikeEnv(ctx context.Context) (map[string]string, error) {
	args := b.prodlikeArgs("env", "--format", "json")
	out, err := b.output(ctx, b.shopDir, args[0], args[1:]...)
	if err != nil {
		return nil, err
	}
	var env map[string]string
	if err := json.Unmarshal([]byte(out), &env); err != nil {
		return nil, fmt.Errorf("prodlike env --format json: %w\n%s", err, out)
	}
	return env, nil
}

// coldUp measures prodlike up --detach from no container running, and
// keeps its timeline.
func (b *bench) coldUp(ctx context.Context, arm, probesMeasure, exitMeasure string) error {
	probes, err := b.prodlikeProbes()
	if err != nil {
		return err
	}
	events, err := b.followEvents(ctx, "dev.prodlike.project", prodlikeProject, "dev.prodlike.service", shopServices)
	if err != nil {
		return err
	}
	defer events.stop()
	start, fs, pr, err := b.measure(ctx, b.shopDir, [][]string{b.prodlikeArgs("up", "--detach")}, probes, events.startGates(probes, shopServices))
	if err != nil {
		return err
	}
	f := fs[0]
	if !strings.Contains(f.Stdout, "(5 started, 0 reused)") {
		return fmt.Errorf("cold up did not start all five services:\n%s%s", f.Stdout, f.stderrText())
	}
	b.record(probesMeasure, pr.all())
	b.record(exitMeasure, f.Took)
	b.recordMiB("rss/prodlike up --detach ("+arm+")", float64(f.MaxRSSKiB)/1024)
	t := progressTimeline(f.Stderr)
	for name, d := range pr {
		t["probe/"+name] = d
	}
	t["command/exit"] = f.Took
	started, _ := events.times(start)
	for svc, d := range started {
		t[svc+"/container-started"] = d
	}
	if logs, err := b.containerLogs(ctx, "dev.prodlike.project", prodlikeProject, "dev.prodlike.service", "db"); err == nil {
		maps.Copy(t, postgresPhases(logs, start))
	} else {
		progress("  no Postgres phases: %v", err)
	}
	b.recordTimeline(arm, t)
	// The ports are fixed: the stack must be where the probes looked.
	env, err := b.prodlikeEnv(ctx)
	if err != nil {
		return err
	}
	for k, v := range b.hostEnv {
		if env[k] != v {
			return fmt.Errorf("prodlike env changed: %s is %q, was %q (a host port moved?)", k, env[k], v)
		}
	}
	return nil
}

// unitProdlike: cold up with the volumes removed (Postgres runs initdb),
// then a warm up of the running stack, parity on it, and its idle memory.
func (b *bench) unitProdlike(ctx context.Context) error {
	if err := b.prodlikeDown(ctx, true); err != nil {
		return err
	}
	b.pause(ctx)
	if err := b.coldUp(ctx, "cold", mColdProbes, mColdExit); err != nil {
		return err
	}

	up := b.prodlikeArgs("up", "--detach")
	f, err := b.timed(ctx, time.Now(), b.shopDir, up[0], up[1:]...)
	if err != nil {
		return err
	}
	if f.Code != 0 || !strings.Contains(f.Stdout, "(0 started, 5 reused)") {
		return fmt.Errorf("warm up: want all five services reused: exit %d\n%s%s", f.Code, f.Stdout, f.stderrText())
	}
	b.record(mWarmExit, f.Took)
	b.recordMiB("rss/prodlike up --detach (warm)", float64(f.MaxRSSKiB)/1024)
	probes, err := b.prodlikeProbes()
	if err != nil {
		return err
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	_, err = runProbes(pctx, time.Now(), b.opts.poll, probes, nil)
	cancel()
	if err != nil {
		return fmt.Errorf("after the warm up: %w", err)
	}

	parity := b.prodlikeArgs("parity")
	f, err = b.timed(ctx, time.Now(), b.shopDir, parity[0], parity[1:]...)
	if err != nil {
		return err
	}
	// 1 is "parity found differences", a result; 2 and up are failures.
	if f.Code > 1 {
		return exitError(f, "prodlike", parity[1:])
	}
	b.record(mParityExit, f.Took)
	b.recordMiB("rss/prodlike parity", float64(f.MaxRSSKiB)/1024)

	mem, err := b.containerStats(ctx, "dev.prodlike.project", prodlikeProject, "dev.prodlike.service")
	if err != nil {
		return err
	}
	for svc, mib := range mem {
		b.recordMiB("prodlike/"+svc, mib)
	}
	return b.prodlikeDown(ctx, false)
}

// unitProdlikeKept: cold up with the data volumes of an earlier up kept
// (no initdb; containers created anew).
func (b *bench) unitProdlikeKept(ctx context.Context) error {
	if err := b.prodlikeDown(ctx, false); err != nil {
		return err
	}
	out, err := b.output(ctx, "", "docker", "volume", "ls", "-q", "--filter", "label=dev.prodlike.project="+prodlikeProject)
	if err != nil {
		return err
	}
	if len(strings.Fields(out)) == 0 {
		// No earlier up in this run left its volumes: make them, unmeasured.
		up := b.prodlikeArgs("up", "--detach")
		if _, err := b.output(ctx, b.shopDir, up[0], up[1:]...); err != nil {
			return err
		}
		if err := b.prodlikeDown(ctx, false); err != nil {
			return err
		}
	}
	b.pause(ctx)
	if err := b.coldUp(ctx, "kept", mKeptProbes, mKeptExit); err != nil {
		return err
	}
	return b.prodlikeDown(ctx, false)
}

// unitCompose: docker-compose up -d of bench/compose.VARIANT.yaml, timed to
// up returning, to every host probe answering, and to Docker reporting
// every healthcheck healthy; then its idle memory, then down -v.
func (b *bench) unitCompose(ctx context.Context, variant string) error {
	if !b.composeOK {
		return nil
	}
	project := composeProjectPrefix + variant
	compose := []string{b.opts.compose, "-p", project, "-f", b.composeFile(variant)}
	down := func(ctx context.Context) error {
		_, err := b.output(ctx, "", compose[0], append(compose[1:], "down", "-v", "-t", "2")...)
		return err
	}
	if out, err := b.output(ctx, "", "docker", "ps", "-aq", "--filter", "label=com.docker.compose.project="+project); err != nil {
		return err
	} else if strings.TrimSpace(out) != "" {
		if err := down(ctx); err != nil {
			return err
		}
	}
	b.pause(ctx)
	events, err := b.followEvents(ctx, "com.docker.compose.project", project, "com.docker.compose.service", shopServices)
	if err != nil {
		return err
	}
	defer events.stop()
	probes, err := b.composeProbes()
	if err != nil {
		return err
	}
	start, fs, pr, err := b.measure(ctx, "", [][]string{append(compose, "up", "-d")}, probes, events.startGates(probes, shopServices))
	if err != nil {
		return err
	}
	hctx, cancel := context.WithDeadline(ctx, start.Add(b.opts.timeout))
	err = events.waitHealthy(hctx, shopServices)
	cancel()
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", project, err, b.composeDiagnosis(ctx, project))
	}
	started, healthy := events.times(start)
	var allHealthy time.Duration
	t := timeline{"command/exit": fs[0].Took}
	for svc, d := range healthy {
		allHealthy = max(allHealthy, d)
		t[svc+"/healthy"] = d
	}
	for svc, d := range started {
		t[svc+"/started"] = d
	}
	for name, d := range pr {
		t["probe/"+name] = d
	}
	if logs, err := b.containerLogs(ctx, "com.docker.compose.project", project, "com.docker.compose.service", "db"); err == nil {
		maps.Copy(t, postgresPhases(logs, start))
	} else {
		progress("  no Postgres phases: %v", err)
	}
	b.record(composeMeasure(variant, "up"), fs[0].Took)
	b.record(composeMeasure(variant, "probes"), pr.all())
	b.record(composeMeasure(variant, "healthy"), allHealthy)
	b.recordTimeline("compose-"+variant, t)

	mem, err := b.containerStats(ctx, "com.docker.compose.project", project, "com.docker.compose.service")
	if err != nil {
		return err
	}
	for svc, mib := range mem {
		b.recordMiB("compose-"+variant+"/"+svc, mib)
	}
	return down(ctx)
}

// composeDiagnosis says what state a compose project's containers are in,
// with the last log lines and health checks of each, for an error message.
func (b *bench) composeDiagnosis(ctx context.Context, project string) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	out, err := b.output(ctx, "", "docker", "ps", "-a", "--filter", "label=com.docker.compose.project="+project, "--format", "{{.Names}}")
	if err != nil {
		return err.Error()
	}
	var d strings.Builder
	for name := range strings.FieldsSeq(out) {
		state, _ := b.output(ctx, "", "docker", "inspect", "--format", "{{.State.Status}} exit={{.State.ExitCode}} health={{if .State.Health}}{{.State.Health.Status}} {{range .State.Health.Log}}[{{.ExitCode}} {{printf \"%.80s\" .Output}}] {{end}}{{end}}", name)
		fmt.Fprintf(&d, "%s: %s", name, state)
		logs, _ := b.command(ctx, "", "docker", "logs", "--tail", "5", name).CombinedOutput()
		d.WriteString(tail(string(logs), 5))
	}
	return d.String()
}

// floorRun is the docker run of one stand-in alone and its probe.
func (b *bench) floorRun(kind string) ([]string, probe, error) {
	p := b.ports.floor
	name := floorPrefix + kind
	run := []string{"docker", "run", "-d", "--name", name, "--label", floorLabel + "=floor", "--label", floorKindLabel + "=" + kind}
	switch kind {
	case "postgres":
		run = append(run, "-e", "POSTGRES_USER=shop", "-e", "POSTGRES_PASSWORD=shop", "-e", "POSTGRES_DB=shop",
			"-p", fmt.Sprintf("127.0.0.1:%d:5432", p.postgres), b.image("postgres:15"))
		return run, postgresProbe(fmt.Sprintf("postgres://shop:shop@127.0.0.1:%d/shop?sslmode=disable", p.postgres)), nil
	case "redis":
		run = append(run, "-p", fmt.Sprintf("127.0.0.1:%d:6379", p.redis), b.image("redis:7.0"))
		rp, err := redisProbe(fmt.Sprintf("redis://127.0.0.1:%d/0", p.redis))
		return run, rp, err
	case "s3":
		run = append(run, "-e", "ROOT_ACCESS_KEY_ID="+shopAccess.KeyID, "-e", "ROOT_SECRET_ACCESS_KEY="+shopAccess.Secret,
			"--mount", "type=volume,dst=/data/buckets", "--mount", "type=volume,dst=/data/versions",
			"-p", fmt.Sprintf("127.0.0.1:%d:7070", p.s3), b.image("versity/versitygw:v1.8.0"),
			"--port", ":7070", "--region", shopAccess.Region, "posix", "--versioning-dir", "/data/versions", "/data/buckets")
		return run, s3Probe(fmt.Sprintf("http://127.0.0.1:%d", p.s3), "uploads", shopAccess, true), nil
	case "sqs":
		run = append(run, "-p", fmt.Sprintf("127.0.0.1:%d:9324", p.sqs), b.sqsImage, "emulate", "sqs", "--region", shopAccess.Region)
		return run, sqsProbe(fmt.Sprintf("http://127.0.0.1:%d", p.sqs), "", shopAccess, true), nil
	}
	return nil, probe{}, fmt.Errorf("no floor for %q", kind)
}

// unitFloor: each of kinds started alone with docker run (all at once when
// several), fresh anonymous volumes, to its probe answering.
func (b *bench) unitFloor(ctx context.Context, kinds ...string) error {
	var cmds [][]string
	var probes []probe
	var names []string
	for _, k := range kinds {
		run, p, err := b.floorRun(k)
		if err != nil {
			return err
		}
		cmds, probes, names = append(cmds, run), append(probes, p), append(names, floorPrefix+k)
	}
	remove := func(ctx context.Context) {
		_, _ = b.output(ctx, "", "docker", append([]string{"rm", "-fv"}, names...)...)
	}
	remove(ctx)
	b.pause(ctx)
	events, err := b.followEvents(ctx, floorLabel, "floor", floorKindLabel, kinds)
	if err != nil {
		return err
	}
	defer events.stop()
	start, fs, pr, err := b.measure(ctx, "", cmds, probes, events.startGates(probes, kinds))
	defer remove(context.WithoutCancel(ctx))
	if err != nil {
		return err
	}
	t := timeline{}
	started, _ := events.times(start)
	for k, d := range started {
		t["container-started/"+k] = d
	}
	var run time.Duration
	for i, f := range fs {
		run = max(run, f.Took)
		t["docker-run/"+kinds[i]] = f.Took
	}
	for name, d := range pr {
		t["probe/"+name] = d
	}
	if slices.Contains(kinds, "postgres") {
		if logs, err := b.containerLogs(ctx, floorLabel, "floor", floorKindLabel, "postgres"); err == nil {
			maps.Copy(t, postgresPhases(logs, start))
		} else {
			progress("  no Postgres phases: %v", err)
		}
	}
	if len(kinds) == 1 {
		b.record(floorMeasure(kinds[0]), pr.all())
		b.recordTimeline("floor-"+kinds[0], t)
	} else {
		b.record(floorMeasure("parallel"), pr.all())
		b.recordTimeline("floor-parallel", t)
	}
	return nil
}

// unitSQSProcess: prodlike emulate sqs as a process on this machine (no
// Docker), from exec to a queue created and a message sent and received,
// polled every millisecond; then its resident memory after 2 s idle.
func (b *bench) unitSQSProcess(ctx context.Context) error {
	port := b.ports.sqsProcess
	ctx, cancel := context.WithTimeout(ctx, b.opts.timeout)
	defer cancel()
	start := time.Now()
	c := b.command(ctx, "", b.prodlike, "emulate", "sqs", "--port", strconv.Itoa(port), "--region", shopAccess.Region)
	if err := c.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- c.Wait() }()
	stop := func() {
		_ = c.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = c.Process.Kill()
			<-exited
		}
	}
	pr, err := runProbes(ctx, start, time.Millisecond, []probe{sqsProbe(fmt.Sprintf("http://127.0.0.1:%d", port), "", shopAccess, true)}, nil)
	if err != nil {
		stop()
		return err
	}
	b.record(mSQSProcReady, pr.all())
	select {
	case <-time.After(2 * time.Second):
	case <-ctx.Done():
	}
	// RssAnon is the process's own heap and stacks; RssFile is mostly the
	// executable's pages, shared with every other prodlike process.
	status, err := os.ReadFile("/proc/" + strconv.Itoa(c.Process.Pid) + "/status")
	stop()
	if err != nil {
		return err
	}
	for _, f := range []struct{ field, what string }{{"VmRSS", "idle"}, {"RssAnon", "idle, anonymous"}, {"RssFile", "idle, file-backed"}} {
		kib, err := parseStatusKiB(string(status), f.field)
		if err != nil {
			return err
		}
		b.recordMiB("rss/prodlike emulate sqs ("+f.what+")", float64(kib)/1024)
	}
	if peak := maxRSSKiB(c.ProcessState); peak > 0 {
		b.recordMiB("rss/prodlike emulate sqs (peak)", float64(peak)/1024)
	}
	return nil
}

// loadAverage is the one-minute load average, or -1.
func loadAverage() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return v
}
