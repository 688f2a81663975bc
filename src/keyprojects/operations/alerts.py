"""Alerts: bilingual (Chinese / English) messages, the ``alerts`` table (contract.md), open/closed.

Kinds: ``failed`` (a task of the run failed for good), ``check_failed`` (the marts' checks failed:
task ``check_marts``), ``late_list`` (a list had not arrived at the deadline), ``unit_not_reported``
(a unit's reserve or dispatch library had not arrived at the deadline), ``ignored_file`` (a file in a
list folder whose content is not a table, so it was not read; hidden and lock files raise none). A quarter none of whose
lists arrived fails its run: a ``failed`` alert whose message says so.

An alert is ``open`` until a later run of the same period no longer has the fault: the next
arrival check closes the period's late_list / unit_not_reported alerts before raising what is still
missing, and a successful run closes the period's failure alerts. Sending (log, email) is the
caller's (the Airflow notifier in ``plugins/keyprojects_alerts.py``); this module knows nothing of
Airflow. ``created_at`` / ``closed_at`` are metadata timestamps passed in by the caller.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from keyprojects import config, db

KINDS = ("failed", "check_failed", "late_list", "unit_not_reported", "delivery_failed", "ignored_file")
LATE_KINDS = ("late_list", "unit_not_reported")
FAILURE_KINDS = ("failed", "check_failed")

_KIND_TEXT = {
    "failed": ("运行失败", "run failed"),
    "check_failed": ("数据检查未通过", "mart checks failed"),
    "late_list": ("清单逾期未报", "list late"),
    "unit_not_reported": ("单位逾期未报", "unit not reported"),
    "delivery_failed": ("文件发送失败", "delivery failed"),
    "ignored_file": ("文件无法作为清单读取", "file not read as a list"),
}


@dataclass
class Alert:
    kind: str
    message: str
    subject: str
    quarter: str | None = None
    month: str | None = None
    list: str | None = None
    unit: str | None = None
    file: str | None = None
    task_id: str | None = None
    report: str | None = None


def report_path(output: Path, period: str | None) -> str | None:
    """The period's validation report (the link every message carries)."""
    if not period:
        return None
    return (Path(output) / period / "validation" / "index.html").resolve().as_uri()


def _list_label(name: str | None) -> str:
    if not name:
        return "—"
    spec = config.list_specs().get(name)
    return f"{name} ({spec.title}, {spec.source})" if spec else name


def compose(kind: str, *, quarter: str | None = None, month: str | None = None, list_name: str | None = None,
            unit: str | None = None, file: str | None = None, reason_zh: str, reason_en: str,
            report: str | None = None, task_id: str | None = None) -> Alert:
    """An alert whose message names the period, list, file and reason in Chinese and English."""
    if kind not in KINDS:
        raise ValueError(f"unknown alert kind {kind!r}; expected one of {', '.join(KINDS)}")
    zh, en = _KIND_TEXT[kind]
    period = quarter or month or "—"
    what = " ".join(x for x in (list_name, unit) if x)
    subject = f"[keyprojects] {period} {zh} / {en}" + (f": {what}" if what else "")
    lines = [
        f"{zh} / {en}",
        f"季度/月份 Period: {period}",
        f"清单 List: {_list_label(list_name)}",
    ]
    if unit:
        lines.append(f"单位 Unit: {unit}")
    lines += [
        f"文件 File: {file or '—'}",
        f"原因: {reason_zh}",
        f"Reason: {reason_en}",
    ]
    if task_id:
        lines.append(f"任务 Task: {task_id}")
    lines.append(f"验证报告 Validation report: {report or '—'}")
    return Alert(kind=kind, message="\n".join(lines), subject=subject, quarter=quarter, month=month,
                 list=list_name, unit=unit, file=file, task_id=task_id, report=report)


def late_alerts(arrivals: dict, report: str | None) -> list[Alert]:
    """late_list / unit_not_reported alerts for what had not arrived at the deadline
    (``arrivals`` is ``Arrivals.as_dict()``); none before the deadline."""
    if not arrivals["deadline_passed"]:
        return []
    q, due = arrivals["quarter"], arrivals["deadline"]
    out = []
    for name in arrivals["lists_missing"]:
        out.append(compose(
            "late_list", quarter=q, list_name=name, report=report,
            reason_zh=f"截止 {due} 仍未收到该清单（收件箱 {q}/{name}/ 为空或不存在）；本次运行按已到清单继续，"
                      "漏报、入统等数字不含该清单。",
            reason_en=f"not received by the deadline {due} (inbox folder {q}/{name}/ empty or absent); "
                      "the run goes on with the lists that arrived and its figures lack this list."))
    for name, units in arrivals["units_missing"].items():
        if name in arrivals["lists_missing"]:
            continue   # the whole list is late: one late_list alert says it
        for unit in units:
            out.append(compose(
                "unit_not_reported", quarter=q, list_name=name, unit=unit, report=report,
                reason_zh=f"截止 {due} 未收到{unit}的{_list_label(name)}（收件箱中没有任何文件的单位列为该单位）。",
                reason_en=f"no {name} library from {unit} by the deadline {due} (no inbox file of "
                          f"{q}/{name}/ names this unit in its unit column)."))
    return out


def ignored_alerts(load: dict, report: str | None, units_in_name=None) -> list[Alert]:
    """An ``ignored_file`` alert for every file of a list folder that is not read (its content is not a
    table: a PDF, a Word letter, an image …), so that a sender whose only file is unreadable is told
    so, not reported as "nothing arrived"; hidden, lock and system files (``quiet``) raise none.
    ``units_in_name``: a function giving the units a file name names (the alert's unit)."""
    out = []
    for ig in load.get("ignored", ()):
        if ig.get("quiet"):
            continue
        units = list(units_in_name(ig["file"])) if units_in_name else []
        # a drop-folder file (``../x``) stands in the quarter's folder, not in the list's
        where = f"{load['quarter']}/" if ig["file"].startswith("../") else f"{load['quarter']}/{load['list']}/"
        out.append(compose(
            "ignored_file", quarter=load["quarter"], list_name=load["list"], unit=units[0] if units else None,
            file=ig["file"], report=report,
            reason_zh=f"收件箱 {where} 中的文件未读取：{ig['reason_zh']}。"
                      "如这是报送的清单，请报送单位另存为 .xlsx 后重新报送。",
            reason_en=f"a file in {where} was not read: {ig['reason_en']}. If it is "
                      "the sender's list, ask them to save it as .xlsx and send it again."))
    return out


def failure_alert(*, task_id: str, error: str, quarter: str | None, month: str | None,
                  report: str | None) -> Alert:
    """The alert for a task that failed for good; ``check_failed`` for the marts' checks."""
    kind = "check_failed" if task_id.startswith("check_marts") else "failed"
    file = None
    for token in str(error).replace("\n", " ").split():
        if token.lower().rstrip(":,").endswith((".xlsx", ".xls", ".csv", ".xlsm")):
            file = token.rstrip(":,")
            break
    return compose(kind, quarter=quarter, month=month, file=file, report=report, task_id=task_id,
                   reason_zh=f"任务 {task_id} 失败：{error}",
                   reason_en=f"task {task_id} failed: {error}")


def delivery_alerts(failed: list[dict], *, quarter: str | None = None, month: str | None = None,
                    report: str | None = None) -> list[Alert]:
    """``delivery_failed`` alerts for the messages that could not be sent after their retries
    (``keyprojects.operations.delivery.Result.failed``); the next run sends them again."""
    out = []
    for f in failed:
        docs = "、".join(f["documents"])
        out.append(compose(
            "delivery_failed", quarter=quarter, month=month, unit=f["addressee"], file=docs, report=report,
            reason_zh=f"发给{f['addressee']}（{f['recipient']}）的邮件多次重试后仍发送失败：{f['error']}；"
                      "已发布的文件不受影响，下次运行将重新发送。",
            reason_en=f"the message to {f['addressee']} <{f['recipient']}> could not be sent after its retries: "
                      f"{f['error']}; the published documents stand and the next run sends it again."))
    return out


def record(conn: Connection, alert: Alert, *, dag_id: str | None, run_id: str | None, created_at: str,
           emailed: bool = False) -> None:
    """Append the alert to the ``alerts`` table (open)."""
    row = {k: v for k, v in asdict(alert).items() if k != "subject"}
    row.update(dag_id=dag_id, run_id=run_id, created_at=created_at, status="open", closed_at=None,
               emailed=int(emailed))
    cols = list(row)
    conn.execute(sa.text(f"insert into alerts ({', '.join(cols)}) values "
                                   f"({', '.join(':' + c for c in cols)})"), row)


def close(conn: Connection, *, quarter: str | None = None, month: str | None = None, kinds=LATE_KINDS,
          closed_at: str, list_name: str | None = None) -> int:
    """Close the period's open alerts of ``kinds`` (of one list with ``list_name``); returns how many."""
    col, val = ("quarter", quarter) if quarter else ("month", month)
    params = {"v": val, "t": closed_at, "l": list_name, **{f"k{i}": k for i, k in enumerate(kinds)}}
    marks = ", ".join(f":k{i}" for i in range(len(kinds)))
    of_list = " and list = :l" if list_name else ""
    res = conn.execute(sa.text(
        f"update alerts set status = 'closed', closed_at = :t where {col} = :v and status = 'open' "
        f"and kind in ({marks}){of_list}"), params)
    return res.rowcount or 0


def open_alerts(conn: Connection | Engine, *, quarter: str | None = None, month: str | None = None) -> list[dict]:
    col, val = ("quarter", quarter) if quarter else ("month", month)
    return db.fetch(conn, f"""
        select created_at, dag_id, run_id, kind, list, unit, file, task_id, message
        from alerts where {col} = :v and status = 'open' order by created_at, kind, list, unit""", v=val)
