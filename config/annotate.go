package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// This file adds x-prodlike annotations to a compose file as text, for
// `prodlike init`. The file is never re-encoded: YAML nodes say where
// things are, and new lines are inserted with the file's own indentation,
// so comments, key order, quoting and blank lines stay as the user wrote
// them.

// KeyValue is one x-prodlike key init writes, with its value: a string, a
// bool or a list of strings.
type KeyValue struct {
	Key   string
	Value any
}

// Annotations are what init adds to one compose file.
type Annotations struct {
	// Services are the keys to add under each service's x-prodlike.
	Services []ServiceAnnotation
	// Environment is the environment to add under the top-level
	// x-prodlike.environments; nil for none.
	Environment *EnvironmentAnnotation
}

// ServiceAnnotation is what init adds to one service's x-prodlike.
type ServiceAnnotation struct {
	Service string
	Keys    []KeyValue // in the order they are written
}

// EnvironmentAnnotation is an environment init adds:
// x-prodlike.environments.<Name>: { cloud, region, terraform }.
type EnvironmentAnnotation struct {
	Name string
	Keys []KeyValue
}

// Change is what Annotate did, or could not do, for one service or for the
// environment.
type Change struct {
	Service string // "" for the environment
	Env     string // the environment's name, for the environment
	// Keys are the keys added (or, when Left is set, those that were not).
	Keys []KeyValue
	// Left says why nothing was written, for the user to do by hand; ""
	// when the keys were written.
	Left string
}

// Written reports whether the change was made.
func (c Change) Written() bool { return c.Left == "" }

// String renders a change for a summary: `db: standin aws.rds-postgres,
// prod aws_db_instance.main`.
func (c Change) String() string {
	subject := c.Service + ":"
	if c.Service == "" {
		subject = "environment " + c.Env + ":"
	}
	return subject + " " + describeKeys(c.Keys)
}

// describeKeys renders keys for messages: a key set to true is named alone
// (app), others are followed by their value, unquoted.
func describeKeys(kvs []KeyValue) string {
	parts := make([]string, len(kvs))
	for i, kv := range kvs {
		switch v := kv.Value.(type) {
		case bool:
			parts[i] = kv.Key
			if !v {
				parts[i] += " false"
			}
		case []string:
			parts[i] = kv.Key + " [" + strings.Join(v, ", ") + "]"
		default:
			parts[i] = fmt.Sprint(kv.Key, " ", v)
		}
	}
	return strings.Join(parts, ", ")
}

// FlowMapping renders keys as a YAML flow mapping: `{ standin: aws.s3,
// prod: [a, b] }`, quoting what needs it.
func FlowMapping(kvs []KeyValue) string {
	parts := make([]string, len(kvs))
	for i, kv := range kvs {
		parts[i] = flowScalar(kv.Key) + ": " + flowValue(kv.Value)
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}

// flowValue renders a value for a flow context.
func flowValue(v any) string {
	switch v := v.(type) {
	case bool:
		return strconv.FormatBool(v)
	case string:
		return flowScalar(v)
	case []string:
		items := make([]string, len(v))
		for i, s := range v {
			items[i] = flowScalar(s)
		}
		return "[" + strings.Join(items, ", ") + "]"
	case EnvironmentAnnotation:
		return FlowMapping(v.Keys)
	}
	panic(fmt.Sprintf("config: cannot render %T as YAML", v))
}

var plainChars = regexp.MustCompile(`^[A-Za-z0-9_/][A-Za-z0-9_./-]*$`)

// flowScalar writes s plain when YAML reads it back as the same string in
// a flow context, and single-quoted otherwise (addresses with keys such as
// this[0], names YAML would read as numbers or booleans).
func flowScalar(s string) string {
	if plainChars.MatchString(s) {
		var got []any
		if yaml.Unmarshal([]byte("["+s+"]"), &got) == nil && len(got) == 1 && got[0] == s {
			return s
		}
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// Annotate adds a's keys to the compose file src and returns the new
// content and what it did. Keys the file already has are left as they are
// (so annotating twice changes nothing); a service's x-prodlike that
// cannot take new keys without rewriting it (flow style over several
// lines, an alias, a merge) is left alone and reported in a Change with
// Left set, as is an environment that already exists. The result is parsed
// again before it is returned; err is set when src is not a single YAML
// mapping, or when the result would not read back as intended (a bug).
func Annotate(src []byte, a Annotations) ([]byte, []Change, error) {
	root, err := parseDocument(src)
	if err != nil {
		return nil, nil, err
	}
	ed := newEditor(src)
	var changes []Change
	for _, sa := range a.Services {
		if c, ok := annotateService(ed, root, sa); ok {
			changes = append(changes, c)
		}
	}
	if env := a.Environment; env != nil {
		if c, ok := annotateEnvironment(ed, root, *env); ok {
			changes = append(changes, c)
		}
	}
	out := ed.bytes()
	if err := checkAnnotated(out, changes); err != nil {
		return nil, nil, fmt.Errorf("the annotated file does not read back as intended (a bug in prodlike init; nothing was written): %w", err)
	}
	return out, changes, nil
}

// parseDocument parses src into its top-level mapping; nil for a file with
// no content (comments only).
func parseDocument(src []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var docs []*yaml.Node
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, yamlError("", err)
		}
		docs = append(docs, &doc)
	}
	switch {
	case len(docs) == 0:
		return nil, nil
	case len(docs) > 1:
		return nil, &Error{Msg: "holds several YAML documents (---); prodlike init annotates single-document compose files only"}
	}
	if len(docs[0].Content) == 0 {
		return nil, nil
	}
	root := docs[0].Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &Error{Msg: "is not a mapping of compose keys (services:, …)"}
	}
	return root, nil
}

// annotateService adds the missing keys of sa to its service's x-prodlike.
// ok is false when there was nothing to add.
func annotateService(ed *editor, root *yaml.Node, sa ServiceAnnotation) (c Change, ok bool) {
	c = Change{Service: sa.Service, Keys: sa.Keys}
	left := func(format string, args ...any) (Change, bool) {
		c.Left = fmt.Sprintf(format, args...) + "; add x-prodlike: " + FlowMapping(sa.Keys) + " yourself"
		return c, true
	}
	_, services := directEntry(root, "services")
	if services == nil || services.Kind != yaml.MappingNode {
		return left("the file has no services: mapping")
	}
	key, svc := directEntry(services, sa.Service)
	switch {
	case key == nil:
		return left("the file does not declare it")
	case svc.Kind != yaml.MappingNode:
		return left("its definition is not a mapping init can add to")
	}
	xKey, x := directEntry(svc, extensionKey)
	if xKey == nil {
		if _, inherited := mapEntry(svc, extensionKey); inherited != nil {
			return left("its x-prodlike comes from a merge (<<:), which init does not rewrite")
		}
		if len(sa.Keys) == 0 {
			return c, false
		}
		entry := extensionKey + ": " + FlowMapping(sa.Keys)
		if !ed.addEntry(key, svc, nil, entry) {
			return left("its definition is written in a form init does not rewrite")
		}
		return c, true
	}
	if x.Kind != yaml.MappingNode {
		return left("its x-prodlike is not a mapping init can add to")
	}
	var missing []KeyValue
	for _, kv := range sa.Keys {
		if _, v := mapEntry(x, kv.Key); v == nil {
			missing = append(missing, kv)
		}
	}
	if len(missing) == 0 {
		return c, false
	}
	c.Keys = missing
	entries := make([]string, len(missing))
	for i, kv := range missing {
		entries[i] = flowScalar(kv.Key) + ": " + flowValue(kv.Value)
	}
	// In a block, at the top (standin and prod read best there), after a
	// standin or app entry that is already there.
	after := xKey
	for _, k := range []string{"app", "standin"} {
		if kn, v := directEntry(x, k); kn != nil && v.Kind == yaml.ScalarNode && ed.startsLine(kn) &&
			ed.blockEnd(kn) == kn.Line-1 && kn.Line > after.Line {
			after = kn
		}
	}
	if !ed.addEntry(xKey, x, after, entries...) {
		c.Left = fmt.Sprintf("its x-prodlike is written in flow style over several lines, which init does not rewrite; add %s to it yourself", strings.Join(entries, ", "))
	}
	return c, true
}

// annotateEnvironment adds the environment under the top-level
// x-prodlike.environments, creating what is missing.
func annotateEnvironment(ed *editor, root *yaml.Node, env EnvironmentAnnotation) (c Change, ok bool) {
	c = Change{Env: env.Name, Keys: env.Keys}
	entry := flowScalar(env.Name) + ": " + FlowMapping(env.Keys)
	left := func(why string) (Change, bool) {
		c.Left = why + "; add it under x-prodlike.environments yourself: " + entry
		return c, true
	}
	if root == nil {
		return left("the file is empty")
	}
	xKey, x := directEntry(root, extensionKey)
	if xKey == nil {
		if len(root.Content) == 0 || root.Style&yaml.FlowStyle != 0 || !ed.startsLine(root.Content[0]) {
			return left("the file's top level is written in flow style, which init does not rewrite")
		}
		unit := indentUnit(root)
		base := strings.Repeat(" ", root.Content[0].Column-1)
		ed.appendLines("", base+extensionKey+":",
			base+unit+"environments:",
			base+unit+unit+entry)
		return c, true
	}
	if x.Kind != yaml.MappingNode {
		return left("the top-level x-prodlike is not a mapping init can add to")
	}
	envsKey, envs := directEntry(x, "environments")
	if envsKey == nil {
		if _, inherited := mapEntry(x, "environments"); inherited != nil {
			return left("x-prodlike.environments comes from a merge (<<:), which init does not rewrite")
		}
		var added bool
		if x.Style&yaml.FlowStyle != 0 {
			added = ed.addEntry(xKey, x, nil, "environments: { "+entry+" }")
		} else {
			unit := strings.Repeat(" ", max(1, x.Content[0].Column-xKey.Column))
			added = ed.addEntry(xKey, x, nil, "environments:", unit+entry)
		}
		if !added {
			return left("the top-level x-prodlike is written in a form init does not rewrite")
		}
		return c, true
	}
	if envs.Kind != yaml.MappingNode {
		return left("x-prodlike.environments is not a mapping init can add to")
	}
	if _, v := mapEntry(envs, env.Name); v != nil {
		c.Left = "it exists; left as it is"
		return c, true
	}
	if !ed.addEntry(envsKey, envs, nil, entry) {
		return left("x-prodlike.environments is written in a form init does not rewrite")
	}
	return c, true
}

// directEntry finds key among the mapping's own keys (not through merges or
// aliases: those cannot be added to in place).
func directEntry(m *yaml.Node, key string) (k, v *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Tag != "!!merge" && m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// indentUnit is the file's indentation step: how far services are
// indented under services:, else two spaces.
func indentUnit(root *yaml.Node) string {
	k, services := directEntry(root, "services")
	if services != nil && services.Kind == yaml.MappingNode && services.Style&yaml.FlowStyle == 0 && len(services.Content) > 0 {
		if n := services.Content[0].Column - k.Column; n > 0 {
			return strings.Repeat(" ", n)
		}
	}
	return "  "
}

// checkAnnotated parses the result and checks that every written change
// reads back with the values intended.
func checkAnnotated(out []byte, changes []Change) error {
	root, err := parseDocument(out)
	if err != nil {
		return err
	}
	for _, c := range changes {
		if !c.Written() {
			continue
		}
		path := []string{"services", c.Service, extensionKey}
		if c.Service == "" {
			path = []string{extensionKey, "environments", c.Env}
		}
		_, m := getPath(root, path)
		for _, kv := range c.Keys {
			var got any
			if n := mapGet(m, kv.Key); n != nil {
				if err := n.Decode(&got); err != nil {
					return fmt.Errorf("%s.%s: %w", strings.Join(path, "."), kv.Key, err)
				}
			}
			want := kv.Value
			if l, ok := want.([]string); ok {
				items := make([]any, len(l))
				for i, s := range l {
					items[i] = s
				}
				want = items
			}
			if !reflect.DeepEqual(got, want) {
				return fmt.Errorf("%s.%s: got %v, want %v", strings.Join(path, "."), kv.Key, got, want)
			}
		}
	}
	return nil
}

// editor collects insertions into the lines of a file and applies them.
type editor struct {
	lines []string // without their terminators
	ends  []string // each line's terminator: "\n", "\r\n" or "" (the last)
	eol   string   // the file's line terminator, for new lines
	after map[int][]string
	// inline insertions, by line: byte offset and text
	inline map[int][]inlineInsert
}

type inlineInsert struct {
	at   int
	text string
}

func newEditor(src []byte) *editor {
	ed := &editor{eol: "\n", after: map[int][]string{}, inline: map[int][]inlineInsert{}}
	text := string(src)
	for text != "" {
		line, rest, found := strings.Cut(text, "\n")
		end := ""
		if found {
			end = "\n"
			if strings.HasSuffix(line, "\r") {
				line, end = line[:len(line)-1], "\r\n"
			}
		}
		ed.lines = append(ed.lines, line)
		ed.ends = append(ed.ends, end)
		text = rest
	}
	if len(ed.ends) > 0 && ed.ends[0] != "" {
		ed.eol = ed.ends[0]
	}
	return ed
}

// addEntry adds entries (rendered "key: value" lines, continuation lines
// indented relative to the first) to mapping m, whose key is key: for a
// block mapping as lines at the mapping's indentation, after the line of
// node after (key itself, or an entry on one line) or, when after is nil,
// at the end of the mapping; for a flow mapping on one line, last inside
// its braces. It reports false when it cannot do either.
func (ed *editor) addEntry(key, m, after *yaml.Node, entries ...string) bool {
	if m.Style&yaml.FlowStyle != 0 {
		return ed.addFlowEntry(m, strings.Join(entries, ", "))
	}
	if len(m.Content) == 0 || !ed.startsLine(key) || !ed.startsLine(m.Content[0]) || m.Content[0].Line <= key.Line {
		return false
	}
	indent := strings.Repeat(" ", m.Content[0].Column-1)
	at := ed.blockEnd(key)
	if after != nil {
		at = after.Line - 1
	}
	lines := make([]string, len(entries))
	for i, e := range entries {
		lines[i] = indent + e
	}
	ed.after[at] = append(ed.after[at], lines...)
	return true
}

// startsLine reports whether n is the first thing on its line, so that the
// line's indentation is n's.
func (ed *editor) startsLine(n *yaml.Node) bool {
	if n.Line < 1 || n.Line > len(ed.lines) {
		return false
	}
	line := ed.lines[n.Line-1]
	return leadingSpaces(line) == n.Column-1
}

// blockEnd is the index of the last line of key's block: the lines after
// it that are indented deeper (comments included), up to the first line
// that is not.
func (ed *editor) blockEnd(key *yaml.Node) int {
	last := key.Line - 1
	indent := key.Column - 1
	for i := key.Line; i < len(ed.lines); i++ {
		l := ed.lines[i]
		if strings.TrimSpace(l) == "" {
			continue
		}
		if leadingSpaces(l) <= indent {
			break
		}
		last = i
	}
	return last
}

// appendLines adds lines at the end of the document, after its last
// non-blank line (before a closing "..." marker).
func (ed *editor) appendLines(lines ...string) {
	last := -1
	for i, l := range ed.lines {
		t := strings.TrimSpace(l)
		if t == "..." {
			break
		}
		if t != "" {
			last = i
		}
	}
	ed.after[last] = append(ed.after[last], lines...)
}

// addFlowEntry inserts entry before the closing brace of the flow mapping
// m, when the whole mapping is on one line.
func (ed *editor) addFlowEntry(m *yaml.Node, entry string) bool {
	if m.Line < 1 || m.Line > len(ed.lines) {
		return false
	}
	line := ed.lines[m.Line-1]
	open := byteOffset(line, m.Column-1)
	if open < 0 || open >= len(line) || line[open] != '{' {
		return false
	}
	end := closingBrace(line, open)
	if end < 0 {
		return false
	}
	at := end
	for at > open+1 && line[at-1] == ' ' {
		at--
	}
	var text string
	switch {
	case at == open+1 && at == end: // {}
		text = " " + entry + " "
	case at == open+1: // { }
		text = " " + entry
	case line[at-1] == ',':
		text = " " + entry
	default:
		text = ", " + entry
	}
	ed.inline[m.Line-1] = append(ed.inline[m.Line-1], inlineInsert{at: at, text: text})
	return true
}

// closingBrace returns the byte offset of the brace that closes the flow
// collection opening at open, or -1 when it is not on this line.
func closingBrace(line string, open int) int {
	depth := 0
	prev := byte(' ') // last non-space byte outside quotes
	for i := open; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\'' || c == '"':
			if !strings.ContainsRune("{[,: ", rune(prev)) {
				prev = c
				continue // part of a plain scalar (it's)
			}
			j := i + 1
			for ; j < len(line); j++ {
				if c == '"' && line[j] == '\\' {
					j++
					continue
				}
				if line[j] == c {
					if c == '\'' && j+1 < len(line) && line[j+1] == '\'' {
						j++
						continue
					}
					break
				}
			}
			if j >= len(line) {
				return -1
			}
			i, prev = j, c
			continue
		case c == '#' && i > 0 && (line[i-1] == ' ' || line[i-1] == '\t'):
			return -1
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
			if depth == 0 {
				return i
			}
		}
		if c != ' ' {
			prev = c
		}
	}
	return -1
}

// byteOffset converts a column in characters (as yaml.v3 counts them) to a
// byte offset in line; -1 past the end.
func byteOffset(line string, col int) int {
	off := 0
	for range col {
		if off >= len(line) {
			return -1
		}
		_, size := utf8.DecodeRuneInString(line[off:])
		off += size
	}
	return off
}

func leadingSpaces(s string) int {
	return len(s) - len(strings.TrimLeft(s, " "))
}

// bytes applies the edits.
func (ed *editor) bytes() []byte {
	var b strings.Builder
	b.WriteString(strings.Join(ed.after[-1], ed.eol))
	if len(ed.after[-1]) > 0 {
		b.WriteString(ed.eol)
	}
	for i, line := range ed.lines {
		ins := slices.Clone(ed.inline[i])
		slices.SortStableFunc(ins, func(a, b inlineInsert) int { return b.at - a.at })
		for _, in := range ins {
			line = line[:in.at] + in.text + line[in.at:]
		}
		b.WriteString(line)
		b.WriteString(ed.ends[i])
		if added := ed.after[i]; len(added) > 0 {
			if ed.ends[i] == "" {
				b.WriteString(ed.eol)
			}
			for _, l := range added {
				b.WriteString(l)
				b.WriteString(ed.eol)
			}
		}
	}
	return []byte(b.String())
}
