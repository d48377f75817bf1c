package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strings"

	"github.com/prodlike/prodlike/emulators/sqs"
	"github.com/prodlike/prodlike/stack"
)

// Where prodlike's own image comes from: released builds are published
// there; other builds are tagged locally, by what the executable is.
const (
	releasedImage = sqs.DefaultImage
	localImage    = "prodlike-local/prodlike"
)

var releaseVersion = regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+$`)

// selfImage decides prodlike's own image for the stand-ins it implements
// (sqs): the published image of a released version, else a local tag named
// after this executable, so that a rebuilt prodlike gets a fresh image
// rather than a stale one of the same name.
func selfImage(b buildInfo) stack.SelfImage {
	exe, exeErr := os.Executable()
	var s stack.SelfImage
	if releaseVersion.MatchString(b.Version) {
		s.Ref = releasedImage + ":" + strings.TrimPrefix(b.Version, "v")
		s.Published = true
	} else {
		s.Ref = localImage + ":dev-" + executableID(exe, b)
	}
	switch {
	case exeErr != nil:
		s.NoBuild = fmt.Sprintf("cannot find prodlike's own executable: %v", exeErr)
	case runtime.GOOS != "linux":
		s.NoBuild = fmt.Sprintf("this prodlike is a %s/%s executable; only a Linux build of prodlike can become a Linux image", runtime.GOOS, runtime.GOARCH)
	default:
		if err := stack.CheckStatic(exe); err != nil {
			s.NoBuild = err.Error()
		} else {
			s.Executable = exe
		}
	}
	return s
}

// executableID names a build of prodlike: its revision, and the size and
// time of the executable (a rebuild from a modified tree changes them).
func executableID(exe string, b buildInfo) string {
	h := sha256.New()
	fmt.Fprintln(h, b.Version, b.Commit, b.Date)
	if fi, err := os.Stat(exe); err == nil {
		fmt.Fprintln(h, fi.Size(), fi.ModTime().UnixNano())
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}
