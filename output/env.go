package output

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// EnvFormats are the forms Env can write.
var EnvFormats = []string{"sh", "dotenv", "json", "powershell"}

// Env writes variables in the named format:
//
//	sh          export NAME='value'      (for eval "$(prodlike env)")
//	dotenv      NAME='value'             (for .env files; single quotes keep $ literal)
//	json        {"NAME": "value"}
//	powershell  $Env:NAME = 'value'      (for prodlike env --format powershell | Invoke-Expression)
func Env(w io.Writer, format string, env map[string]string) error {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	switch format {
	case "sh", "":
		for _, k := range keys {
			fmt.Fprintf(w, "export %s=%s\n", k, shQuote(env[k]))
		}
	case "dotenv":
		for _, k := range keys {
			fmt.Fprintf(w, "%s=%s\n", k, dotenvQuote(env[k]))
		}
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(env)
	case "powershell":
		for _, k := range keys {
			fmt.Fprintf(w, "$Env:%s = '%s'\n", k, strings.ReplaceAll(env[k], "'", "''"))
		}
	default:
		return fmt.Errorf("unknown format %q: use one of %s", format, strings.Join(EnvFormats, ", "))
	}
	return nil
}

// shQuote quotes s for POSIX shells: single quotes, with ' written as '\”.
func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// dotenvQuote single-quotes s so that dotenv readers (compose, godotenv)
// take it literally; values with a quote or newline are double-quoted with
// escapes instead.
func dotenvQuote(s string) string {
	if !strings.ContainsAny(s, "'\n") {
		return "'" + s + "'"
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
