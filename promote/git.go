package promote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// ErrNotGitRepository: --commit was asked for a file outside any git
// work tree.
var ErrNotGitRepository = errors.New("not a git repository")

// Commit commits file (and only file) in the git repository that holds
// dir: `git add FILE` then `git commit -m MESSAGE -- FILE`, so whatever
// else is staged stays staged. It returns the new commit's hash.
func Commit(ctx context.Context, dir, file, message string) (string, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return "", fmt.Errorf("commit %s: git is not installed or not on PATH: %w", file, err)
	}
	if _, err := git(ctx, dir, "rev-parse", "--show-toplevel"); err != nil {
		return "", fmt.Errorf("commit %s: %s is %w (%v); run `git init` there, or leave out --commit", file, dir, ErrNotGitRepository, err)
	}
	if _, err := git(ctx, dir, "add", "--", file); err != nil {
		return "", fmt.Errorf("commit %s: git add: %w", file, err)
	}
	if _, err := git(ctx, dir, "commit", "-m", message, "--", file); err != nil {
		return "", fmt.Errorf("commit %s: git commit: %w; the file is staged: check `git status` and commit it yourself", file, err)
	}
	hash, err := git(ctx, dir, "rev-parse", "HEAD")
	if err != nil {
		return "", fmt.Errorf("commit %s: read the new commit: %w", file, err)
	}
	return hash, nil
}

// git runs git in dir and returns its trimmed output; a failure carries
// what git said on stderr (or stdout, where commit says "nothing to
// commit").
func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = strings.TrimSpace(stdout.String())
		}
		if msg == "" {
			return "", err
		}
		lines := strings.Split(msg, "\n")
		for i, l := range lines {
			lines[i] = strings.TrimSpace(l)
		}
		return "", errors.New(strings.Join(lines, "; "))
	}
	return strings.TrimSpace(stdout.String()), nil
}
