# Sourced by bin/airflow and bin/demo: this checkout's Airflow and keyprojects settings (see
# bin/airflow). Expects ROOT (the checkout) and VENV (the virtual environment) to be set.
export KP_HOME="$ROOT"
export KP_INBOX="${KP_INBOX:-$ROOT/data/inbox}"
export KP_OUTPUT="${KP_OUTPUT:-$ROOT/output}"
export KP_WAREHOUSE_URL="${KP_WAREHOUSE_URL:-sqlite:///$ROOT/data/warehouse.db}"
export AIRFLOW_HOME="${KP_AIRFLOW_HOME:-$ROOT/.airflow}"
export AIRFLOW__CORE__DAGS_FOLDER="$ROOT/dags"
export AIRFLOW__CORE__PLUGINS_FOLDER="$ROOT/plugins"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
# The local demo keeps SimpleAuthManager (the FAB auth manager is installed for docker-compose)
export AIRFLOW__CORE__AUTH_MANAGER="${AIRFLOW__CORE__AUTH_MANAGER:-airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager}"
export AIRFLOW__CORE__EXECUTOR="${AIRFLOW__CORE__EXECUTOR:-LocalExecutor}"
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="${AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION:-True}"
# SQLite waits up to 60 s for a lock (the driver's default, 5 s, is too short when the scheduler,
# the API server and a CLI command such as `backfill create` write at the same time)
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:-sqlite:///$AIRFLOW_HOME/airflow.db?timeout=60}"
export AIRFLOW__LOGGING__LOGGING_LEVEL="${AIRFLOW__LOGGING__LOGGING_LEVEL:-WARNING}"
export GX_ANALYTICS_ENABLED=False
export PATH="$VENV/bin:$PATH"
# PostgreSQL metadata: Airflow 3 would derive an asyncpg URL for its async engine (asyncpg is not
# installed); psycopg 3 serves both engines.
case "$AIRFLOW__DATABASE__SQL_ALCHEMY_CONN" in
  postgresql+psycopg://*)
    export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC="${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC:-$AIRFLOW__DATABASE__SQL_ALCHEMY_CONN}" ;;
esac
# CeleryExecutor (opt-in): the machine's Redis as broker, the metadata database as result backend.
if [ "$AIRFLOW__CORE__EXECUTOR" = "CeleryExecutor" ]; then
  export AIRFLOW__CELERY__BROKER_URL="${AIRFLOW__CELERY__BROKER_URL:-redis://127.0.0.1:6379/0}"
  export AIRFLOW__CELERY__RESULT_BACKEND="${AIRFLOW__CELERY__RESULT_BACKEND:-db+$AIRFLOW__DATABASE__SQL_ALCHEMY_CONN}"
fi
