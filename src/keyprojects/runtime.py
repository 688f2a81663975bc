"""Entry points for the DAGs: settings in, package functions called, small dicts out.

This module: the quarterly DAG's tasks (quarter, arrivals, loads, marts, bulletin, dependents), the
inbox watch's, and what every task module shares (``warehouse()``, ``LoadFailed``). The monthly
DAG's tasks are in ``runtime_monthly``, the office's documents and their delivery in
``runtime_office``. The DAG files stay a few lines per task; everything that touches files or the
warehouse is here or below, so it is tested without Airflow.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from keyprojects import db, quarters, settings
from keyprojects.warehouse import schema

log = logging.getLogger(__name__)


class LoadFailed(RuntimeError):
    """A whole-file fault in the quarter: raised at the end so the run shows red."""


@contextmanager
def warehouse() -> Iterator[tuple[settings.Settings, object]]:
    """The settings and an engine on the warehouse, disposed of afterwards (one per task)."""
    s = settings.load()
    eng = db.make_engine(s.warehouse_url)
    try:
        db.check_reachable(eng)
        yield s, eng
    finally:
        eng.dispose()


def resident_mb() -> float:
    """The process's resident memory in MB (Linux: /proc/self/statm; elsewhere 0)."""
    import os

    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def release_memory(since_mb: float, grown_mb: float = 16.0) -> None:
    """Give back what a task freed when it grew the process by ``grown_mb`` or more since
    ``since_mb`` (``resident_mb()`` at its start): a full collection (pandas and GX leave reference
    cycles), then glibc's ``malloc_trim``. One process runs every task under `dags test` and
    `make demo`, where each reading task's peak stayed resident for the tasks after it (100k rows:
    574 -> 447 MB peak). Small tasks skip it: a collection costs ~0.13 s with Airflow and GX loaded."""
    import ctypes
    import ctypes.util
    import gc

    if resident_mb() - since_mb < grown_mb:
        return
    gc.collect()
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        trim = None
    if trim is not None:
        trim(0)


def resolve_quarter(override, start, end) -> str:
    q = quarters.quarter_from_interval(start, end, override)
    with warehouse() as (s, eng):
        schema.ensure_schema(eng, s.sql)
    log.info("processing %s from %s into %s", q, s.inbox, db.safe_url(s.warehouse_url))
    return q


def load_list(quarter: str, list_name: str, run_id: str | None = None) -> dict:
    from keyprojects.documents import validation_report
    from keyprojects.ingest import loader

    loaded_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    start_mb = resident_mb()
    with warehouse() as (s, eng):
        report = functools.partial(validation_report.write_validation_report, s.output / quarter / "validation")
        result = loader.load_list(eng, s.inbox, quarter, list_name, expectations_dir=s.expectations,
                                  run_id=run_id, loaded_at=loaded_at, report=report)
    r = result.as_dict()
    log.info("%s %s: %s, read %d, loaded %d, rejected %s, skipped %s", quarter, list_name, r["status"],
             r["rows_read"], r["rows_loaded"], r["rows_rejected"], r["rows_skipped"])
    for e in r["errors"] + r["warnings"]:
        log.warning("%s", e)
    r.pop("files", None)
    del result
    release_memory(start_mb)
    from dataclasses import asdict

    from keyprojects.ingest import arrivals
    from keyprojects.operations import alerts

    # the caller (the DAG's task) sends these: a file that stands where a list was expected, not read
    r["alerts"] = [asdict(a) for a in alerts.ignored_alerts(
        r, alerts.report_path(s.output, quarter), arrivals.unit_in_name)]
    with warehouse() as (s, eng), eng.begin() as conn:
        # this list's earlier ignored_file alerts are replaced by the ones of this load
        alerts.close(conn, quarter=quarter, kinds=("ignored_file",), list_name=list_name,
                     closed_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
        if run_id:
            from keyprojects.operations import history

            history.record_loads(conn, s.inbox, quarter, list_name, run_id, _units_by_sha(conn, list_name))
    return r


def _units_by_sha(conn, list_name: str) -> dict[str, list[str]]:
    import json

    rows = db.fetch(conn, "select sha256, units from inbox_file_units where list = :l", l=list_name)
    return {r["sha256"]: json.loads(r["units"]) for r in rows}


def check_loads(loads: list[dict]) -> dict:
    missing = [ld["list"] for ld in loads if ld["status"] == "missing"]
    errors = [e for ld in loads if ld["status"] == "failed" for e in ld["errors"]]
    summary = {
        "quarter": loads[0]["quarter"] if loads else None,
        "missing_lists": missing,
        "failed_files": errors,
        "rows_read": sum(ld["rows_read"] for ld in loads),
        "rows_loaded": sum(ld["rows_loaded"] for ld in loads),
        "rows_rejected": sum(sum(ld["rows_rejected"].values()) for ld in loads),
        "rows_skipped": sum(sum(ld["rows_skipped"].values()) for ld in loads),
    }
    for m in missing:
        log.warning("list %s has not arrived for %s: reported as missing, not as empty", m, summary["quarter"])
    if errors:
        raise LoadFailed("files that could not be loaded (nothing was loaded from them):\n" + "\n".join(errors))
    log.info("quarter summary: %s", summary)
    return summary


def build_marts(quarter: str, run_id: str | None = None, run_end=None) -> dict:
    """Match projects across the lists and replace the quarter's mart rows in one transaction.
    ``run_end``: the run's data interval end (its day in China time dates the bulletin)."""
    from keyprojects.ingest.arrivals import CHINA
    from keyprojects.warehouse import models

    start_mb = resident_mb()
    run_date = None
    if run_end is not None:
        run_date = run_end.astimezone(CHINA).date() if isinstance(run_end, dt.datetime) else run_end
    with warehouse() as (s, eng), eng.begin() as conn:
        summary = models.build_marts(conn, quarter, s.sql, run_id=run_id, run_date=run_date)
        if run_id:
            from keyprojects.operations import history

            history.record_figures(conn, quarter, run_id)
    log.info("marts for %s: %s", quarter, summary)
    release_memory(start_mb)
    return summary


def check_marts(quarter: str) -> dict:
    """Audit the quarter's marts with the suites of expectations/marts; raises
    ``mart_checks.MartCheckFailed`` naming each failed check (nothing is published then)."""
    from keyprojects.warehouse import mart_checks

    with warehouse() as (s, eng):
        summary = mart_checks.check_marts(eng, quarter, s.sql, s.expectations)
    log.info("mart checks for %s passed: %s", quarter, summary)
    return summary


def publish_bulletin(quarter: str, run_id: str | None = None) -> str:
    """Write the quarter's bulletin workbook under KP_OUTPUT/<quarter>/ and return its path; with a
    run id, mark the run successful in ``run_history`` and close the quarter's failure alerts."""
    from keyprojects.documents import bulletin

    with warehouse() as (s, eng):
        path = bulletin.write_bulletin(eng, quarter, s.output)
        if run_id:
            from keyprojects.operations import alerts, history

            with eng.begin() as conn:
                now = history.utc_now_iso()
                history.finish_run(conn, quarter, run_id, "success", now, bulletin=str(path))
                alerts.close(conn, quarter=quarter, kinds=alerts.FAILURE_KINDS, closed_at=now)
    log.info("bulletin for %s: %s", quarter, path)
    return str(path)


# ---------------------------------------------------------------- scheduled operation (issue 9)

class NothingArrived(RuntimeError):
    """No list of the quarter arrived by the deadline: the run publishes nothing."""


def check_arrivals(quarter: str, now: dt.datetime) -> dict:
    """What has arrived for the quarter at ``now`` (the caller's clock) and whether to stop waiting."""
    from keyprojects.ingest import arrivals
    from keyprojects.operations import history

    ops = history.ops_settings()
    start_mb = resident_mb()
    with warehouse() as (s, eng):
        got = arrivals.check(eng, s.inbox, quarter, now, ops.deadline_days)
    log.info("%s", got.summary())
    release_memory(start_mb)  # the unit libraries were read to learn their units
    return got.as_dict()


def record_arrivals(got: dict, run_id: str | None = None, dag_id: str | None = None) -> list[dict]:
    """After the wait: mark the run as running, record what arrived (``inbox_arrivals``), close the
    quarter's earlier late alerts and return the late_list / unit_not_reported alerts to raise.
    Raises ``NothingArrived`` (after recording) when no list arrived."""
    from dataclasses import asdict

    from keyprojects.ingest import arrivals
    from keyprojects.operations import alerts, history

    q = got["quarter"]
    fields = {k: got[k] for k in ("quarter", "now", "deadline", "deadline_passed", "lists_arrived",
                                  "lists_missing", "units_missing", "files")}
    with warehouse() as (s, eng), eng.begin() as conn:
        now = history.utc_now_iso()
        if run_id:
            history.start_run(conn, q, run_id, dag_id, now)
        arrivals.record(conn, arrivals.Arrivals(**fields), run_id)
        alerts.close(conn, quarter=q, kinds=alerts.LATE_KINDS, closed_at=now)
        raised = alerts.late_alerts(got, alerts.report_path(s.output, q))
    if not got["lists_arrived"]:
        raise NothingArrived(
            f"no list of {q} had arrived by the deadline {got['deadline']} (inbox {s.inbox / q}/<list>/ "
            f"empty or absent for all of {', '.join(got['lists_missing'])}): nothing is loaded or published "
            f"for {q}. / {q} 截止 {got['deadline']} 未收到任何清单，本季度不发布通报。")
    for a in raised:
        log.warning("%s", a.message.replace("\n", " | "))
    return [asdict(a) for a in raised]


def changed_quarters() -> list[dict]:
    """Quarters whose inbox files differ from their last successful run's (keyprojects.operations.watch)."""
    from keyprojects.operations import watch

    with warehouse() as (s, eng):
        schema.ensure_schema(eng, s.sql)
        found = watch.changed_quarters(eng, s.inbox)
    for c in found:
        log.warning("%s changed since its last successful run: %s -> rerun %s", c["quarter"],
                    "; ".join(c["changes"]), c["run_id"])
    if not found:
        log.info("no quarter's inbox changed since its last successful run")
    return found


def dependent_quarters(quarter: str, run_id: str | None = None) -> list[dict]:
    """The runs a (re)run of ``quarter`` makes stale, to trigger after it published (issue 14 §5).

    Quarter Q of year Y is read by Q of Y+1 (上年同期, growth, growth rank); the ranking of Y is
    rebuilt by Y's Q4 run itself, and the ranking of Y+1 (上年位次, 位次变化) by the run of Q4 of
    Y+1, which reads Y's ranks after this run replaced them. So the one dependent is Q of Y+1, and
    only once it has been built (its bulletin rows exist): a forward backfill triggers nothing.
    The run id is derived from this run's, so a retried task triggers one run, a new rerun another.
    """
    import hashlib

    dep = quarters.next_year(quarter)
    with warehouse() as (s, eng):
        built = db.fetch(eng, "select count(*) as n from bulletin_unit_quarter where quarter = :q",
                                q=dep)[0]["n"]
    if not built:
        log.info("%s: nothing reads it yet (%s not built): no dependent run", quarter, dep)
        return []
    tag = hashlib.sha1((run_id or "").encode()).hexdigest()[:12]
    log.warning("%s was (re)built: %s reads it (上年同期, growth, ranking) -> trigger its rerun", quarter, dep)
    return [{"quarter": dep, "run_id": f"refresh__{dep}__after__{quarter}__{tag}"}]
