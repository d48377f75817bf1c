package textdiff

import (
	"slices"
	"strings"
	"testing"
)

func TestUnifiedDiff(t *testing.T) {
	lines := func(n ...string) string { return strings.Join(n, "\n") + "\n" }
	ten := lines("1", "2", "3", "4", "5", "6", "7", "8", "9", "10")
	tests := []struct {
		name, a, b, want string
	}{
		{"equal", ten, ten, ""},
		{"one line changed", ten, strings.Replace(ten, "5\n", "five\n", 1), `--- f
+++ f
@@ -3,5 +3,5 @@
 3
 4
-5
+five
 6
 7
`},
		{"two changes far apart make two hunks", ten, strings.Replace(strings.Replace(ten, "1\n", "one\n", 1), "10\n", "ten\n", 1), `--- f
+++ f
@@ -1,3 +1,3 @@
-1
+one
 2
 3
@@ -8,3 +8,3 @@
 8
 9
-10
+ten
`},
		{"two changes close together make one hunk", ten, strings.Replace(strings.Replace(ten, "3\n", "three\n", 1), "7\n", "", 1), `--- f
+++ f
@@ -1,9 +1,8 @@
 1
 2
-3
+three
 4
 5
 6
-7
 8
 9
`},
		{"lines added at the end, CRLF not shown", "a\r\nb\r\n", "a\r\nb\r\nc\r\n", `--- f
+++ f
@@ -1,2 +1,3 @@
 a
 b
+c
`},
		{"into an empty file", "", "a\n", `--- f
+++ f
@@ -0,0 +1,1 @@
+a
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Unified("f", []byte(tt.a), []byte(tt.b), 2); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestUnifiedOneLineOfContext(t *testing.T) {
	before := "a\nb\nc\nd\ne\nf\n"
	after := "a\nb\nB\nc\nd\ne\nf\nF\n"
	want := "--- f\n+++ f\n@@ -2,2 +2,3 @@\n b\n+B\n c\n@@ -6,1 +7,2 @@\n f\n+F\n"
	if got := Unified("f", []byte(before), []byte(after), 1); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	close := "a\nb\nc\n"
	want = "--- f\n+++ f\n@@ -1,3 +1,5 @@\n a\n+x\n b\n+y\n c\n"
	if got := Unified("f", []byte(close), []byte("a\nx\nb\ny\nc\n"), 1); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := Unified("f", []byte("x: {a: 1}\n"), []byte("x: {a: 1, b: 2}\n"), 1); !slices.Equal(strings.Split(got, "\n")[3:5], []string{"-x: {a: 1}", "+x: {a: 1, b: 2}"}) {
		t.Errorf("a changed line: got\n%s", got)
	}
}
