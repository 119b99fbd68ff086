#!/usr/bin/env bash
# Installs (if needed) and starts PostgreSQL on a fresh Debian machine, run as root, and
# creates the login superuser `liftoff`/`liftoff` the store tests use. It is idempotent.
#
# stdout carries exactly one line, for `eval "$(bash .ci/postgres.sh)"`:
#   export LIFTOFF_TEST_DATABASE_URL=postgres://liftoff:liftoff@127.0.0.1:<port>/postgres
# Everything else (apt, pg_ctlcluster, psql) goes to stderr.
set -euo pipefail

# Keep the real stdout on fd 3 for the final line; send all other output to stderr.
exec 3>&1 1>&2

if [[ $(id -u) -ne 0 ]]; then
  echo "postgres.sh: run as root (it installs packages and starts the cluster)" >&2
  exit 1
fi

# The server itself, not only the cluster tools: a machine may ship psql and postgresql-common without it.
if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends postgresql 3>&-
fi

# The first cluster Debian knows about; create one if the package left none (some images
# disable cluster creation).
read -r version cluster port _ < <(pg_lsclusters --no-header | head -n 1) || true
if [[ -z ${version:-} ]]; then
  version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  cluster=main
  pg_createcluster "$version" "$cluster"
  read -r version cluster port _ < <(pg_lsclusters --no-header | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c')
fi

# The server daemonizes: it must not inherit fd 3, or a caller reading our stdout through a
# pipe (`$(bash .ci/postgres.sh)`) would wait for the server to exit.
if ! pg_ctlcluster "$version" "$cluster" status >/dev/null 2>&1; then
  pg_ctlcluster "$version" "$cluster" start 3>&-
fi

for _ in $(seq 1 30); do
  if pg_isready -q -h 127.0.0.1 -p "$port"; then
    break
  fi
  sleep 1
done
pg_isready -h 127.0.0.1 -p "$port"

# psql as the postgres OS user over the Unix socket (peer authentication); cd to a directory
# that user can read so psql does not warn about the current one.
cd /
runuser -u postgres -- psql -v ON_ERROR_STOP=1 -q -p "$port" -d postgres <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'liftoff') THEN
    CREATE ROLE liftoff LOGIN SUPERUSER PASSWORD 'liftoff';
  ELSE
    ALTER ROLE liftoff LOGIN SUPERUSER PASSWORD 'liftoff';
  END IF;
END
$$;
SQL

echo "export LIFTOFF_TEST_DATABASE_URL=postgres://liftoff:liftoff@127.0.0.1:${port}/postgres" >&3
