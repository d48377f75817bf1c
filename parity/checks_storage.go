package parity

import (
	"fmt"
	"strconv"

	"github.com/prodlike/prodlike/config"
	"github.com/prodlike/prodlike/emulators/s3"
	"github.com/prodlike/prodlike/emulators/sqs"
	"github.com/prodlike/prodlike/profiles/truth"
)

var storageChecks = []Check{
	{
		ID: "S3-BUCKET", Title: "Every bucket the app uses exists in prod", Family: FamilyStorage,
		Severity: Block, Kind: config.KindS3, Needs: NeedLive | NeedProd, Run: s3Buckets,
	},
	{
		ID: "S3-VERSIONING", Title: "Bucket versioning matches prod", Family: FamilyStorage,
		Severity: Warn, Kind: config.KindS3, Needs: NeedLive | NeedProd, Run: s3Versioning,
	},
	{
		ID: "S3-CORS", Title: "Bucket CORS rules match prod", Family: FamilyStorage,
		Severity: Warn, Kind: config.KindS3, Needs: NeedLive | NeedProd, Run: s3CORS,
	},
	{
		ID: "SQS-QUEUE", Title: "Every queue the app uses exists in prod", Family: FamilyStorage,
		Severity: Block, Kind: config.KindSQS, Needs: NeedLive | NeedProd, Run: sqsQueues,
	},
	{
		ID: "SQS-FIFO", Title: "FIFO or standard, as prod", Family: FamilyStorage,
		Severity: Block, Kind: config.KindSQS, Needs: NeedLive | NeedProd, Run: sqsFIFO,
	},
	{
		ID: "SQS-VISIBILITY", Title: "Visibility timeout matches prod", Family: FamilyStorage,
		Severity: Warn, Kind: config.KindSQS, Needs: NeedLive | NeedProd, Run: sqsAttr("VisibilityTimeout", "visibility timeout", "visibility-timeout", "a message is redelivered while the worker still runs, or waits longer than in prod after a failure"),
	},
	{
		ID: "SQS-DLQ", Title: "Dead-letter queue and max receive count match prod", Family: FamilyStorage,
		Severity: Warn, Kind: config.KindSQS, Needs: NeedLive | NeedProd, Run: sqsDLQ,
	},
	{
		ID: "SQS-RETENTION", Title: "Message retention matches prod", Family: FamilyStorage,
		Severity: Warn, Kind: config.KindSQS, Needs: NeedLive | NeedProd, Run: sqsAttr("MessageRetentionPeriod", "retention", "retention", "messages expire at a different age than in prod"),
	},
	{
		ID: "SQS-MESSAGE-SIZE", Title: "Maximum message size matches prod", Family: FamilyStorage,
		Severity: Warn, Kind: config.KindSQS, Needs: NeedLive | NeedProd, Run: sqsAttr("MaximumMessageSize", "maximum message size", "max-message-size", "a message dev accepts can be refused in prod"),
	},
	{
		ID: "SQS-ATTRIBUTE", Title: "Delay, long-poll wait and deduplication match prod", Family: FamilyStorage,
		Severity: Warn, Kind: config.KindSQS, Needs: NeedLive | NeedProd, Run: sqsOtherAttrs,
	},
}

// prodBuckets returns prod's buckets for the service, nil when the truth has
// none.
func prodBuckets(t *Target) []truth.ProdBucket {
	if t.Prod.Storage == nil {
		return nil
	}
	return t.Prod.Storage.Buckets
}

// bucketPair is a declared dev bucket with its live facts and its prod
// bucket (nil when prod has none).
type bucketPair struct {
	dev  s3.BucketFacts
	prod *truth.ProdBucket
}

func bucketPairs(t *Target) (pairs []bucketPair) {
	prod := prodBuckets(t)
	for _, b := range t.Dev.Buckets {
		live, ok := t.Dev.S3.Bucket(b.Name)
		if !ok {
			live = s3.BucketFacts{Name: b.Name}
		}
		var match *truth.ProdBucket
		for i := range prod {
			if prod[i].DevName == b.Name {
				match = &prod[i]
				break
			}
		}
		pairs = append(pairs, bucketPair{live, match})
	}
	return pairs
}

func s3Buckets(t *Target) []Finding {
	var out []Finding
	for _, p := range bucketPairs(t) {
		if p.prod == nil {
			out = append(out, Finding{Subject: p.dev.Name,
				Message: fmt.Sprintf("dev has bucket %s but prod has no bucket that corresponds to it", p.dev.Name),
				Dev:     p.dev.Name, Prod: "missing",
				Fix: "create the bucket in prod's Terraform, or point x-prodlike.prod at the resource that has it"})
		}
		if _, ok := t.Dev.S3.Bucket(p.dev.Name); !ok {
			out = append(out, Finding{Severity: Info, Subject: p.dev.Name,
				Message: fmt.Sprintf("the stand-in has no bucket %s although the compose file declares it", p.dev.Name),
				Fix:     "run `prodlike up` again; it creates declared buckets"})
		}
	}
	for _, b := range prodBuckets(t) {
		if b.DevName == "" {
			out = append(out, Finding{Severity: Info, Subject: b.Name,
				Message: fmt.Sprintf("prod has bucket %s, which no dev bucket corresponds to", b.Name),
				Prod:    b.Name,
				Fix:     "declare it in x-prodlike.buckets if the app uses it (a prod name ending in -<name> matches dev <name>)"})
		}
	}
	return out
}

func s3Versioning(t *Target) []Finding {
	var out []Finding
	for _, p := range bucketPairs(t) {
		if p.prod == nil {
			continue
		}
		dev, prod := versioningWord(p.dev.Versioning), versioningWord(p.prod.Status)
		if dev == prod {
			continue
		}
		out = append(out, Finding{Subject: p.dev.Name,
			Message: fmt.Sprintf("versioning of bucket %s is %s in dev and %s in prod: overwrites and deletes behave differently (old versions kept, delete markers)", p.dev.Name, dev, prod),
			Dev:     dev, Prod: prod,
			Fix: fmt.Sprintf("set versioning: %t on bucket %s in x-prodlike.buckets", p.prod.Status == "Enabled", p.dev.Name)})
	}
	return out
}

func versioningWord(status string) string {
	if status == "" {
		return "off"
	}
	return status
}

func s3CORS(t *Target) []Finding {
	var out []Finding
	for _, p := range bucketPairs(t) {
		if p.prod == nil {
			continue
		}
		dev := corsString(p.dev.CORS)
		prod := corsString(toS3CORS(p.prod.CORS))
		if dev == prod {
			continue
		}
		out = append(out, Finding{Subject: p.dev.Name,
			Message: fmt.Sprintf("CORS rules of bucket %s differ: a browser upload that works in dev can be refused in prod", p.dev.Name),
			Dev:     dev, Prod: prod,
			Fix: fmt.Sprintf("copy prod's rules into the cors of bucket %s in x-prodlike.buckets", p.dev.Name)})
	}
	return out
}

func toS3CORS(rules []config.CORSRule) []s3.CORSRule {
	var out []s3.CORSRule
	for _, r := range rules {
		out = append(out, s3.CORSRule(r))
	}
	return out
}

func corsString(rules []s3.CORSRule) string {
	if len(rules) == 0 {
		return "none"
	}
	s := ""
	for i, r := range rules {
		if i > 0 {
			s += "; "
		}
		s += fmt.Sprintf("%v %v", r.AllowedMethods, r.AllowedOrigins)
		if len(r.AllowedHeaders) > 0 {
			s += fmt.Sprintf(" headers %v", r.AllowedHeaders)
		}
		if len(r.ExposeHeaders) > 0 {
			s += fmt.Sprintf(" expose %v", r.ExposeHeaders)
		}
		if r.MaxAgeSeconds > 0 {
			s += fmt.Sprintf(" max-age %d", r.MaxAgeSeconds)
		}
	}
	return s
}

// queuePair is a declared dev queue with its live facts and its prod queue.
type queuePair struct {
	name string
	dev  sqs.QueueFacts
	live bool
	prod *truth.ProdQueue
}

func queuePairs(t *Target) []queuePair {
	var prod []truth.ProdQueue
	if t.Prod.Queues != nil {
		prod = t.Prod.Queues.Queues
	}
	var out []queuePair
	for _, q := range t.Dev.Queues {
		p := queuePair{name: q.Name}
		p.dev, p.live = t.Dev.SQS.Queue(q.Name)
		for i := range prod {
			if prod[i].DevName == q.Name {
				p.prod = &prod[i]
				break
			}
		}
		out = append(out, p)
	}
	return out
}

func sqsQueues(t *Target) []Finding {
	var out []Finding
	for _, p := range queuePairs(t) {
		if p.prod == nil {
			out = append(out, Finding{Subject: p.name,
				Message: fmt.Sprintf("dev has queue %s but prod has no queue that corresponds to it", p.name),
				Dev:     p.name, Prod: "missing",
				Fix: "create the queue in prod's Terraform, or point x-prodlike.prod at the resource that has it"})
		}
		if !p.live {
			out = append(out, Finding{Severity: Info, Subject: p.name,
				Message: fmt.Sprintf("the stand-in has no queue %s although the compose file declares it", p.name),
				Fix:     "run `prodlike up` again; it creates declared queues"})
		}
	}
	if t.Prod.Queues != nil {
		for _, q := range t.Prod.Queues.Queues {
			if q.DevName == "" {
				out = append(out, Finding{Severity: Info, Subject: q.Name,
					Message: fmt.Sprintf("prod has queue %s, which no dev queue corresponds to", q.Name),
					Prod:    q.Name,
					Fix:     "declare it in x-prodlike.queues if the app uses it (a prod name ending in -<name> matches dev <name>)"})
			}
		}
	}
	return out
}

func sqsFIFO(t *Target) []Finding {
	var out []Finding
	for _, p := range queuePairs(t) {
		if p.prod == nil || !p.live {
			continue
		}
		dev, prod := p.dev.Attributes["FifoQueue"] == "true", p.prod.FIFO() || p.prod.Attributes["FifoQueue"] == "true"
		if dev == prod {
			continue
		}
		kind := func(fifo bool) string {
			if fifo {
				return "FIFO"
			}
			return "standard"
		}
		out = append(out, Finding{Subject: p.name,
			Message: fmt.Sprintf("queue %s is %s in dev and %s in prod: ordering, deduplication and the send parameters (MessageGroupId) differ", p.name, kind(dev), kind(prod)),
			Dev:     kind(dev), Prod: kind(prod),
			Fix: "name the dev queue as prod does (FIFO queues end in .fifo)"})
	}
	return out
}

// prodAttr returns a prod queue attribute, falling back to the cloud's
// default for a new queue when the truth does not state it.
func prodAttr(t *Target, q *truth.ProdQueue, name string) string {
	if v, ok := q.Attributes[name]; ok {
		return v
	}
	if t.Managed != nil && t.Managed.Queue != nil {
		return t.Managed.Queue.Defaults[name]
	}
	return ""
}

func sqsAttr(attr, what, key, consequence string) func(*Target) []Finding {
	return func(t *Target) []Finding {
		var out []Finding
		for _, p := range queuePairs(t) {
			if p.prod == nil || !p.live {
				continue
			}
			dev, prod := p.dev.Attributes[attr], prodAttr(t, p.prod, attr)
			if prod == "" || dev == prod {
				continue
			}
			out = append(out, Finding{Subject: p.name,
				Message: fmt.Sprintf("%s of queue %s is %s in dev and %s in prod: %s", what, p.name, attrWords(attr, dev), attrWords(attr, prod), consequence),
				Dev:     dev, Prod: prod,
				Fix: fmt.Sprintf("set %s: %s on queue %s in x-prodlike.queues, or `prodlike up --env %s`", key, prod, p.name, t.Env.Name)})
		}
		return out
	}
}

// attrWords shows an attribute value with its unit.
func attrWords(attr, v string) string {
	n, err := strconv.Atoi(v)
	if err != nil {
		return v
	}
	switch attr {
	case "MaximumMessageSize":
		if n%1024 == 0 {
			return fmt.Sprintf("%d KiB", n/1024)
		}
		return fmt.Sprintf("%d bytes", n)
	case "ContentBasedDeduplication", "FifoQueue":
		return v
	}
	switch {
	case n >= 86400 && n%86400 == 0:
		return fmt.Sprintf("%dd", n/86400)
	case n >= 3600 && n%3600 == 0:
		return fmt.Sprintf("%dh", n/3600)
	case n >= 60 && n%60 == 0:
		return fmt.Sprintf("%dm", n/60)
	}
	return fmt.Sprintf("%ds", n)
}

func sqsDLQ(t *Target) []Finding {
	var out []Finding
	devName := map[string]string{} // prod queue name → dev name
	if t.Prod.Queues != nil {
		for _, q := range t.Prod.Queues.Queues {
			devName[q.Name] = q.DevName
		}
	}
	for _, p := range queuePairs(t) {
		if p.prod == nil || !p.live {
			continue
		}
		dev, prod := p.dev.DeadLetter, p.prod.DeadLetter
		mapped := prod
		if d := devName[prod]; d != "" {
			mapped = d
		}
		switch {
		case dev == "" && prod != "":
			out = append(out, Finding{Subject: p.name,
				Message: fmt.Sprintf("queue %s has no dead-letter queue in dev; prod moves a message to %s after %d receives", p.name, prod, p.prod.MaxReceiveCount),
				Dev:     "none", Prod: fmt.Sprintf("%s after %d", prod, p.prod.MaxReceiveCount),
				Fix: fmt.Sprintf("set dead-letter: {queue: %s, max-receive-count: %d} on queue %s in x-prodlike.queues", mapped, p.prod.MaxReceiveCount, p.name)})
		case dev != "" && prod == "":
			out = append(out, Finding{Subject: p.name,
				Message: fmt.Sprintf("queue %s sends poison messages to %s in dev, but prod has no dead-letter queue: they are retried until retention ends", p.name, dev),
				Dev:     fmt.Sprintf("%s after %d", dev, p.dev.MaxReceiveCount), Prod: "none",
				Fix: "add a redrive policy in prod, or drop dead-letter from the dev queue"})
		case dev != "" && (dev != mapped || p.dev.MaxReceiveCount != p.prod.MaxReceiveCount):
			out = append(out, Finding{Subject: p.name,
				Message: fmt.Sprintf("queue %s dead-letters to %s after %d receives in dev, to %s after %d in prod", p.name, dev, p.dev.MaxReceiveCount, prod, p.prod.MaxReceiveCount),
				Dev:     fmt.Sprintf("%s after %d", dev, p.dev.MaxReceiveCount), Prod: fmt.Sprintf("%s after %d", prod, p.prod.MaxReceiveCount),
				Fix: fmt.Sprintf("set dead-letter: {queue: %s, max-receive-count: %d} on queue %s", mapped, p.prod.MaxReceiveCount, p.name)})
		}
	}
	return out
}

// otherQueueAttrs are compared by SQS-ATTRIBUTE, with their compose keys.
var otherQueueAttrs = []struct{ attr, key, what string }{
	{"DelaySeconds", "delay", "delivery delay"},
	{"ReceiveMessageWaitTimeSeconds", "receive-wait", "long-poll wait"},
	{"ContentBasedDeduplication", "content-based-deduplication", "content-based deduplication"},
}

func sqsOtherAttrs(t *Target) []Finding {
	var out []Finding
	for _, p := range queuePairs(t) {
		if p.prod == nil || !p.live {
			continue
		}
		for _, a := range otherQueueAttrs {
			dev, prod := p.dev.Attributes[a.attr], prodAttr(t, p.prod, a.attr)
			if a.attr == "ContentBasedDeduplication" {
				if dev == "" {
					dev = "false"
				}
				if prod == "" {
					prod = "false"
				}
			}
			if prod == "" || dev == prod {
				continue
			}
			out = append(out, Finding{Subject: p.name + " " + a.key,
				Message: fmt.Sprintf("%s of queue %s is %s in dev and %s in prod", a.what, p.name, attrWords(a.attr, dev), attrWords(a.attr, prod)),
				Dev:     dev, Prod: prod,
				Fix: fmt.Sprintf("set %s: %s on queue %s in x-prodlike.queues", a.key, prod, p.name)})
		}
	}
	return out
}
