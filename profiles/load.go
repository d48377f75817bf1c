package profiles

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
)

// The catalogs ship inside the binary so that prodlike knows production
// without network access.
//
//go:embed catalogs/*.yaml
var embedded embed.FS

// catalogGlob is where load looks for catalog files in the file system it
// is given.
const catalogGlob = "catalogs/*.yaml"

// dateLayout is how the catalog files write dates.
const dateLayout = "2006-01-02"

// index is the loaded catalogs with the lookups built once.
type index struct {
	catalogs []*Catalog
	byID     map[string]*Service
	byCloud  map[string]*Catalog
}

var loadEmbedded = sync.OnceValues(func() (*index, error) { return load(embedded) })

// Catalogs returns the embedded catalogs, one per cloud, ordered by file
// name (aws, azure, gcp). They are parsed and validated on first use and
// shared afterwards: callers must not modify them.
func Catalogs() ([]*Catalog, error) {
	ix, err := loadEmbedded()
	if err != nil {
		return nil, err
	}
	return ix.catalogs, nil
}

// Lookup returns the service with the given ID (aws.rds-postgres).
func Lookup(id string) (*Service, error) {
	ix, err := loadEmbedded()
	if err != nil {
		return nil, err
	}
	s, ok := ix.byID[id]
	if !ok {
		return nil, fmt.Errorf("profiles: no managed service %q in the catalogs", id)
	}
	return s, nil
}

// ForCloud returns the catalog of one cloud (aws, gcp, azure).
func ForCloud(cloud string) (*Catalog, error) {
	ix, err := loadEmbedded()
	if err != nil {
		return nil, err
	}
	c, ok := ix.byCloud[cloud]
	if !ok {
		return nil, fmt.Errorf("profiles: no catalog for cloud %q", cloud)
	}
	return c, nil
}

// The file types mirror the YAML schema. They are separate from the
// exported types so that dates and versions arrive as the text the file
// holds and every problem can be reported against its file and entry.

type catalogFile struct {
	Cloud    string        `yaml:"cloud"`
	Services []serviceFile `yaml:"services"`
}

type serviceFile struct {
	ID            string       `yaml:"id"`
	Name          string       `yaml:"name"`
	Kind          string       `yaml:"kind"`
	Sources       []string     `yaml:"sources"`
	TLS           tlsFile      `yaml:"tls"`
	Auth          []string     `yaml:"auth"`
	ClusterMode   bool         `yaml:"cluster_mode"`
	Superuser     bool         `yaml:"superuser"`
	SuperuserRole string       `yaml:"superuser_role"`
	Engines       []engineFile `yaml:"engines"`
	Bucket        *bucketFile  `yaml:"bucket"`
	Queue         *queueFile   `yaml:"queue"`
}

type tlsFile struct {
	Default      string `yaml:"default"`
	RequiredFrom string `yaml:"required_from"`
	Parameter    string `yaml:"parameter"`
}

type engineFile struct {
	Name            string          `yaml:"name"`
	Kind            string          `yaml:"kind"`
	Versions        []versionFile   `yaml:"versions"`
	Parameters      []parameterFile `yaml:"parameters"`
	Extensions      []extensionFile `yaml:"extensions"`
	BlockedCommands []string        `yaml:"blocked_commands"`
}

type versionFile struct {
	Major                string   `yaml:"major"`
	Minors               []string `yaml:"minors"`
	Released             string   `yaml:"released"`
	EndOfStandardSupport string   `yaml:"end_of_standard_support"`
	EndOfExtendedSupport string   `yaml:"end_of_extended_support"`
}

type parameterFile struct {
	Name  string `yaml:"name"`
	Value string `yaml:"value"`
	From  string `yaml:"from"`
	Until string `yaml:"until"`
	Note  string `yaml:"note"`
}

type extensionFile struct {
	Name        string            `yaml:"name"`
	From        string            `yaml:"from"`
	Until       string            `yaml:"until"`
	MinVersions map[string]string `yaml:"min_versions"`
	Preload     bool              `yaml:"preload"`
}

type bucketFile struct {
	Versioning        string `yaml:"versioning"`
	BlockPublicAccess bool   `yaml:"block_public_access"`
	Encryption        string `yaml:"encryption"`
	ObjectOwnership   string `yaml:"object_ownership"`
}

type queueFile struct {
	Defaults        map[string]string `yaml:"defaults"`
	MaxMessageSize  int               `yaml:"max_message_size"`
	MaxReceiveCount int               `yaml:"max_receive_count"`
}

var (
	serviceKinds = []string{"postgres", "redis", "s3", "sqs"}
	engineKinds  = []string{"postgres", "redis"}
	tlsDefaults  = []string{"required", "optional", "off"}
	versionings  = []string{"", "Enabled", "Suspended"}
	// requiredQueueDefaults are the attributes every queue table must
	// state, because the parity checks compare them.
	requiredQueueDefaults = []string{
		"VisibilityTimeout", "MessageRetentionPeriod", "MaximumMessageSize",
		"DelaySeconds", "ReceiveMessageWaitTimeSeconds",
	}
)

// load parses and validates every catalog file in fsys. It reports all
// problems it finds, each naming its file and entry, rather than the first.
func load(fsys fs.FS) (*index, error) {
	names, err := fs.Glob(fsys, catalogGlob)
	if err != nil {
		return nil, fmt.Errorf("profiles: %w", err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("profiles: no catalog files match %s", catalogGlob)
	}
	slices.Sort(names)

	ix := &index{byID: map[string]*Service{}, byCloud: map[string]*Catalog{}}
	idFile := map[string]string{}
	var errs []error
	for _, name := range names {
		p := &problems{file: name}
		c := parseFile(fsys, name, p)
		if c != nil {
			if other, dup := ix.byCloud[c.Cloud]; dup {
				p.add("", "cloud %q is also described by another file (%d services)", c.Cloud, len(other.Services))
			} else {
				ix.byCloud[c.Cloud] = c
				ix.catalogs = append(ix.catalogs, c)
			}
			for _, s := range c.Services {
				if first, dup := idFile[s.ID]; dup {
					p.add("service "+s.ID, "duplicate service ID (first in %s)", first)
					continue
				}
				idFile[s.ID] = name
				ix.byID[s.ID] = s
			}
		}
		errs = append(errs, p.errs...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return ix, nil
}

// problems collects the validation errors of one file.
type problems struct {
	file string
	errs []error
}

func (p *problems) add(entry, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if entry == "" {
		p.errs = append(p.errs, fmt.Errorf("profiles: %s: %s", p.file, msg))
		return
	}
	p.errs = append(p.errs, fmt.Errorf("profiles: %s: %s: %s", p.file, entry, msg))
}

// parseFile decodes one file strictly and converts it. It returns nil when
// the file cannot be decoded at all.
func parseFile(fsys fs.FS, name string, p *problems) *Catalog {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		p.add("", "%v", err)
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f catalogFile
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			p.add("", "empty catalog")
		} else {
			p.add("", "%v", err)
		}
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		p.add("", "more than one YAML document")
		return nil
	}

	wantCloud := strings.TrimSuffix(path.Base(name), path.Ext(name))
	if f.Cloud != wantCloud {
		p.add("", "cloud is %q, want %q (the file's name)", f.Cloud, wantCloud)
	}
	if len(f.Services) == 0 {
		p.add("", "no services")
	}
	c := &Catalog{Cloud: f.Cloud}
	for i, sf := range f.Services {
		c.Services = append(c.Services, convertService(f.Cloud, i, sf, p))
	}
	return c
}

func convertService(cloud string, i int, f serviceFile, p *problems) *Service {
	entry := "service " + f.ID
	if f.ID == "" {
		entry = fmt.Sprintf("service #%d", i+1)
		p.add(entry, "no id")
	} else if !strings.HasPrefix(f.ID, cloud+".") {
		p.add(entry, "id must start with %q", cloud+".")
	}
	if f.Name == "" {
		p.add(entry, "no name")
	}
	if !slices.Contains(serviceKinds, f.Kind) {
		p.add(entry, "unknown kind %q (want one of %s)", f.Kind, strings.Join(serviceKinds, ", "))
	}
	if len(f.Sources) == 0 {
		p.add(entry, "no sources: every table must cite the documents it was taken from")
	}
	for _, src := range f.Sources {
		if !strings.HasPrefix(src, "https://") {
			p.add(entry, "source %q is not an https URL", src)
		}
	}
	if len(f.Auth) == 0 {
		p.add(entry, "no auth options")
	}
	if !slices.Contains(tlsDefaults, f.TLS.Default) {
		p.add(entry, "tls default %q (want one of %s)", f.TLS.Default, strings.Join(tlsDefaults, ", "))
	}
	isDB := f.Kind == "postgres" || f.Kind == "redis"
	if f.Kind == "postgres" && f.SuperuserRole == "" {
		p.add(entry, "no superuser_role")
	}
	if f.Kind != "postgres" && f.SuperuserRole != "" {
		p.add(entry, "superuser_role is only for postgres services")
	}
	if isDB && len(f.Engines) == 0 {
		p.add(entry, "no engines")
	}
	if !isDB && len(f.Engines) > 0 {
		p.add(entry, "engines are only for postgres and redis services")
	}

	s := &Service{
		ID:            f.ID,
		Name:          f.Name,
		Kind:          f.Kind,
		Sources:       f.Sources,
		Auth:          f.Auth,
		ClusterMode:   f.ClusterMode,
		Superuser:     f.Superuser,
		SuperuserRole: f.SuperuserRole,
		TLS:           TLS{Default: f.TLS.Default, RequiredFrom: f.TLS.RequiredFrom, Parameter: f.TLS.Parameter},
	}
	seen := map[string]bool{}
	for _, ef := range f.Engines {
		if seen[ef.Name] {
			p.add(entry, "duplicate engine %q", ef.Name)
		}
		seen[ef.Name] = true
		s.Engines = append(s.Engines, convertEngine(entry, f.Kind, ef, p))
	}

	if f.TLS.RequiredFrom != "" {
		if f.TLS.Default != "required" {
			p.add(entry, "tls required_from %q needs default required", f.TLS.RequiredFrom)
		}
		if !slices.ContainsFunc(s.Engines, func(e *Engine) bool { return validBound(e, f.TLS.RequiredFrom) }) {
			p.add(entry, "tls required_from %q is not a major version of its engines", f.TLS.RequiredFrom)
		}
	}

	switch {
	case f.Kind == "s3" && f.Bucket == nil:
		p.add(entry, "bucket defaults missing")
	case f.Kind != "s3" && f.Bucket != nil:
		p.add(entry, "bucket defaults are only for s3 services")
	case f.Bucket != nil:
		s.Bucket = convertBucket(entry, *f.Bucket, p)
	}
	switch {
	case f.Kind == "sqs" && f.Queue == nil:
		p.add(entry, "queue defaults missing")
	case f.Kind != "sqs" && f.Queue != nil:
		p.add(entry, "queue defaults are only for sqs services")
	case f.Queue != nil:
		s.Queue = convertQueue(entry, *f.Queue, p)
	}
	return s
}

func convertBucket(entry string, f bucketFile, p *problems) *BucketDefaults {
	if !slices.Contains(versionings, f.Versioning) {
		p.add(entry, "bucket versioning %q (want \"\", Enabled or Suspended)", f.Versioning)
	}
	if f.Encryption == "" {
		p.add(entry, "bucket encryption missing")
	}
	if f.ObjectOwnership == "" {
		p.add(entry, "bucket object_ownership missing")
	}
	return &BucketDefaults{
		Versioning:        f.Versioning,
		BlockPublicAccess: f.BlockPublicAccess,
		Encryption:        f.Encryption,
		ObjectOwnership:   f.ObjectOwnership,
	}
}

func convertQueue(entry string, f queueFile, p *problems) *QueueDefaults {
	for _, attr := range requiredQueueDefaults {
		if _, ok := f.Defaults[attr]; !ok {
			p.add(entry, "queue default %s missing", attr)
		}
	}
	if f.MaxMessageSize <= 0 {
		p.add(entry, "queue max_message_size missing")
	}
	if f.MaxReceiveCount <= 0 {
		p.add(entry, "queue max_receive_count missing")
	}
	if v, ok := f.Defaults["MaximumMessageSize"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > f.MaxMessageSize {
			p.add(entry, "queue default MaximumMessageSize %q is not a size within max_message_size %d", v, f.MaxMessageSize)
		}
	}
	return &QueueDefaults{Defaults: f.Defaults, MaxMessageSize: f.MaxMessageSize, MaxReceiveCount: f.MaxReceiveCount}
}

func convertEngine(serviceEntry, serviceKind string, f engineFile, p *problems) *Engine {
	entry := serviceEntry + ": engine " + f.Name
	if f.Name == "" {
		p.add(entry, "no name")
	}
	kind := f.Kind
	if kind == "" {
		kind = serviceKind
	}
	if !slices.Contains(engineKinds, kind) {
		p.add(entry, "unknown kind %q (want one of %s)", kind, strings.Join(engineKinds, ", "))
	} else if kind != serviceKind {
		p.add(entry, "kind %q differs from the service's %q", kind, serviceKind)
	}
	e := &Engine{Name: f.Name, Kind: kind, BlockedCommands: f.BlockedCommands}

	if len(f.Versions) == 0 {
		p.add(entry, "no versions")
	}
	for i, vf := range f.Versions {
		e.Versions = append(e.Versions, convertVersion(entry, vf, p))
		if i > 0 && compareVersions(f.Versions[i-1].Major, vf.Major) >= 0 {
			p.add(entry, "major %q does not follow %q: majors must be in ascending order", vf.Major, f.Versions[i-1].Major)
		}
	}

	checkBounds := func(what, from, until string) {
		if from != "" && !validBound(e, from) {
			p.add(entry, "%s: from %q is not a major version of the engine", what, from)
		}
		if until != "" && !validBound(e, until) {
			p.add(entry, "%s: until %q is not a major version of the engine", what, until)
		}
		if from != "" && until != "" && compareVersions(from, until) > 0 {
			p.add(entry, "%s: from %q is after until %q", what, from, until)
		}
	}

	for _, pf := range f.Parameters {
		what := "parameter " + pf.Name
		if pf.Name == "" {
			p.add(entry, "parameter without a name")
		}
		if pf.Note == "" {
			p.add(entry, "%s: no note saying why it matters", what)
		}
		checkBounds(what, pf.From, pf.Until)
		for _, other := range e.Parameters {
			if other.Name == pf.Name && rangesOverlap(other.From, other.Until, pf.From, pf.Until) {
				p.add(entry, "%s: defined twice for overlapping versions", what)
			}
		}
		e.Parameters = append(e.Parameters, Parameter(pf))
	}

	if len(f.Extensions) > 0 && kind != "postgres" {
		p.add(entry, "extensions are only for postgres engines")
	}
	names := map[string]bool{}
	for _, xf := range f.Extensions {
		what := "extension " + xf.Name
		if xf.Name == "" {
			p.add(entry, "extension without a name")
		}
		if names[xf.Name] {
			p.add(entry, "%s: listed twice", what)
		}
		names[xf.Name] = true
		checkBounds(what, xf.From, xf.Until)
		for major, minor := range xf.MinVersions {
			if _, ok := e.line(major); !ok {
				p.add(entry, "%s: min_versions names %q, which is not a major version of the engine", what, major)
			} else if !withinMajors(major, xf.From, xf.Until) {
				p.add(entry, "%s: min_versions names %q, outside its from/until", what, major)
			}
			if !inLine(minor, major) {
				p.add(entry, "%s: min_versions %q: %q is not a %s minor", what, major, minor, major)
			}
		}
		e.Extensions = append(e.Extensions, Extension(xf))
	}

	if len(f.BlockedCommands) > 0 && kind != "redis" {
		p.add(entry, "blocked_commands are only for redis engines")
	}
	cmds := map[string]bool{}
	for _, cmd := range f.BlockedCommands {
		if cmd == "" || cmd != strings.ToUpper(cmd) || strings.Join(strings.Fields(cmd), " ") != cmd {
			p.add(entry, "blocked command %q must be upper case words separated by one space", cmd)
		}
		if cmds[cmd] {
			p.add(entry, "blocked command %q listed twice", cmd)
		}
		cmds[cmd] = true
	}
	return e
}

func convertVersion(engineEntry string, f versionFile, p *problems) Version {
	entry := fmt.Sprintf("%s: version %q", engineEntry, f.Major)
	if _, ok := parseVersion(f.Major); !ok || strings.Contains(f.Major, "-") {
		p.add(entry, "major is not a version like 16, 7.1 or 6.x")
	}
	for i, minor := range f.Minors {
		if !inLine(minor, f.Major) {
			p.add(entry, "minor %q is not inside major %q", minor, f.Major)
		}
		if i > 0 && compareVersions(f.Minors[i-1], minor) >= 0 {
			p.add(entry, "minor %q does not follow %q: minors must be in ascending order", minor, f.Minors[i-1])
		}
	}
	date := func(field, text string) time.Time {
		if text == "" {
			return time.Time{}
		}
		t, err := time.Parse(dateLayout, text)
		if err != nil {
			p.add(entry, "%s %q is not a date (YYYY-MM-DD)", field, text)
		}
		return t
	}
	v := Version{
		Major:                f.Major,
		Minors:               f.Minors,
		Released:             date("released", f.Released),
		EndOfStandardSupport: date("end_of_standard_support", f.EndOfStandardSupport),
		EndOfExtendedSupport: date("end_of_extended_support", f.EndOfExtendedSupport),
	}
	if !v.Released.IsZero() && !v.EndOfStandardSupport.IsZero() && !v.Released.Before(v.EndOfStandardSupport) {
		p.add(entry, "end_of_standard_support %s is not after released %s", f.EndOfStandardSupport, f.Released)
	}
	if !v.EndOfStandardSupport.IsZero() && !v.EndOfExtendedSupport.IsZero() && !v.EndOfStandardSupport.Before(v.EndOfExtendedSupport) {
		p.add(entry, "end_of_extended_support %s is not after end_of_standard_support %s", f.EndOfExtendedSupport, f.EndOfStandardSupport)
	}
	return v
}

// validBound reports whether a From/Until bound names one of the engine's
// majors, or a major older than any listed: the tables start where the
// service's current offer starts, but a bound may still reach back further.
func validBound(e *Engine, bound string) bool {
	if _, ok := e.line(bound); ok {
		return true
	}
	if _, ok := parseVersion(bound); !ok || len(e.Versions) == 0 {
		return false
	}
	return compareVersions(bound, e.Versions[0].Major) < 0
}

// rangesOverlap reports whether two inclusive major ranges ("" open) share
// a version.
func rangesOverlap(from1, until1, from2, until2 string) bool {
	// Two ranges are disjoint only when one ends before the other starts.
	if until1 != "" && from2 != "" && compareVersions(until1, from2) < 0 {
		return false
	}
	if until2 != "" && from1 != "" && compareVersions(until2, from1) < 0 {
		return false
	}
	return true
}
