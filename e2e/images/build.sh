#!/usr/bin/env bash
# build.sh builds images compatible with Docker Hub's postgres, redis and golang
# images from Debian bookworm packages, for machines that cannot reach a
# registry. Images are tagged under a prefix (default prodlike-offline) that
# prodlike uses through --image-mirror / PRODLIKE_IMAGE_MIRROR. See README.md.
set -euo pipefail

usage() {
	cat <<'EOF'
usage: build.sh [--force] [PREFIX] [IMAGE...]

Builds, when missing or out of date, Docker Hub-compatible images from Debian
bookworm packages, without a registry:

  PREFIX/postgres:15   and PREFIX/postgres:<exact version>   (postgresql-15)
  PREFIX/redis:7.0     and PREFIX/redis:<exact version>      (redis-server)
  PREFIX/golang:<x.y>  and PREFIX/golang:<exact version>     (host Go toolchain)
  PREFIX/versity/versitygw:<version>  (built from its Go module, FROM scratch)

PREFIX defaults to $PRODLIKE_OFFLINE_PREFIX, then prodlike-offline.
IMAGE is any of postgres, redis, golang, versitygw (default: all); an argument
that is not an image name is the prefix.

  -f, --force   rebuild even if the images are present and current
  -h, --help    show this help

Environment:
  PRODLIKE_OFFLINE_PREFIX   tag prefix (overridden by the PREFIX argument)
  PRODLIKE_OFFLINE_CACHE    cache directory (default
                            ${XDG_CACHE_HOME:-$HOME/.cache}/prodlike-images)
  PRODLIKE_DEBIAN_MIRROR    Debian mirror (default http://deb.debian.org/debian)
  PRODLIKE_DEBIAN_SECURITY_MIRROR
                            (default http://deb.debian.org/debian-security)
  PRODLIKE_OFFLINE_EXTRA_CA_DIR
                            *.crt files here are added to the golang image's
                            trust store (default /usr/local/share/ca-certificates,
                            the host's own local CAs; empty for none)
EOF
}

readonly SUITE=bookworm
readonly PG_MAJOR=15
# the S3 stand-in's default image tag (emulators/s3)
readonly VERSITYGW_VERSION=v1.8.0
readonly DEFAULT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# uid/gid of the postgres and redis users in the official images; using the
# same ids keeps volumes interchangeable between official and offline images.
readonly SERVICE_UID=999
readonly LABEL_RECIPE=dev.prodlike.offline.recipe
readonly LABEL_VERSION=org.opencontainers.image.version

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mirror=${PRODLIKE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security_mirror=${PRODLIKE_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
cache=${PRODLIKE_OFFLINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/prodlike-images}
base=$cache/$SUITE-minbase
extra_ca_dir=${PRODLIKE_OFFLINE_EXTRA_CA_DIR-/usr/local/share/ca-certificates}

force=false
args=()
while (($#)); do
	case $1 in
	-f | --force) force=true ;;
	-h | --help)
		usage
		exit 0
		;;
	--)
		shift
		args+=("$@")
		break
		;;
	-*)
		printf 'build.sh: unknown option %s\n\n' "$1" >&2
		usage >&2
		exit 64
		;;
	*) args+=("$1") ;;
	esac
	shift
done
# An argument naming an image selects it; any other is the prefix, so
# "build.sh redis" builds prodlike-offline/redis rather than redis/*.
prefix=${PRODLIKE_OFFLINE_PREFIX:-prodlike-offline}
prefix_given=false
images=()
for arg in "${args[@]}"; do
	case $arg in
	postgres | redis | golang | versitygw) images+=("$arg") ;;
	*)
		if $prefix_given; then
			printf 'build.sh: two prefixes given (%s, %s); images are postgres, redis, golang, versitygw\n' "$prefix" "$arg" >&2
			exit 64
		fi
		prefix=$arg
		prefix_given=true
		;;
	esac
done
prefix=${prefix%/}
[[ -n $prefix ]] || {
	echo 'build.sh: empty prefix' >&2
	exit 64
}
if ((${#images[@]} == 0)); then
	images=(postgres redis golang versitygw)
fi

log() { printf '%s\n' "$*"; }
step() { printf '  %s\n' "$*"; }
die() {
	printf 'build.sh: %s\n' "$*" >&2
	exit 1
}

# --- work directories, mounts and cleanup -----------------------------------

work_dirs=()

# unmount_under unmounts everything mounted below dir, deepest first.
unmount_under() {
	local dir=$1 mountpoint
	[[ -d $dir ]] || return 0
	dir=$(cd "$dir" && pwd -P)
	awk -v d="$dir/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r mountpoint; do
			umount "$mountpoint" 2>/dev/null || umount -l "$mountpoint" || true
		done
}

cleanup() {
	local dir
	for dir in "${work_dirs[@]}"; do
		[[ -e $dir ]] || continue
		unmount_under "$dir"
		rm -rf --one-file-system "$dir"
	done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# quiet runs one command with its output going to the current log file; on
# failure it shows the end of the log and stops.
logfile=/dev/null
quiet() {
	if ! "$@" >>"$logfile" 2>&1; then
		printf 'build.sh: failed: %s\n' "$*" >&2
		if [[ -f $logfile ]]; then
			printf -- '--- last lines of %s ---\n' "$logfile" >&2
			tail -n 40 "$logfile" >&2
		fi
		exit 1
	fi
}

# --- host prerequisites -----------------------------------------------------

apt_updated=false
# need_host_packages installs the Debian packages providing missing commands
# or files, given as command:package or /path:package pairs.
need_host_packages() {
	local pair what missing=()
	for pair in "$@"; do
		what=${pair%%:*}
		if [[ $what == /* ]]; then
			[[ -e $what ]] || missing+=("${pair#*:}")
		else
			command -v "$what" >/dev/null 2>&1 || missing+=("${pair#*:}")
		fi
	done
	((${#missing[@]} > 0)) || return 0
	[[ $(id -u) == 0 ]] || die "need root to install ${missing[*]}"
	command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get to install them"
	step "installing ${missing[*]} on the host …"
	if ! $apt_updated; then
		quiet apt-get update
		apt_updated=true
	fi
	quiet env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

check_docker() {
	command -v docker >/dev/null 2>&1 || die "docker not found on PATH"
	docker info >/dev/null 2>&1 || die "cannot talk to the Docker daemon (docker info failed)"
}

# check_build_host is called only when something needs building, so that a
# run that finds every image present needs nothing but docker.
host_checked=false
check_build_host() {
	$host_checked && return 0
	[[ $(id -u) == 0 ]] || die "building needs root (debootstrap, chroot and mount)"
	need_host_packages debootstrap:debootstrap wget:wget \
		/usr/share/keyrings/debian-archive-keyring.gpg:debian-archive-keyring
	host_checked=true
}

# --- the shared base rootfs -------------------------------------------------

# ensure_base runs debootstrap once; the result is kept pristine in the cache
# and copied for every image.
ensure_base() {
	check_build_host
	[[ -d $base ]] && return 0
	step "debootstrap --variant=minbase $SUITE (once, cached in $base) …"
	local tmp
	tmp=$(mktemp -d "$cache/work/base.XXXXXX")
	work_dirs+=("$tmp")
	chmod 0755 "$tmp"
	quiet debootstrap --variant=minbase "$SUITE" "$tmp" "$mirror"
	unmount_under "$tmp"
	rm -f "$tmp"/var/cache/apt/archives/*.deb
	# the directory appears under its final name only when complete
	mv "$tmp" "$base"
}

rootfs=
# new_rootfs copies the base into a fresh work directory and prepares it for
# installing packages: sources with updates and security, no docs or
# translations, no service starts, DNS, /proc.
new_rootfs() {
	local name=$1
	rootfs=$(mktemp -d "$cache/work/$name.XXXXXX")
	work_dirs+=("$rootfs")
	chmod 0755 "$rootfs" # mktemp makes it 0700, which would become the image's /
	cp -a "$base/." "$rootfs/"

	cat >"$rootfs/etc/apt/sources.list" <<EOF
deb $mirror $SUITE main
deb $mirror $SUITE-updates main
deb $security_mirror $SUITE-security main
EOF
	# the same trimming the slim Debian images do, kept in the image so
	# packages installed later stay small too
	cat >"$rootfs/etc/dpkg/dpkg.cfg.d/prodlike-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
	cat >"$rootfs/usr/sbin/policy-rc.d" <<'EOF'
#!/bin/sh
# no services are started while building images
exit 101
EOF
	chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
	rm -f "$rootfs/etc/resolv.conf"
	cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
	mount -t proc proc "$rootfs/proc"
}

# in_root runs a command inside the rootfs with a clean environment.
in_root() {
	chroot "$rootfs" /usr/bin/env -i PATH="$DEFAULT_PATH" HOME=/root LANG=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive "$@"
}

apt_install() {
	quiet in_root apt-get update
	quiet in_root apt-get -y upgrade
	quiet in_root apt-get install -y --no-install-recommends "$@"
}

# slim_rootfs removes caches, docs and build-time leftovers and unmounts /proc.
slim_rootfs() {
	quiet in_root apt-get clean
	quiet in_root sh -euc '
		rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/cache/debconf/*-old \
			/var/lib/dpkg/*-old /var/cache/ldconfig/aux-cache \
			/var/log/apt /var/log/dpkg.log /var/log/alternatives.log /var/log/bootstrap.log \
			/usr/share/man/* /usr/share/info/* /usr/share/lintian /root/.cache \
			/tmp/* /tmp/.[!.]* /var/tmp/*
		find /usr/share/doc -mindepth 1 ! -type d ! -name copyright -delete
		find /usr/share/doc -mindepth 1 -type d -empty -delete
		find /usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
		# Docker provides these per container
		rm -f /etc/resolv.conf /etc/hostname
	'
	unmount_under "$rootfs"
}

# import_image turns the rootfs into an image tagged ref:minor and ref:exact.
# stop_signal ("" for the default) is set with a one-line classic build because
# docker import --change does not accept STOPSIGNAL on Engine 20.10; the
# remaining arguments are docker import --change options.
import_image() {
	local ref=$1 minor=$2 exact=$3 stop_signal=$4
	shift 4
	local old id
	old=$(docker image inspect -f '{{.Id}}' "$ref:$minor" 2>/dev/null || true)
	unmount_under "$rootfs"
	if grep -qF " $rootfs/" /proc/self/mountinfo; then
		die "something is still mounted under $rootfs"
	fi
	step "importing $ref:$minor …"
	id=$(tar --numeric-owner -C "$rootfs" --exclude='./proc/*' --exclude='./sys/*' --exclude='./dev/*' -c . |
		docker import --message "prodlike e2e/images/build.sh" "$@" -) ||
		die "docker import of $ref:$minor failed"
	if [[ -n $stop_signal ]]; then
		# FROM an image ID never pulls; the classic builder needs no BuildKit frontend
		printf 'FROM %s\nSTOPSIGNAL %s\n' "$id" "$stop_signal" |
			quiet env DOCKER_BUILDKIT=0 docker build --tag "$ref:$minor" -
	else
		quiet docker tag "$id" "$ref:$minor"
	fi
	quiet docker tag "$ref:$minor" "$ref:$exact"
	# drop the image this one replaces, unless something still uses it
	if [[ -n $old && $old != "$(docker image inspect -f '{{.Id}}' "$ref:$minor")" ]]; then
		if [[ $(docker image inspect -f '{{len .RepoTags}}' "$old" 2>/dev/null) == 0 ]]; then
			docker image rm "$old" >/dev/null 2>&1 || true
		fi
	fi
}

# --- up-to-date checks ------------------------------------------------------

# recipe_of hashes the files an image is built from, so changing them makes
# build.sh rebuild the image on its next run.
recipe_of() {
	cat "$here/build.sh" "$@" | sha256sum | cut -c1-16
}

# current says whether ref:minor exists, carries the given recipe, and its
# exact version tag (from its label, or the given one) is the same image.
current() {
	local ref=$1 minor=$2 recipe=$3 want_exact=${4:-} info id label_recipe version
	$force && return 1
	info=$(docker image inspect -f "{{.Id}} {{index .Config.Labels \"$LABEL_RECIPE\"}} {{index .Config.Labels \"$LABEL_VERSION\"}}" \
		"$ref:$minor" 2>/dev/null) || return 1
	read -r id label_recipe version <<<"$info"
	[[ $label_recipe == "$recipe" ]] || return 1
	[[ -z $want_exact || $version == "$want_exact" ]] || return 1
	[[ -n $version && $(docker image inspect -f '{{.Id}}' "$ref:$version" 2>/dev/null) == "$id" ]] || return 1
	log "present: $ref:$minor = $ref:$version"
}

built() {
	local ref=$1 minor=$2 exact=$3 started=$4 size
	size=$(docker image inspect -f '{{.Size}}' "$ref:$minor")
	log "built: $ref:$minor = $ref:$exact ($((size / 1000000)) MB, $((SECONDS - started))s)"
}

labels() {
	local title=$1 version=$2 description=$3 recipe=$4
	printf '%s\n' \
		--change "LABEL org.opencontainers.image.title=\"$title\"" \
		--change "LABEL $LABEL_VERSION=\"$version\"" \
		--change "LABEL org.opencontainers.image.description=\"$description\"" \
		--change "LABEL $LABEL_RECIPE=\"$recipe\""
}

# package_version prints the installed version of a package in the rootfs.
package_version() {
	# shellcheck disable=SC2016 # ${Version} is dpkg-query's, not ours
	in_root dpkg-query -W -f='${Version}' "$1"
}

# upstream_version turns a Debian version (epoch:upstream-revision) into the
# upstream one: 5:7.0.15-1~deb12u10 -> 7.0.15.
upstream_version() {
	local v=${1#*:}
	printf '%s\n' "${v%-*}"
}

# --- images -----------------------------------------------------------------

build_postgres() {
	local ref=$prefix/postgres minor=$PG_MAJOR started=$SECONDS
	local recipe entrypoint=$here/postgres-entrypoint.sh
	recipe=$(recipe_of "$entrypoint")
	current "$ref" "$minor" "$recipe" && return 0
	log "building $ref:$minor …"
	logfile=$cache/logs/postgres.log
	: >"$logfile"
	ensure_base
	new_rootfs postgres

	step "installing postgresql-$PG_MAJOR …"
	quiet in_root groupadd --system --gid "$SERVICE_UID" postgres
	quiet in_root useradd --system --uid "$SERVICE_UID" --gid postgres \
		--home-dir /var/lib/postgresql --shell /bin/bash postgres
	# the entrypoint runs initdb itself, like the official image
	mkdir -p "$rootfs/etc/postgresql-common/createcluster.d"
	echo 'create_main_cluster = false' >"$rootfs/etc/postgresql-common/createcluster.d/prodlike.conf"
	# xz-utils and zstd: for .sql.xz and .sql.zst init files, as in the official image
	apt_install "postgresql-$PG_MAJOR" locales xz-utils zstd
	# en_US.UTF-8 is the official image's default locale (and RDS's)
	quiet in_root localedef -i en_US -c -f UTF-8 -A /usr/share/locale/locale.alias en_US.UTF-8
	quiet in_root sh -euc 'rm -rf /usr/share/i18n/charmaps/* /usr/share/i18n/locales/*'

	local pkg_version version
	pkg_version=$(package_version "postgresql-$PG_MAJOR")
	# "postgres (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)"
	version=$(in_root "/usr/lib/postgresql/$PG_MAJOR/bin/postgres" --version | awk '{ print $3 }')
	[[ $version == "$PG_MAJOR".* && $version == "$(upstream_version "$pkg_version")" ]] ||
		die "postgres reports version '$version', package postgresql-$PG_MAJOR is $pkg_version"

	# listen on all addresses by default, as the official image does; the
	# entrypoint's temporary init server overrides it to the socket only
	local sample=$rootfs/usr/share/postgresql/$PG_MAJOR/postgresql.conf.sample
	sed -ri "s!^#?(listen_addresses)\s*=\s*\S+.*!\1 = '*'!" "$sample"
	grep -qF "listen_addresses = '*'" "$sample" || die "could not set listen_addresses in $sample"
	# no shared snakeoil key baked into the image; SSL is off, as in the official image
	rm -f "$rootfs/etc/ssl/private/ssl-cert-snakeoil.key" "$rootfs/etc/ssl/certs/ssl-cert-snakeoil.pem"

	install -m 0755 "$entrypoint" "$rootfs/usr/local/bin/docker-entrypoint.sh"
	ln -sfn usr/local/bin/docker-entrypoint.sh "$rootfs/docker-entrypoint.sh"
	quiet in_root sh -euc '
		mkdir -p /docker-entrypoint-initdb.d
		install -d -o postgres -g postgres -m 3777 /var/run/postgresql
		install -d -o postgres -g postgres -m 1777 /var/lib/postgresql/data
	'
	slim_rootfs

	local changes
	mapfile -t changes < <(labels "postgres" "$version" \
		"PostgreSQL $version from Debian $SUITE postgresql-$PG_MAJOR $pkg_version" "$recipe")
	import_image "$ref" "$minor" "$version" SIGINT "${changes[@]}" \
		--change "ENV PATH=/usr/lib/postgresql/$PG_MAJOR/bin:$DEFAULT_PATH" \
		--change "ENV PG_MAJOR=$PG_MAJOR" \
		--change "ENV PG_VERSION=$pkg_version" \
		--change "ENV LANG=en_US.utf8" \
		--change "ENV PGDATA=/var/lib/postgresql/data" \
		--change "VOLUME /var/lib/postgresql/data" \
		--change "EXPOSE 5432" \
		--change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
		--change 'CMD ["postgres"]'
	built "$ref" "$minor" "$version" "$started"
}

build_redis() {
	local ref=$prefix/redis started=$SECONDS
	local recipe entrypoint=$here/redis-entrypoint.sh
	recipe=$(recipe_of "$entrypoint")
	# the minor version is only known once the package is installed; bookworm
	# ships 7.0 and the check below refuses anything else
	local minor=7.0
	current "$ref" "$minor" "$recipe" && return 0
	log "building $ref:$minor …"
	logfile=$cache/logs/redis.log
	: >"$logfile"
	ensure_base
	new_rootfs redis

	step "installing redis-server …"
	quiet in_root groupadd --system --gid "$SERVICE_UID" redis
	quiet in_root useradd --system --uid "$SERVICE_UID" --gid redis \
		--home-dir /var/lib/redis --shell /usr/sbin/nologin redis
	apt_install redis-server

	local pkg_version version
	pkg_version=$(package_version redis-server)
	# "Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=..."
	version=$(in_root redis-server --version | sed -nE 's/.* v=([0-9.]+) .*/\1/p')
	[[ $version == "$minor".* && $version == "$(upstream_version "$pkg_version")" ]] ||
		die "redis-server reports version '$version', package redis-server is $pkg_version (tag $minor expected)"

	install -m 0755 "$entrypoint" "$rootfs/usr/local/bin/docker-entrypoint.sh"
	quiet in_root install -d -o redis -g redis -m 0755 /data
	slim_rootfs

	local changes
	mapfile -t changes < <(labels "redis" "$version" \
		"Redis $version from Debian $SUITE redis-server $pkg_version" "$recipe")
	import_image "$ref" "$minor" "$version" "" "${changes[@]}" \
		--change "ENV PATH=$DEFAULT_PATH" \
		--change "ENV REDIS_VERSION=$version" \
		--change "VOLUME /data" \
		--change "WORKDIR /data" \
		--change "EXPOSE 6379" \
		--change 'ENTRYPOINT ["docker-entrypoint.sh"]' \
		--change 'CMD ["redis-server"]'
	built "$ref" "$minor" "$version" "$started"
}

build_golang() {
	local ref=$prefix/golang started=$SECONDS
	command -v go >/dev/null 2>&1 || die "go not found on PATH; the golang image copies the host's Go toolchain"
	local goroot go_version version minor recipe
	goroot=$(go env GOROOT)
	go_version=$("$goroot/bin/go" env GOVERSION) # go1.26.8, maybe followed by " X:..."
	go_version=${go_version%% *}
	version=${go_version#go}
	[[ $version =~ ^([0-9]+\.[0-9]+) ]] || die "cannot parse Go version '$go_version' from $goroot"
	minor=${BASH_REMATCH[1]}
	# Certificates the host trusts locally (a proxy that intercepts TLS, a
	# corporate CA) go into the image too, or go mod download cannot verify
	# proxy.golang.org from inside a build.
	local extra_cas=()
	if [[ -n $extra_ca_dir && -d $extra_ca_dir ]]; then
		mapfile -t extra_cas < <(find "$extra_ca_dir" -maxdepth 1 -type f -name '*.crt' | sort)
	fi
	recipe=$(recipe_of "${extra_cas[@]}")
	current "$ref" "$minor" "$recipe" "$version" && return 0
	log "building $ref:$minor …"
	logfile=$cache/logs/golang.log
	: >"$logfile"
	ensure_base
	new_rootfs golang

	if ((${#extra_cas[@]} > 0)); then
		step "adding the host's local CA certificates: ${extra_cas[*]##*/}"
		mkdir -p "$rootfs/usr/local/share/ca-certificates"
		cp "${extra_cas[@]}" "$rootfs/usr/local/share/ca-certificates/"
	fi
	step "installing ca-certificates …"
	apt_install ca-certificates netbase
	step "copying Go $version from $goroot …"
	mkdir -p "$rootfs/usr/local/go"
	# leave out what the official image leaves out: build leftovers
	tar -C "$goroot" --exclude=./pkg/obj --exclude=./pkg/bootstrap -c . |
		tar -C "$rootfs/usr/local/go" --no-same-owner -x
	quiet in_root sh -euc 'mkdir -p /go/src /go/bin && chmod -R 1777 /go'
	local in_image
	in_image=$(in_root /usr/local/go/bin/go env GOVERSION)
	[[ ${in_image%% *} == "$go_version" ]] || die "copied toolchain reports $in_image, want $go_version"
	slim_rootfs

	local changes
	mapfile -t changes < <(labels "golang" "$version" \
		"Go $version (copied from the build host) on Debian $SUITE" "$recipe")
	import_image "$ref" "$minor" "$version" "" "${changes[@]}" \
		--change "ENV PATH=/go/bin:/usr/local/go/bin:$DEFAULT_PATH" \
		--change "ENV GOLANG_VERSION=$version" \
		--change "ENV GOTOOLCHAIN=local" \
		--change "ENV GOPATH=/go" \
		--change "WORKDIR /go" \
		--change 'CMD ["bash"]'
	built "$ref" "$minor" "$version" "$started"
}

# build_versitygw builds the S3 gateway from its Go module with the host's Go
# (through the module proxy) into a FROM scratch image. The official image
# runs `versitygw "$@"` when given arguments, as prodlike always does, so a
# bare binary as the entrypoint behaves the same.
build_versitygw() {
	local ref=$prefix/versity/versitygw version=$VERSITYGW_VERSION started=$SECONDS
	command -v go >/dev/null 2>&1 || die "go not found on PATH; versitygw is built with the host's Go"
	local recipe
	recipe=$(recipe_of)
	logfile=$cache/logs/versitygw.log
	# The binary first, even when the image is current: the S3 stand-in's
	# own e2e tests run it (PRODLIKE_VERSITYGW, see the Makefile).
	local dir bin=$cache/versitygw-$version/versitygw
	if [[ ! -x $bin ]]; then
		: >"$logfile"
		step "go install github.com/versity/versitygw/cmd/versitygw@$version (cached in $cache) …"
		rm -rf "$cache/versitygw-$version.tmp"
		quiet env CGO_ENABLED=0 GOFLAGS= GOBIN="$cache/versitygw-$version.tmp" go install -trimpath \
			-ldflags "-s -w -X main.Version=$version -X main.Build=prodlike-offline -X main.BuildTime=none" \
			"github.com/versity/versitygw/cmd/versitygw@$version"
		rm -rf "$cache/versitygw-$version"
		mv "$cache/versitygw-$version.tmp" "$cache/versitygw-$version"
	fi
	current "$ref" "$version" "$recipe" "$version" && return 0
	log "building $ref:$version …"
	# Read the whole output first: grep -q stops reading at the first match,
	# and under pipefail the writer's SIGPIPE would fail the check.
	local reported
	reported=$("$bin" --version) || die "$bin --version failed"
	[[ $reported == *"Version  : $version"* ]] || die "$bin does not report version $version"
	dir=$(mktemp -d "$cache/work/versitygw.XXXXXX")
	work_dirs+=("$dir")
	cp "$bin" "$dir/versitygw"
	# the official image has a /tmp; the classic builder keeps its mode
	mkdir -m 1777 "$dir/tmp"
	cat >"$dir/Dockerfile" <<EOF
FROM scratch
COPY versitygw /usr/local/bin/versitygw
COPY tmp /tmp
LABEL org.opencontainers.image.title="versitygw" \\
      $LABEL_VERSION="$version" \\
      org.opencontainers.image.description="Versity S3 Gateway $version built from its Go module" \\
      org.opencontainers.image.licenses="Apache-2.0" \\
      $LABEL_RECIPE="$recipe"
EXPOSE 7070
ENTRYPOINT ["/usr/local/bin/versitygw"]
EOF
	quiet env DOCKER_BUILDKIT=0 docker build --tag "$ref:$version" "$dir"
	built "$ref" "$version" "$version" "$started"
}

# --- main -------------------------------------------------------------------

mkdir -p "$cache/work" "$cache/logs"
# one build at a time per cache: tests may call build.sh concurrently
exec 9>"$cache/lock"
if ! flock -n 9; then
	log "waiting for another build.sh using $cache …"
	flock 9
fi
# work directories left by a run that was killed
for stale in "$cache"/work/*; do
	[[ -e $stale ]] || continue
	unmount_under "$stale"
	rm -rf --one-file-system "$stale"
done

check_docker
for image in "${images[@]}"; do
	"build_$image"
done
log "images under $prefix/ ready in $SECONDS s"
