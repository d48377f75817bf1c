package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Bucket is an object storage bucket a stand-in creates at start
// (x-prodlike.buckets), with the settings production gives it.
type Bucket struct {
	Name       string
	Versioning bool
	CORS       []CORSRule // nil: no CORS configuration
}

// CORSRule is one rule of a bucket's CORS configuration.
type CORSRule struct {
	AllowedOrigins []string
	AllowedMethods []string
	AllowedHeaders []string
	ExposeHeaders  []string
	MaxAgeSeconds  int
}

// Queue is a message queue a stand-in creates at start (x-prodlike.queues).
type Queue struct {
	Name string
	// Attributes are SQS queue attributes by their AWS names
	// (VisibilityTimeout, FifoQueue …), from the friendly keys of the
	// compose file. RedrivePolicy is not among them: see DeadLetter.
	Attributes map[string]string
	// DeadLetter names the queue (declared in the same service) that takes
	// a message after MaxReceiveCount receives; "" for none.
	DeadLetter      string
	MaxReceiveCount int
}

// FIFO reports whether the queue is a FIFO queue (its name ends in .fifo,
// as SQS requires of FIFO queues).
func (q Queue) FIFO() bool { return strings.HasSuffix(q.Name, ".fifo") }

var (
	bucketKeys     = []string{"cors", "name", "versioning"}
	corsKeys       = []string{"allowed-headers", "allowed-methods", "allowed-origins", "expose-headers", "max-age"}
	queueKeys      = []string{"content-based-deduplication", "dead-letter", "delay", "fifo", "max-message-size", "name", "receive-wait", "retention", "visibility-timeout"}
	deadLetterKeys = []string{"max-receive-count", "queue"}
)

// queueDurations are the queue keys that take a duration, the SQS attribute
// each sets (in whole seconds) and its range in seconds, as SQS enforces it.
var queueDurations = map[string]struct {
	attr     string
	min, max int
}{
	"delay":              {"DelaySeconds", 0, 900},
	"receive-wait":       {"ReceiveMessageWaitTimeSeconds", 0, 20},
	"retention":          {"MessageRetentionPeriod", 60, 1209600},
	"visibility-timeout": {"VisibilityTimeout", 0, 43200},
}

// decodeBuckets decodes x-prodlike.buckets: a list whose entries are a
// bucket name or a mapping {name, versioning, cors}.
func decodeBuckets(v any) (buckets []Bucket, problems []problem) {
	const key = "buckets"
	list, ok := v.([]any)
	if !ok {
		return nil, []problem{{path: []string{extensionKey, key}, msg: fmt.Sprintf("want a list of bucket names or {name, versioning, cors} mappings, got %s", describe(v))}}
	}
	seen := map[string]bool{}
	for i, item := range list {
		at := []string{extensionKey, key, strconv.Itoa(i)}
		bad := func(sub []string, format string, args ...any) {
			problems = append(problems, problem{path: append(append([]string{}, at...), sub...), msg: fmt.Sprintf(format, args...)})
		}
		var b Bucket
		switch item := item.(type) {
		case string:
			b.Name = item
		case map[string]any:
			for _, k := range sortedKeys(item) {
				val := item[k]
				switch k {
				case "name":
					b.Name, ok = val.(string)
					if !ok {
						bad([]string{k}, "want the bucket name, got %s", describe(val))
					}
				case "versioning":
					b.Versioning, ok = val.(bool)
					if !ok {
						bad([]string{k}, "want true or false, got %s", describe(val))
					}
				case "cors":
					rules, ps := decodeCORS(val)
					for _, p := range ps {
						bad(append([]string{k}, p.path...), "%s", p.msg)
					}
					b.CORS = rules
				default:
					bad([]string{k}, "unknown key; allowed keys are %s", strings.Join(bucketKeys, ", "))
				}
			}
		default:
			bad(nil, "want a bucket name or a mapping {name, versioning, cors}, got %s", describe(item))
			continue
		}
		switch {
		case b.Name == "":
			bad(nil, "the bucket has no name; write it as a plain name or {name: uploads}")
			continue
		case seen[b.Name]:
			bad(nil, "bucket %q is declared twice", b.Name)
			continue
		}
		seen[b.Name] = true
		buckets = append(buckets, b)
	}
	return buckets, problems
}

func decodeCORS(v any) (rules []CORSRule, problems []problem) {
	list, ok := v.([]any)
	if !ok {
		return nil, []problem{{msg: fmt.Sprintf("want a list of rules such as {allowed-origins: [\"*\"], allowed-methods: [GET]}, got %s", describe(v))}}
	}
	for i, item := range list {
		at := strconv.Itoa(i)
		m, ok := item.(map[string]any)
		if !ok {
			problems = append(problems, problem{path: []string{at}, msg: fmt.Sprintf("want a rule mapping with %s, got %s", strings.Join(corsKeys, ", "), describe(item))})
			continue
		}
		var r CORSRule
		for _, k := range sortedKeys(m) {
			var dst *[]string
			switch k {
			case "allowed-origins":
				dst = &r.AllowedOrigins
			case "allowed-methods":
				dst = &r.AllowedMethods
			case "allowed-headers":
				dst = &r.AllowedHeaders
			case "expose-headers":
				dst = &r.ExposeHeaders
			case "max-age":
				secs, err := seconds(m[k])
				if err != nil {
					problems = append(problems, problem{path: []string{at, k}, msg: err.Error()})
				}
				r.MaxAgeSeconds = secs
				continue
			default:
				problems = append(problems, problem{path: []string{at, k}, msg: "unknown key; allowed keys are " + strings.Join(corsKeys, ", ")})
				continue
			}
			strs, ok := stringList(m[k])
			if !ok {
				problems = append(problems, problem{path: []string{at, k}, msg: fmt.Sprintf("want a list of strings, got %s", describe(m[k]))})
			}
			*dst = strs
		}
		rules = append(rules, r)
	}
	return rules, problems
}

// decodeQueues decodes x-prodlike.queues: a list whose entries are a queue
// name or a mapping with the queue's attributes.
func decodeQueues(v any) (queues []Queue, problems []problem) {
	const key = "queues"
	list, ok := v.([]any)
	if !ok {
		return nil, []problem{{path: []string{extensionKey, key}, msg: fmt.Sprintf("want a list of queue names or {name, visibility-timeout, dead-letter …} mappings, got %s", describe(v))}}
	}
	seen := map[string]bool{}
	for i, item := range list {
		at := []string{extensionKey, key, strconv.Itoa(i)}
		bad := func(sub []string, format string, args ...any) {
			problems = append(problems, problem{path: append(append([]string{}, at...), sub...), msg: fmt.Sprintf(format, args...)})
		}
		q := Queue{Attributes: map[string]string{}}
		fifo := false
		switch item := item.(type) {
		case string:
			q.Name = item
		case map[string]any:
			for _, k := range sortedKeys(item) {
				val := item[k]
				if d, ok := queueDurations[k]; ok {
					secs, err := seconds(val)
					switch {
					case err != nil:
						bad([]string{k}, "%s", err)
					case secs < d.min || secs > d.max:
						bad([]string{k}, "%d seconds is out of range: SQS allows %s to %s", secs, formatSeconds(d.min), formatSeconds(d.max))
					default:
						q.Attributes[d.attr] = strconv.Itoa(secs)
					}
					continue
				}
				switch k {
				case "name":
					q.Name, ok = val.(string)
					if !ok {
						bad([]string{k}, "want the queue name, got %s", describe(val))
					}
				case "fifo":
					fifo, ok = val.(bool)
					if !ok {
						bad([]string{k}, "want true or false, got %s", describe(val))
					}
				case "content-based-deduplication":
					cbd, ok := val.(bool)
					if !ok {
						bad([]string{k}, "want true or false, got %s", describe(val))
						continue
					}
					q.Attributes["ContentBasedDeduplication"] = strconv.FormatBool(cbd)
				case "max-message-size":
					n, ok := asInt(val)
					if !ok || n < 1024 || n > 1048576 {
						bad([]string{k}, "want a size in bytes from 1024 to 1048576 (1 MiB), got %s", describe(val))
						continue
					}
					q.Attributes["MaximumMessageSize"] = strconv.Itoa(n)
				case "dead-letter":
					q.DeadLetter, q.MaxReceiveCount = decodeDeadLetter(val, func(sub []string, msg string) { bad(append([]string{k}, sub...), "%s", msg) })
				default:
					bad([]string{k}, "unknown key; allowed keys are %s", strings.Join(queueKeys, ", "))
				}
			}
		default:
			bad(nil, "want a queue name or a mapping {name, visibility-timeout, dead-letter …}, got %s", describe(item))
			continue
		}
		switch {
		case q.Name == "":
			bad(nil, "the queue has no name; write it as a plain name or {name: jobs}")
			continue
		case seen[q.Name]:
			bad(nil, "queue %q is declared twice", q.Name)
			continue
		case fifo && !q.FIFO():
			bad([]string{"fifo"}, "a FIFO queue's name must end in .fifo, as SQS requires: name it %s.fifo", q.Name)
		}
		if q.FIFO() {
			q.Attributes["FifoQueue"] = "true"
		} else if _, set := q.Attributes["ContentBasedDeduplication"]; set {
			bad([]string{"content-based-deduplication"}, "applies to FIFO queues only; name the queue %s.fifo to make it one", q.Name)
		}
		seen[q.Name] = true
		queues = append(queues, q)
	}
	// Dead-letter targets must be declared here, of the same type: prodlike
	// creates them before the queues that use them.
	for i, q := range queues {
		if q.DeadLetter == "" {
			continue
		}
		at := []string{extensionKey, key, strconv.Itoa(i), "dead-letter", "queue"}
		switch j := indexQueue(queues, q.DeadLetter); {
		case j < 0:
			problems = append(problems, problem{path: at, msg: fmt.Sprintf("queue %q is not declared in this service's queues; add it", q.DeadLetter)})
		case q.DeadLetter == q.Name:
			problems = append(problems, problem{path: at, msg: "a queue cannot be its own dead-letter queue"})
		case queues[j].FIFO() != q.FIFO():
			problems = append(problems, problem{path: at, msg: fmt.Sprintf("%q and its dead-letter queue %q must both be FIFO or both standard, as SQS requires", q.Name, q.DeadLetter)})
		}
	}
	return queues, problems
}

func decodeDeadLetter(v any, bad func(path []string, msg string)) (queue string, maxReceives int) {
	m, ok := v.(map[string]any)
	if !ok {
		bad(nil, fmt.Sprintf("want a mapping such as {queue: jobs-dlq, max-receive-count: 5}, got %s", describe(v)))
		return "", 0
	}
	for _, k := range sortedKeys(m) {
		switch k {
		case "queue":
			queue, ok = m[k].(string)
			if !ok || queue == "" {
				bad([]string{k}, fmt.Sprintf("want the dead-letter queue's name, got %s", describe(m[k])))
			}
		case "max-receive-count":
			maxReceives, ok = asInt(m[k])
			if !ok || maxReceives < 1 || maxReceives > 1000 {
				bad([]string{k}, fmt.Sprintf("want a number of receives from 1 to 1000, got %s", describe(m[k])))
			}
		default:
			bad([]string{k}, "unknown key; allowed keys are "+strings.Join(deadLetterKeys, ", "))
		}
	}
	if _, ok := m["queue"]; !ok {
		bad([]string{"queue"}, "missing: name the dead-letter queue")
	}
	if _, ok := m["max-receive-count"]; !ok {
		bad([]string{"max-receive-count"}, "missing: after how many receives a message moves to the dead-letter queue (1 to 1000)")
	}
	return queue, maxReceives
}

func indexQueue(qs []Queue, name string) int {
	for i, q := range qs {
		if q.Name == name {
			return i
		}
	}
	return -1
}

// seconds reads a duration given as whole seconds (30) or as a Go duration
// with an optional day unit (30s, 5m, 4d).
func seconds(v any) (int, error) {
	if n, ok := asInt(v); ok {
		return n, nil
	}
	switch v := v.(type) {
	case string:
		if days, ok := strings.CutSuffix(v, "d"); ok {
			if n, err := strconv.Atoi(days); err == nil && n >= 0 {
				return n * 86400, nil
			}
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d%time.Second != 0 {
			return 0, fmt.Errorf("want whole seconds (30) or a duration such as 30s, 5m or 4d, got %q", v)
		}
		return int(d / time.Second), nil
	}
	return 0, fmt.Errorf("want whole seconds (30) or a duration such as 30s, 5m or 4d, got %s", describe(v))
}

// formatSeconds shows a limit the way SQS's documentation does.
func formatSeconds(s int) string {
	switch {
	case s >= 86400 && s%86400 == 0:
		return fmt.Sprintf("%d days", s/86400)
	case s >= 3600 && s%3600 == 0:
		return fmt.Sprintf("%d hours", s/3600)
	case s >= 60 && s%60 == 0:
		return fmt.Sprintf("%d minutes", s/60)
	}
	return fmt.Sprintf("%d seconds", s)
}

func stringList(v any) ([]string, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(list))
	for _, item := range list {
		s, ok := item.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// asInt reads a whole number as YAML decoding gives it.
func asInt(v any) (int, bool) {
	switch v := v.(type) {
	case int:
		return v, true
	case int64:
		return int(v), true
	case uint64:
		return int(v), true
	case float64:
		if v == float64(int(v)) {
			return int(v), true
		}
	}
	return 0, false
}
