package promote

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// EditHelmValue sets the value at a dotted key path (image.digest,
// api.image.tag) of a Helm values file and returns the new bytes with a
// one-line summary. An existing value keeps its quoting; a missing last key
// is added to its mapping at that mapping's indentation; a missing mapping
// on the way is an error naming the path and the last key found. Only the
// bytes that change are touched; when the value is already set the bytes
// come back unchanged.
func EditHelmValue(src []byte, path, value string) ([]byte, string, error) {
	keys := strings.Split(path, ".")
	for _, k := range keys {
		if k == "" {
			return nil, "", &EditError{Msg: fmt.Sprintf("key path %q has an empty key; write it as dotted keys, e.g. image.digest", path)}
		}
	}
	s := newSource(src)
	root, err := s.parseOne()
	if err != nil {
		return nil, "", err
	}
	if root != nil && (root.Kind != yaml.MappingNode || root.Style&yaml.FlowStyle != 0) {
		return nil, "", editErr(root, "a values file is a block mapping of keys; this file's top level is a %s", kindName(root))
	}
	last := keys[len(keys)-1]
	m := root
	var found *yaml.Node // the key of m, for errors
	for i, k := range keys[:len(keys)-1] {
		kn, v := lookup(m, k)
		if kn == nil {
			if i == 0 {
				return nil, "", &EditError{Msg: fmt.Sprintf("key path %q: no top-level key %q; add the %q mapping to the file first, or check the path", path, k, k)}
			}
			parent := strings.Join(keys[:i], ".")
			return nil, "", editErr(found, "key path %q: %q has no key %q (the last key found is %q); add the mapping first, or check the path", path, parent, k, parent)
		}
		if v.Kind != yaml.MappingNode {
			return nil, "", editErr(v, "key path %q: %q is a %s, not a mapping", path, strings.Join(keys[:i+1], "."), kindName(v))
		}
		m, found = v, kn
	}
	kn, v := lookup(m, last)
	switch {
	case kn != nil && v.Kind == yaml.ScalarNode && !isNull(v) && v.Value == value:
		return src, fmt.Sprintf("%s: already %s", path, value), nil
	case kn != nil:
		e, err := s.setScalar(kn, v, value)
		if err != nil {
			return nil, "", err
		}
		was := "was empty"
		if !isNull(v) {
			was = "was " + v.Value
		}
		return apply(src, []edit{e}), fmt.Sprintf("%s: %s (%s)", path, value, was), nil
	}
	line := quoteKey(last) + ": " + quote(value, 0)
	switch {
	case m == nil:
		return apply(src, []edit{s.insertLines(len(s.lines), []string{line})}), fmt.Sprintf("%s: %s (added)", path, value), nil
	case m.Style&yaml.FlowStyle != 0:
		return nil, "", editErr(m, "key path %q: the mapping that would hold %q is in flow style ({...}); add the key yourself or write the mapping in block style", path, last)
	}
	e := s.insertLines(s.endLine(m, m.Column-1), []string{strings.Repeat(" ", m.Column-1) + line})
	return apply(src, []edit{e}), fmt.Sprintf("%s: %s (added)", path, value), nil
}

// quoteKey writes a mapping key, quoted only when it has to be.
func quoteKey(k string) string {
	if plainSafe(k) {
		return k
	}
	return quote(k, yaml.DoubleQuotedStyle)
}
