package plan

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/prodlike/prodlike/config"
)

// String renders the plan for people (`up --dry-run`) and golden tests.
// Passwords in URLs are masked.
func (p *Plan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "project %s\n", p.Project)
	fmt.Fprintf(&b, "network %s\n", p.Network)
	if len(p.Standins) > 0 {
		b.WriteString("stand-ins, in parallel:\n")
	}
	for _, s := range p.Standins {
		fmt.Fprintf(&b, "  %s: %s, image %s\n", s.Service, strings.TrimSpace(cmp.Or(s.Engine, string(s.Kind))+" "+s.Version), s.Container.Image)
		if len(s.Container.Cmd) > 0 {
			fmt.Fprintf(&b, "    command  %s\n", commandString(s.Container.Cmd))
		}
		for _, k := range sortedKeys(s.Container.Env) {
			fmt.Fprintf(&b, "    env      %s=%s\n", k, maskEnv(k, s.Container.Env[k]))
		}
		fmt.Fprintf(&b, "    port     %s\n", portString(s.Publish))
		if s.Volume != "" {
			fmt.Fprintf(&b, "    volume   %s at %s\n", s.Volume, s.Container.DataDir)
		}
		for _, d := range s.Container.Dirs {
			fmt.Fprintf(&b, "    mkdir    %s\n", d)
		}
		fmt.Fprintf(&b, "    ready    when %s answers\n", s.Kind)
		for _, c := range s.Creates {
			fmt.Fprintf(&b, "    creates  %s\n", c)
		}
	}
	if a := p.App; a != nil {
		if len(a.After) > 0 {
			fmt.Fprintf(&b, "app, after %s:\n", strings.Join(a.After, ", "))
		} else {
			b.WriteString("app:\n")
		}
		if a.Build != nil {
			df := a.Build.Dockerfile
			if df == "" {
				df = "Dockerfile"
			}
			fmt.Fprintf(&b, "  %s: build %s from %s, image %s\n", a.Service, df, a.Build.Context, a.Image)
		} else {
			fmt.Fprintf(&b, "  %s: image %s\n", a.Service, a.Image)
		}
		for _, k := range sortedKeys(a.Env) {
			from := ""
			if svc, ok := a.Injected[k]; ok {
				from = "  (from " + svc + ")"
			}
			fmt.Fprintf(&b, "    env      %s=%s%s\n", k, maskEnv(k, a.Env[k]), from)
		}
		for _, port := range a.Ports {
			fmt.Fprintf(&b, "    port     %s\n", portString(port))
		}
		switch {
		case a.Health != "":
			fmt.Fprintf(&b, "    ready    when GET :%d%s answers 2xx\n", a.HealthPort, a.Health)
		case a.HealthPort != 0:
			fmt.Fprintf(&b, "    ready    when port %d accepts connections\n", a.HealthPort)
		default:
			b.WriteString("    ready    when running\n")
		}
	}
	return b.String()
}

func portString(p config.Port) string {
	host := "any free port"
	if p.Host != 0 {
		host = fmt.Sprint(p.Host)
	}
	proto := p.Protocol
	if proto == "" {
		proto = "tcp"
	}
	return fmt.Sprintf("%d/%s on %s, %s", p.Container, proto, p.HostIP, host)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// commandString joins a command's words; a shell script given with sh -c
// is shown by its size, not its text, and a password by ***.
func commandString(cmd []string) string {
	words := slices.Clone(cmd)
	if len(words) > 2 && words[0] == "sh" && words[1] == "-c" {
		words[2] = fmt.Sprintf("<script, %d lines>", strings.Count(words[2], "\n")+1)
	}
	for i := 1; i < len(words); i++ {
		if words[i-1] == "--requirepass" {
			words[i] = "***"
		}
	}
	return strings.Join(words, " ")
}

// maskEnv hides secrets: passwords in URLs and variables named like secrets,
// and shows PEM blocks (certificates) by their type.
func maskEnv(name, value string) string {
	if rest, ok := strings.CutPrefix(value, "-----BEGIN "); ok {
		typ, _, _ := strings.Cut(rest, "-----")
		return "<PEM " + strings.ToLower(typ) + ">"
	}
	upper := strings.ToUpper(name)
	for _, w := range []string{"PASSWORD", "SECRET", "TOKEN", "KEY"} {
		if strings.Contains(upper, w) && value != "" {
			return "***"
		}
	}
	return MaskURL(value)
}

// MaskURL replaces the password of a URL with ***; other strings are returned
// unchanged.
func MaskURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil || u.Scheme == "" {
		return s
	}
	if _, ok := u.User.Password(); !ok {
		return s
	}
	u.User = url.UserPassword(u.User.Username(), "xxx")
	return strings.Replace(u.String(), ":xxx@", ":***@", 1)
}
