"""Entry points for the office's documents and their delivery: the year's ranking, the draft 通报,
the 退回清单, and the delivery of a quarter's documents (quarterly DAG) and of a month's (monthly
DAG) to their readers; settings in, small dicts out.
"""

from __future__ import annotations

import datetime as dt
import logging

from keyprojects import db, quarters, settings
from keyprojects.runtime import warehouse
from keyprojects.warehouse import schema

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------
# The office's documents (ranking, draft 通报, 退回清单): see ranking_workbook.py, notice.py, returns.py


def _any_list_arrived(eng, quarter: str) -> bool:
    """contract.md: nothing is published for a quarter none of whose lists has arrived."""
    return bool(db.fetch(eng, "SELECT 1 AS x FROM load_audit WHERE quarter = :q AND status = 'loaded'",
                                q=quarter))


def rank_year(quarter: str, run_id: str | None = None) -> dict:
    """On a year's Q4 run, replace the year's ranking_unit_year rows; other quarters touch nothing
    (nor does a Q4 none of whose lists has arrived)."""
    from keyprojects.warehouse import ranking

    with warehouse() as (s, eng), eng.begin() as conn:
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
    with warehouse() as (s, eng):
        path = ranking_workbook.write_ranking(eng, quarters.parse_quarter(quarter)[0], s.output)
    log.info("ranking workbook for %s: %s", quarter, path)
    return str(path)


def draft_notice(quarter: str) -> str | None:
    """Write the quarter's draft 通报 (.docx) under KP_OUTPUT/<quarter>/ and return its path; None
    (nothing written) when none of the quarter's lists has arrived."""
    from keyprojects.documents import notice

    with warehouse() as (s, eng):
        if not _any_list_arrived(eng, quarter):
            log.warning("no draft notice for %s: none of its lists has arrived", quarter)
            return None
        path = notice.write_notice(eng, quarter, s.output)
    log.info("draft notice for %s: %s", quarter, path)
    return str(path)


def publish_returns(quarter: str) -> dict:
    """Write KP_OUTPUT/<quarter>/退回清单/<unit or bureau>.xlsx for every sender with rejected rows."""
    from keyprojects.documents import returns

    with warehouse() as (s, eng):
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
    with warehouse() as (s, eng):
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
    with warehouse() as (s, eng):
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
