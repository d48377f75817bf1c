package promote

import (
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
			if got := unifiedDiff("f", []byte(tt.a), []byte(tt.b)); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}
