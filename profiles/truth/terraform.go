package truth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/prodlike/prodlike/config"
)

// ReadTerraform reads the Terraform JSON at path — a state or a plan, as
// `terraform show -json` writes them — and returns what env runs for the
// services of spec. A relative path starts at spec.Dir, as
// x-prodlike.environments.<env>.terraform does; messages show it as given.
//
// Problems with the file itself are plain errors naming it; an
// x-prodlike.prod address the file does not resolve is a *config.Error
// located in the compose file (several are joined).
func ReadTerraform(path string, env config.Environment, spec *config.Spec) (*Environment, error) {
	file := path
	if !filepath.IsAbs(file) && spec != nil && spec.Dir != "" {
		file = filepath.Join(spec.Dir, file)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("environment %s: Terraform JSON %s does not exist; write it with `terraform show -json > %s` (or `terraform show -json <planfile> > %s`): %w", env.Name, path, path, path, err)
		}
		return nil, fmt.Errorf("environment %s: cannot read Terraform JSON %s: %w", env.Name, path, err)
	}
	return ParseTerraform(data, path, env, spec)
}

// ParseTerraform is ReadTerraform for JSON already read; name is the file it
// came from, for messages and Environment.Source.
func ParseTerraform(data []byte, name string, env config.Environment, spec *config.Spec) (*Environment, error) {
	doc, err := decodeTerraform(data, name, env)
	if err != nil {
		return nil, err
	}
	form := "terraform state"
	if doc.plan {
		form = "terraform plan"
	}
	out := &Environment{
		Name:     env.Name,
		Cloud:    env.Cloud,
		Region:   env.Region,
		Source:   fmt.Sprintf("%s (%s)", name, form),
		Services: map[string]*Resource{},
	}
	if env.Cloud != "" && env.Cloud != "aws" {
		out.Notes = append(out.Notes, Note{Text: fmt.Sprintf("the Terraform reader knows AWS resources only; environment %s is on %s", env.Name, env.Cloud)})
	}
	rd := newReader(doc, name, spec, out)
	if spec != nil {
		rd.readServices(spec.Services)
	}
	if len(rd.errs) > 0 {
		return nil, errors.Join(rd.errs...)
	}
	sort.SliceStable(out.Notes, func(i, j int) bool { return out.Notes[i].Service < out.Notes[j].Service })
	return out, nil
}

// tfDoc is a decoded state or plan: its managed resource instances, in file
// order.
type tfDoc struct {
	plan      bool
	resources []*tfResource
	// destroyed are the addresses a plan deletes, to explain why an
	// address is missing from its planned values.
	destroyed []string
}

// tfResource is one managed resource instance with its attribute values and
// the masks Terraform gives alongside them: which values are sensitive and,
// in a plan, which are known only after apply.
type tfResource struct {
	Address string
	Module  string // module address (module.a.module.b["x"]); "" at the root
	Type    string
	Name    string
	Key     string // for_each key or count index as text
	HasKey  bool
	values  map[string]any
	sens    any // sensitive mask: true, or maps/lists mirroring values
	unk     any // unknown mask (plans), shaped the same
}

// base is the address without the instance key.
func (r *tfResource) base() string {
	if r.Module == "" {
		return r.Type + "." + r.Name
	}
	return r.Module + "." + r.Type + "." + r.Name
}

// moduleName is the name of the innermost module (module.storage.module.archive
// → archive), and its key, if any.
func (r *tfResource) moduleName() (name, key string) {
	if r.Module == "" {
		return "", ""
	}
	segs := splitAddress(r.Module)
	last := segs[len(segs)-1]
	name, key, _ = cutKey(last)
	return name, key
}

// decodeTerraform tells a state from a plan (and both from what they are
// not) and collects the resource instances.
func decodeTerraform(data []byte, name string, env config.Environment) (*tfDoc, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%s is empty; want the output of `terraform show -json`", name)
	}
	var top map[string]json.RawMessage
	err := json.Unmarshal(data, &top)
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return nil, fmt.Errorf("%s: invalid JSON: %w", jsonPosition(name, data, syn.Offset-1), err)
	}
	if err != nil || top == nil {
		// Valid JSON, but not an object.
		return nil, fmt.Errorf("%s is not Terraform JSON: want the output of `terraform show -json` (an object with values.root_module for a state, planned_values for a plan), got a JSON %s", name, jsonKind(data))
	}
	has := func(k string) bool { _, ok := top[k]; return ok }
	switch {
	case has("planned_values") || has("resource_changes"):
		var p tfjson.Plan
		p.UseJSONNumber(true)
		if err := json.Unmarshal(data, &p); err != nil {
			return nil, fmt.Errorf("%s: cannot read the Terraform plan: %w", decodePosition(name, data, err), err)
		}
		return planDoc(&p)
	case has("values"):
		var s tfjson.State
		s.UseJSONNumber(true)
		if err := json.Unmarshal(data, &s); err != nil {
			return nil, fmt.Errorf("%s: cannot read the Terraform state: %w", decodePosition(name, data, err), err)
		}
		return stateDoc(&s)
	case has("version") && (has("resources") || has("lineage") || has("serial")):
		envName := env.Name
		if envName == "" {
			envName = "<env>"
		}
		return nil, fmt.Errorf("%s is a raw Terraform state file (.tfstate), which prodlike does not read: run `terraform show -json %s > prod.json` and point x-prodlike.environments.%s.terraform at prod.json", name, name, envName)
	case has("format_version"):
		// `terraform show -json` of an empty state prints no values.
		return &tfDoc{}, nil
	}
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, strconv.Quote(k))
	}
	sort.Strings(keys)
	if len(keys) > 8 {
		keys = append(keys[:8], "…")
	}
	got := "an empty object"
	if len(keys) > 0 {
		got = "an object with keys " + strings.Join(keys, ", ")
	}
	return nil, fmt.Errorf("%s is not Terraform JSON: want the output of `terraform show -json` (an object with values.root_module for a state, planned_values for a plan), got %s", name, got)
}

func jsonKind(data []byte) string {
	switch bytes.TrimSpace(data)[0] {
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// decodePosition locates a decoding error in the file when the error says
// where it happened.
func decodePosition(name string, data []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return jsonPosition(name, data, syn.Offset-1)
	case errors.As(err, &typ):
		return jsonPosition(name, data, typ.Offset-1)
	}
	return name
}

// jsonPosition renders a byte offset of data as name:line:column (1-based).
func jsonPosition(name string, data []byte, off int64) string {
	if off < 0 {
		off = 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line := 1 + bytes.Count(before, []byte("\n"))
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("%s:%d:%d", name, line, col)
}

func stateDoc(s *tfjson.State) (*tfDoc, error) {
	doc := &tfDoc{}
	if s.Values == nil {
		return doc, nil
	}
	err := walkModule(s.Values.RootModule, func(m *tfjson.StateModule, r *tfjson.StateResource) error {
		res, err := newResource(m, r)
		if err != nil || res == nil {
			return err
		}
		doc.resources = append(doc.resources, res)
		return nil
	})
	return doc, err
}

func planDoc(p *tfjson.Plan) (*tfDoc, error) {
	doc := &tfDoc{plan: true}
	changes := map[string]*tfjson.Change{}
	for _, rc := range p.ResourceChanges {
		if rc == nil || rc.Change == nil || rc.Mode == tfjson.DataResourceMode || rc.DeposedKey != "" {
			continue
		}
		changes[rc.Address] = rc.Change
		if rc.Change.Actions.Delete() {
			doc.destroyed = append(doc.destroyed, rc.Address)
		}
	}
	if p.PlannedValues == nil {
		return doc, nil
	}
	err := walkModule(p.PlannedValues.RootModule, func(m *tfjson.StateModule, r *tfjson.StateResource) error {
		res, err := newResource(m, r)
		if err != nil || res == nil {
			return err
		}
		if c := changes[r.Address]; c != nil {
			res.unk = c.AfterUnknown
			res.sens = mergeMasks(res.sens, c.AfterSensitive)
		}
		doc.resources = append(doc.resources, res)
		return nil
	})
	return doc, err
}

func walkModule(m *tfjson.StateModule, fn func(*tfjson.StateModule, *tfjson.StateResource) error) error {
	if m == nil {
		return nil
	}
	for _, r := range m.Resources {
		if r == nil {
			continue
		}
		if err := fn(m, r); err != nil {
			return err
		}
	}
	for _, c := range m.ChildModules {
		if err := walkModule(c, fn); err != nil {
			return err
		}
	}
	return nil
}

// newResource turns a state resource into a tfResource; nil for data
// sources and deposed objects, which are not what the environment runs.
func newResource(m *tfjson.StateModule, r *tfjson.StateResource) (*tfResource, error) {
	if r.Mode == tfjson.DataResourceMode || r.DeposedKey != "" || strings.HasPrefix(r.Address, "data.") {
		return nil, nil
	}
	res := &tfResource{
		Address: r.Address,
		Module:  m.Address,
		Type:    r.Type,
		Name:    r.Name,
		values:  r.AttributeValues,
	}
	switch k := r.Index.(type) {
	case nil:
	case string:
		res.Key, res.HasKey = k, true
	default:
		res.Key, res.HasKey = fmt.Sprint(k), true
	}
	if len(r.SensitiveValues) > 0 {
		if err := json.Unmarshal(r.SensitiveValues, &res.sens); err != nil {
			return nil, fmt.Errorf("%s: sensitive_values: %w", r.Address, err)
		}
	}
	return res, nil
}

// mergeMasks combines two sensitivity masks: a value is sensitive if either
// says so.
func mergeMasks(a, b any) any {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	if x, ok := a.(bool); ok && x {
		return true
	}
	if x, ok := b.(bool); ok && x {
		return true
	}
	switch a := a.(type) {
	case map[string]any:
		if b, ok := b.(map[string]any); ok {
			out := map[string]any{}
			for k, v := range a {
				out[k] = v
			}
			for k, v := range b {
				out[k] = mergeMasks(out[k], v)
			}
			return out
		}
	case []any:
		if b, ok := b.([]any); ok {
			n := max(len(a), len(b))
			out := make([]any, n)
			for i := range n {
				var x, y any
				if i < len(a) {
					x = a[i]
				}
				if i < len(b) {
					y = b[i]
				}
				out[i] = mergeMasks(x, y)
			}
			return out
		}
	}
	return a
}

// tfAttr is one attribute value of a resource with what the masks say of it.
type tfAttr struct {
	v         any
	sensitive bool
	unknown   bool
}

// get follows path (string keys, int indexes) into the resource's values
// and masks. An unknown value has v nil.
func (r *tfResource) get(path ...any) tfAttr {
	var a tfAttr
	var v any = r.values
	s, u := r.sens, r.unk
	for _, step := range path {
		v, s, u = maskChild(v, step), maskChild(s, step), maskChild(u, step)
		if s == true {
			a.sensitive = true
		}
		if u == true {
			a.unknown = true
		}
	}
	if isTrue(s) {
		a.sensitive = true
	}
	if isTrue(u) {
		a.unknown = true
	}
	if a.unknown {
		a.v = nil
	} else {
		a.v = v
	}
	return a
}

func isTrue(v any) bool { b, ok := v.(bool); return ok && b }

// maskChild steps into a value or a mask; a mask that is true covers all below.
func maskChild(v any, step any) any {
	if v == true {
		return true
	}
	switch step := step.(type) {
	case string:
		if m, ok := v.(map[string]any); ok {
			return m[step]
		}
	case int:
		if l, ok := v.([]any); ok && step >= 0 && step < len(l) {
			return l[step]
		}
	}
	return nil
}

// str is the attribute as a string; ok is false when absent or null.
func (a tfAttr) str() (string, bool) {
	switch v := a.v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(v), true
	}
	return "", false
}

// integer is the attribute as a whole number.
func (a tfAttr) integer() (int64, bool) { return tfInt(a.v) }

func tfInt(v any) (int64, bool) {
	switch v := v.(type) {
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n, true
		}
		if f, err := v.Float64(); err == nil && f == float64(int64(f)) {
			return int64(f), true
		}
	case float64:
		if v == float64(int64(v)) {
			return int64(v), true
		}
	case string:
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
			return n, true
		}
	}
	return 0, false
}

func (a tfAttr) boolean() (bool, bool) {
	b, ok := a.v.(bool)
	return b, ok
}

func (a tfAttr) list() []any {
	l, _ := a.v.([]any)
	return l
}

// strings is a list or set of strings.
func (a tfAttr) strings() []string {
	var out []string
	for _, x := range a.list() {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// reader joins one decoded file to the services of a spec.
type reader struct {
	doc    *tfDoc
	file   string
	spec   *config.Spec
	out    *Environment
	errs   []error
	byAddr map[string]*tfResource
	byBase map[string][]*tfResource
	byType map[string][]*tfResource
}

func newReader(doc *tfDoc, file string, spec *config.Spec, out *Environment) *reader {
	rd := &reader{
		doc: doc, file: file, spec: spec, out: out,
		byAddr: map[string]*tfResource{},
		byBase: map[string][]*tfResource{},
		byType: map[string][]*tfResource{},
	}
	for _, r := range doc.resources {
		rd.byAddr[r.Address] = r
		rd.byBase[r.base()] = append(rd.byBase[r.base()], r)
		rd.byType[r.Type] = append(rd.byType[r.Type], r)
	}
	return rd
}

func (rd *reader) note(service, address, format string, args ...any) {
	rd.out.Notes = append(rd.out.Notes, Note{Service: service, Address: address, Text: fmt.Sprintf(format, args...)})
}

// unknownNote reports a value a plan knows only after apply.
func (rd *reader) unknownNote(service string, r *tfResource, attrName string) {
	rd.note(service, r.Address, "%s is known only after apply", attrName)
}

// prodError is a problem with the service's x-prodlike.prod, located at
// its i-th entry (or at the key when i < 0).
func (rd *reader) prodError(svc config.Service, i int, format string, args ...any) {
	path := []string{"services", svc.Name, "x-prodlike", "prod"}
	if i >= 0 {
		path = append(path, strconv.Itoa(i))
	}
	var file string
	var line int
	if rd.spec != nil {
		file, line = rd.spec.Where(path...)
	}
	if file == "" {
		file = svc.File
	}
	rd.errs = append(rd.errs, &config.Error{File: file, Line: line, Service: svc.Name, Field: "x-prodlike.prod", Msg: fmt.Sprintf(format, args...)})
}

// kindTypes are the resource types a service of each kind reads: the
// resources it stands for first, then those joined to them.
var kindTypes = map[config.Kind]struct{ primary, joined []string }{
	config.KindPostgres: {
		primary: []string{"aws_db_instance", "aws_rds_cluster", "aws_rds_cluster_instance"},
		joined:  []string{"aws_db_parameter_group", "aws_rds_cluster_parameter_group"},
	},
	config.KindRedis: {
		primary: []string{"aws_elasticache_replication_group", "aws_elasticache_cluster", "aws_elasticache_serverless_cache"},
		joined:  []string{"aws_elasticache_parameter_group"},
	},
	config.KindS3: {
		primary: []string{"aws_s3_bucket"},
		joined:  []string{"aws_s3_bucket_versioning", "aws_s3_bucket_cors_configuration"},
	},
	config.KindSQS: {
		primary: []string{"aws_sqs_queue"},
		joined:  []string{"aws_sqs_queue_redrive_policy"},
	},
	config.KindApp: {
		primary: []string{"aws_ecs_task_definition", "aws_lambda_function"},
	},
}

func readsType(k config.Kind, typ string) bool {
	t := kindTypes[k]
	return slices.Contains(t.primary, typ) || slices.Contains(t.joined, typ)
}

// readServices joins every service to its resources and reads them.
func (rd *reader) readServices(services []config.Service) {
	// Resources named by some service's x-prodlike.prod are that
	// service's: an s3 or sqs service without prod takes the rest.
	resolved := map[string][]*tfResource{}
	claimed := map[*tfResource]bool{}
	for _, svc := range services {
		if len(svc.Prod) == 0 || kindTypes[svc.Kind].primary == nil {
			continue
		}
		before := len(rd.errs)
		rs := rd.resolveService(svc)
		if len(rd.errs) > before {
			continue
		}
		resolved[svc.Name] = rs
		for _, r := range rs {
			claimed[r] = true
		}
	}
	for _, svc := range services {
		if kindTypes[svc.Kind].primary == nil {
			continue
		}
		rs, explicit := resolved[svc.Name]
		if len(svc.Prod) > 0 && !explicit {
			continue // resolving failed; reported
		}
		if !explicit {
			rs = rd.implicit(svc, claimed)
			if rs == nil {
				continue
			}
		}
		var res *Resource
		switch svc.Kind {
		case config.KindPostgres:
			res = rd.postgres(svc, rs)
		case config.KindRedis:
			res = rd.redis(svc, rs)
		case config.KindS3:
			res = rd.storage(svc, rs)
		case config.KindSQS:
			res = rd.queues(svc, rs)
		case config.KindApp:
			res = rd.app(svc, rs)
		}
		if res != nil {
			res.Service = svc.Name
			res.Addresses = sortedUnique(res.Addresses)
			rd.out.Services[svc.Name] = res
		}
	}
}

// resolveService resolves every x-prodlike.prod address of a service to
// the resources it reads, reporting those that do not resolve.
func (rd *reader) resolveService(svc config.Service) []*tfResource {
	var out []*tfResource
	seen := map[*tfResource]bool{}
	for i, addr := range svc.Prod {
		rs := rd.resolve(svc, i, strings.TrimSpace(addr))
		for _, r := range rs {
			if !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	}
	return out
}

// resolve finds what one address names: a resource instance, a resource
// with a single instance, or every resource of the service's kind in a
// module.
func (rd *reader) resolve(svc config.Service, i int, given string) []*tfResource {
	addr := canonicalAddress(given)
	var rs []*tfResource
	switch {
	case rd.byAddr[addr] != nil:
		rs = []*tfResource{rd.byAddr[addr]}
	case len(rd.byBase[addr]) == 1:
		rs = rd.byBase[addr]
	case len(rd.byBase[addr]) > 1:
		var list []string
		for _, r := range rd.byBase[addr] {
			list = append(list, r.Address)
		}
		sort.Strings(list)
		rd.prodError(svc, i, "%s has %d instances in %s (%s); name one of them", given, len(list), rd.file, strings.Join(list, ", "))
		return nil
	case strings.HasPrefix(addr, "module."):
		var all []*tfResource
		for _, r := range rd.doc.resources {
			if inModule(r.Module, addr) {
				all = append(all, r)
			}
		}
		if len(all) > 0 {
			for _, r := range all {
				if readsType(svc.Kind, r.Type) {
					rs = append(rs, r)
				}
			}
			if !slices.ContainsFunc(rs, func(r *tfResource) bool { return slices.Contains(kindTypes[svc.Kind].primary, r.Type) }) {
				rd.prodError(svc, i, "%s in %s holds no %s resources, which a service of kind %s reads", given, rd.file, orList(kindTypes[svc.Kind].primary), svc.Kind)
				return nil
			}
			return rs
		}
	}
	if rs == nil {
		rd.notFound(svc, i, given, addr)
		return nil
	}
	if r := rs[0]; !readsType(svc.Kind, r.Type) {
		rd.prodError(svc, i, "%s is %s %s; a service of kind %s reads %s", given, article(r.Type), r.Type, svc.Kind, orList(kindTypes[svc.Kind].primary))
		return nil
	}
	return rs
}

// inModule reports whether a resource in module mod lies under the module
// address addr (module.storage holds module.storage.module.bucket and
// module.storage["eu"]).
func inModule(mod, addr string) bool {
	return mod == addr || strings.HasPrefix(mod, addr+".") || strings.HasPrefix(mod, addr+"[")
}

// notFound reports an address the file does not hold, with the closest
// addresses of the same type (or, for a module path, the closest modules).
func (rd *reader) notFound(svc config.Service, i int, given, addr string) {
	for _, d := range rd.doc.destroyed {
		if d == addr || strings.HasPrefix(d, addr+"[") {
			rd.prodError(svc, i, "%s is destroyed by the plan %s", given, rd.file)
			return
		}
	}
	var cands []string
	what := orList(kindTypes[svc.Kind].primary) + " addresses"
	_, typ, _, isResource := parseAddress(addr)
	switch {
	case isResource:
		what = typ + " addresses"
		for _, r := range rd.byType[typ] {
			cands = append(cands, r.Address)
		}
	case strings.HasPrefix(addr, "module."):
		what = "modules"
		for _, r := range rd.doc.resources {
			if r.Module != "" {
				cands = append(cands, r.Module)
			}
		}
	default:
		for _, t := range kindTypes[svc.Kind].primary {
			for _, r := range rd.byType[t] {
				cands = append(cands, r.Address)
			}
		}
	}
	cands = sortedUnique(cands)
	if len(cands) == 0 {
		rd.prodError(svc, i, "%s is not in %s, which has no %s", given, rd.file, what)
		return
	}
	cands = config.Closest(addr, cands, 5, false)
	rd.prodError(svc, i, "%s is not in %s; the closest %s: %s", given, rd.file, what, strings.Join(cands, ", "))
}

// implicit chooses the resources of a service without x-prodlike.prod: all
// unclaimed buckets or queues for s3 and sqs, else the only candidate.
func (rd *reader) implicit(svc config.Service, claimed map[*tfResource]bool) []*tfResource {
	var rs []*tfResource
	switch svc.Kind {
	case config.KindS3, config.KindSQS:
		for _, r := range rd.doc.resources {
			if readsType(svc.Kind, r.Type) && !claimed[r] {
				rs = append(rs, r)
			}
		}
		if !slices.ContainsFunc(rs, func(r *tfResource) bool { return slices.Contains(kindTypes[svc.Kind].primary, r.Type) }) {
			rd.note(svc.Name, "", "x-prodlike.prod is not set and %s has no %s resources left for it: no prod truth", rd.file, orList(kindTypes[svc.Kind].primary))
			return nil
		}
		return rs
	}
	var cands []*tfResource
	for _, r := range rd.doc.resources {
		if rd.candidate(svc, r) {
			cands = append(cands, r)
		}
	}
	what := orList(kindTypes[svc.Kind].primary)
	switch len(cands) {
	case 0:
		rd.note(svc.Name, "", "x-prodlike.prod is not set and %s has no %s for it: no prod truth", rd.file, what)
		return nil
	case 1:
		rd.note(svc.Name, cands[0].Address, "x-prodlike.prod is not set: using %s, the only candidate in %s", cands[0].Address, rd.file)
		return cands
	}
	var list []string
	for _, r := range cands {
		list = append(list, r.Address)
	}
	sort.Strings(list)
	rd.note(svc.Name, "", "x-prodlike.prod is not set and %s has %d candidates (%s): set x-prodlike.prod to the one this service stands for", rd.file, len(list), strings.Join(list, ", "))
	return nil
}

// splitAddress splits a Terraform address at the dots outside keys.
func splitAddress(addr string) []string {
	var segs []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(addr); i++ {
		c := addr[i]
		switch {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '[':
			depth++
		case c == ']':
			depth--
		case c == '.' && depth == 0:
			segs = append(segs, addr[start:i])
			start = i + 1
		}
	}
	return append(segs, addr[start:])
}

// canonicalAddress writes instance keys as Terraform does (["jobs"]), so
// that q[jobs] and q['jobs'] find q["jobs"].
func canonicalAddress(addr string) string {
	segs := splitAddress(addr)
	for i, seg := range segs {
		name, k, ok := cutKey(seg)
		if !ok {
			continue
		}
		if _, err := strconv.Atoi(k); err == nil {
			segs[i] = name + "[" + k + "]"
		} else {
			segs[i] = name + "[" + strconv.Quote(k) + "]"
		}
	}
	return strings.Join(segs, ".")
}

// cutKey splits name["key"] or name[0] into name and key.
func cutKey(seg string) (name, key string, ok bool) {
	i := strings.IndexByte(seg, '[')
	if i < 0 || !strings.HasSuffix(seg, "]") {
		return seg, "", false
	}
	key = seg[i+1 : len(seg)-1]
	if uq, err := strconv.Unquote(key); err == nil {
		key = uq
	} else if len(key) >= 2 && key[0] == '\'' && key[len(key)-1] == '\'' {
		key = key[1 : len(key)-1]
	}
	return seg[:i], key, true
}

// parseAddress splits a resource address into its module path, type and
// name; ok is false when it is no resource address (a module path).
func parseAddress(addr string) (module, typ, name string, ok bool) {
	segs := splitAddress(addr)
	i := 0
	for i+1 < len(segs) && segs[i] == "module" {
		i += 2
	}
	if len(segs)-i != 2 {
		return "", "", "", false
	}
	module = strings.Join(segs[:i], ".")
	name, _, _ = cutKey(segs[i+1])
	return module, segs[i], name, true
}

func orList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

func sortedUnique(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return slices.Compact(s)
}
