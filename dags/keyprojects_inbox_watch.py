"""keyprojects_inbox_watch: reruns a quarter when its inbox files change (see doc_md)."""

from __future__ import annotations

import datetime as dt

from airflow.sdk import dag, task
from keyprojects_alerts import failure_notifier  # plugins/: alerts table, task log, email via kp_smtp
from keyprojects_connections import use_kp_warehouse  # plugins/: the kp_warehouse connection, if defined

DOC = """
### keyprojects_inbox_watch

Every 30 minutes, compares each quarter's inbox files (`$KP_INBOX/<quarter>/<list>/…`: names and
sha256, with size and modification time as a cheap pre-check) with what that quarter's **last
successful run** of `keyprojects_quarterly` loaded (the warehouse's `load_history` and `run_history`).

* `find_changed_quarters` lists the quarters whose files were added, removed or changed since then
  (the log names each file). Nothing is hashed when names, sizes and times are unchanged.
* `trigger_rerun` (mapped, one per changed quarter) triggers `keyprojects_quarterly` with
  conf `{"quarter": …}` and the run id `inbox_change__<quarter>__<fingerprint>`: one set of files
  triggers one rerun, even if that rerun fails (fix the file and it is triggered again).
* Quarters that never had a successful run are left to their scheduled run or a backfill.

History: `load_history` keeps every run's per-file rows with the file's receipt time
(`file_mtime`); `bulletin_history` keeps every run's unit figures (README, "Operations").
"""


@dag(
    dag_id="keyprojects_inbox_watch",
    schedule="*/30 * * * *",
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
    catchup=False,
    max_active_runs=1,
    doc_md=DOC,
    tags=["keyprojects", "operations"],
    default_args={"retries": 1, "retry_delay": dt.timedelta(minutes=2),
                  "on_failure_callback": failure_notifier(),
                  "on_execute_callback": use_kp_warehouse},
)
def keyprojects_inbox_watch():
    @task
    def find_changed_quarters() -> list[dict]:
        from keyprojects import runtime

        return [{"quarter": c["quarter"], "run_id": c["run_id"]} for c in runtime.changed_quarters()]

    @task
    def trigger_rerun(change: dict) -> None:
        # the standard provider's TriggerDagRunOperator, run inside the task (importing it at the top
        # would make parsing this file slow): it asks Airflow to create the run and returns.
        from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
        from airflow.sdk import get_current_context

        TriggerDagRunOperator(
            task_id="trigger_rerun", trigger_dag_id="keyprojects_quarterly", trigger_run_id=change["run_id"],
            conf={"quarter": change["quarter"]}, skip_when_already_exists=True,
        ).execute(get_current_context())

    trigger_rerun.expand(change=find_changed_quarters())


inbox_watch = keyprojects_inbox_watch()
