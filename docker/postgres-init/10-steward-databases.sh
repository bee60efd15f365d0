#!/bin/bash
# Runs once, when the postgresql service initialises an EMPTY data volume (the official
# postgres image executes /docker-entrypoint-initdb.d/* as the superuser). It creates:
#   - role `steward`  + database `steward`                      (Steward's own data, knex migrations)
#   - role `temporal` + databases `temporal`, `temporal_visibility` (Temporal auto-setup's schemas)
# so neither application connects as the superuser. Passwords come from the container's
# environment (see docker-compose.yml). Changing them later does NOT re-run this script:
# use ALTER ROLE, or drop the volume (`docker compose down -v`) to start over.
set -euo pipefail

: "${STEWARD_DB_PASSWORD:?STEWARD_DB_PASSWORD must be set}"
: "${TEMPORAL_DB_PASSWORD:?TEMPORAL_DB_PASSWORD must be set}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v steward_password="$STEWARD_DB_PASSWORD" \
  -v temporal_password="$TEMPORAL_DB_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE steward LOGIN PASSWORD %L', :'steward_password')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'steward')\gexec
SELECT format('CREATE ROLE temporal LOGIN CREATEDB PASSWORD %L', :'temporal_password')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'temporal')\gexec

SELECT 'CREATE DATABASE steward OWNER steward'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'steward')\gexec
SELECT 'CREATE DATABASE temporal OWNER temporal'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'temporal')\gexec
SELECT 'CREATE DATABASE temporal_visibility OWNER temporal'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'temporal_visibility')\gexec
SQL

# Temporal's postgres12 visibility schema needs btree_gin; create it as the superuser so the
# schema tool (running as `temporal`) does not depend on the extension being "trusted".
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname temporal_visibility \
  -c 'CREATE EXTENSION IF NOT EXISTS btree_gin'
