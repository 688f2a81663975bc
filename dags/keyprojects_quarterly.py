"""keyprojects_quarterly: one run per quarter (see doc_md). Orchestration only: the work is in the
``keyprojects`` package, imported inside the tasks so that parsing this file stays cheap."""

from __future__ import annotations

import datetime as dt
import os

from airflow.sdk import Asset, CronDataIntervalTimetable, Param, dag, task
from keyprojects_alerts import failure_notifier  # plugins/: alerts table, task log, email via kp_smtp
from keyprojects_connections import use_kp_warehouse  # plugins/: the kp_warehouse connection, if defined

LISTS = ["reserve", "dispatch", "signed", "approved", "energy", "registered"]
# How often a waiting run looks at the inbox again, and the days it may wait after the quarter's end
# (keyprojects.operations.history.ops_settings reads the same variables for the deadline itself).
POKE_SECONDS = int(os.environ.get("KP_SENSOR_POKE_SECONDS") or 1800)
DEADLINE_DAYS = int(os.environ.get("KP_LIST_DEADLINE_DAYS") or 15)
# Downstream DAGs can be scheduled on this Asset; each event's extra holds the quarter and the path.
BULLETIN = Asset(name="keyprojects_quarterly_bulletin", uri="keyprojects://bulletin/quarterly")

DOC = """
### keyprojects_quarterly

Processes one **quarter** of Xinzhou's industrial key-project lists.

* **Which quarter**: the run's data interval (a run over 2022-01-01 → 2022-04-01 is 2022Q1), or the
  run parameter `quarter` (`"2022Q1"`), which overrides it.
* **What it does**: `resolve_quarter` checks the quarter and creates missing warehouse tables;
  `wait_for_lists` (a sensor in reschedule mode: no worker slot is held between looks) waits until
  all six lists and a reserve and a dispatch library from each of the 16 units have arrived, or until
  the deadline, `KP_LIST_DEADLINE_DAYS` (default 15) days after the quarter's end; a past quarter
  never waits. `record_arrivals` records what arrived (`inbox_arrivals`), raises `late_list` /
  `unit_not_reported` alerts for what is missing at the deadline, and fails the run (nothing
  published) when no list arrived at all;
  `load_list` (mapped, one per list: reserve, dispatch, signed, approved, energy, registered) reads
  every file under `$KP_INBOX/<quarter>/<list>/`, validates the rows with the list's Great
  Expectations suite (`expectations/<list>.json`) and replaces that quarter's rows of `stg_<list>`,
  `raw_rows`, `rejected_rows`, `skipped_rows` and `load_audit` in one transaction;
  `check_loads` fails the run when a file could not be read (the message names the file) and
  reports lists that have not arrived; `build_marts` matches each project across the lists and
  replaces the quarter's `bulletin_unit_quarter`, `missed_reports`, `unregistered_projects`,
    checked_marts = check_marts(quarter, marts)
    publish_bulletin(quarter, checked_marts)
    publish_ranking(quarter, rank_year(quarter, checked_marts))
    draft_notice(quarter, checked_marts)
    publish_returns(quarter, checked_marts)
  then `deliver_documents` sends the bulletin, the draft 通报 (and on Q4 the ranking) to the office and
  each 退回清单 to its sender (`config/contacts.toml`), through the connection `kp_smtp`, or without
  it as `.eml` files in `$KP_OUTPUT/<quarter>/outbox/`; each document version once (`deliveries`).
* **Alerts**: a task that fails for good, a late list or unit and failed mart checks are written to
  the warehouse's `alerts` table and the task log, and emailed when the connection `kp_smtp` exists.
  `python -m keyprojects.cli status 2022Q1` shows the quarter's arrivals, rejections, last run
  and open alerts.
* **Where to look**: the bulletin at `$KP_OUTPUT/<quarter>/*.xlsx`; validation reports at
  `$KP_OUTPUT/<quarter>/validation/index.html`; `load_audit` and `rejected_rows` in the warehouse
  (the Airflow connection `kp_warehouse` when defined, else `$KP_WAREHOUSE_URL`). The tasks' extra
  links (plugin `keyprojects_links`) open the validation report, the bulletin and the 退回清单.
* **Rerun a quarter**: clear the run (or `bin/airflow dags test keyprojects_quarterly --conf
  '{"quarter": "2022Q1"}'`). A rerun replaces the quarter's rows: two runs leave what one leaves.
* **What a rerun refreshes**: after publishing, `find_dependents` names the same quarter a year
  later when it has already been built (it reads this quarter as 上年同期; on Q4 its run also
  re-ranks that year, reading the ranks this run just replaced), and `refresh_dependent` triggers
  its run with conf `{"quarter": …}` and run id `refresh__<quarter>__after__<this quarter>__…`.
  A forward backfill triggers nothing (the later quarter is not built yet).
* **Backfill**: `bin/airflow backfill create --dag-id keyprojects_quarterly --from-date 2021-01-01
  --to-date 2022-12-31` (with the scheduler running), or one `dags test` per quarter.
"""


@dag(
    dag_id="keyprojects_quarterly",
    schedule=CronDataIntervalTimetable("0 0 1 1,4,7,10 *", timezone="UTC"),
    start_date=dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc),
    catchup=False,
    max_active_runs=1,
    doc_md=DOC,
    tags=["keyprojects", "quarterly"],
    params={"quarter": Param(None, type=["null", "string"], pattern=r"^\d{4}Q[1-4]$",
                             description="Quarter to process, e.g. 2022Q1; overrides the data interval.")},
    default_args={"retries": 2, "retry_delay": dt.timedelta(minutes=1),
                  "on_execute_callback": use_kp_warehouse, "on_failure_callback": failure_notifier()},
)
def keyprojects_quarterly():
    @task
    def resolve_quarter(params=None, data_interval_start=None, data_interval_end=None) -> str:
        from airflow.sdk.exceptions import AirflowFailException

        from keyprojects import runtime

        try:
            return runtime.resolve_quarter(params.get("quarter"), data_interval_start, data_interval_end)
        except ValueError as exc:  # a bad quarter parameter or interval: retrying cannot help
            raise AirflowFailException(str(exc)) from exc

    @task.sensor(mode="reschedule", poke_interval=POKE_SECONDS, timeout=(DEADLINE_DAYS + 100) * 86400)
    def wait_for_lists(quarter: str):
        from airflow.sdk import PokeReturnValue

        from keyprojects import runtime

        # the sensor's clock is passed in here: the package never reads the wall clock
        got = runtime.check_arrivals(quarter, dt.datetime.now(dt.timezone.utc))
        return PokeReturnValue(is_done=got["done"], xcom_value=got)

    @task(multiple_outputs=False)
    def record_arrivals(arrived: dict) -> dict:
        from airflow.sdk import get_current_context
        from airflow.sdk.exceptions import AirflowFailException
        from keyprojects_alerts import send_alerts

        from keyprojects import runtime

        context = get_current_context()
        try:
            late = runtime.record_arrivals(arrived, run_id=context["run_id"], dag_id=context["dag"].dag_id)
        except runtime.NothingArrived as exc:  # nothing to load: retrying cannot help
            raise AirflowFailException(str(exc)) from exc
        send_alerts(late, context)  # late_list / unit_not_reported: table, log, email
        return {"lists_missing": arrived["lists_missing"], "late_alerts": len(late)}

    @task(max_active_tis_per_dag=2, multiple_outputs=False)
    def load_list(list_name: str, quarter: str, run_id=None) -> dict:
        from airflow.sdk import get_current_context
        from keyprojects_alerts import send_alerts

        from keyprojects import runtime

        result = runtime.load_list(quarter, list_name, run_id=run_id)
        send_alerts(result.pop("alerts", []), get_current_context())  # ignored_file: table, log, email
        return result

    @task(multiple_outputs=False)
    def check_loads(loads: list[dict]) -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        from keyprojects import runtime

        try:
            return runtime.check_loads([loads[i] for i in range(len(loads))])
        except runtime.LoadFailed as exc:  # bad input: retrying cannot help
            raise AirflowFailException(str(exc)) from exc

    @task(multiple_outputs=False)
    def build_marts(quarter: str, _checked: dict, run_id=None, data_interval_end=None) -> dict:
        from keyprojects import runtime

        # the run's interval end dates the bulletin (制表日期), never the clock
        return runtime.build_marts(quarter, run_id=run_id, run_end=data_interval_end)

    @task(multiple_outputs=False)
    def check_marts(quarter: str, _marts: dict) -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        from keyprojects import runtime
        from keyprojects.warehouse import mart_checks

        try:
            return runtime.check_marts(quarter)
        except mart_checks.MartCheckFailed as exc:  # wrong figures: retrying cannot help
            raise AirflowFailException(str(exc)) from exc

    @task(outlets=[BULLETIN])
    def publish_bulletin(quarter: str, _checked: dict, run_id=None, outlet_events=None) -> str:
        from keyprojects import runtime

        path = runtime.publish_bulletin(quarter, run_id=run_id)
        outlet_events[BULLETIN].extra = {"quarter": quarter, "path": path}
        return path

    # The office's documents (year-end ranking on Q4, draft 通报, 退回清单), after the marts.
    @task(multiple_outputs=False)
    def rank_year(quarter: str, _marts: dict, run_id=None) -> dict:
        from keyprojects import runtime_office

        return runtime_office.rank_year(quarter, run_id=run_id)

    @task
    def publish_ranking(quarter: str, ranked: dict) -> str:
        from airflow.sdk.exceptions import AirflowSkipException

        from keyprojects import runtime_office

        if not ranked.get("ranked"):
            raise AirflowSkipException(f"no ranking for {quarter}: {ranked.get('reason')}")
        return runtime_office.publish_ranking(quarter)

    @task
    def draft_notice(quarter: str, _marts: dict) -> str:
        from airflow.sdk.exceptions import AirflowSkipException

        from keyprojects import runtime_office

        path = runtime_office.draft_notice(quarter)
        if path is None:
            raise AirflowSkipException(f"no draft notice for {quarter}: none of its lists has arrived")
        return path

    @task(multiple_outputs=False)
    def publish_returns(quarter: str, _marts: dict) -> dict:
        from keyprojects import runtime_office

        return runtime_office.publish_returns(quarter)

    # Delivery (after every publishing task; skipped ranking is fine, a failed publish is not): the
    # documents to the office and each 退回清单 to its sender, by kp_smtp or into the outbox.
    @task(trigger_rule="none_failed", multiple_outputs=False)
    def deliver_documents(quarter: str, run_id=None) -> dict:
        from airflow.sdk import get_current_context
        from keyprojects_alerts import send_alerts, smtp_settings

        from keyprojects import runtime_office

        got = runtime_office.deliver_quarter(quarter, smtp=smtp_settings(), run_id=run_id)
        send_alerts(got.pop("alerts"), get_current_context())  # delivery_failed: never fails the run
        return got

    # What reads this quarter, once it is published: the same quarter a year later (and through
    # its Q4 run, next year's ranking), rerun only when it was already built.
    @task
    def find_dependents(quarter: str, run_id=None) -> list[dict]:
        from keyprojects import runtime

        return runtime.dependent_quarters(quarter, run_id=run_id)

    @task
    def refresh_dependent(dependent: dict) -> None:
        # the standard provider's operator run inside the task, as in keyprojects_inbox_watch
        from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
        from airflow.sdk import get_current_context

        TriggerDagRunOperator(
            task_id="refresh_dependent", trigger_dag_id="keyprojects_quarterly",
            trigger_run_id=dependent["run_id"], conf={"quarter": dependent["quarter"]},
            skip_when_already_exists=True,
        ).execute(get_current_context())

    quarter = resolve_quarter()
    arrived = record_arrivals(wait_for_lists(quarter))
    loads = load_list.partial(quarter=quarter).expand(list_name=LISTS)
    arrived >> loads
    checked = check_loads(loads)
    marts = build_marts(quarter, checked)
    checked_marts = check_marts(quarter, marts)
    published = publish_bulletin(quarter, checked_marts)
    ranked = rank_year(quarter, checked_marts)
    [published, publish_ranking(quarter, ranked), draft_notice(quarter, checked_marts),
     publish_returns(quarter, checked_marts)] >> deliver_documents(quarter)
    dependents = find_dependents(quarter)
    [published, ranked] >> dependents
    refresh_dependent.expand(dependent=dependents)


quarterly = keyprojects_quarterly()
