#!/usr/bin/env bash
# Release packaging check (make release-check): installs the pinned
# goreleaser once, checks .goreleaser.yaml, makes a snapshot release in dist/
# (nothing is published, nothing but the Go module proxy is reached) and
# checks what it made:
#   - a static binary and an archive (with README.md and LICENSE) for each of
#     linux, darwin, windows × amd64, arm64, and checksums that match;
#   - the linux/amd64 binary's `version` and `doctor`;
#   - prodlike's own images (linux/amd64, linux/arm64), built from
#     stack/selfimage.Dockerfile, the file prodlike itself builds its local
#     image from (embedded in stack/selfimage.go);
#   - the Homebrew cask against release/prodlike.rb.golden, with what changes
#     from run to run (version, tag, sha256 sums) normalised.
#
#   scripts/release-check.sh           check
#   scripts/release-check.sh -update   rewrite release/prodlike.rb.golden
#
# Environment: PRODLIKE_TOOLS (where goreleaser is installed; default
# ${XDG_CACHE_HOME:-$HOME/.cache}/prodlike-tools), RELEASE_CHECK_SKIP_DOCKER=1
# (do not build the images).
set -euo pipefail
cd "$(dirname "$0")/.."

# v2.16.0: v2.18 needs Go 1.27; v2.17 needs go.digitalxero.dev/go-msix, which
# the module proxy of this project's CI machines does not serve (403).
GORELEASER_VERSION=v2.16.0
TARGETS=(linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64)
GOLDEN=release/prodlike.rb.golden
DIST=dist

update=false
case "${1:-}" in
"") ;;
-update | --update) update=true ;;
*)
  echo "usage: $0 [-update]" >&2
  exit 2
  ;;
esac

# Timing: each step prints how long it took when the next one starts.
now() { echo "${EPOCHREALTIME/[.,]/}"; } # microseconds
t0=$(now)
step_name=""
step_t=$t0
secs() { awk -v us="$1" 'BEGIN { printf "%.1fs", us / 1e6 }'; }
end_step() {
  if [ -n "$step_name" ]; then
    printf '== %s: took %s\n' "$step_name" "$(secs $(($(now) - step_t)))"
  fi
}
step() {
  end_step
  step_name=$*
  step_t=$(now)
  printf '\n== %s\n' "$step_name"
}
fail() {
  echo "release-check: FAIL: $*" >&2
  exit 1
}

# --- goreleaser, from the Go module proxy, once per version ----------------
step "goreleaser $GORELEASER_VERSION"
tools=${PRODLIKE_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/prodlike-tools}
gr_dir=$tools/goreleaser-$GORELEASER_VERSION
goreleaser=$gr_dir/goreleaser
if [ -x "$goreleaser" ]; then
  echo "installed: $goreleaser"
else
  echo "installing into $gr_dir (once): go install github.com/goreleaser/goreleaser/v2@$GORELEASER_VERSION"
  mkdir -p "$tools"
  tmp=$(mktemp -d "$tools/.goreleaser-install.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  # Outside this module, so that its go.mod and go.sum are left alone.
  (cd "$tmp" && GOBIN=$tmp/bin GOFLAGS=-buildvcs=false CGO_ENABLED=0 \
    go install "github.com/goreleaser/goreleaser/v2@$GORELEASER_VERSION")
  rm -rf "$gr_dir"
  mv "$tmp/bin" "$gr_dir"
  rm -rf "$tmp"
  trap - EXIT
fi
"$goreleaser" --version 2>/dev/null | grep -q "GitVersion: *v\?${GORELEASER_VERSION#v}\$" ||
  fail "$goreleaser is not goreleaser $GORELEASER_VERSION"

# --- configuration ------------------------------------------------------------
step "goreleaser check"
"$goreleaser" check

# --- snapshot release ---------------------------------------------------------
skip=publish
docker_ok=false
if docker info >/dev/null 2>&1; then
  docker_ok=true
fi
build_images=true
if [ "${RELEASE_CHECK_SKIP_DOCKER:-}" = 1 ]; then
  build_images=false
  why="RELEASE_CHECK_SKIP_DOCKER=1"
elif ! $docker_ok; then
  build_images=false
  why="no Docker engine answers (docker info failed)"
fi
if ! $build_images; then
  skip+=,docker
  echo "NOTE: skipping the docker step (prodlike's own images): $why" >&2
fi

# goreleaser reads the commit and the repository's URL from git; without a
# remote (a fresh local clone) a snapshot would get commit "none". Name the
# repository for git commands of this run only (.git/config is untouched).
if [ -z "$(git remote)" ] && [ -z "${GIT_CONFIG_COUNT:-}" ]; then
  echo "NOTE: no git remote: goreleaser is told origin is https://github.com/prodlike/prodlike.git (GIT_CONFIG_*)"
  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=remote.origin.url GIT_CONFIG_VALUE_0=https://github.com/prodlike/prodlike.git
fi
head=$(git rev-parse HEAD)

step "goreleaser release --snapshot --clean --skip=$skip"
"$goreleaser" release --snapshot --clean --skip="$skip"

# --- what it made -------------------------------------------------------------
step "snapshot contents"
meta=$DIST/metadata.json
[ -f "$meta" ] || fail "$meta is missing"
json() { tr -d '\n' <"$meta" | sed -n 's/.*"'"$1"'": *"\([^"]*\)".*/\1/p'; }
version=$(json version)
tag=$(json tag)
commit=$(json commit)
if [ -z "$version" ] || [ -z "$tag" ] || [ -z "$commit" ]; then
  fail "no version, tag or commit in $meta"
fi
[ "$commit" = "$head" ] || fail "$meta: commit $commit is not HEAD ($head)"
case "$version" in
*-snapshot-*) ;;
*) fail "$meta: version $version is not a snapshot version" ;;
esac
echo "version $version, tag $tag, commit $commit"
(cd "$DIST" && find . -maxdepth 2 -type f -not -name '*.json' -not -name '*.yaml' | sort | sed 's|^\./|  |')

for t in "${TARGETS[@]}"; do
  os=${t%/*} arch=${t#*/}
  exe=prodlike
  format=tar.gz
  if [ "$os" = windows ]; then
    exe=prodlike.exe
    format=zip
  fi

  # The binary: the right platform, static, trimmed, with the version stamped.
  bins=("$DIST/prodlike_${os}_${arch}"*/"$exe")
  [ -f "${bins[0]}" ] || fail "$t: no binary $DIST/prodlike_${os}_${arch}*/$exe"
  bin=${bins[0]}
  info=$(go version -m "$bin") || fail "$t: $bin: go version -m failed"
  for want in "GOOS=$os" "GOARCH=$arch" "CGO_ENABLED=0" "-trimpath=true"; do
    grep -qF -- "$want" <<<"$info" || fail "$t: $bin was not built with $want"
  done
  # With -trimpath the build info leaves out -ldflags: look for the strings.
  for want in "$version" "$commit"; do
    grep -aqF -- "$want" "$bin" || fail "$t: $bin does not hold $want (-X main.version, main.commit)"
  done

  # The archive: the binary, README.md and LICENSE.
  archive=$DIST/prodlike_${version}_${os}_${arch}.$format
  [ -f "$archive" ] || fail "$t: no archive $archive"
  if [ "$format" = zip ]; then
    files=$(unzip -Z1 "$archive")
  else
    files=$(tar -tzf "$archive")
  fi
  for f in "$exe" README.md LICENSE; do
    grep -qx "$f" <<<"$files" || fail "$t: $archive has no $f (has: $(echo "$files" | tr '\n' ' '))"
  done
  grep -qF "  $(basename "$archive")" "$DIST/checksums.txt" || fail "$t: $archive is not in checksums.txt"
  printf '  %-14s %-45s %s\n' "$t" "${bin#"$DIST"/}" "${archive#"$DIST"/} [$(echo "$files" | tr '\n' ' ')]"
done
(cd "$DIST" && sha256sum --quiet -c checksums.txt) || fail "checksums.txt does not match"
echo "checksums.txt matches $(wc -l <"$DIST/checksums.txt") files"

step "linux/amd64 binary: version, doctor"
linux_bins=("$DIST"/prodlike_linux_amd64*/prodlike)
bin=${linux_bins[0]}
if [ "$(uname -s)/$(uname -m)" != Linux/x86_64 ]; then
  echo "NOTE: not run: this is $(uname -s)/$(uname -m), not linux/amd64" >&2
else
  out=$("$bin" version)
  echo "\$ $bin version"
  echo "$out"
  grep -qx "prodlike $version" <<<"$out" || fail "version does not print 'prodlike $version'"
  grep -qE "^commit +$commit\$" <<<"$out" || fail "version does not print commit $commit"
  echo "\$ $bin -C examples/shop doctor"
  rc=0
  "$bin" -C examples/shop doctor || rc=$?
  echo "(exit code $rc)"
  if [ "$rc" -ne 0 ]; then
    if $docker_ok; then
      fail "doctor failed although Docker answers"
    fi
    echo "NOTE: doctor failed; no Docker engine answers here" >&2
  fi
fi

step "prodlike's own images"
if ! $build_images; then
  echo "NOTE: not built: $why" >&2
else
  image=ghcr.io/prodlike/prodlike
  for arch in amd64 arm64; do
    ref=$image:$version-$arch
    got=$(docker image inspect "$ref" --format '{{.Os}}/{{.Architecture}} user={{.Config.User}} entrypoint={{json .Config.Entrypoint}} layers={{len .RootFS.Layers}} version={{index .Config.Labels "org.opencontainers.image.version"}}') ||
      fail "image $ref was not built"
    echo "  $ref: $got"
    want="linux/$arch user=65534:65534 entrypoint=[\"/prodlike\"] layers=1 version=$version"
    [ "$got" = "$want" ] || fail "image $ref: got $got, want $want"
  done
  if [ "$(uname -m)" = x86_64 ]; then
    ref=$image:$version-amd64
    out=$(docker run --rm "$ref" version)
    grep -qx "prodlike $version" <<<"$out" || fail "docker run $ref version printed: $out"
    echo "  docker run --rm $ref version: $(head -1 <<<"$out")"
    # The SQS stand-in, as prodlike up runs it: it takes any credentials.
    sqs() {
      curl -fsS -X POST "http://127.0.0.1:$port/" -H 'Content-Type: application/x-amz-json-1.0' \
        -H "X-Amz-Target: AmazonSQS.$1" -d "$2" \
        -H 'Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=00'
    }
    cid=$(docker run -d --rm -p 127.0.0.1::9324 "$ref" emulate sqs)
    trap 'docker rm -f "$cid" >/dev/null 2>&1 || true' EXIT
    port=$(docker port "$cid" 9324/tcp | head -1 | sed 's/.*://')
    for _ in $(seq 1 50); do
      sqs ListQueues '{}' >/dev/null 2>&1 && break
      sleep 0.1
    done
    resp=$(sqs CreateQueue '{"QueueName":"release-check"}') || resp="(failed)"
    docker rm -f "$cid" >/dev/null
    trap - EXIT
    grep -q '"QueueUrl"' <<<"$resp" || fail "$ref emulate sqs: CreateQueue answered $resp"
    echo "  docker run $ref emulate sqs: CreateQueue answered $resp"
  fi
  # Snapshot images are for this check only; a release pushes its own.
  docker rmi "$image:$version-amd64" "$image:$version-arm64" >/dev/null
  echo "  removed the snapshot images"
fi

step "Homebrew cask"
cask=$DIST/homebrew/Casks/prodlike.rb
[ -f "$cask" ] || fail "no cask at $cask (goreleaser writes it there in snapshot mode)"
normalised=$(
  c=$(<"$cask")
  c=${c//"$version"/@VERSION@}
  c=${c//"$tag"/@TAG@}
  c=${c//download\/v#\{version\}\//download\/@TAG@\/} # a release's tag is v<version>
  printf '%s\n' "$c" | sed -E 's/sha256 "[0-9a-f]{64}"/sha256 "@SHA256@"/'
)
for t in darwin/amd64 darwin/arm64 linux/amd64 linux/arm64; do
  os=${t%/*} arch=${t#*/}
  sum=$(sha256sum "$DIST/prodlike_${version}_${os}_${arch}.tar.gz" | cut -d' ' -f1)
  grep -q "sha256 \"$sum\"" "$cask" || fail "$cask: no sha256 $sum for $t"
done
if $update; then
  printf '%s\n' "$normalised" >"$GOLDEN"
  echo "wrote $GOLDEN"
else
  [ -f "$GOLDEN" ] || fail "no $GOLDEN: make it with $0 -update"
  diff -u "$GOLDEN" <(printf '%s\n' "$normalised") ||
    fail "$cask (normalised) differs from $GOLDEN; if the change is intended, run $0 -update"
  echo "$cask matches $GOLDEN"
fi

end_step
printf '\nrelease-check: OK in %s (snapshot %s in %s/)\n' "$(secs $(($(now) - t0)))" "$version" "$DIST"
