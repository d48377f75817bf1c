package truth

import (
	"encoding/json"
	"maps"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/prodlike/prodlike/config"
)

// This file reads the AWS provider's resources (v5 and v6 attribute names)
// into the truth of each kind of service.

// text reads a string attribute for the result: "" and a Note when a plan
// knows it only after apply, Redacted when sensitive.
func (rd *reader) text(svc string, r *tfResource, path ...any) string {
	a := r.get(path...)
	if a.unknown {
		rd.unknownNote(svc, r, attrName(path))
		return ""
	}
	s, ok := a.str()
	switch {
	case !ok:
		return ""
	case a.sensitive:
		return Redacted
	}
	return s
}

// joinKey reads a string attribute used to join resources (names, ids, URLs),
// which is never copied into the result; ok is false when unknown or unset.
func joinKey(r *tfResource, name string) (string, bool) {
	a := r.get(name)
	s, ok := a.str()
	return s, ok && !a.unknown && s != ""
}

func attrName(path []any) string {
	var b strings.Builder
	for i, p := range path {
		switch p := p.(type) {
		case string:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p)
		case int:
			b.WriteString("[" + strconv.Itoa(p) + "]")
		}
	}
	return b.String()
}

// candidate reports whether r can be the prod resource of a postgres, redis
// or app service that does not name one.
func (rd *reader) candidate(svc config.Service, r *tfResource) bool {
	switch svc.Kind {
	case config.KindPostgres:
		switch r.Type {
		case "aws_db_instance":
			e, _ := r.get("engine").str()
			src, _ := r.get("replicate_source_db").str()
			return e == "postgres" && src == ""
		case "aws_rds_cluster":
			e, _ := r.get("engine").str()
			return e == "aurora-postgresql" || e == "postgres"
		}
	case config.KindRedis:
		return redisPrimary(r)
	case config.KindApp:
		return r.Type == "aws_ecs_task_definition" || r.Type == "aws_lambda_function"
	}
	return false
}

func sortedAddresses(rs []*tfResource) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.Address)
	}
	sort.Strings(out)
	return out
}

// one picks the single resource a service stands for, reporting none or
// several.
func (rd *reader) one(svc config.Service, rs []*tfResource, what string) *tfResource {
	switch len(rs) {
	case 0:
		rd.prodError(svc, -1, "names no %s in %s", what, rd.file)
		return nil
	case 1:
		return rs[0]
	}
	rd.prodError(svc, -1, "names %d resources that are each %s (%s); name the one this service stands for", len(rs), article(what)+" "+what, strings.Join(sortedAddresses(rs), ", "))
	return nil
}

// paramGroup reads the parameter group that owner's attribute names into
// params. A group not in the file is noted unless it is an AWS default
// group (default.postgres16), whose parameters are the defaults.
func (rd *reader) paramGroup(svc string, owner *tfResource, attr, typ string, params map[string]string, addrs *[]string) {
	a := owner.get(attr)
	if a.unknown {
		rd.unknownNote(svc, owner, attr)
		return
	}
	name, ok := a.str()
	if !ok || name == "" {
		return
	}
	shown := strconv.Quote(name)
	if a.sensitive {
		shown = Redacted
	}
	var group *tfResource
	for _, g := range rd.byType[typ] {
		if n, ok := joinKey(g, "name"); ok && n == name {
			group = g
			break
		}
		if id, ok := joinKey(g, "id"); ok && id == name {
			group = g
			break
		}
	}
	if group == nil {
		if !strings.HasPrefix(name, "default.") {
			rd.note(svc, owner.Address, "parameter group %s (%s) is not in %s; its parameters are unknown", shown, attr, rd.file)
		}
		return
	}
	*addrs = append(*addrs, group.Address)
	ps := group.get("parameter")
	if ps.unknown {
		rd.unknownNote(svc, group, "parameter")
		return
	}
	for i, p := range ps.list() {
		m, _ := p.(map[string]any)
		n, _ := m["name"].(string)
		if n == "" {
			continue
		}
		params[n] = rd.text(svc, group, "parameter", i, "value")
	}
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// postgres reads an RDS instance, or an Aurora or Multi-AZ cluster with its
// instances.
func (rd *reader) postgres(svc config.Service, rs []*tfResource) *Resource {
	var primaries, members []*tfResource
	for _, r := range rs {
		switch r.Type {
		case "aws_db_instance", "aws_rds_cluster":
			primaries = append(primaries, r)
		case "aws_rds_cluster_instance":
			members = append(members, r)
		}
	}
	// A cluster instance named alone stands for its cluster.
	if len(primaries) == 0 && len(members) > 0 {
		if id, ok := joinKey(members[0], "cluster_identifier"); ok {
			for _, c := range rd.byType["aws_rds_cluster"] {
				if cid, ok := joinKey(c, "cluster_identifier"); ok && cid == id {
					primaries = append(primaries, c)
				}
			}
		}
	}
	// Read replicas named along with their source are not what the app
	// writes to.
	if len(primaries) > 1 {
		var writers []*tfResource
		for _, r := range primaries {
			if src, _ := r.get("replicate_source_db").str(); src == "" {
				writers = append(writers, r)
			}
		}
		if len(writers) > 0 {
			primaries = writers
		}
	}
	p := rd.one(svc, primaries, "Postgres database (aws_db_instance or aws_rds_cluster)")
	if p == nil {
		return nil
	}
	engine := rd.text(svc.Name, p, "engine")
	pg := &Postgres{Engine: engine, Parameters: map[string]string{}}
	res := &Resource{Postgres: pg, Addresses: sortedAddresses(rs)}
	switch engine {
	case "postgres":
		res.Managed = "aws.rds-postgres"
	case "aurora-postgresql":
		res.Managed = "aws.aurora-postgres"
	case "":
	default:
		rd.prodError(svc, -1, "%s runs %s, not Postgres", p.Address, engine)
		return nil
	}
	pg.Version = rd.engineVersion(svc.Name, p, "engine_version_actual", "engine_version", false)

	if p.Type == "aws_db_instance" {
		pg.InstanceClass = rd.text(svc.Name, p, "instance_class")
		rd.paramGroup(svc.Name, p, "parameter_group_name", "aws_db_parameter_group", pg.Parameters, &res.Addresses)
		pg.Parameters = nilIfEmpty(pg.Parameters)
		return res
	}

	// A cluster: its parameters, then its instances' (which win).
	rd.paramGroup(svc.Name, p, "db_cluster_parameter_group_name", "aws_rds_cluster_parameter_group", pg.Parameters, &res.Addresses)
	members = rd.clusterMembers(p, members)
	classes := map[string]bool{}
	for _, m := range members {
		res.Addresses = append(res.Addresses, m.Address)
		if c := rd.text(svc.Name, m, "instance_class"); c != "" {
			if pg.InstanceClass == "" {
				pg.InstanceClass = c
			}
			classes[c] = true
		}
		rd.paramGroup(svc.Name, m, "db_parameter_group_name", "aws_db_parameter_group", pg.Parameters, &res.Addresses)
	}
	if len(classes) > 1 {
		var list []string
		for c := range classes {
			list = append(list, c)
		}
		sort.Strings(list)
		rd.note(svc.Name, p.Address, "the cluster's instances differ in class (%s); using %s", strings.Join(list, ", "), pg.InstanceClass)
	}
	if len(members) == 0 {
		// A Multi-AZ DB cluster has no instance resources.
		pg.InstanceClass = rd.text(svc.Name, p, "db_cluster_instance_class")
	}
	pg.Parameters = nilIfEmpty(pg.Parameters)
	return res
}

// clusterMembers are the cluster's instances in the file (joined by
// cluster_identifier), with those named explicitly, in address order.
func (rd *reader) clusterMembers(cluster *tfResource, named []*tfResource) []*tfResource {
	seen := map[*tfResource]bool{}
	var out []*tfResource
	add := func(r *tfResource) {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	for _, m := range named {
		add(m)
	}
	id, idKnown := joinKey(cluster, "cluster_identifier")
	for _, m := range rd.byType["aws_rds_cluster_instance"] {
		mid, ok := joinKey(m, "cluster_identifier")
		switch {
		case idKnown && ok && mid == id:
			add(m)
		case !idKnown && !ok && m.Module == cluster.Module:
			// A plan that names the cluster only after apply: its
			// instances in the same module refer to it.
			add(m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Address < out[j].Address })
	return out
}

// engineVersion is the version a resource runs: the actual one when known
// and of the configured version (16.4 for 16; not 15.7 while a plan
// upgrades to 16), else the configured one. majorMinor trims a patch level
// (ElastiCache's 7.1.0 is 7.1) and an "x" (6.x is 6).
func (rd *reader) engineVersion(svc string, r *tfResource, actual, configured string, majorMinor bool) string {
	v := rd.text(svc, r, configured)
	if a := r.get(actual); !a.unknown && !a.sensitive {
		prefix := strings.TrimSuffix(v, ".x")
		if s, ok := a.str(); ok && s != "" && (v == "" || s == prefix || strings.HasPrefix(s, prefix+".")) {
			v = s
		}
	}
	if majorMinor {
		parts := strings.Split(v, ".")
		if len(parts) > 2 {
			parts = parts[:2]
		}
		if parts[len(parts)-1] == "x" {
			parts = parts[:len(parts)-1]
		}
		v = strings.Join(parts, ".")
	}
	return v
}

func redisPrimary(r *tfResource) bool {
	engine, _ := r.get("engine").str()
	switch r.Type {
	case "aws_elasticache_replication_group":
		return true
	case "aws_elasticache_cluster":
		rg, _ := r.get("replication_group_id").str()
		return rg == "" && engine != "memcached"
	case "aws_elasticache_serverless_cache":
		return engine != "memcached"
	}
	return false
}

// redis reads an ElastiCache replication group, cluster or serverless
// cache.
func (rd *reader) redis(svc config.Service, rs []*tfResource) *Resource {
	var primaries []*tfResource
	for _, r := range rs {
		if redisPrimary(r) {
			primaries = append(primaries, r)
		}
	}
	// A member cluster named alone stands for its replication group.
	if len(primaries) == 0 {
		for _, r := range rs {
			rg, ok := joinKey(r, "replication_group_id")
			if r.Type != "aws_elasticache_cluster" || !ok {
				continue
			}
			for _, g := range rd.byType["aws_elasticache_replication_group"] {
				if id, ok := joinKey(g, "replication_group_id"); ok && id == rg {
					primaries = append(primaries, g)
				}
			}
			break
		}
	}
	if len(primaries) == 0 {
		for _, r := range rs {
			if e, _ := r.get("engine").str(); e == "memcached" {
				rd.prodError(svc, -1, "%s runs memcached, not Redis or Valkey", r.Address)
				return nil
			}
		}
	}
	p := rd.one(svc, primaries, "Redis or Valkey cache (aws_elasticache_replication_group, aws_elasticache_cluster or aws_elasticache_serverless_cache)")
	if p == nil {
		return nil
	}
	rs = append(rs, p)
	re := &Redis{Parameters: map[string]string{}}
	res := &Resource{Managed: "aws.elasticache", Redis: re, Addresses: sortedAddresses(rs)}
	re.Engine = rd.text(svc.Name, p, "engine")

	if p.Type == "aws_elasticache_serverless_cache" {
		// Serverless caches always encrypt in transit.
		re.TLS = true
		re.Version = rd.engineVersion(svc.Name, p, "full_engine_version", "major_engine_version", true)
		if ug, ok := joinKey(p, "user_group_id"); ok && ug != "" {
			re.AuthToken = true
		}
		re.Parameters = nil
		return res
	}

	if re.Engine == "" && !p.get("engine").unknown {
		re.Engine = "redis" // the provider's default
	}
	re.Version = rd.engineVersion(svc.Name, p, "engine_version_actual", "engine_version", true)
	re.NodeType = rd.text(svc.Name, p, "node_type")
	if tls := p.get("transit_encryption_enabled"); tls.unknown {
		rd.unknownNote(svc.Name, p, "transit_encryption_enabled")
	} else {
		re.TLS, _ = tls.boolean()
	}
	rd.paramGroup(svc.Name, p, "parameter_group_name", "aws_elasticache_parameter_group", re.Parameters, &res.Addresses)
	// Cluster mode shows in the parameter group (cluster-enabled, or the
	// default.redis7.cluster.on style name); ClusterMode reports it, so it
	// is not kept as a parameter.
	if v, ok := re.Parameters["cluster-enabled"]; ok {
		re.ClusterMode = v == "yes"
		delete(re.Parameters, "cluster-enabled")
	}
	if name, _ := joinKey(p, "parameter_group_name"); strings.Contains(name, ".cluster.on") {
		re.ClusterMode = true
	}
	re.Parameters = nilIfEmpty(re.Parameters)
	if p.Type == "aws_elasticache_cluster" {
		return res
	}

	if mode, _ := p.get("cluster_mode").str(); mode == "enabled" {
		re.ClusterMode = true
	}
	if n, ok := p.get("num_node_groups").integer(); ok && n > 1 {
		re.ClusterMode = true
	}
	// The token is never read, only whether there is one: a value (even
	// one known only after apply) or an RBAC user group.
	if tok := p.get("auth_token"); tok.unknown {
		re.AuthToken = true
	} else if s, ok := tok.str(); ok && s != "" {
		re.AuthToken = true
	}
	ug := p.get("user_group_ids")
	switch {
	case ug.unknown:
		rd.unknownNote(svc.Name, p, "user_group_ids")
	case len(ug.list()) > 0:
		re.AuthToken = true
	}
	return res
}

// matchDev pairs prod names with dev names: first the same name, then a
// Terraform key, resource or module name equal to the dev name (- and _
// alike), then a prod name ending in -<dev> or .<dev>. fifo makes a .fifo
// suffix (SQS) not count in the last two, and prefers pairs that agree on
// it. It returns the dev name for each prod, "" for none.
func matchDev(prods []matchable, devs []string, fifo bool) []string {
	out := make([]string, len(prods))
	usedDev := make([]bool, len(devs))
	norm := func(s string) string {
		if fifo {
			s = strings.TrimSuffix(s, ".fifo")
		}
		return strings.ReplaceAll(s, "_", "-")
	}
	isFIFO := func(s string) bool { return fifo && strings.HasSuffix(s, ".fifo") }
	passes := []func(p matchable, dev string) bool{
		func(p matchable, dev string) bool { return p.name != "" && p.name == dev },
		func(p matchable, dev string) bool {
			for _, k := range p.keys {
				if k != "" && norm(k) == norm(dev) {
					return true
				}
			}
			return false
		},
		func(p matchable, dev string) bool {
			n, d := norm(p.name), norm(dev)
			return strings.HasSuffix(n, "-"+d) || strings.HasSuffix(n, "."+d)
		},
	}
	type pair struct{ p, d int }
	for _, ok := range passes {
		var pairs []pair
		for i, p := range prods {
			if out[i] != "" {
				continue
			}
			for j, d := range devs {
				if !usedDev[j] && ok(p, d) {
					pairs = append(pairs, pair{i, j})
				}
			}
		}
		// Pairs that agree on FIFO, then longer (more specific) dev names
		// first: shop-jobs-dlq is jobs-dlq's, not dlq's.
		sort.SliceStable(pairs, func(a, b int) bool {
			pa, pb := pairs[a], pairs[b]
			ma := isFIFO(prods[pa.p].name) != isFIFO(devs[pa.d])
			mb := isFIFO(prods[pb.p].name) != isFIFO(devs[pb.d])
			if ma != mb {
				return !ma
			}
			return len(norm(devs[pa.d])) > len(norm(devs[pb.d]))
		})
		for _, pr := range pairs {
			if out[pr.p] == "" && !usedDev[pr.d] {
				out[pr.p] = devs[pr.d]
				usedDev[pr.d] = true
			}
		}
	}
	return out
}

// matchable is a prod bucket or queue as matchDev sees it: its name and the
// Terraform names it goes by.
type matchable struct {
	name string
	keys []string
}

func terraformNames(r *tfResource) []string {
	var keys []string
	if r.HasKey {
		if _, err := strconv.Atoi(r.Key); err != nil {
			keys = append(keys, r.Key)
		}
	}
	keys = append(keys, r.Name)
	if mod, modKey := r.moduleName(); mod != "" {
		if modKey != "" {
			keys = append(keys, modKey)
		}
		keys = append(keys, mod)
	}
	return keys
}

// joinedTo finds the resource of typ whose attr names target (by one of
// names), or, when a plan knows attr only after apply, the one that goes
// with target by module and key.
func (rd *reader) joinedTo(target *tfResource, typ, attr string, names []string) *tfResource {
	var fallback *tfResource
	for _, r := range rd.byType[typ] {
		a := r.get(attr)
		if a.unknown {
			if r.Module == target.Module && r.HasKey == target.HasKey && r.Key == target.Key {
				fallback = r
			}
			continue
		}
		if v, ok := a.str(); ok && v != "" {
			for _, n := range names {
				if n != "" && v == n {
					return r
				}
			}
		}
	}
	return fallback
}

// storage reads S3 buckets with their versioning and CORS configuration.
func (rd *reader) storage(svc config.Service, rs []*tfResource) *Resource {
	st := &Storage{}
	res := &Resource{Managed: "aws.s3", Storage: st}
	var prods []matchable
	var buckets []*tfResource
	for _, r := range rs {
		if r.Type != "aws_s3_bucket" {
			continue
		}
		buckets = append(buckets, r)
		res.Addresses = append(res.Addresses, r.Address)
		b := ProdBucket{}
		b.Name = rd.text(svc.Name, r, "bucket")
		name, _ := joinKey(r, "bucket")
		id, _ := joinKey(r, "id")
		names := []string{name, id}

		// Versioning: the aws_s3_bucket_versioning resource, else the
		// bucket's own (legacy) versioning block.
		if v := rd.joinedTo(r, "aws_s3_bucket_versioning", "bucket", names); v != nil {
			res.Addresses = append(res.Addresses, v.Address)
			switch s := rd.text(svc.Name, v, "versioning_configuration", 0, "status"); s {
			case "Enabled", "Suspended":
				b.Status = s
			}
		} else if on, _ := r.get("versioning", 0, "enabled").boolean(); on {
			b.Status = "Enabled"
		}
		b.Versioning = b.Status == "Enabled"

		rules, rulesAt := r, []any{"cors_rule"}
		if c := rd.joinedTo(r, "aws_s3_bucket_cors_configuration", "bucket", names); c != nil {
			res.Addresses = append(res.Addresses, c.Address)
			rules = c
		}
		b.CORS = rd.cors(svc.Name, rules, rulesAt)
		st.Buckets = append(st.Buckets, b)
		prods = append(prods, matchable{name: b.Name, keys: terraformNames(r)})
	}
	if len(buckets) == 0 {
		rd.prodError(svc, -1, "names no aws_s3_bucket in %s", rd.file)
		return nil
	}
	devs := make([]string, len(svc.Buckets))
	for i, b := range svc.Buckets {
		devs[i] = b.Name
	}
	for i, d := range matchDev(prods, devs, false) {
		st.Buckets[i].DevName = d
	}
	var matched []string
	for _, b := range st.Buckets {
		matched = append(matched, b.DevName)
	}
	rd.unmatched(svc.Name, "bucket", devs, matched)
	sort.SliceStable(st.Buckets, func(i, j int) bool { return st.Buckets[i].Name < st.Buckets[j].Name })
	return res
}

// unmatched notes the dev buckets or queues no prod one matched.
func (rd *reader) unmatched(svc, what string, devs, matched []string) {
	for _, d := range devs {
		if !slices.Contains(matched, d) {
			rd.note(svc, "", "dev %s %q matches no prod %s in %s", what, d, what, rd.file)
		}
	}
}

// cors reads a cors_rule list; nil when there is none.
func (rd *reader) cors(svc string, r *tfResource, at []any) []config.CORSRule {
	a := r.get(at...)
	if a.unknown {
		rd.unknownNote(svc, r, attrName(at))
		return nil
	}
	var rules []config.CORSRule
	for i := range a.list() {
		item := func(name string) tfAttr { return r.get(append(append([]any{}, at...), i, name)...) }
		list := func(name string) []string {
			it := item(name)
			if it.sensitive {
				return []string{Redacted}
			}
			return it.strings()
		}
		rule := config.CORSRule{
			AllowedOrigins: list("allowed_origins"),
			AllowedMethods: list("allowed_methods"),
			AllowedHeaders: list("allowed_headers"),
			ExposeHeaders:  list("expose_headers"),
		}
		if n, ok := item("max_age_seconds").integer(); ok {
			rule.MaxAgeSeconds = int(n)
		}
		rules = append(rules, rule)
	}
	return rules
}

// sqsAttributes map the provider's queue attributes to SQS's names.
var sqsAttributes = []struct{ tf, sqs string }{
	{"visibility_timeout_seconds", "VisibilityTimeout"},
	{"message_retention_seconds", "MessageRetentionPeriod"},
	{"max_message_size", "MaximumMessageSize"},
	{"delay_seconds", "DelaySeconds"},
	{"receive_wait_time_seconds", "ReceiveMessageWaitTimeSeconds"},
}

// queues reads SQS queues with their redrive policies.
func (rd *reader) queues(svc config.Service, rs []*tfResource) *Resource {
	qs := &Queues{}
	res := &Resource{Managed: "aws.sqs", Queues: qs}
	var prods []matchable
	for _, r := range rs {
		if r.Type != "aws_sqs_queue" {
			continue
		}
		res.Addresses = append(res.Addresses, r.Address)
		q := ProdQueue{}
		q.Name = rd.text(svc.Name, r, "name")
		q.Attributes = map[string]string{}
		for _, m := range sqsAttributes {
			a := r.get(m.tf)
			if a.unknown {
				rd.unknownNote(svc.Name, r, m.tf)
				continue
			}
			if n, ok := a.integer(); ok {
				q.Attributes[m.sqs] = strconv.FormatInt(n, 10)
				if a.sensitive {
					q.Attributes[m.sqs] = Redacted
				}
			}
		}
		if on, _ := r.get("fifo_queue").boolean(); on {
			q.Attributes["FifoQueue"] = "true"
		}
		if on, _ := r.get("content_based_deduplication").boolean(); on {
			q.Attributes["ContentBasedDeduplication"] = "true"
		}

		// A separate aws_sqs_queue_redrive_policy wins over the queue's
		// own attribute.
		url, _ := joinKey(r, "url")
		id, _ := joinKey(r, "id")
		policy, at := r, "redrive_policy"
		if p := rd.joinedTo(r, "aws_sqs_queue_redrive_policy", "queue_url", []string{url, id}); p != nil {
			res.Addresses = append(res.Addresses, p.Address)
			policy = p
		}
		q.DeadLetter, q.MaxReceiveCount = rd.redrive(svc.Name, policy, at)
		qs.Queues = append(qs.Queues, q)
		prods = append(prods, matchable{name: q.Name, keys: terraformNames(r)})
	}
	if len(qs.Queues) == 0 {
		rd.prodError(svc, -1, "names no aws_sqs_queue in %s", rd.file)
		return nil
	}
	devs := make([]string, len(svc.Queues))
	for i, q := range svc.Queues {
		devs[i] = q.Name
	}
	for i, d := range matchDev(prods, devs, true) {
		qs.Queues[i].DevName = d
	}
	var matched []string
	for _, q := range qs.Queues {
		matched = append(matched, q.DevName)
	}
	rd.unmatched(svc.Name, "queue", devs, matched)
	sort.SliceStable(qs.Queues, func(i, j int) bool { return qs.Queues[i].Name < qs.Queues[j].Name })
	return res
}

// redrive reads a redrive policy, a JSON string such as
// {"deadLetterTargetArn": "arn:aws:sqs:…:jobs-dlq", "maxReceiveCount": 3}:
// the dead-letter queue's name (the ARN's last part) and the count, which
// Terraform users write as a number or a string.
func (rd *reader) redrive(svc string, r *tfResource, attr string) (string, int) {
	a := r.get(attr)
	if a.unknown {
		rd.unknownNote(svc, r, attr)
		return "", 0
	}
	s, ok := a.str()
	if !ok || strings.TrimSpace(s) == "" {
		return "", 0
	}
	if a.sensitive {
		rd.note(svc, r.Address, "%s is sensitive; its dead-letter queue is not read", attr)
		return "", 0
	}
	var p struct {
		Target string `json:"deadLetterTargetArn"`
		Count  any    `json:"maxReceiveCount"`
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if err := dec.Decode(&p); err != nil {
		rd.note(svc, r.Address, "%s is not a JSON redrive policy: %v", attr, err)
		return "", 0
	}
	name := p.Target
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	n, _ := tfInt(p.Count)
	return name, int(n)
}

// app reads how an ECS task definition or a Lambda function runs the app.
func (rd *reader) app(svc config.Service, rs []*tfResource) *Resource {
	r := rd.one(svc, rs, "ECS task definition or Lambda function")
	if r == nil {
		return nil
	}
	a := &App{Env: map[string]string{}}
	res := &Resource{App: a, Addresses: []string{r.Address}}
	if r.Type == "aws_lambda_function" {
		rd.lambda(svc, r, a)
	} else {
		rd.ecs(svc, r, a)
	}
	if len(a.Env) == 0 {
		a.Env = nil
	}
	sort.Strings(a.Secrets)
	return res
}

func (rd *reader) ecs(svc config.Service, r *tfResource, a *App) {
	// Platform: Fargate runs X86_64 Linux unless runtime_platform says
	// otherwise.
	rp := r.get("runtime_platform")
	switch {
	case rp.unknown:
		rd.unknownNote(svc.Name, r, "runtime_platform")
	case len(rp.list()) == 0:
		a.Platform = "linux/amd64"
		rd.note(svc.Name, r.Address, "runtime_platform is not set; Fargate defaults to X86_64, so linux/amd64 is assumed")
	default:
		arch, family := r.get("runtime_platform", 0, "cpu_architecture"), r.get("runtime_platform", 0, "operating_system_family")
		if arch.unknown || family.unknown {
			rd.unknownNote(svc.Name, r, "runtime_platform")
			break
		}
		archS, _ := arch.str()
		familyS, _ := family.str()
		goos := "linux"
		if strings.HasPrefix(familyS, "WINDOWS") {
			goos = "windows"
		}
		switch archS {
		case "ARM64":
			a.Platform = goos + "/arm64"
		case "X86_64":
			a.Platform = goos + "/amd64"
		case "":
			a.Platform = goos + "/amd64"
			rd.note(svc.Name, r.Address, "runtime_platform sets no cpu_architecture; Fargate defaults to X86_64, so %s is assumed", a.Platform)
		default:
			rd.note(svc.Name, r.Address, "unknown cpu_architecture %q", archS)
		}
	}

	cd := r.get("container_definitions")
	if cd.unknown {
		rd.unknownNote(svc.Name, r, "container_definitions")
		return
	}
	s, _ := cd.str()
	if s == "" {
		return
	}
	var defs []struct {
		Name        string `json:"name"`
		Image       string `json:"image"`
		Essential   *bool  `json:"essential"`
		Environment []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"environment"`
		Secrets []struct {
			Name string `json:"name"`
		} `json:"secrets"`
	}
	if err := json.Unmarshal([]byte(s), &defs); err != nil {
		rd.note(svc.Name, r.Address, "container_definitions is not a JSON list of containers: %v", err)
		return
	}
	if len(defs) == 0 {
		return
	}
	pick := -1
	for i, d := range defs {
		if d.Name == svc.Name {
			pick = i
			break
		}
	}
	if pick < 0 && len(defs) == 1 {
		pick = 0
	}
	if pick < 0 {
		for i, d := range defs {
			if d.Essential == nil || *d.Essential { // essential by default
				pick = i
				break
			}
		}
		if pick < 0 {
			pick = 0
		}
		rd.note(svc.Name, r.Address, "no container is named %s; using %s, the first essential of %d containers", svc.Name, defs[pick].Name, len(defs))
	}
	d := defs[pick]
	for _, e := range d.Environment {
		a.Env[e.Name] = envValue(e.Name, e.Value, cd.sensitive)
	}
	for _, sec := range d.Secrets {
		a.Env[sec.Name] = Redacted
		a.Secrets = append(a.Secrets, sec.Name)
	}
	if cd.sensitive {
		// Terraform marks the whole definition sensitive when a sensitive
		// value went into it: nothing of it but the names is kept.
		rd.note(svc.Name, r.Address, "container_definitions is sensitive: its values are redacted and the image is not read")
		return
	}
	a.Image = d.Image
}

func (rd *reader) lambda(svc config.Service, r *tfResource, a *App) {
	arch := r.get("architectures")
	switch l := arch.strings(); {
	case arch.unknown:
		rd.unknownNote(svc.Name, r, "architectures")
	case len(l) == 0 || l[0] == "x86_64":
		a.Platform = "linux/amd64" // Lambda's default
	case l[0] == "arm64":
		a.Platform = "linux/arm64"
	default:
		rd.note(svc.Name, r.Address, "unknown architecture %q", l[0])
	}
	if pt, _ := r.get("package_type").str(); pt != "Zip" {
		a.Image = rd.text(svc.Name, r, "image_uri")
	}
	at := []any{"environment", 0, "variables"}
	vars := r.get(at...)
	if vars.unknown {
		rd.unknownNote(svc.Name, r, "environment.variables")
		return
	}
	names := map[string]bool{}
	m, _ := vars.v.(map[string]any)
	for k := range m {
		names[k] = true
	}
	// A plan leaves out the variables it knows only after apply; their
	// names are in the unknown mask.
	if um, ok := maskChild(maskChild(maskChild(r.unk, "environment"), 0), "variables").(map[string]any); ok {
		for k := range um {
			names[k] = true
		}
	}
	for _, k := range slices.Sorted(maps.Keys(names)) {
		v := r.get("environment", 0, "variables", k)
		if v.unknown {
			rd.note(svc.Name, r.Address, "environment variable %s is known only after apply", k)
			a.Env[k] = ""
			continue
		}
		s, _ := v.str()
		a.Env[k] = envValue(k, s, v.sensitive)
	}
}

// secretWords mark a variable name as holding a secret when they are a
// whole word of it (DATABASE_PASSWORD, STRIPE_API_KEY; not KEYSPACE).
var secretWords = map[string]bool{
	"PASSWORD": true, "PASSWD": true, "PASS": true, "PWD": true,
	"SECRET": true, "SECRETS": true, "TOKEN": true, "TOKENS": true,
	"KEY": true, "KEYS": true, "APIKEY": true, "PRIVATE": true,
	"CREDENTIAL": true, "CREDENTIALS": true, "CREDS": true,
	"AUTH": true, "SALT": true, "DSN": true,
}

func secretName(name string) bool {
	for _, w := range strings.FieldsFunc(strings.ToUpper(name), func(r rune) bool {
		return (r < 'A' || r > 'Z') && (r < '0' || r > '9')
	}) {
		if secretWords[w] {
			return true
		}
	}
	return false
}

// envValue is the value kept for a variable: Redacted for sensitive values
// and secret-looking names, and a URL's password masked.
func envValue(name, value string, sensitive bool) string {
	if sensitive || secretName(name) {
		return Redacted
	}
	return maskURLPassword(value)
}

// maskURLPassword replaces the password of a URL's user info
// (postgres://app:pw@db/app) by Redacted, keeping the rest, which says
// things worth comparing (host, sslmode).
func maskURLPassword(s string) string {
	scheme := strings.Index(s, "://")
	if scheme < 0 {
		return s
	}
	rest := s[scheme+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndexByte(rest[:end], '@')
	if at < 0 {
		return s
	}
	user, _, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass {
		return s
	}
	if _, err := url.Parse(s); err != nil {
		return Redacted // unreadable, and may hold a secret
	}
	return s[:scheme+3] + user + ":" + Redacted + rest[at:]
}
