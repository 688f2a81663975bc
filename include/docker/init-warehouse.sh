#!/usr/bin/env bash
# Runs once, when the compose PostgreSQL volume is first created (docker-entrypoint-initdb.d):
# the warehouse database and its owner, with the password from KP_WAREHOUSE_PASSWORD (the same
# variable the Airflow services put in KP_WAREHOUSE_URL). Passed as a psql variable, so quoting
# in the password cannot break the statement.
set -euo pipefail
: "${KP_WAREHOUSE_PASSWORD:?set KP_WAREHOUSE_PASSWORD (see .env.example)}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v kp_password="$KP_WAREHOUSE_PASSWORD" <<'SQL'
CREATE USER keyprojects WITH PASSWORD :'kp_password';
CREATE DATABASE keyprojects OWNER keyprojects;
SQL
