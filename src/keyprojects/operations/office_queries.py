"""报送情况: the queries of the office's read-only page, as plain dicts from the warehouse.

The plugin ``plugins/keyprojects_links.py`` serves it on the API server under
``/keyprojects/office/`` (behind Airflow's login); everything it shows is read here (its HTML,
period names and documents on disk are ``keyprojects.operations.office_page``'s):

* ``periods(engine, inbox, output)``: the quarters and months there is something to show for;
* ``quarter_page(engine, output, quarter, today)``: the 16 units × 储备库/调度库 and the four bureaus'
  lists, each cell 已报送 (time) / 逾期报送 (time) / 未报送 / 退回 N 行; the deadline and the days left;
  the documents; open alerts; the last run; deliveries and 报送质量 where those tables exist;
* ``month_page(engine, output, month)``: the dispatch workbook, open and overdue problems per
  责任单位, the units that did not report, the month's files;
* ``unit_history(engine, quarter, unit)``: every receipt of the unit's files (``load_history``) and
  what changed in its figures between runs (``bulletin_history``).

Times are shown in China time (UTC+8). ``today`` (for the days left) is the caller's: nothing here
reads the clock. Tables that arrive with later releases (``deliveries``, ``submission_quality``)
are read only when they exist; otherwise the page says 暂无.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from keyprojects import LISTS, config, db, quarters
from keyprojects.ingest import arrivals
from keyprojects.operations import alerts, history
from keyprojects.operations.office_page import (
    CHINA,
    china_time,
    documents,
    files,
    is_month,
    is_quarter,
    month_title,
    quarter_title,
)

UNIT_LISTS = ("reserve", "dispatch")
BUREAU_LISTS = tuple(n for n in LISTS if n not in UNIT_LISTS)


# cell state -> (label, CSS class): the README's "what each colour means" names the same four
STATES = {
    "on_time": ("已报送", "ok"),
    "late": ("逾期报送", "late"),
    "missing": ("未报送", "missing"),
    "returned": ("退回", "returned"),
}
RUN_STATES = {"success": "成功", "failed": "失败", "running": "运行中"}
DELIVERY_STATES = {"sent": "已发送", "written": "已写入待发件箱", "failed": "发送失败",
                   "no_contact": "未发送：无联系人"}
ALERT_KINDS = {"failed": "运行失败", "check_failed": "数据检查未通过", "late_list": "清单逾期",
               "unit_not_reported": "单位未报送"}


def _has_table(engine: Engine, name: str) -> bool:
    return inspect(engine).has_table(name)


def _list_titles() -> dict[str, str]:
    specs = config.list_specs()
    return {n: specs[n].title for n in LISTS}


def _list_sources() -> dict[str, str]:
    specs = config.list_specs()
    return {n: specs[n].source for n in LISTS}


# ------------------------------------------------------------------------------------ periods

def _known(engine: Engine, inbox: Path | None, queries: tuple[str, ...], keep) -> list[str]:
    """The periods the queries' single column names, and the inbox's folders, that ``keep`` accepts."""
    found = {v for sql in queries for r in db.fetch(engine, sql) for v in r.values()}
    if inbox is not None and Path(inbox).is_dir():
        found |= {p.name for p in Path(inbox).iterdir() if p.is_dir()}
    return sorted(x for x in found if keep(x))


def known_quarters(engine: Engine, inbox: Path | None = None) -> list[str]:
    """Quarters with a run, a load or an inbox folder: never a month (months share ``load_audit``)."""
    return _known(engine, inbox, ("select distinct quarter from run_history",
                                  "select distinct quarter from load_audit"), is_quarter)


def known_months(engine: Engine, inbox: Path | None = None) -> list[str]:
    """Months with a progress load, a monthly table or an inbox folder."""
    return _known(engine, inbox, ("select distinct quarter from load_audit where list = 'progress'",
                                  "select distinct month from progress_unit_month"), is_month)


def periods(engine: Engine, inbox: Path | None, output: Path) -> dict:
    """The periods to list, newest first, each with a one-line state."""
    last = {r["quarter"]: r for r in db.fetch(engine, """
        select quarter, state, finished_at, started_at from run_history r
        where coalesce(finished_at, started_at) = (select max(coalesce(finished_at, started_at))
                                                   from run_history h where h.quarter = r.quarter)""")}
    missing = defaultdict(int)
    for r in db.fetch(engine, "select quarter, count(*) as n from inbox_arrivals where status = 'missing' "
                              "group by quarter"):
        missing[r["quarter"]] = r["n"]
    open_alerts = defaultdict(int)
    for r in db.fetch(engine, "select coalesce(quarter, month) as period, count(*) as n from alerts "
                              "where status = 'open' group by coalesce(quarter, month)"):
        open_alerts[r["period"]] = r["n"]
    quarters_out = []
    for q in reversed(known_quarters(engine, inbox)):
        run = last.get(q)
        quarters_out.append({"period": q, "title": quarter_title(q), "missing": missing[q],
                             "open_alerts": open_alerts[q],
                             "run_state": RUN_STATES.get(run["state"], run["state"]) if run else "未运行",
                             "run_class": run["state"] if run else "none",
                             "bulletin": bool(files(Path(output) / q, ".xlsx"))})
    months_out = []
    loads = {r["quarter"]: r for r in db.fetch(engine, """
        select quarter, max(loaded_at) as loaded_at, sum(rows_loaded) as rows_loaded from load_audit
        where list = 'progress' group by quarter""")}
    for m in reversed(known_months(engine, inbox)):
        ld = loads.get(m)
        months_out.append({"period": m, "title": month_title(m), "open_alerts": open_alerts[m],
                           "loaded_at": china_time(ld["loaded_at"]) if ld else None,
                           "workbook": bool(files(Path(output) / m, ".xlsx"))})
    return {"quarters": quarters_out, "months": months_out}


# ------------------------------------------------------------------------------------ a quarter

def _rejected_by_sender(engine: Engine, quarter: str) -> dict[tuple[str, str], int]:
    """(sender, list) -> rejected rows, from ``submission_quality`` (their one home: each row read
    counted once, for one sender, by the 退回清单's rule)."""
    return {(r["sender"], r["list"]): int(r["rows_rejected"] or 0) for r in db.fetch(engine, """
        select sender, list, rows_rejected from submission_quality where quarter = :q""", q=quarter)}


def _cell(received: bool, first: str | None, last: str | None, deadline: dt.datetime | None,
          rejected: int) -> dict:
    if not received:
        state = "missing"
    elif rejected:
        state = "returned"
    elif deadline is not None and first and dt.datetime.fromisoformat(first) > deadline:
        state = "late"
    else:
        state = "on_time"
    label, css = STATES[state]
    if state == "returned":
        label = f"退回 {rejected} 行"
    return {"state": state, "label": label, "css": css, "received": china_time(last or first),
            "first_received": china_time(first), "rejected": rejected}


def quarter_page(engine: Engine, output: Path, quarter: str, today: dt.date, deadline_days: int) -> dict:
    """Everything the quarter's page shows (see the module's doc)."""
    quarters.parse_quarter(quarter)
    rows = db.fetch(engine, """
        select list, unit, status, files, first_received, last_received, deadline from inbox_arrivals
        where quarter = :q""", q=quarter)
    recorded = next((r["deadline"] for r in rows if r["deadline"]), None)
    deadline = dt.datetime.fromisoformat(recorded) if recorded else arrivals.deadline(quarter, deadline_days)
    if deadline.tzinfo is None:
        deadline = deadline.replace(tzinfo=CHINA)
    last_day = (deadline.astimezone(CHINA) - dt.timedelta(seconds=1)).date()   # midnight ending that day
    rejected = _rejected_by_sender(engine, quarter)
    arrived = {(r["unit"], r["list"]): r for r in rows}
    submissions = {(r["unit"], r["list"]): r for r in db.fetch(engine, """
        select unit, list, status, files from unit_submissions where quarter = :q""", q=quarter)}
    titles = _list_titles()
    units = []
    for u in config.units():
        cells = []
        for lst in UNIT_LISTS:
            a = arrived.get((u.name, lst))
            s = submissions.get((u.name, lst))
            got = (a is not None and a["status"] == "arrived") or (
                a is None and s is not None and s["status"] == "received")
            cells.append({"list": lst, "title": titles[lst],
                          **_cell(got, a and a["first_received"], a and a["last_received"], deadline,
                                  rejected.get((u.name, lst), 0))})
        units.append({"unit": u.name, "cells": cells})
    sources = _list_sources()
    audit = {r["list"]: r for r in db.fetch(engine, """
        select list, count(*) as files, sum(rows_read) as rows_read, sum(rows_loaded) as rows_loaded,
               sum(rows_rejected) as rows_rejected, max(loaded_at) as loaded_at
        from load_audit where quarter = :q and status <> 'missing' group by list""", q=quarter)}
    bureaus = []
    for lst in BUREAU_LISTS:
        a = arrived.get((None, lst))
        got = (a["status"] == "arrived") if a is not None else lst in audit
        bureaus.append({"list": lst, "title": titles[lst], "sender": sources[lst],
                        "files": (a or {}).get("files") or (audit.get(lst) or {}).get("files") or 0,
                        **_cell(got, a and a["first_received"], a and a["last_received"], deadline,
                                rejected.get((sources[lst], lst), 0))})
    run = history.last_run(engine, quarter)
    counts = defaultdict(int)
    for u in units:
        for c in u["cells"]:
            counts[c["state"]] += 1
    for b in bureaus:
        counts[b["state"]] += 1
    return {
        "period": quarter, "kind": "quarter", "title": quarter_title(quarter),
        "deadline": last_day.isoformat(), "days_left": (last_day - today).days,
        "arrivals_recorded": bool(rows),
        "units": units, "bureaus": bureaus, "counts": dict(counts),
        "late_units": [u["unit"] for u in units if any(c["state"] == "late" for c in u["cells"])],
        "missing_units": [u["unit"] for u in units if any(c["state"] == "missing" for c in u["cells"])],
        "documents": documents(output, quarter),
        "alerts": [{**a, "created_at": china_time(a["created_at"]), "kind_label": ALERT_KINDS.get(a["kind"], a["kind"])}
                   for a in alerts.open_alerts(engine, quarter=quarter)],
        "last_run": _run(run),
        "deliveries": deliveries(engine, quarter),
        "quality": submission_quality(engine, quarter),
    }


def _run(run: dict | None) -> dict | None:
    if run is None:
        return None
    return {"run_id": run["run_id"], "state": run["state"], "state_label": RUN_STATES.get(run["state"], run["state"]),
            "started_at": china_time(run["started_at"]), "finished_at": china_time(run["finished_at"]),
            "message": (run["message"] or "").splitlines()[0][:300] if run["message"] else None}


def deliveries(engine: Engine, period: str) -> list[dict] | None:
    """The period's deliveries (``deliveries``: one row per document version and recipient), or None
    while the table does not exist."""
    if not _has_table(engine, "deliveries"):
        return None
    rows = db.fetch(engine, """
        select document, recipient, status, sent_at, error from deliveries where period = :p
        order by document, recipient""", p=period)
    return [{**r, "sent_at": china_time(r["sent_at"]), "status_label": DELIVERY_STATES.get(r["status"], r["status"])}
            for r in rows]


def submission_quality(engine: Engine, quarter: str, quarters_back: int = 4) -> list[dict] | None:
    """The quarter's 报送质量 per sender and list, with the same sender's rejection rate in the
    quarters before (oldest first): None while the mart does not exist."""
    if not _has_table(engine, "submission_quality"):
        return None
    y, n = quarters.parse_quarter(quarter)
    earlier = []
    for i in range(quarters_back, 0, -1):
        k = y * 4 + n - 1 - i
        earlier.append(f"{k // 4}Q{k % 4 + 1}")
    rows = db.fetch(engine, """
        select quarter, sender, list, on_time, days_late, files, resubmissions, rows_read, rows_loaded,
               rows_rejected, rejection_rate, missed_reports, unregistered_projects
        from submission_quality where quarter = :q order by sender, list""", q=quarter)
    trend = defaultdict(dict)
    for r in db.fetch(engine, f"""
        select quarter, sender, list, rejection_rate, on_time from submission_quality
        where quarter in ({", ".join(f":e{i}" for i in range(len(earlier)))})""",
                      **{f"e{i}": e for i, e in enumerate(earlier)}):
        trend[(r["sender"], r["list"])][r["quarter"]] = r
    titles = _list_titles()
    return [{**r, "title": titles.get(r["list"], r["list"]),
             "trend": [{"quarter": e, "rejection_rate": (trend[(r["sender"], r["list"])].get(e) or {}).get(
                 "rejection_rate")} for e in earlier]} for r in rows]


# ------------------------------------------------------------------------------------ a month

def month_page(engine: Engine, output: Path, month: str) -> dict:
    """Everything the month's page shows (see the module's doc)."""
    quarters.parse_month(month)
    files = db.fetch(engine, """
        select file, status, rows_read, rows_loaded, rows_rejected, loaded_at from load_audit
        where quarter = :m and list = 'progress' order by file""", m=month)
    departments = db.fetch(engine, """
        select department, open_problems, overdue_problems, closed_problems from department_month
        where month = :m order by overdue_problems desc, open_problems desc, department""", m=month)
    reported = db.fetch(engine, """
        select unit, reported, projects, library_status from progress_unit_month where month = :m
        order by unit_order""", m=month)
    overdue = db.fetch(engine, """
        select pm.department, p.unit, p.project_name, p.description, pm.settle_by, pm.days_overdue
        from problems_month pm join problems p on p.problem_id = pm.problem_id
        where pm.month = :m and pm.overdue = 1
        order by pm.department, pm.days_overdue desc, p.unit, p.project_name""", m=month)
    return {
        "period": month, "kind": "month", "title": month_title(month),
        "files": [{**f, "loaded_at": china_time(f["loaded_at"])} for f in files],
        "departments": departments,
        "overdue": overdue,
        "not_reported": [r["unit"] for r in reported if not r["reported"]],
        "units_known": bool(reported),
        "documents": documents(output, month),
        "alerts": [{**a, "created_at": china_time(a["created_at"]), "kind_label": ALERT_KINDS.get(a["kind"], a["kind"])}
                   for a in alerts.open_alerts(engine, month=month)],
        "deliveries": deliveries(engine, month),
    }


# ------------------------------------------------------------------------------------ a unit's history

def unit_history(engine: Engine, quarter: str, unit: str) -> dict:
    """Every receipt of the unit's files in the quarter (one row per run and file, from
    ``load_history``) and its figures per run with what changed since the run before."""
    quarters.parse_quarter(quarter)
    if unit not in {u.name for u in config.units()}:
        raise KeyError(unit)
    loads = []
    for r in db.fetch(engine, """
        select h.run_id, r.state, r.started_at, h.list, h.file, h.file_mtime, h.sha256, h.status,
               h.rows_read, h.rows_loaded, h.rows_rejected, h.units
        from load_history h left join run_history r on r.quarter = h.quarter and r.run_id = h.run_id
        where h.quarter = :q and h.list in ('reserve', 'dispatch')
        order by r.started_at, h.list, h.file""", q=quarter):
        names = json.loads(r["units"]) if r["units"] else []
        if unit in names:
            loads.append({**r, "received": china_time(r["file_mtime"]), "started_at": china_time(r["started_at"]),
                          "state_label": RUN_STATES.get(r["state"], r["state"] or "—"),
                          "sha": (r["sha256"] or "")[:12], "list_title": _list_titles()[r["list"]]})
    cols = history.FIGURE_COLUMNS
    figures = db.fetch(engine, f"""
        select r.run_id, r.state, r.finished_at, {", ".join("b." + c for c in cols)}
        from bulletin_history b join run_history r on r.quarter = b.quarter and r.run_id = b.run_id
        where b.quarter = :q and b.unit = :u
        order by coalesce(r.finished_at, r.started_at)""", q=quarter, u=unit)
    runs, before = [], None
    for f in figures:
        changes = []
        if before is not None:
            for c in cols:
                if f[c] != before[c]:
                    changes.append({"figure": FIGURE_LABELS[c], "before": _fmt(before[c], c), "after": _fmt(f[c], c)})
        runs.append({"run_id": f["run_id"], "state_label": RUN_STATES.get(f["state"], f["state"]),
                     "finished_at": china_time(f["finished_at"]),
                     "figures": [{"figure": FIGURE_LABELS[c], "value": _fmt(f[c], c)} for c in cols],
                     "changes": changes, "first": before is None})
        before = f
    return {"period": quarter, "title": quarter_title(quarter), "unit": unit, "loads": loads, "runs": runs}


FIGURE_LABELS = {"dispatch_projects": "调度库项目数", "dispatch_total_investment": "调度库总投资（万元）",
                 "industrial_investment": "工业投资（万元）", "industrial_growth": "工业投资增速",
                 "renovation_investment": "技改投资（万元）", "renovation_growth": "技改投资增速",
                 "start_rate": "开复工率", "registration_rate": "规范入统率", "missed_reports": "漏报项目数"}
_RATES = {"industrial_growth", "renovation_growth", "start_rate", "registration_rate"}


def _fmt(value, column: str) -> str:
    if value is None:
        return "—"
    if column in _RATES:
        return f"{value * 100:.1f}%"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)
