package config

import (
	"bytes"
	"errors"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// sources are the compose files as raw YAML trees. compose-go merges and
// interpolates them into maps, which loses what prodlike needs for good
// messages and faithful values: which file declares a service, the line of a
// field, the order of a mapping, and the text of a scalar as written (YAML
// reads `7.0` as the number 7). The trees answer those questions; values still
// come from compose-go.
type sources struct {
	// files in load order (included files first), so the last file that
	// holds a path is the one whose value wins.
	files []source
	// rel renders a path for messages.
	rel func(string) string
}

type source struct {
	path string       // absolute
	docs []*yaml.Node // top-level mapping of each YAML document
	main bool         // from -f, COMPOSE_FILE or discovery; false if included
}

// readSources parses the main compose files. Syntax errors are returned
// with the file's name and line.
func readSources(files []string, rel func(string) string) (*sources, error) {
	s := &sources{rel: rel}
	var errs []error
	for _, f := range files {
		src, err := parseSource(f, rel)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		src.main = true
		s.files = append(s.files, src)
	}
	return s, errors.Join(errs...)
}

// addIncluded adds files brought in with `include:`, once compose-go has
// loaded them. They go first: compose loads them before the including file.
func (s *sources) addIncluded(files []string) {
	var included []source
	for _, f := range files {
		if slices.ContainsFunc(s.files, func(x source) bool { return x.path == f }) ||
			slices.ContainsFunc(included, func(x source) bool { return x.path == f }) {
			continue
		}
		if src, err := parseSource(f, s.rel); err == nil {
			included = append(included, src)
		}
	}
	s.files = append(included, s.files...)
}

func parseSource(path string, rel func(string) string) (source, error) {
	content, err := os.ReadFile(path)
	if err != nil {
		return source{}, &Error{File: rel(path), Msg: "cannot read compose file", Err: err}
	}
	src := source{path: path}
	dec := yaml.NewDecoder(bytes.NewReader(content))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return source{}, yamlError(rel(path), err)
		}
		if len(doc.Content) == 1 && doc.Content[0].Kind == yaml.MappingNode {
			src.docs = append(src.docs, doc.Content[0])
		}
	}
	return src, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// yamlError turns a YAML parser error into an *Error naming the file and,
// when the parser gives one, the line.
func yamlError(file string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = err.Error()[len(m[0]):]
	}
	if strings.HasPrefix(msg, "did not find expected") {
		// A parser (not scanner) error: yaml.v3 reports the zero-based
		// line where the enclosing mapping or list starts, not the line
		// that broke it.
		line++
		msg += "; check the indentation and brackets of the block that starts on this line"
	}
	return &Error{File: file, Line: line, Msg: "invalid YAML: " + msg}
}

// lookup finds the node at path (mapping keys from the document root) in the
// file that sets it last, which is the file whose value compose uses. key is
// the mapping key naming it, whose line is the one to show.
func (s *sources) lookup(path ...string) (file string, key, value *yaml.Node) {
	for i := len(s.files) - 1; i >= 0; i-- {
		docs := s.files[i].docs
		for j := len(docs) - 1; j >= 0; j-- {
			if k, v := getPath(docs[j], path); v != nil {
				return s.files[i].path, k, v
			}
		}
	}
	return "", nil, nil
}

// declaring returns the first file that declares the service, falling back
// to the first main file (a service brought in some way prodlike does not
// follow, such as an include with an interpolated path).
func (s *sources) declaring(service string) string {
	for _, f := range s.files {
		for _, doc := range f.docs {
			if _, v := getPath(doc, []string{"services", service}); v != nil {
				return f.path
			}
		}
	}
	return s.mainFile()
}

// where locates a node for an error: the file and line of path in the file
// that sets it last, else of the closest enclosing node that exists (not
// above the service for service paths), else the declaring file.
func (s *sources) where(path ...string) (file string, line int) {
	floor := 1
	if len(path) >= 2 && path[0] == "services" {
		floor = 2
	}
	for n := len(path); n >= floor; n-- {
		if f, key, _ := s.lookup(path[:n]...); key != nil {
			return s.rel(f), key.Line
		}
	}
	if len(path) >= 2 && path[0] == "services" {
		return s.rel(s.declaring(path[1])), 0
	}
	return s.rel(s.mainFile()), 0
}

func (s *sources) mainFile() string {
	for _, f := range s.files {
		if f.main {
			return f.path
		}
	}
	return ""
}

// keyOrder returns the keys of the mapping at path in order of first
// appearance across the files.
func (s *sources) keyOrder(path ...string) []string {
	var keys []string
	seen := map[string]bool{}
	for _, f := range s.files {
		for _, doc := range f.docs {
			_, m := getPath(doc, path)
			for _, k := range mapKeys(m) {
				if !seen[k] {
					seen[k] = true
					keys = append(keys, k)
				}
			}
		}
	}
	return keys
}

// numberText returns the text of a number at path as written in the file
// that sets it last ("7.0", where YAML decoding gives 7), and whether there
// is one.
func (s *sources) numberText(path ...string) (string, bool) {
	_, _, n := s.lookup(path...)
	if n = resolve(n); n == nil || n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
		return "", false
	}
	return n.Value, true
}

// getPath follows mapping keys from n and returns the last key node and
// its value, or nils.
func getPath(n *yaml.Node, path []string) (key, value *yaml.Node) {
	value = n
	for _, name := range path {
		if key, value = mapEntry(value, name); value == nil {
			return nil, nil
		}
	}
	return key, value
}

func mapGet(n *yaml.Node, key string) *yaml.Node {
	_, v := mapEntry(n, key)
	return v
}

// mapEntry returns the key and value nodes for key in a mapping node,
// following aliases and merge keys (`<<: *base`) the way YAML does.
//
// In a sequence, key is an index and both nodes are the item: a problem in
// a list entry points at the entry's line.
func mapEntry(n *yaml.Node, key string) (k, v *yaml.Node) {
	n = resolve(n)
	if n != nil && n.Kind == yaml.SequenceNode {
		i, err := strconv.Atoi(key)
		if err != nil || i < 0 || i >= len(n.Content) {
			return nil, nil
		}
		return n.Content[i], n.Content[i]
	}
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key && n.Content[i].Tag != "!!merge" {
			return n.Content[i], n.Content[i+1]
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Tag != "!!merge" {
			continue
		}
		m := resolve(n.Content[i+1])
		bases := []*yaml.Node{m}
		if m != nil && m.Kind == yaml.SequenceNode {
			bases = m.Content
		}
		for _, b := range bases {
			if k, v := mapEntry(b, key); v != nil {
				return k, v
			}
		}
	}
	return nil, nil
}

func mapKeys(n *yaml.Node) []string {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var keys []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Tag == "!!merge" {
			v := resolve(n.Content[i+1])
			if v != nil && v.Kind == yaml.SequenceNode {
				for _, b := range v.Content {
					keys = append(keys, mapKeys(b)...)
				}
			} else {
				keys = append(keys, mapKeys(v)...)
			}
			continue
		}
		keys = append(keys, n.Content[i].Value)
	}
	return keys
}

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}
