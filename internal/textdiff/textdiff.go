// Package textdiff renders the difference between two versions of a text
// file as a unified diff, for commands that show a change before (or
// instead of) writing it: init's and promote's dry runs.
package textdiff

import (
	"bytes"
	"fmt"
	"strings"
)

// diffOp is one line of a diff: kept (' '), removed ('-') or added ('+').
type diffOp struct {
	kind byte
	line string // with its line ending, which is compared but not shown
}

// Unified shows the lines that differ between a and b as a unified diff
// with context unchanged lines around each change; "" when they are equal.
// Line endings are compared but not shown.
func Unified(name string, a, b []byte, context int) string {
	if bytes.Equal(a, b) {
		return ""
	}
	ops := diffLines(splitLines(a), splitLines(b))
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", name, name)
	for start := 0; start < len(ops); {
		// Find the next change and the run of changes close to it.
		first := start
		for first < len(ops) && ops[first].kind == ' ' {
			first++
		}
		if first == len(ops) {
			break
		}
		last := first
		for i := first; i < len(ops); i++ {
			if ops[i].kind != ' ' {
				last = i
			} else if i-last > 2*context {
				break
			}
		}
		from, to := max(first-context, start), min(last+context+1, len(ops))
		writeHunk(&out, ops, from, to)
		start = to
	}
	return out.String()
}

// writeHunk writes ops[from:to] under an @@ header counting lines from 1.
func writeHunk(out *strings.Builder, ops []diffOp, from, to int) {
	aLine, bLine := 1, 1
	for _, op := range ops[:from] {
		if op.kind != '+' {
			aLine++
		}
		if op.kind != '-' {
			bLine++
		}
	}
	var aLen, bLen int
	for _, op := range ops[from:to] {
		if op.kind != '+' {
			aLen++
		}
		if op.kind != '-' {
			bLen++
		}
	}
	// An empty side starts at the line before it, as diff -u writes it.
	if aLen == 0 {
		aLine--
	}
	if bLen == 0 {
		bLine--
	}
	fmt.Fprintf(out, "@@ -%d,%d +%d,%d @@\n", aLine, aLen, bLine, bLen)
	for _, op := range ops[from:to] {
		out.WriteByte(op.kind)
		out.WriteString(strings.TrimRight(op.line, "\r\n"))
		out.WriteByte('\n')
	}
}

// splitLines splits after each '\n', keeping the line endings.
func splitLines(b []byte) []string {
	var lines []string
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			i = len(b) - 1
		}
		lines = append(lines, string(b[:i+1]))
		b = b[i+1:]
	}
	return lines
}

// diffLines is a longest-common-subsequence line diff. The common head and
// tail are set aside first, so the table only covers the changed middle,
// which for an edited GitOps file is a few lines.
func diffLines(a, b []string) []diffOp {
	head := 0
	for head < len(a) && head < len(b) && a[head] == b[head] {
		head++
	}
	tail := 0
	for tail < len(a)-head && tail < len(b)-head && a[len(a)-1-tail] == b[len(b)-1-tail] {
		tail++
	}
	var ops []diffOp
	for _, l := range a[:head] {
		ops = append(ops, diffOp{' ', l})
	}
	x, y := a[head:len(a)-tail], b[head:len(b)-tail]
	if len(x)*len(y) > 1<<22 { // too big to compare line by line: replace it
		for _, l := range x {
			ops = append(ops, diffOp{'-', l})
		}
		for _, l := range y {
			ops = append(ops, diffOp{'+', l})
		}
	} else {
		ops = append(ops, lcsOps(x, y)...)
	}
	for _, l := range a[len(a)-tail:] {
		ops = append(ops, diffOp{' ', l})
	}
	return ops
}

func lcsOps(x, y []string) []diffOp {
	// n[i][j] is the length of the LCS of x[i:] and y[j:].
	n := make([][]int, len(x)+1)
	for i := range n {
		n[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				n[i][j] = n[i+1][j+1] + 1
			} else {
				n[i][j] = max(n[i+1][j], n[i][j+1])
			}
		}
	}
	var ops []diffOp
	i, j := 0, 0
	for i < len(x) && j < len(y) {
		switch {
		case x[i] == y[j]:
			ops = append(ops, diffOp{' ', x[i]})
			i++
			j++
		case n[i+1][j] >= n[i][j+1]:
			ops = append(ops, diffOp{'-', x[i]})
			i++
		default:
			ops = append(ops, diffOp{'+', y[j]})
			j++
		}
	}
	for ; i < len(x); i++ {
		ops = append(ops, diffOp{'-', x[i]})
	}
	for ; j < len(y); j++ {
		ops = append(ops, diffOp{'+', y[j]})
	}
	return ops
}
