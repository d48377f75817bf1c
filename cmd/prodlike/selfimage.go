package main

import (
	"crypto/sha256"
	"debug/elf"
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

// executableID names a build of prodlike: its version and revision, and
// the Go build ID of the executable, which changes with its content (so a
// rebuilt prodlike gets a new image, and `go run` of unchanged sources does
// not). Where the executable has no readable build ID, its size and time
// stand in.
func executableID(exe string, b buildInfo) string {
	h := sha256.New()
	fmt.Fprintln(h, b.Version, b.Commit, b.Date)
	if id, err := goBuildID(exe); err == nil {
		h.Write(id)
	} else if fi, err := os.Stat(exe); err == nil {
		fmt.Fprintln(h, fi.Size(), fi.ModTime().UnixNano())
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// goBuildID reads the Go build ID note of an ELF executable.
func goBuildID(exe string) ([]byte, error) {
	f, err := elf.Open(exe)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sec := f.Section(".note.go.buildid")
	if sec == nil {
		return nil, fmt.Errorf("%s: no Go build ID", exe)
	}
	return sec.Data()
}
