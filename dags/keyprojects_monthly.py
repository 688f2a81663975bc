"""keyprojects_monthly: one run per month, the 13710 dispatch (see doc_md). Orchestration only: the
work is in the ``keyprojects`` package, imported inside the tasks so that parsing stays cheap."""

from __future__ import annotations

import datetime as dt

from airflow.sdk import Asset, CronDataIntervalTimetable, Param, dag, task
from keyprojects_alerts import failure_notifier  # plugins/: alerts table, task log, email via kp_smtp
from keyprojects_connections import use_kp_warehouse  # plugins/: the kp_warehouse connection, if defined

# Each event's extra holds the month and the workbook's path.
DISPATCH = Asset(name="keyprojects_monthly_dispatch", uri="keyprojects://dispatch/monthly")

DOC = """
### keyprojects_monthly

Processes one **month** of the 13710 platform's progress exports (the monthly dispatch).

* **Which month**: the run's data interval (a run over 2022-03-01 → 2022-04-01 is `2022-03`), or
  the run parameter `month` (`"2022-03"`), which overrides it.
* **What it does**: `resolve_month` checks the month and creates missing warehouse tables;
  `load_progress` reads every file under `$KP_INBOX/<YYYY>-<MM>/progress/`, validates the rows with
  `expectations/progress.json` (plus: year-to-date not below the previous month's export for the
  same project, `bad_number`) and replaces the month's `stg_progress`, `rejected_rows`,
  `skipped_rows`, `raw_rows` and `load_audit` rows (list `progress`); it fails, publishing
  nothing, when the month's exports have not arrived or a file cannot be read.
  `build_monthly` rebuilds `progress_month`, `progress_review`, `problems`, `problems_month`,
  `department_month`, `progress_unit_month` and `early_warnings` from all loaded months (so the
  order of runs does not matter); `publish_dispatch` writes the workbook and updates the Asset
  `keyprojects_monthly_dispatch` (and writes each 责任单位's open problems to `问题清单/<责任单位>.xlsx`);
  `deliver_documents` sends each 责任单位 its problems and the office the workbook
  (`config/contacts.toml`), through `kp_smtp` or into `$KP_OUTPUT/<YYYY>-<MM>/outbox/`, each
  document version once (`deliveries`).
* **Where to look**: `$KP_OUTPUT/<YYYY>-<MM>/忻州市工业重点项目<YYYY>年<M>月调度通报.xlsx`;
  `load_audit` / `rejected_rows` where `list = 'progress'` and `quarter` = the month.
* **Rerun / backfill**: `bin/airflow dags test keyprojects_monthly --conf '{"month": "2022-03"}'`;
  months may be run in any order, and a rerun changes nothing.
"""


@dag(
    dag_id="keyprojects_monthly",
    schedule=CronDataIntervalTimetable("0 0 1 * *", timezone="UTC"),
    start_date=dt.datetime(2021, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    doc_md=DOC,
    tags=["keyprojects", "monthly", "13710"],
    params={"month": Param(None, type=["null", "string"], pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
                           description="Month to process, e.g. 2022-03; overrides the data interval.")},
    default_args={"retries": 2, "retry_delay": dt.timedelta(minutes=1),
                  "on_failure_callback": failure_notifier(),
                  "on_execute_callback": use_kp_warehouse},
)
def keyprojects_monthly():
    @task(multiple_outputs=False)
    def resolve_month(params=None, data_interval_start=None, data_interval_end=None) -> str:
        from airflow.sdk.exceptions import AirflowFailException

        from keyprojects import runtime_monthly

        try:
            return runtime_monthly.resolve_month(params.get("month"), data_interval_start, data_interval_end)
        except ValueError as exc:  # a bad month parameter or interval: retrying cannot help
            raise AirflowFailException(str(exc)) from exc

    @task(multiple_outputs=False)
    def load_progress(month: str, run_id=None) -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        from keyprojects import runtime, runtime_monthly
        from keyprojects.monthly import dispatch as monthly

        try:
            return runtime_monthly.load_progress(month, run_id=run_id)
        except (monthly.MonthNotArrived, runtime.LoadFailed) as exc:  # bad or absent input
            raise AirflowFailException(str(exc)) from exc

    @task(multiple_outputs=False)
    def build_monthly(month: str, _loaded: dict) -> dict:
        from keyprojects import runtime_monthly

        return runtime_monthly.build_monthly(month)

    @task(outlets=[DISPATCH])
    def publish_dispatch(month: str, _built: dict, outlet_events=None) -> str:
        from keyprojects import runtime_monthly

        path = runtime_monthly.publish_dispatch(month)
        outlet_events[DISPATCH].extra = {"month": month, "path": path}
        return path

    @task(multiple_outputs=False)
    def deliver_documents(month: str, _published: str, run_id=None) -> dict:
        from airflow.sdk import get_current_context
        from keyprojects_alerts import send_alerts, smtp_settings

        from keyprojects import runtime_office

        got = runtime_office.deliver_month(month, smtp=smtp_settings(), run_id=run_id)
        send_alerts(got.pop("alerts"), get_current_context())  # delivery_failed: never fails the run
        return got

    month = resolve_month()
    deliver_documents(month, publish_dispatch(month, build_monthly(month, load_progress(month))))


monthly = keyprojects_monthly()
