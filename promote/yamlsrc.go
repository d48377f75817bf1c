package promote

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// EditError is a YAML file prodlike cannot edit as asked: where, and why.
type EditError struct {
	File string // the file, "" when editing bytes
	Line int    // 1-based, 0 when not tied to a line
	Msg  string // what is wrong and what to do
	Err  error  // the parser's error, if any
}

// Error renders as `file:line: msg: cause`, leaving out unknown parts.
func (e *EditError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	} else if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the parser's error.
func (e *EditError) Unwrap() error { return e.Err }

func editErr(n *yaml.Node, format string, args ...any) error {
	e := &EditError{Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line = n.Line
	}
	return e
}

// source is a YAML file's bytes, indexed so that the parser's positions
// (1-based line, 1-based column counted in characters) map to byte offsets.
// Edits splice these bytes; the document is never encoded again.
type source struct {
	b     []byte
	lines []int  // byte offset where each line starts
	eol   string // the file's line ending: "\n" or "\r\n"
}

func newSource(b []byte) *source {
	s := &source{b: b, lines: []int{0}, eol: "\n"}
	for i, c := range b {
		if c == '\n' {
			s.lines = append(s.lines, i+1)
		}
	}
	if i := bytes.IndexByte(b, '\n'); i > 0 && b[i-1] == '\r' {
		s.eol = "\r\n"
	}
	return s
}

// parseOne parses the source as a single YAML document and returns its
// root node: nil for an empty document (nothing, or only comments).
func (s *source) parseOne() (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(s.b))
	var docs []*yaml.Node
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &EditError{Msg: "not valid YAML", Err: err}
		}
		docs = append(docs, &doc)
	}
	switch {
	case len(docs) == 0:
		return nil, nil
	case len(docs) > 1:
		return nil, editErr(docs[1], "the file has %d YAML documents; prodlike edits files with one", len(docs))
	case len(docs[0].Content) == 0:
		return nil, nil
	}
	return docs[0].Content[0], nil
}

// offset is the byte offset of a parser position.
func (s *source) offset(line, col int) int {
	if line < 1 || line > len(s.lines) {
		return len(s.b)
	}
	off := s.lines[line-1]
	for i := 1; i < col && off < len(s.b) && s.b[off] != '\n'; i++ {
		_, size := utf8.DecodeRune(s.b[off:])
		off += size
	}
	return off
}

// lineOf is the 1-based line an offset is on.
func (s *source) lineOf(off int) int {
	return sort.Search(len(s.lines), func(i int) bool { return s.lines[i] > off })
}

// lineStart is the offset of the start of the line off is on.
func (s *source) lineStart(off int) int { return s.lines[s.lineOf(off)-1] }

// lineEnd is the offset just after the line ending of the line off is on
// (the file's length on a last line without one).
func (s *source) lineEnd(off int) int {
	if i := bytes.IndexByte(s.b[off:], '\n'); i >= 0 {
		return off + i + 1
	}
	return len(s.b)
}

// indentOf is the number of leading spaces of a 1-based line.
func (s *source) indentOf(line int) int {
	n := 0
	for off := s.lines[line-1]; off+n < len(s.b) && s.b[off+n] == ' '; n++ {
	}
	return n
}

// blank reports whether a 1-based line is empty or only white space.
func (s *source) blank(line int) bool {
	start := s.lines[line-1]
	return len(bytes.TrimSpace(s.b[start:s.lineEnd(start)])) == 0
}

// keyEnd is the offset just after a mapping key's text.
func (s *source) keyEnd(key *yaml.Node) (int, error) {
	_, end, err := s.scalarSpan(key)
	return end, err
}

// afterColon is the offset just after the ':' that follows a key.
func (s *source) afterColon(key *yaml.Node) (int, error) {
	off, err := s.keyEnd(key)
	if err != nil {
		return 0, err
	}
	for off < len(s.b) && (s.b[off] == ' ' || s.b[off] == '\t') {
		off++
	}
	if off >= len(s.b) || s.b[off] != ':' {
		return 0, editErr(key, "cannot find the ':' after key %q", key.Value)
	}
	return off + 1, nil
}

// scalarSpan is where a scalar's text (quotes included, anchor and tag
// excluded) starts and ends in the source.
func (s *source) scalarSpan(n *yaml.Node) (start, end int, err error) {
	if n.Kind != yaml.ScalarNode {
		return 0, 0, editErr(n, "expected a single value, found a %s", kindName(n))
	}
	start = s.offset(n.Line, n.Column)
	start = s.skipProperties(start)
	b := s.b
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		for i := start + 1; i < len(b); i++ {
			switch b[i] {
			case '\\':
				i++
			case '"':
				return start, i + 1, nil
			}
		}
	case n.Style&yaml.SingleQuotedStyle != 0:
		for i := start + 1; i < len(b); i++ {
			if b[i] == '\'' {
				if i+1 < len(b) && b[i+1] == '\'' {
					i++
					continue
				}
				return start, i + 1, nil
			}
		}
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return 0, 0, editErr(n, "the value is a block scalar (| or >); write it on one line to let prodlike edit it")
	default:
		if bytes.HasPrefix(b[start:], []byte(n.Value)) {
			return start, start + len(n.Value), nil
		}
		return 0, 0, editErr(n, "the value %q spans lines; write it on one line to let prodlike edit it", n.Value)
	}
	return 0, 0, editErr(n, "unterminated quoted value")
}

// skipProperties moves past an anchor (&a) and a tag (!!str) before a
// value, which the parser counts as the node's start.
func (s *source) skipProperties(off int) int {
	for off < len(s.b) && (s.b[off] == '&' || s.b[off] == '!') {
		for off < len(s.b) && !isSpace(s.b[off]) {
			off++
		}
		for off < len(s.b) && isSpace(s.b[off]) {
			off++
		}
	}
	return off
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// endLine is the last line a node's text occupies. indent is the column
// (0-based) of the key the node is the value of: lines of a block scalar
// are indented deeper than that.
func (s *source) endLine(n *yaml.Node, indent int) int {
	switch n.Kind {
	case yaml.MappingNode, yaml.SequenceNode:
		if len(n.Content) == 0 || n.Style&yaml.FlowStyle != 0 {
			return s.flowEndLine(n)
		}
		// Keys and dashes sit at the collection's column; the last
		// child's lines are those indented deeper.
		return s.endLine(n.Content[len(n.Content)-1], n.Column-1)
	case yaml.ScalarNode:
		if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
			if start, end, err := s.scalarSpan(n); err == nil {
				if end > start {
					return s.lineOf(end - 1)
				}
				return n.Line
			}
		}
		// A block scalar or a plain value over several lines: its lines
		// are those after the first that are blank or indented deeper
		// than its key, up to the last that is not blank.
		last := n.Line
		for l := n.Line + 1; l <= len(s.lines); l++ {
			if s.blank(l) {
				continue
			}
			if s.indentOf(l) <= indent {
				break
			}
			last = l
		}
		return last
	}
	return n.Line
}

// flowEndLine is the line of the closing bracket of a flow collection (or
// of an empty one).
func (s *source) flowEndLine(n *yaml.Node) int {
	start := s.skipProperties(s.offset(n.Line, n.Column))
	depth := 0
	for i := start; i < len(s.b); i++ {
		switch s.b[i] {
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				return s.lineOf(i)
			}
		case '"', '\'':
			q := s.b[i]
			for i++; i < len(s.b) && s.b[i] != q; i++ {
				if q == '"' && s.b[i] == '\\' {
					i++
				}
			}
		}
	}
	return n.Line
}

// flowSpan is where an empty flow collection ([] or {}) starts and ends.
func (s *source) flowSpan(n *yaml.Node) (start, end int) {
	start = s.skipProperties(s.offset(n.Line, n.Column))
	end = start
	for end < len(s.b) && s.b[end] != ']' && s.b[end] != '}' {
		end++
	}
	return start, min(end+1, len(s.b))
}

// insertLines returns the edit that puts lines (without line endings) after
// the given 1-based line, in the file's line ending.
func (s *source) insertLines(after int, lines []string) edit {
	var off int
	if after >= len(s.lines) {
		off = len(s.b)
	} else {
		off = s.lines[after]
	}
	var b strings.Builder
	if off == len(s.b) && len(s.b) > 0 && s.b[len(s.b)-1] != '\n' {
		b.WriteString(s.eol) // the last line had no line ending
	}
	for _, l := range lines {
		b.WriteString(l)
		b.WriteString(s.eol)
	}
	return edit{start: off, end: off, text: b.String()}
}

// edit replaces source bytes [start, end) with text.
type edit struct {
	start, end int
	text       string
}

// apply splices edits into b. Edits must not overlap; an insertion at the
// end of a removal is applied after it.
func apply(b []byte, edits []edit) []byte {
	sort.SliceStable(edits, func(i, j int) bool {
		if edits[i].start != edits[j].start {
			return edits[i].start > edits[j].start
		}
		return edits[i].end > edits[j].end
	})
	out := append([]byte(nil), b...)
	for _, e := range edits {
		out = append(out[:e.start:e.start], append([]byte(e.text), out[e.end:]...)...)
	}
	return out
}

// lookup finds a key in a mapping: the key and value nodes, nil when absent.
func lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// isNull reports a value written as nothing, ~ or null.
func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias (*" + n.Value + ")"
	case yaml.ScalarNode:
		if isNull(n) {
			return "empty value"
		}
		return "single value"
	}
	return "document"
}

// setScalar returns the edit that sets the value of key (whose value node
// is v) to value, keeping v's quoting. A value written as nothing gets one.
func (s *source) setScalar(key, v *yaml.Node, value string) (edit, error) {
	if v.Kind == yaml.AliasNode {
		return edit{}, editErr(v, "%s is an alias (*%s); change the anchor &%s or replace the alias", key.Value, v.Value, v.Value)
	}
	if v.Kind != yaml.ScalarNode {
		return edit{}, editErr(v, "%s is a %s, not a single value", key.Value, kindName(v))
	}
	if isNull(v) && v.Value == "" {
		off, err := s.afterColon(key)
		if err != nil {
			return edit{}, err
		}
		return edit{start: off, end: off, text: " " + quote(value, 0)}, nil
	}
	start, end, err := s.scalarSpan(v)
	if err != nil {
		return edit{}, err
	}
	style := v.Style
	if isNull(v) {
		style = 0
	}
	return edit{start: start, end: end, text: quote(value, style)}, nil
}

// quote writes value as a YAML scalar in the given style: single or double
// quoted as asked, otherwise plain when it reads back as the same string
// and double quoted when not.
func quote(value string, style yaml.Style) string {
	switch {
	case style&yaml.SingleQuotedStyle != 0 && !strings.ContainsAny(value, "\n\t"):
		return "'" + strings.ReplaceAll(value, "'", "''") + "'"
	case style&yaml.DoubleQuotedStyle != 0 || !plainSafe(value):
		var b strings.Builder
		b.WriteByte('"')
		for _, r := range value {
			switch {
			case r == '"' || r == '\\':
				b.WriteByte('\\')
				b.WriteRune(r)
			case r == '\n':
				b.WriteString(`\n`)
			case r == '\t':
				b.WriteString(`\t`)
			case r < 0x20:
				fmt.Fprintf(&b, `\x%02x`, r)
			default:
				b.WriteRune(r)
			}
		}
		b.WriteByte('"')
		return b.String()
	}
	return value
}

// plainSafe reports whether value can be written unquoted, in block or
// flow context, and still read back as that string.
func plainSafe(value string) bool {
	if value == "" || strings.TrimSpace(value) != value ||
		strings.ContainsAny(value, "\n\r\t,[]{}") || strings.ContainsAny(value[:1], "-?:#&*!|>'\"%@`") ||
		strings.Contains(value, ": ") || strings.Contains(value, " #") || strings.HasSuffix(value, ":") {
		return false
	}
	for _, doc := range []string{"v: " + value, "{v: " + value + "}"} { // block and flow
		var n yaml.Node
		if err := yaml.Unmarshal([]byte(doc), &n); err != nil || len(n.Content) == 0 {
			return false
		}
		if _, v := lookup(n.Content[0], "v"); v == nil || v.Tag != "!!str" || v.Value != value {
			return false
		}
	}
	return true
}
