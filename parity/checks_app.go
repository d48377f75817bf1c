package parity

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/prodlike/prodlike/config"
	"github.com/prodlike/prodlike/profiles/truth"
)

// slowStart is the start time above which IMAGE-START-TIME warns: rolling
// deploys and autoscaling wait on it.
const slowStart = 5 * time.Second

var appChecks = []Check{
	{
		ID: "IMAGE-ARCH", Title: "The app image is built for prod's architecture", Family: FamilyImage,
		Severity: Block, Kind: config.KindApp, Needs: NeedImage | NeedProd, Run: imageArch,
	},
	{
		ID: "IMAGE-ROOT", Title: "The app image does not run as root", Family: FamilyImage,
		Severity: Warn, Kind: config.KindApp, Needs: NeedImage, Run: imageRoot,
	},
	{
		ID: "IMAGE-HEALTHCHECK", Title: "The app image declares a healthcheck", Family: FamilyImage,
		Severity: Info, Kind: config.KindApp, Needs: NeedImage, Run: imageHealthcheck,
	},
	{
		ID: "IMAGE-SIGTERM", Title: "The app's process gets SIGTERM (no shell-form entrypoint)", Family: FamilyImage,
		Severity: Warn, Kind: config.KindApp, Needs: NeedImage, Run: imageSigterm,
	},
	{
		ID: "IMAGE-START-TIME", Title: "The app is ready within 5 s of starting", Family: FamilyImage,
		Severity: Warn, Kind: config.KindApp, Needs: NeedImage, Run: imageStartTime,
	},
	{
		ID: "IMAGE-SECRET-ENV", Title: "No secrets in the image's environment or build history", Family: FamilyImage,
		Severity: Block, Kind: config.KindApp, Needs: NeedImage, Run: imageSecretEnv,
	},
	{
		ID: "IMAGE-SECRET-FILES", Title: "No .env or credential files in the image's layers", Family: FamilyImage,
		Severity: Block, Kind: config.KindApp, Needs: NeedImage, Run: imageSecretFiles,
	},
	{
		ID: "ENV-PROD-ONLY", Title: "Every variable prod sets is set in dev too", Family: FamilyEnv,
		Severity: Warn, Kind: config.KindApp, Needs: NeedProd, Run: envProdOnly,
	},
	{
		ID: "ENV-DEV-ONLY", Title: "Every variable the app gets in dev is set in prod too", Family: FamilyEnv,
		Severity: Warn, Kind: config.KindApp, Needs: NeedProd, Run: envDevOnly,
	},
	{
		ID: "ENV-LEAK", Title: "No local or emulator endpoints leak to prod", Family: FamilyEnv,
		Severity: Block, Kind: config.KindApp, Run: envLeak,
	},
}

func imageArch(t *Target) []Finding {
	if t.Prod.App == nil || t.Prod.App.Platform == "" {
		return []Finding{{Severity: Info, Message: "prod's platform is not known; the image's architecture was not compared",
			Fix: "state it inline: environments.<env>.services.<app>.platform: linux/arm64"}}
	}
	dev, prod := t.Dev.App.Image.Platform, t.Prod.App.Platform
	if samePlatform(dev, prod) {
		return nil
	}
	return []Finding{{
		Message: fmt.Sprintf("the image is built for %s but prod runs %s: it will not start there (exec format error), or runs emulated and slow", dev, prod),
		Dev:     dev, Prod: prod,
		Fix: fmt.Sprintf("build for prod's platform too: docker buildx build --platform %s,%s …", prod, dev),
	}}
}

// samePlatform compares os/arch, treating arm64 and arm64/v8 alike.
func samePlatform(a, b string) bool {
	norm := func(p string) string {
		p = strings.ToLower(strings.TrimSuffix(p, "/v8"))
		return strings.Replace(p, "aarch64", "arm64", 1)
	}
	return norm(a) == norm(b)
}

func imageRoot(t *Target) []Finding {
	u := t.Dev.App.Image.User
	name, _, _ := strings.Cut(u, ":")
	if name != "" && name != "root" && name != "0" {
		return nil
	}
	shown := u
	if shown == "" {
		shown = "root (no USER)"
	}
	return []Finding{{
		Message: "the image runs as root; a compromise of the app is a compromise of the container, and platforms that enforce non-root refuse it",
		Dev:     shown,
		Fix:     "add a USER to the Dockerfile (e.g. USER 65532:65532, or nonroot in distroless images)",
	}}
}

func imageHealthcheck(t *Target) []Finding {
	hc := t.Dev.App.Image.Healthcheck
	if len(hc) > 0 && hc[0] != "NONE" {
		return nil
	}
	return []Finding{{
		Message: "the image declares no HEALTHCHECK; orchestrators that read it (ECS, Docker) cannot tell a hung app from a healthy one",
		Fix:     "add a HEALTHCHECK to the Dockerfile, or a health check to prod's task definition",
	}}
}

func imageSigterm(t *Target) []Finding {
	img := t.Dev.App.Image
	cmd := img.Entrypoint
	if len(cmd) == 0 {
		cmd = img.Cmd
	}
	if len(cmd) < 3 || !isShell(cmd[0]) || cmd[1] != "-c" {
		return nil
	}
	script := strings.TrimSpace(cmd[2])
	if strings.HasPrefix(script, "exec ") {
		return nil
	}
	return []Finding{{
		Message: fmt.Sprintf("the image starts the app through a shell (%s -c %q): the shell is PID 1 and does not pass SIGTERM on, so the app is killed without shutting down cleanly when prod stops it", cmd[0], script),
		Dev:     strings.Join(cmd, " "),
		Fix:     "use the exec form: ENTRYPOINT [\"/app\"] (or start the script with exec)",
	}}
}

func isShell(p string) bool {
	switch p {
	case "/bin/sh", "sh", "/bin/bash", "bash", "/bin/ash", "/bin/dash":
		return true
	}
	return false
}

func imageStartTime(t *Target) []Finding {
	d := t.Dev.App.StartTime
	if d == 0 {
		return []Finding{{Severity: Info, Message: "the app's start time was not measured: prodlike measures it when it starts the app's container, and this container was started otherwise or before",
			Fix: "let prodlike start the app (prodlike down, then prodlike up or prodlike parity) so that it measures the start"}}
	}
	if d <= slowStart {
		return nil
	}
	return []Finding{{
		Message: fmt.Sprintf("the app took %s from start to ready in dev; deploys and scale-outs wait that long for every task", d.Round(100*time.Millisecond)),
		Dev:     d.Round(100 * time.Millisecond).String(), Prod: "≤ 5s",
		Fix: "move slow work (migrations, cache warm-up) out of start-up or make it lazy",
	}}
}

// secretName matches variable names that hold secrets.
var secretName = regexp.MustCompile(`(^|_)(PASSWORD|PASSWD|PASS|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIALS?)(_|$)`)

// secretValue matches values that are secrets whatever their name: AWS
// access key IDs, GitHub and Slack tokens, private keys.
var secretValue = regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b|\bgh[pousr]_[A-Za-z0-9]{36}\b|\bxox[abpr]-[A-Za-z0-9-]{10,}|-----BEGIN [A-Z ]*PRIVATE KEY-----`)

func imageSecretEnv(t *Target) []Finding {
	img := t.Dev.App.Image
	var out []Finding
	for _, name := range slices.Sorted(maps.Keys(img.Env)) {
		v := img.Env[name]
		if v == "" || (!secretName.MatchString(strings.ToUpper(name)) && !secretValue.MatchString(v)) {
			continue
		}
		out = append(out, Finding{Subject: name,
			Message: fmt.Sprintf("the image's environment sets %s; anyone who can pull the image can read it (docker inspect)", name),
			Dev:     "ENV " + name + "=" + truth.Redacted,
			Fix:     fmt.Sprintf("remove ENV %s from the Dockerfile and give it at run time from a secret store", name)})
	}
	for i, line := range img.History {
		if m := secretValue.FindString(line); m != "" || historySecret(line) {
			out = append(out, Finding{Subject: fmt.Sprintf("layer %d", i+1),
				Message: fmt.Sprintf("build step %d of the image carries what looks like a secret in its command (docker history shows it)", i+1),
				Dev:     shorten(redactLine(line), 80),
				Fix:     "pass build secrets with RUN --mount=type=secret instead of ARG or ENV, and rebuild"})
		}
	}
	return out
}

// historyAssign finds NAME=value assignments in a build step.
var historyAssign = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|\S+)`)

func historySecret(line string) bool {
	for _, m := range historyAssign.FindAllStringSubmatch(line, -1) {
		v := strings.Trim(m[2], `"'`)
		if v != "" && !strings.HasPrefix(v, "$") && secretName.MatchString(strings.ToUpper(m[1])) {
			return true
		}
	}
	return false
}

func redactLine(line string) string {
	line = secretValue.ReplaceAllString(line, truth.Redacted)
	return historyAssign.ReplaceAllStringFunc(line, func(a string) string {
		name, _, _ := strings.Cut(a, "=")
		if secretName.MatchString(strings.ToUpper(name)) {
			return name + "=" + truth.Redacted
		}
		return a
	})
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

func imageSecretFiles(t *Target) []Finding {
	img := t.Dev.App.Image
	if !img.LayersRead {
		return []Finding{{Severity: Info, Message: "the image's layers were not read; files were not checked", Fix: "run parity again with the engine answering"}}
	}
	var out []Finding
	for _, p := range img.SecretFiles {
		out = append(out, Finding{Subject: p,
			Message: fmt.Sprintf("the image contains %s; local configuration or credentials baked into a layer stay readable even if a later layer deletes them", p),
			Dev:     p,
			Fix:     fmt.Sprintf("add %s to .dockerignore (and keep it out of COPY), then rebuild", p)})
	}
	return out
}

// devOnlyVars are variables the stand-ins set that prod must not have (an
// emulator's endpoint, static keys), or that prod's platform sets by itself.
var devOnlyVars = regexp.MustCompile(`^(AWS_ENDPOINT_URL(_.*)?|S3_USE_PATH_STYLE|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_REGION|AWS_DEFAULT_REGION)$`)

func prodEnv(t *Target) (map[string]string, bool) {
	if t.Prod.App == nil || t.Prod.App.Env == nil {
		return nil, false
	}
	return t.Prod.App.Env, true
}

func envProdOnly(t *Target) []Finding {
	prod, ok := prodEnv(t)
	if !ok {
		return []Finding{{Severity: Info, Message: "prod's environment variables are not known; not compared", Fix: "point x-prodlike.prod of the app at its task definition or Lambda, or list them inline (env, secrets)"}}
	}
	var out []Finding
	for _, name := range slices.Sorted(maps.Keys(prod)) {
		if _, ok := devValue(t, name); ok {
			continue
		}
		out = append(out, Finding{Subject: name,
			Message: fmt.Sprintf("prod sets %s but dev never does, so the code path that reads it is not exercised in dev", name),
			Prod:    prod[name],
			Fix:     fmt.Sprintf("set %s in the app's environment in the compose file (a dev value)", name)})
	}
	return out
}

func envDevOnly(t *Target) []Finding {
	prod, ok := prodEnv(t)
	if !ok || t.Dev.App == nil {
		return nil
	}
	var out []Finding
	for _, name := range slices.Sorted(maps.Keys(t.Dev.App.Env)) {
		if _, ok := prod[name]; ok || devOnlyVars.MatchString(name) {
			continue
		}
		if t.Dev.App.Image != nil {
			if _, ok := t.Dev.App.Image.Env[name]; ok {
				continue // the image gives it in prod too
			}
		}
		f := Finding{Subject: name,
			Message: fmt.Sprintf("dev sets %s but prod does not", name),
			Dev:     t.Dev.App.Env[name],
			Fix:     fmt.Sprintf("set %s in prod (task definition environment or secrets), or stop reading it", name)}
		if from := t.Dev.App.Injected[name]; from != "" {
			f.Message = fmt.Sprintf("the app finds %s through %s in dev, which stand-in %s sets, but prod does not set it", from, name, from)
			f.Dev = truth.Redacted
		}
		out = append(out, f)
	}
	return out
}

func devValue(t *Target, name string) (string, bool) {
	if t.Dev.App != nil {
		if v, ok := t.Dev.App.Env[name]; ok {
			return v, true
		}
		if t.Dev.App.Image != nil {
			if v, ok := t.Dev.App.Image.Env[name]; ok {
				return v, true
			}
		}
	}
	return "", false
}

// localHosts are hosts that only mean something on a developer's machine.
var localHosts = []string{"localhost", "127.0.0.1", "0.0.0.0", "::1", "host.docker.internal", "gateway.docker.internal"}

func envLeak(t *Target) []Finding {
	var out []Finding
	check := func(where, name, value string, sev Severity) {
		if value == "" || value == truth.Redacted {
			return
		}
		why := ""
		switch {
		case strings.HasPrefix(name, "AWS_ENDPOINT_URL"):
			why = "points the AWS SDK at an emulator"
		case name == "S3_USE_PATH_STYLE" || name == "AWS_S3_FORCE_PATH_STYLE" || name == "S3_FORCE_PATH_STYLE":
			if b, _ := pgBool(value); b {
				why = "forces path-style S3 addressing, which AWS is retiring for new buckets"
			}
		default:
			if h := localHost(value, t); h != "" {
				why = fmt.Sprintf("points at %s, which only exists on a developer's machine", h)
			}
		}
		if why == "" {
			return
		}
		out = append(out, Finding{Severity: sev, Subject: name,
			Message: fmt.Sprintf("%s sets %s, which %s", where, name, why),
			Dev:     value,
			Fix:     fmt.Sprintf("remove %s from %s; give prod its real value at deploy time", name, where)})
	}
	if t.Prod != nil && t.Prod.App != nil {
		for _, name := range slices.Sorted(maps.Keys(t.Prod.App.Env)) {
			check("prod's environment", name, t.Prod.App.Env[name], Block)
		}
	}
	if t.Dev.App != nil && t.Dev.App.Image != nil {
		for _, name := range slices.Sorted(maps.Keys(t.Dev.App.Image.Env)) {
			check("the image", name, t.Dev.App.Image.Env[name], Block)
		}
	}
	return out
}

// localHost returns the local or stand-in host value points at, "" for none.
func localHost(value string, t *Target) string {
	host := value
	if u, err := url.Parse(value); err == nil && u.Host != "" {
		host = u.Hostname()
	} else if h, _, ok := strings.Cut(value, ":"); ok && !strings.Contains(value, "/") {
		host = h
	}
	host = strings.ToLower(host)
	if slices.Contains(localHosts, host) || strings.HasSuffix(host, ".localhost") {
		return host
	}
	// A stand-in's service name only resolves inside the dev network.
	if t.Facts != nil {
		for _, s := range t.Facts.Services {
			if s.Kind != config.KindApp && host == s.Name {
				return host + " (the dev stand-in's name)"
			}
		}
	}
	return ""
}
