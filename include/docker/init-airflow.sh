#!/usr/bin/env bash
# airflow-init's work in docker-compose.yaml, run once per `docker compose up` before the services:
#  1. as root: make the output folder (a bind mount) and the logs volume writable by AIRFLOW_UID
#     (group 0, as in the official compose file), then drop to AIRFLOW_UID;
#  2. migrate Airflow's metadata database (the FAB auth manager's tables included);
#  3. the role "Office" (办公室): read-only — the office page, the documents, DAGs, runs and logs;
#     it cannot trigger, clear, pause or change anything (README, "Who may log in");
#  4. the first admin, from .env (AIRFLOW_ADMIN_USER / AIRFLOW_ADMIN_PASSWORD), if not there yet;
#  5. the warehouse's tables (python -m keyprojects.cli init-db).
# tests/integration/test_office_fab.py runs steps 2-4 for real against a SQLite metadata database.
set -euo pipefail

if [ "$(id -u)" = "0" ] && [ -n "${AIRFLOW_UID:-}" ]; then
  for d in "${KP_OUTPUT:-/data/output}" "${AIRFLOW_HOME:-/opt/airflow}/logs"; do
    mkdir -p "$d" && chown -R "${AIRFLOW_UID}:0" "$d" && chmod -R g+rwX "$d"
  done
  exec setpriv --reuid="${AIRFLOW_UID}" --regid=0 --clear-groups -- "$0" "$@"
fi

airflow db migrate

ROLE="${KP_OFFICE_ROLE:-Office}"
if ! airflow roles list -o plain | awk '{print $1}' | grep -qx "$ROLE"; then
  airflow roles create "$ROLE"
fi
# read: the page (it asks for DAG runs), the documents, what the UI shows; never edit or create
airflow roles add-perms "$ROLE" -a can_read -r "Website" "DAGs" "DAG Runs" "Task Instances" "Task Logs" \
  "Assets" "DAG Dependencies" "DAG Versions" "DAG Warnings" "XComs" "My Profile" "My Password"
airflow roles add-perms "$ROLE" -a can_edit -r "My Password" "My Profile"
airflow roles add-perms "$ROLE" -a menu_access -r "DAGs" "DAG Runs" "Assets" "Task Instances" "Browse"

: "${AIRFLOW_ADMIN_PASSWORD:?set AIRFLOW_ADMIN_PASSWORD (see .env.example)}"
ADMIN="${AIRFLOW_ADMIN_USER:-admin}"
if ! airflow users list -o plain | awk '{print $2}' | grep -qx "$ADMIN"; then
  airflow users create --role Admin --username "$ADMIN" --password "$AIRFLOW_ADMIN_PASSWORD" \
    --email "${AIRFLOW_ADMIN_EMAIL:-admin@localhost}" --firstname "${ADMIN}" --lastname "keyprojects"
fi

if [ -z "${KP_SKIP_WAREHOUSE_INIT:-}" ]; then
  python -m keyprojects.cli init-db
fi
