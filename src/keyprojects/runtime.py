"""Entry points for the DAGs: settings in, package functions called, small dicts out.

The DAG files stay a few lines per task; everything that touches files or the warehouse is here
or below, so it is tested without Airflow.
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
def _warehouse() -> Iterator[tuple[settings.Settings, object]]:
    """The settings and an engine on the warehouse, disposed of afterwards (one per task)."""
    s = settings.load()
    eng = db.make_engine(s.warehouse_url)
    try:
        db.check_reachable(eng)
        yield s, eng
    finally:
        eng.dispose()


def resolve_quarter(override, start, end) -> str:
    q = quarters.quarter_from_interval(start, end, override)
    with _warehouse() as (s, eng):
        schema.ensure_schema(eng, s.sql)
    log.info("processing %s from %s into %s", q, s.inbox, db.safe_url(s.warehouse_url))
    return q


def load_list(quarter: str, list_name: str, run_id: str | None = None) -> dict:
    from keyprojects.documents import validation_report
    from keyprojects.ingest import loader

    loaded_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    with _warehouse() as (s, eng):
        report = functools.partial(validation_report.write_validation_report, s.output / quarter / "validation")
        result = loader.load_list(eng, s.inbox, quarter, list_name, expectations_dir=s.expectations,
                                  run_id=run_id, loaded_at=loaded_at, report=report)
    r = result.as_dict()
    log.info("%s %s: %s, read %d, loaded %d, rejected %s, skipped %s", quarter, list_name, r["status"],
             r["rows_read"], r["rows_loaded"], r["rows_rejected"], r["rows_skipped"])
    for e in r["errors"] + r["warnings"]:
        log.warning("%s", e)
    r.pop("files", None)
    from dataclasses import asdict

    from keyprojects.ingest import arrivals
    from keyprojects.operations import alerts

    # the caller (the DAG's task) sends these: a file that stands where a list was expected, not read
    r["alerts"] = [asdict(a) for a in alerts.ignored_alerts(
        r, alerts.report_path(s.output, quarter), arrivals.unit_in_name)]
    with _warehouse() as (s, eng), eng.begin() as conn:
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

    run_date = None
    if run_end is not None:
        run_date = run_end.astimezone(CHINA).date() if isinstance(run_end, dt.datetime) else run_end
    with _warehouse() as (s, eng), eng.begin() as conn:
        summary = models.build_marts(conn, quarter, s.sql, run_id=run_id, run_date=run_date)
        if run_id:
            from keyprojects.operations import history

            history.record_figures(conn, quarter, run_id)
    log.info("marts for %s: %s", quarter, summary)
    return summary


def check_marts(quarter: str) -> dict:
    """Audit the quarter's marts with the suites of expectations/marts; raises
    ``mart_checks.MartCheckFailed`` naming each failed check (nothing is published then)."""
    from keyprojects.warehouse import mart_checks

    with _warehouse() as (s, eng):
        summary = mart_checks.check_marts(eng, quarter, s.sql, s.expectations)
    log.info("mart checks for %s passed: %s", quarter, summary)
    return summary


def publish_bulletin(quarter: str, run_id: str | None = None) -> str:
    """Write the quarter's bulletin workbook under KP_OUTPUT/<quarter>/ and return its path; with a
    run id, mark the run successful in ``run_history`` and close the quarter's failure alerts."""
    from keyprojects.documents import bulletin

    with _warehouse() as (s, eng):
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
    with _warehouse() as (s, eng):
        got = arrivals.check(eng, s.inbox, quarter, now, ops.deadline_days)
    log.info("%s", got.summary())
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
    with _warehouse() as (s, eng), eng.begin() as conn:
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

    with _warehouse() as (s, eng):
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
    with _warehouse() as (s, eng):
        built = db.fetch(eng, "select count(*) as n from bulletin_unit_quarter where quarter = :q",
                                q=dep)[0]["n"]
    if not built:
        log.info("%s: nothing reads it yet (%s not built): no dependent run", quarter, dep)
        return []
    tag = hashlib.sha1((run_id or "").encode()).hexdigest()[:12]
    log.warning("%s was (re)built: %s reads it (上年同期, growth, ranking) -> trigger its rerun", quarter, dep)
    return [{"quarter": dep, "run_id": f"refresh__{dep}__after__{quarter}__{tag}"}]


# ------------------------------------------------------------------ the monthly 13710 dispatch

def resolve_month(override, start, end) -> str:

    m = quarters.month_from_interval(start, end, override)
    with _warehouse() as (s, eng):
        schema.ensure_schema(eng, s.sql)
    log.info("processing month %s from %s", m, s.inbox)
    return m


def load_progress(month: str, run_id: str | None = None) -> dict:
    """Load the month's 13710 exports; MonthNotArrived / LoadFailed when there is nothing to publish."""
    from keyprojects.monthly import dispatch

    loaded_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with _warehouse() as (s, eng):
        result = dispatch.load_month(eng, s.inbox, month, expectations_dir=s.expectations, run_id=run_id,
                                    loaded_at=loaded_at)
    r = result.as_dict()
    log.info("%s progress: read %d, loaded %d, rejected %s, skipped %s", month, r["rows_read"],
             r["rows_loaded"], r["rows_rejected"], r["rows_skipped"])
    for w in r["warnings"]:
        log.warning("%s", w)
    if r["errors"]:
        raise LoadFailed("files that could not be loaded (nothing was loaded from them):\n" + "\n".join(r["errors"]))
    r.pop("files", None)
    return r


def build_monthly(month: str) -> dict:
    """Rebuild the monthly tables (all loaded months) in one transaction."""
    from keyprojects.monthly import dispatch

    with _warehouse() as (s, eng), eng.begin() as conn:
        summary = dispatch.build_monthly(conn, s.sql)
    log.info("monthly tables after %s: %s", month, summary)
    return summary


def publish_dispatch(month: str) -> str:
    """Write the month's dispatch workbook under KP_OUTPUT/<YYYY-MM>/ (and each 责任单位's open problems
    under 问题清单/) and return the workbook's path."""
    from keyprojects.documents import dispatch_workbook

    with _warehouse() as (s, eng):
        path = dispatch_workbook.write_dispatch(eng, month, s.output)
        lists = dispatch_workbook.write_department_problems(eng, month, s.output)
    log.info("dispatch workbook for %s: %s; 问题清单 for %d 责任单位", month, path, len(lists))
    return str(path)


# --------------------------------------------------------------------------------------------
# The office's documents (ranking, draft 通报, 退回清单): see ranking.py, notice.py (+ notice_text.py), returns.py


def _any_list_arrived(eng, quarter: str) -> bool:
    """contract.md: nothing is published for a quarter none of whose lists has arrived."""
    return bool(db.fetch(eng, "SELECT 1 AS x FROM load_audit WHERE quarter = :q AND status = 'loaded'",
                                q=quarter))


def rank_year(quarter: str, run_id: str | None = None) -> dict:
    """On a year's Q4 run, replace the year's ranking_unit_year rows; other quarters touch nothing
    (nor does a Q4 none of whose lists has arrived)."""
    from keyprojects.warehouse import ranking

    with _warehouse() as (s, eng), eng.begin() as conn:
        if ranking.is_ranking_quarter(quarter) and not _any_list_arrived(conn, quarter):
            return {"quarter": quarter, "ranked": False, "reason": "none of the quarter's lists has arrived"}
        summary = ranking.rank_year(conn, quarter, s.sql, run_id=run_id)
    log.info("ranking for %s: %s", quarter, summary)
    return summary


def publish_ranking(quarter: str) -> str | None:
    """Write the year's ranking workbook on the ranking quarter's run; None on other quarters."""
    from keyprojects.documents import ranking_workbook
    from keyprojects.warehouse import ranking

    if not ranking.is_ranking_quarter(quarter):
        return None
    with _warehouse() as (s, eng):
        path = ranking_workbook.write_ranking(eng, quarters.parse_quarter(quarter)[0], s.output)
    log.info("ranking workbook for %s: %s", quarter, path)
    return str(path)


def draft_notice(quarter: str) -> str | None:
    """Write the quarter's draft 通报 (.docx) under KP_OUTPUT/<quarter>/ and return its path; None
    (nothing written) when none of the quarter's lists has arrived."""
    from keyprojects.documents import notice

    with _warehouse() as (s, eng):
        if not _any_list_arrived(eng, quarter):
            log.warning("no draft notice for %s: none of its lists has arrived", quarter)
            return None
        path = notice.write_notice(eng, quarter, s.output)
    log.info("draft notice for %s: %s", quarter, path)
    return str(path)


def publish_returns(quarter: str) -> dict:
    """Write KP_OUTPUT/<quarter>/退回清单/<unit or bureau>.xlsx for every sender with rejected rows."""
    from keyprojects.documents import returns

    with _warehouse() as (s, eng):
        paths = returns.write_returns(eng, quarter, s.output)
    log.info("退回清单 for %s: %d workbooks in %s", quarter, len(paths), s.output / quarter / returns.FOLDER)
    # ASCII keys: a task's dict result becomes XCom keys (sent in a URL)
    return {"quarter": quarter, "folder": str(s.output / quarter / returns.FOLDER),
            "workbooks": [str(p) for p in paths.values()]}


# --------------------------------------------------------------------------------------------
# Delivery (issue 18 §1): the published documents sent to their readers, each version once.

def _transport(smtp: dict | None):
    from keyprojects.operations import delivery

    return delivery.smtp_transport(smtp)


def _sender(s: settings.Settings, smtp: dict | None) -> str | None:
    return (smtp or {}).get("from_email") or s.alert_from


def _delivered(kind: str, period: str, result, s: settings.Settings, run_id: str | None) -> dict:
    """Log the result; close the period's delivery alerts when nothing failed; the alerts to raise."""
    from dataclasses import asdict

    from keyprojects.operations import alerts, history

    out = result.as_dict()
    for m in out["messages"]:
        log.info("%s", m)
    if out["no_contact"]:
        log.warning("%s: no contact (未发送：无联系人) for %s", period, "、".join(out["no_contact"]))
    key = {"quarter": period} if kind == "quarter" else {"month": period}
    raised = alerts.delivery_alerts(out["failed"], report=alerts.report_path(s.output, period), **key)
    if not raised:
        eng = db.make_engine(s.warehouse_url)
        try:
            with eng.begin() as conn:
                alerts.close(conn, kinds=("delivery_failed",), closed_at=history.utc_now_iso(), **key)
        finally:
            eng.dispose()
    out["alerts"] = [asdict(a) for a in raised]
    log.info("deliveries of %s: %d messages, %d documents, %d failed, no contact: %s", period,
             out["messages_sent"], out["documents_delivered"], len(out["failed"]), out["no_contact"])
    return out


def deliver_quarter(quarter: str, smtp: dict | None = None, run_id: str | None = None,
                    now: dt.datetime | None = None) -> dict:
    """After publishing: the bulletin, the draft 通报 (and on Q4 the ranking) to the office, with
    the 总体情况 paragraph as body; each sender's 退回清单 to that sender. Through SMTP when ``smtp``
    (the ``kp_smtp`` connection's settings) is given, else into ``<KP_OUTPUT>/<quarter>/outbox/``.
    Never raises for a failed send: the failures come back as ``alerts`` to raise."""
    from collections import Counter

    from keyprojects import config
    from keyprojects.documents import look, notice, notice_text, office, ranking_workbook, returns
    from keyprojects.operations import delivery
    from keyprojects.warehouse import ranking

    now = now or dt.datetime.now(dt.UTC)
    with _warehouse() as (s, eng):
        schema.ensure_schema(eng, s.sql)
        folder = s.output / quarter
        who = delivery.contacts()
        label = look.quarter_label(quarter)
        items = []
        docs = [folder / look.bulletin_filename(quarter), folder / notice.notice_filename(quarter)]
        if ranking.is_ranking_quarter(quarter):
            year = quarters.parse_quarter(quarter)[0]
            docs.append(s.output / str(year) / ranking_workbook.ranking_filename(year))
        if any(p.exists() for p in docs):
            try:
                overview = notice_text.overview_text(eng, quarter)
            except LookupError:
                overview = "（本季度汇总数据暂缺）"
            items.append(delivery.Outgoing(who.office_name, "office_quarter", docs,
                                           {"period_label": label, "overview": overview}))
        cfg = delivery.delivery_config()
        due = quarters.quarter_end(quarter) + dt.timedelta(
            days=s.deadline_days + int(cfg.get("returns", {}).get("due_days_after_deadline", 10)))
        specs = config.list_specs()
        counts: dict[str, Counter] = {}
        for r in returns.read_rejections(eng, quarter):
            counts.setdefault(r["sender"], Counter())[r["list"]] += 1
        for sender in sorted(counts):
            path = folder / returns.FOLDER / f"{returns.safe_filename(sender)}.xlsx"
            lines = "\n".join(f"  {specs[n].title}：{counts[sender][n]}行" for n in specs if counts[sender][n])
            items.append(delivery.Outgoing(sender, "returns", [path], {
                "period_label": label, "counts": lines, "due": office.cn_date(due)}))
        result = delivery.deliver(eng, quarter, items, s.output, transport=_transport(smtp),
                                  sender=_sender(s, smtp), now=now, run_id=run_id)
    return _delivered("quarter", quarter, result, s, run_id)


def deliver_month(month: str, smtp: dict | None = None, run_id: str | None = None,
                  now: dt.datetime | None = None) -> dict:
    """After the dispatch workbook: to each 责任单位 its open and overdue problems (its rows of 问题清单
    as its own workbook, ``<KP_OUTPUT>/<month>/问题清单/``, written by ``publish_dispatch``), and the
    dispatch workbook to the office."""
    from keyprojects.documents import dispatch_workbook
    from keyprojects.operations import delivery

    now = now or dt.datetime.now(dt.UTC)
    with _warehouse() as (s, eng):
        schema.ensure_schema(eng, s.sql)
        who = delivery.contacts()
        label = dispatch_workbook.month_label(month)
        items = [delivery.Outgoing(who.office_name, "office_month",
                                   [s.output / month / dispatch_workbook.dispatch_filename(month)],
                                   {"period_label": label})]
        problems = dispatch_workbook.department_problems(dispatch_workbook.read_month(eng, month))
        for department, rows in problems.items():
            path = s.output / month / dispatch_workbook.PROBLEMS_FOLDER / dispatch_workbook.department_filename(
                department)
            items.append(delivery.Outgoing(department, "problems", [path], {
                "period_label": label, "open": len(rows), "overdue": sum(1 for p in rows if p["overdue"])}))
        result = delivery.deliver(eng, month, items, s.output, transport=_transport(smtp),
                                  sender=_sender(s, smtp), now=now, run_id=run_id)
    return _delivered("month", month, result, s, run_id)
