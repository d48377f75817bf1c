package promote

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// gitEnv isolates git from the machine's configuration and names the
// committer.
func gitEnv(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	empty := filepath.Join(t.TempDir(), "gitconfig")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GIT_CONFIG_GLOBAL", empty)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_AUTHOR_NAME", "prodlike test")
	t.Setenv("GIT_AUTHOR_EMAIL", "test@example.com")
	t.Setenv("GIT_COMMITTER_NAME", "prodlike test")
	t.Setenv("GIT_COMMITTER_EMAIL", "test@example.com")
}

// runGit runs git in dir for the test's own setup and checks.
func runGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := git(context.Background(), dir, args...)
	if err != nil {
		t.Fatalf("git %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCommit(t *testing.T) {
	gitEnv(t)
	ctx := context.Background()
	repo := t.TempDir()
	runGit(t, repo, "init", "-q")
	deploy := filepath.Join(repo, "deploy")
	if err := os.Mkdir(deploy, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(deploy, "kustomization.yaml")
	writeFile(t, file, "images: []\n")
	writeFile(t, filepath.Join(repo, "notes.txt"), "first\n")
	runGit(t, repo, "add", ".")
	runGit(t, repo, "commit", "-q", "-m", "initial")

	// Something else is staged; the promotion commit must leave it be.
	writeFile(t, filepath.Join(repo, "notes.txt"), "second\n")
	runGit(t, repo, "add", "notes.txt")
	writeFile(t, file, "images:\n- name: shop-api\n  digest: "+digestNew+"\n")

	msg := "promote shop-api to prod\n\ndigest " + digestNew
	hash, err := Commit(ctx, deploy, file, msg)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{40,64}$`).MatchString(hash) {
		t.Errorf("hash: got %q, want a commit id", hash)
	}
	if head := runGit(t, repo, "rev-parse", "HEAD"); head != hash {
		t.Errorf("HEAD is %s, want the returned %s", head, hash)
	}
	if got := runGit(t, repo, "log", "-1", "--format=%B"); got != msg {
		t.Errorf("message: got %q, want %q", got, msg)
	}
	if got := runGit(t, repo, "show", "--name-only", "--format=", "HEAD"); got != "deploy/kustomization.yaml" {
		t.Errorf("committed files: got %q, want only deploy/kustomization.yaml", got)
	}
	if got := runGit(t, repo, "diff", "--cached", "--name-only"); got != "notes.txt" {
		t.Errorf("still staged: got %q, want notes.txt", got)
	}
}

func TestCommitErrors(t *testing.T) {
	gitEnv(t)
	ctx := context.Background()

	t.Run("not a repository", func(t *testing.T) {
		dir := t.TempDir()
		t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(dir))
		file := filepath.Join(dir, "values.yaml")
		writeFile(t, file, "a: 1\n")
		_, err := Commit(ctx, dir, file, "promote")
		if !errors.Is(err, ErrNotGitRepository) {
			t.Fatalf("got %v, want ErrNotGitRepository", err)
		}
		for _, s := range []string{dir, "git init", "--commit"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("message %q does not say %q", err, s)
			}
		}
	})

	t.Run("nothing to commit", func(t *testing.T) {
		repo := t.TempDir()
		runGit(t, repo, "init", "-q")
		file := filepath.Join(repo, "values.yaml")
		writeFile(t, file, "a: 1\n")
		runGit(t, repo, "add", ".")
		runGit(t, repo, "commit", "-q", "-m", "initial")
		_, err := Commit(ctx, repo, file, "promote")
		if err == nil || !strings.Contains(err.Error(), "git commit") {
			t.Fatalf("got %v, want a git commit failure", err)
		}
		if errors.Is(err, ErrNotGitRepository) {
			t.Errorf("got ErrNotGitRepository for a repository: %v", err)
		}
	})
}
