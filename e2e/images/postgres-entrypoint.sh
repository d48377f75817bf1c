#!/usr/bin/env bash
# Entry point of prodlike's offline postgres image (see build.sh). It follows
# the conventions of the official postgres image's docker-entrypoint.sh:
# POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, POSTGRES_INITDB_ARGS,
# POSTGRES_HOST_AUTH_METHOD, PGDATA, the *_FILE variants of the first four,
# /docker-entrypoint-initdb.d, and "docker run image -c name=value".
# Not -u: init scripts in /docker-entrypoint-initdb.d are sourced into this
# shell, as in the official image, and may use unset variables.
set -Eeo pipefail

# file_env sets var from var_FILE (Docker secrets) if given, else from var,
# else to the default.
file_env() {
	local var=$1 default=${2:-}
	local file_var=${var}_FILE
	if [[ -n ${!var:-} && -n ${!file_var:-} ]]; then
		printf >&2 'error: both %s and %s are set (but are exclusive)\n' "$var" "$file_var"
		exit 1
	fi
	local value=$default
	if [[ -n ${!var:-} ]]; then
		value=${!var}
	elif [[ -n ${!file_var:-} ]]; then
		value=$(<"${!file_var}")
	fi
	export "$var=$value"
	unset "$file_var"
}

setup_env() {
	: "${PGDATA:=/var/lib/postgresql/data}"
	export PGDATA
	file_env POSTGRES_PASSWORD
	file_env POSTGRES_USER postgres
	file_env POSTGRES_DB "$POSTGRES_USER"
	file_env POSTGRES_INITDB_ARGS
	: "${POSTGRES_HOST_AUTH_METHOD:=}"
	DATABASE_ALREADY_EXISTS=
	# PG_VERSION is what marks an initialised data directory
	if [[ -s $PGDATA/PG_VERSION ]]; then
		DATABASE_ALREADY_EXISTS=true
	fi
}

# create_directories creates PGDATA and the socket directory and, as root,
# hands them to the postgres user.
create_directories() {
	mkdir -p "$PGDATA"
	chmod 00700 "$PGDATA" || : # postgres itself insists on 0700 or 0750
	mkdir -p /var/run/postgresql || :
	chmod 03775 /var/run/postgresql || :
	if [[ $(id -u) == 0 ]]; then
		find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
		find /var/run/postgresql \! -user postgres -exec chown postgres:postgres '{}' +
	fi
}

verify_minimum_env() {
	if [[ -z $POSTGRES_PASSWORD && $POSTGRES_HOST_AUTH_METHOD != trust ]]; then
		cat >&2 <<-'EOE'
			Error: Database is uninitialized and superuser password is not specified.
			       You must specify POSTGRES_PASSWORD to a non-empty value for the
			       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".

			       You may also use "POSTGRES_HOST_AUTH_METHOD=trust" to allow all
			       connections without a password. This is *not* recommended.

			       See PostgreSQL documentation about "trust":
			       https://www.postgresql.org/docs/current/auth-trust.html
		EOE
		exit 1
	fi
	if [[ $POSTGRES_HOST_AUTH_METHOD == trust ]]; then
		cat >&2 <<-'EOW'
			********************************************************************************
			WARNING: POSTGRES_HOST_AUTH_METHOD has been set to "trust". This will allow
			         anyone with access to the Postgres port to access your database without
			         a password, even if POSTGRES_PASSWORD is set.
			********************************************************************************
		EOW
	fi
}

init_database_dir() {
	local initdb_args=()
	# evaluated like the official image does, so quoting inside the variable works
	eval "initdb_args=( $POSTGRES_INITDB_ARGS )"
	# --pwfile sets the superuser's password; it rejects an empty file, hence the newline
	initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") "${initdb_args[@]}"
}

# setup_hba_conf lets every host connect with the configured method, by
# default the server's password_encryption (scram-sha-256 on 15).
setup_hba_conf() {
	shift # "postgres"
	local method=$POSTGRES_HOST_AUTH_METHOD
	if [[ -z $method ]]; then
		method=$(postgres -C password_encryption "$@")
	fi
	{
		printf '\n'
		if [[ $method == trust ]]; then
			printf '# warning trust is enabled for all connections\n'
		fi
		printf 'host all all all %s\n' "$method"
	} >>"$PGDATA/pg_hba.conf"
}

# temp_server_start starts a server reachable only through the unix socket,
# with the same options as the real one, for the init steps.
temp_server_start() {
	shift # "postgres"
	set -- "$@" -c listen_addresses='' -p "${PGPORT:-5432}"
	PGUSER=${PGUSER:-$POSTGRES_USER} pg_ctl -D "$PGDATA" -o "$(printf '%q ' "$@")" -w start
}

temp_server_stop() {
	PGUSER=${PGUSER:-postgres} pg_ctl -D "$PGDATA" -m fast -w stop
}

# docker_process_sql runs psql against the temporary server as POSTGRES_USER;
# sourced init scripts may call it, as with the official image.
docker_process_sql() {
	local runner=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc)
	if [[ -n $POSTGRES_DB ]]; then
		runner+=(--dbname "$POSTGRES_DB")
	fi
	PGHOST='' PGHOSTADDR='' "${runner[@]}" "$@"
}

# sql_in_postgres_db runs docker_process_sql against the "postgres" database.
sql_in_postgres_db() {
	local POSTGRES_DB='' # seen by docker_process_sql (dynamic scope)
	docker_process_sql --dbname postgres "$@"
}

setup_db() {
	local db=$POSTGRES_DB exists
	exists=$(sql_in_postgres_db --set db="$db" --tuples-only <<-'EOSQL'
		SELECT 1 FROM pg_database WHERE datname = :'db' ;
	EOSQL
	)
	if [[ -z $exists ]]; then
		sql_in_postgres_db --set db="$db" <<-'EOSQL'
			CREATE DATABASE :"db" ;
		EOSQL
		printf '\n'
	fi
}

process_init_files() {
	# for sourced init scripts written for the official image
	# shellcheck disable=SC2034
	psql=(docker_process_sql)
	printf '\n'
	local f
	for f; do
		case $f in
		*.sh)
			if [[ -x $f ]]; then
				printf '%s: running %s\n' "$0" "$f"
				"$f"
			else
				printf '%s: sourcing %s\n' "$0" "$f"
				# shellcheck disable=SC1090 # user-provided init script
				. "$f"
			fi
			;;
		*.sql)
			printf '%s: running %s\n' "$0" "$f"
			docker_process_sql -f "$f"
			;;
		*.sql.gz)
			printf '%s: running %s\n' "$0" "$f"
			gunzip -c "$f" | docker_process_sql
			;;
		*.sql.xz)
			printf '%s: running %s\n' "$0" "$f"
			xzcat "$f" | docker_process_sql
			;;
		*.sql.zst)
			printf '%s: running %s\n' "$0" "$f"
			zstd -dc "$f" | docker_process_sql
			;;
		*) printf '%s: ignoring %s\n' "$0" "$f" ;;
		esac
		printf '\n'
	done
}

# want_help says whether the arguments make postgres print something and exit.
want_help() {
	local arg
	for arg; do
		case $arg in
		-'?' | --help | --describe-config | -V | --version) return 0 ;;
		esac
	done
	return 1
}

main() {
	# "docker run image -c max_connections=50": flags are for postgres
	if [[ ${1:-} == -* ]]; then
		set -- postgres "$@"
	fi

	if [[ ${1:-} == postgres ]] && ! want_help "$@"; then
		setup_env
		create_directories
		if [[ $(id -u) == 0 ]]; then
			exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
		fi

		if [[ -z $DATABASE_ALREADY_EXISTS ]]; then
			verify_minimum_env
			# fail early on an unreadable init directory, before half initialising
			ls /docker-entrypoint-initdb.d/ >/dev/null
			init_database_dir
			setup_hba_conf "$@"
			# needed when POSTGRES_INITDB_ARGS asks for passwords on local connections
			export PGPASSWORD=${PGPASSWORD:-$POSTGRES_PASSWORD}
			temp_server_start "$@"
			setup_db
			shopt -s nullglob
			process_init_files /docker-entrypoint-initdb.d/*
			shopt -u nullglob
			temp_server_stop
			unset PGPASSWORD
			printf '\nPostgreSQL init process complete; ready for start up.\n\n'
		else
			printf '\nPostgreSQL Database directory appears to contain a database; Skipping initialization\n\n'
		fi
	fi

	exec "$@"
}

main "$@"
