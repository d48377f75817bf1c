#!/bin/sh
# Entry point of prodlike's offline redis image (see build.sh). It follows the
# conventions of the official redis image's docker-entrypoint.sh: flags and
# *.conf arguments go to redis-server, the server runs as the redis user, and
# protected mode is off so other containers can connect.
set -eu

# "docker run image --maxmemory 100mb" or "docker run image /etc/my.conf"
case ${1:-} in
-* | *.conf) set -- redis-server "$@" ;;
esac

if [ "${1:-}" = redis-server ]; then
	# The official image compiles protected mode off by default; Debian's
	# redis-server keeps it on, which refuses connections from other containers
	# when no password is set. Turn it off unless the command line or the
	# config file (redis-server's first argument, if not a flag) decides.
	decided=false
	for arg; do
		case $arg in
		--protected-mode) decided=true ;;
		esac
	done
	if [ $# -ge 2 ] && [ "${2#-}" = "$2" ] && [ -r "$2" ] &&
		grep -qiE '^[[:space:]]*protected-mode[[:space:]]' "$2"; then
		decided=true
	fi
	if ! $decided; then
		set -- "$@" --protected-mode no
	fi

	# allow "docker run --user"; as root, hand /data over and drop privileges
	if [ "$(id -u)" = 0 ]; then
		find . \! -user redis -exec chown redis '{}' +
		exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
	fi
fi

# files redis writes (dump.rdb, appendonly) are for its user only
if [ "$(umask)" = 0022 ]; then
	umask 0077
fi

exec "$@"
