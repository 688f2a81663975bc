#!/usr/bin/env bash
# airflow-init's work in docker-compose.yaml, run once per `docker compose up` before the services:
#  1. as root: make the output folder (a bind mount) and the logs volume writable by AIRFLOW_UID
#     (group 0, as in the official compose file), then drop to AIRFLOW_UID;
#  2. migrate Airflow's metadata database (the FAB auth manager's tables included);
#  3. the role "Office" (办公室): read-only — the office page, the documents, DAGs, runs and logs;
#     it cannot trigger, clear, pause or change anything (README, "Who may log in");
#  4. the first admin, from .env (AIRFLOW_ADMIN_USER / AIRFLOW_ADMIN_PASSWORD), if not there yet
#     (steps 3-4: include/docker/init_office_role.py, one Python process, as the FAB CLI commands do);
#  5. the warehouse's tables (python -m keyprojects.cli init-db).
# tests/integration/test_office_fab.py runs steps 2-5 for real, twice, against SQLite databases.
set -euo pipefail

if [ "$(id -u)" = "0" ] && [ -n "${AIRFLOW_UID:-}" ]; then
  for d in "${KP_OUTPUT:-/data/output}" "${AIRFLOW_HOME:-/opt/airflow}/logs"; do
    mkdir -p "$d" && chown -R "${AIRFLOW_UID}:0" "$d" && chmod -R g+rwX "$d"
  done
  exec setpriv --reuid="${AIRFLOW_UID}" --regid=0 --clear-groups -- "$0" "$@"
fi

airflow db migrate

# steps 3-4 in one Python process (one Airflow start-up, not one per `airflow roles`/`users` command)
python "$(dirname "$0")/init_office_role.py"

if [ -z "${KP_SKIP_WAREHOUSE_INIT:-}" ]; then
  python -m keyprojects.cli init-db
fi
