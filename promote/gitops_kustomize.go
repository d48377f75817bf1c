package promote

import (
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// KustomizeImage is the images: entry to pin in a kustomization.yaml.
type KustomizeImage struct {
	// Name is the entry's name: the image as the manifests write it
	// (shop-api, or ghcr.io/acme/shop-api).
	Name string
	// NewName is the repository to pull from instead. It is written when
	// it differs from Name or the entry already has a newName; "" leaves
	// the entry's newName alone.
	NewName string
	// Digest is the manifest digest to pin: sha256:….
	Digest string
}

var digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

func checkDigest(d string) error {
	if !digestPattern.MatchString(d) {
		return &EditError{Msg: fmt.Sprintf("%q is not an image digest; want sha256: and 64 hex digits", d)}
	}
	return nil
}

// EditKustomization pins img in a kustomization's images: list and returns
// the new bytes with a one-line summary. Only the bytes that change are
// touched: the entry's digest: is set (added at the entry's indentation
// when missing), newName: likewise, and a newTag: line is removed because
// kustomize would otherwise apply both. A missing entry is appended to
// images:, and a missing images: to the file, in the file's own list
// indentation and line endings. When the entry already pins the digest the
// bytes come back unchanged.
func EditKustomization(src []byte, img KustomizeImage) ([]byte, string, error) {
	if err := checkDigest(img.Digest); err != nil {
		return nil, "", err
	}
	if img.Name == "" {
		return nil, "", &EditError{Msg: "no image name: say which images: entry (its name:) to pin"}
	}
	s := newSource(src)
	root, err := s.parseOne()
	if err != nil {
		return nil, "", err
	}
	if root != nil && (root.Kind != yaml.MappingNode || root.Style&yaml.FlowStyle != 0) {
		return nil, "", editErr(root, "a kustomization is a block mapping (resources:, images:, …); this file's top level is a %s", kindName(root))
	}
	label := fmt.Sprintf("images[name=%s]", img.Name)
	key, seq := lookup(root, "images")
	switch {
	case key == nil:
		return apply(src, []edit{s.appendImages(root, img)}), label + ": added with digest " + img.Digest, nil
	case isNull(seq) || (seq.Kind == yaml.SequenceNode && len(seq.Content) == 0):
		edits, err := s.fillImages(root, key, seq, img)
		if err != nil {
			return nil, "", err
		}
		return apply(src, edits), label + ": added with digest " + img.Digest, nil
	case seq.Kind != yaml.SequenceNode:
		return nil, "", editErr(seq, "images: is a %s, not a list", kindName(seq))
	case seq.Style&yaml.FlowStyle != 0:
		return nil, "", editErr(seq, "images: is a flow list ([...]); write it as a block list (- name: …) to let prodlike edit it")
	}
	for _, entry := range seq.Content {
		if _, n := lookup(entry, "name"); n == nil || n.Value != img.Name {
			continue
		}
		if entry.Style&yaml.FlowStyle != 0 {
			return nil, "", editErr(entry, "the %s entry is in flow style ({...}); write it as a block mapping to let prodlike edit it", label)
		}
		return s.pinEntry(entry, img, label)
	}
	// No entry yet: append one after the last, shaped like the first.
	dash := seq.Column - 1
	keyCol := dash + 2
	if first := seq.Content[0]; first.Kind == yaml.MappingNode && first.Line == seq.Line {
		keyCol = first.Column - 1
	}
	e := s.insertLines(s.endLine(seq, key.Column-1), entryLines(dash, keyCol, img))
	return apply(src, []edit{e}), label + ": added with digest " + img.Digest, nil
}

// pinEntry edits an existing images: entry.
func (s *source) pinEntry(entry *yaml.Node, img KustomizeImage, label string) ([]byte, string, error) {
	var edits []edit
	var adds, parts, was []string
	pad := strings.Repeat(" ", entry.Column-1)

	if nk, nv := lookup(entry, "newName"); img.NewName != "" {
		switch {
		case nk != nil && (nv.Kind != yaml.ScalarNode || nv.Value != img.NewName):
			e, err := s.setScalar(nk, nv, img.NewName)
			if err != nil {
				return nil, "", err
			}
			edits = append(edits, e)
			parts = append(parts, fmt.Sprintf("newName %s (was %s)", img.NewName, nv.Value))
		case nk == nil && img.NewName != img.Name:
			adds = append(adds, pad+"newName: "+quote(img.NewName, 0))
			parts = append(parts, "newName "+img.NewName)
		}
	}

	pinned := false
	if dk, dv := lookup(entry, "digest"); dk == nil {
		adds = append(adds, pad+"digest: "+quote(img.Digest, 0))
		pinned = true
	} else if dv.Kind != yaml.ScalarNode || dv.Value != img.Digest {
		e, err := s.setScalar(dk, dv, img.Digest)
		if err != nil {
			return nil, "", err
		}
		edits = append(edits, e)
		if dv.Value != "" {
			was = append(was, dv.Value)
		}
		pinned = true
	}

	if tk, tv := lookup(entry, "newTag"); tk != nil {
		e, err := s.removePair(entry, tk, tv)
		if err != nil {
			return nil, "", err
		}
		edits = append(edits, e)
		was = append(was, "newTag: "+tv.Value)
		pinned = true
	}

	if len(edits) == 0 && len(adds) == 0 {
		return s.b, label + ": already at digest " + img.Digest, nil
	}
	if pinned {
		p := "digest " + img.Digest
		if len(was) > 0 {
			p += " (was " + strings.Join(was, ", ") + ")"
		}
		parts = append(parts, p)
	}
	if len(adds) > 0 {
		edits = append(edits, s.insertLines(s.endLine(entry, entry.Column-1), adds))
	}
	return apply(s.b, edits), label + ": " + strings.Join(parts, ", "), nil
}

// removePair returns the edit that removes key k (value v) from block
// mapping m: its whole lines, or, when k is the first key on a list item's
// "- " line, the text up to the next key so that the next key moves up.
func (s *source) removePair(m, k, v *yaml.Node) (edit, error) {
	keyStart := s.offset(k.Line, k.Column)
	lineStart := s.lineStart(keyStart)
	if strings.TrimSpace(string(s.b[lineStart:keyStart])) != "" {
		for i := 0; i+2 < len(m.Content); i += 2 {
			if m.Content[i] == k {
				next := m.Content[i+2]
				return edit{start: keyStart, end: s.offset(next.Line, next.Column)}, nil
			}
		}
		return edit{}, editErr(k, "cannot remove %s: it is the entry's only key", k.Value)
	}
	last := s.endLine(v, k.Column-1)
	return edit{start: lineStart, end: s.lineEnd(s.lines[last-1])}, nil
}

// fillImages gives an empty images: (nothing, ~ or []) its first entry.
func (s *source) fillImages(root, key, value *yaml.Node, img KustomizeImage) ([]edit, error) {
	var edits []edit
	if value.Value != "" || value.Kind == yaml.SequenceNode {
		from, err := s.afterColon(key)
		if err != nil {
			return nil, err
		}
		to := 0
		if value.Kind == yaml.SequenceNode {
			_, to = s.flowSpan(value)
		} else {
			if _, to, err = s.scalarSpan(value); err != nil {
				return nil, err
			}
		}
		edits = append(edits, edit{start: from, end: to})
	}
	offset, item := listStyle(root)
	dash := key.Column - 1 + offset
	return append(edits, s.insertLines(s.endLine(value, key.Column-1), entryLines(dash, dash+item, img))), nil
}

// appendImages adds an images: list with one entry at the end of the file.
func (s *source) appendImages(root *yaml.Node, img KustomizeImage) edit {
	indent, offset, item := 0, 0, 2
	if root != nil {
		indent = root.Column - 1
		offset, item = listStyle(root)
	}
	dash := indent + offset
	lines := append([]string{strings.Repeat(" ", indent) + "images:"}, entryLines(dash, dash+item, img)...)
	return s.insertLines(len(s.lines), lines)
}

// listStyle finds how the file writes block lists under a key: how far the
// dash sits right of the key, and the item's content right of the dash.
// Without a list to copy it is kustomize's own style: "- " under the key.
func listStyle(root *yaml.Node) (offset, item int) {
	if offset, item, ok := findListStyle(root); ok {
		return offset, item
	}
	return 0, 2
}

func findListStyle(n *yaml.Node) (offset, item int, ok bool) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Kind != yaml.SequenceNode || v.Style&yaml.FlowStyle != 0 || len(v.Content) == 0 {
				continue
			}
			item = 2
			if first := v.Content[0]; first.Line == v.Line {
				item = first.Column - v.Column
			}
			return v.Column - k.Column, item, true
		}
	}
	for _, c := range n.Content {
		if offset, item, ok := findListStyle(c); ok {
			return offset, item, true
		}
	}
	return 0, 0, false
}

// entryLines writes a new images: entry: the dash at column dash, keys at
// column key (0-based).
func entryLines(dash, key int, img KustomizeImage) []string {
	pad := strings.Repeat(" ", key)
	lines := []string{strings.Repeat(" ", dash) + "-" + strings.Repeat(" ", max(key-dash-1, 1)) + "name: " + quote(img.Name, 0)}
	if img.NewName != "" && img.NewName != img.Name {
		lines = append(lines, pad+"newName: "+quote(img.NewName, 0))
	}
	return append(lines, pad+"digest: "+quote(img.Digest, 0))
}
