#!/usr/bin/env bash
# Prepares a local PostgreSQL for keyhook's store/postgres tests on Debian:
# installs the server if it is missing, starts (or creates) the "main"
# cluster, and creates the keyhook role and database. Safe to run again.
# Run as root.
set -euo pipefail

ROLE=keyhook
PASSWORD=keyhook
DB=keyhook
PORT=5432

have_server() {
	command -v pg_ctlcluster >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1
}

if ! have_server; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update
	apt-get install -y postgresql
fi

# The newest installed server version.
VER=$(ls -1 /usr/lib/postgresql | sort -V | tail -n 1)

if ! pg_lsclusters --no-header | awk -v v="$VER" '$1 == v && $2 == "main" { found = 1 } END { exit !found }'; then
	pg_createcluster "$VER" main --port "$PORT"
fi

status=$(pg_lsclusters --no-header | awk -v v="$VER" '$1 == v && $2 == "main" { print $4 }')
if [ "$status" != "online" ]; then
	pg_ctlcluster "$VER" main start
fi

# Wait for the server to accept connections.
for _ in $(seq 1 50); do
	if su postgres -c "pg_isready -q -h 127.0.0.1 -p $PORT"; then
		break
	fi
	sleep 0.2
done
su postgres -c "pg_isready -h 127.0.0.1 -p $PORT"

psql_admin() {
	su postgres -c "psql -v ON_ERROR_STOP=1 -p $PORT -tAc \"$1\""
}

if [ "$(psql_admin "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != "1" ]; then
	psql_admin "CREATE ROLE $ROLE LOGIN SUPERUSER PASSWORD '$PASSWORD'"
fi
if [ "$(psql_admin "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != "1" ]; then
	psql_admin "CREATE DATABASE $DB OWNER $ROLE"
fi

echo "PostgreSQL $VER is running on 127.0.0.1:$PORT. For the tests:"
echo "export KEYHOOK_TEST_POSTGRES_URL=postgres://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB?sslmode=disable"
