#!/usr/bin/env bash
# Installs (if missing) and starts PostgreSQL from Debian's packages, creates
# the role and database `irmer_test`, and prints the URL for
# IRMER_TEST_POSTGRES_URL. Needs root (as CI runs).
set -euo pipefail
if ! command -v pg_lsclusters > /dev/null || [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
  echo "installing PostgreSQL from Debian's packages" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
read -r version cluster port status _ < <(pg_lsclusters -h | head -n 1)
if [ "$status" != "online" ]; then
  pg_ctlcluster "$version" "$cluster" start >&2
fi
for _ in $(seq 1 30); do
  su postgres -c "pg_isready -q -p $port" && break
  sleep 1
done
su postgres -c "psql -q -p $port -v ON_ERROR_STOP=1" >&2 <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'irmer_test') THEN
    CREATE ROLE irmer_test LOGIN PASSWORD 'irmer_test';
  END IF;
END \$\$;
SELECT 'CREATE DATABASE irmer_test OWNER irmer_test'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'irmer_test') \gexec
SQL
echo "postgres://irmer_test:irmer_test@127.0.0.1:$port/irmer_test"
