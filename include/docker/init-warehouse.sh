#!/usr/bin/env bash
# Runs once, when the compose PostgreSQL volume is first created (docker-entrypoint-initdb.d):
# the warehouse database and two roles, neither a superuser:
#  - keyprojects (password KP_WAREHOUSE_PASSWORD, the same variable the Airflow services put in
#    KP_WAREHOUSE_URL) owns the database and its schema `public`: the pipeline creates and replaces
#    its tables, nothing else;
#  - keyprojects_office (password KP_OFFICE_PASSWORD, in KP_OFFICE_WAREHOUSE_URL) may only read:
#    the office page (报送情况) connects with it.
# Passwords are passed as psql variables, so quoting in a password cannot break the statements.
set -euo pipefail
: "${KP_WAREHOUSE_PASSWORD:?set KP_WAREHOUSE_PASSWORD (see .env.example)}"
: "${KP_OFFICE_PASSWORD:?set KP_OFFICE_PASSWORD (see .env.example)}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v kp_password="$KP_WAREHOUSE_PASSWORD" -v office_password="$KP_OFFICE_PASSWORD" <<'SQL'
CREATE USER keyprojects WITH PASSWORD :'kp_password' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE USER keyprojects_office WITH PASSWORD :'office_password' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE keyprojects OWNER keyprojects;
REVOKE ALL ON DATABASE keyprojects FROM PUBLIC;
GRANT CONNECT ON DATABASE keyprojects TO keyprojects_office;
SQL
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname keyprojects <<'SQL'
ALTER SCHEMA public OWNER TO keyprojects;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO keyprojects_office;
-- tables the pipeline creates later are readable by the office role, and only readable
ALTER DEFAULT PRIVILEGES FOR ROLE keyprojects IN SCHEMA public GRANT SELECT ON TABLES TO keyprojects_office;
SQL
