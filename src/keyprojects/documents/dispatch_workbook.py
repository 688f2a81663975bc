"""The monthly dispatch workbook (月度调度通报) for the office, from the monthly tables.

``<KP_OUTPUT>/<YYYY>-<MM>/忻州市工业重点项目<YYYY>年<M>月调度通报.xlsx``, sheets 本月进展, 问题清单,
不再报送问题, 按责任单位, 预警项目, 未报送; styled and print-ready with the quarterly bulletin's helpers.
Python reads and renders: every figure comes from the SQL models (keyprojects.monthly.dispatch).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from keyprojects import db
from keyprojects.documents import look
from keyprojects.documents.files import write_atomic
from keyprojects.quarters import month_end, parse_month, quarter_of_month

ISSUER = "忻州市工业项目建设领导组办公室"
REASON_ORDER = {"ytd_below_plan": 0, "no_new_investment": 1, "not_started": 2}


def dispatch_filename(month: str) -> str:
    y, m = parse_month(month)
    return f"{look.CITY}工业重点项目{y}年{m}月调度通报.xlsx"


def month_label(month: str) -> str:
    y, m = parse_month(month)
    return f"{y}年{m}月"


def read_month(conn, month: str) -> dict[str, list[dict]]:
    q = {
        "units": "select * from progress_unit_month where month = :m order by unit_order",
        # the problem's state as of this month (problems_month), never as of the latest loaded month
        "problems": """
            select p.problem_id, p.unit, p.project_code, p.project_name, p.kind, p.description,
                   p.department, p.raised_on, p.major, p.assign_by, p.feedback_by, p.settle_by,
                   pm.status as month_status, pm.overdue, pm.days_overdue, pm.not_reported,
                   pm.days_not_reported, pm.pending_days, pm.closed_in_month,
                   coalesce(u.unit_order, 999) as unit_order
            from problems_month as pm
            inner join problems as p on p.problem_id = pm.problem_id
            left join cfg_unit as u on u.unit = p.unit and u.year = :year
            where pm.month = :m and pm.closed_in_month = 0
            order by pm.overdue desc, pm.days_overdue desc, pm.days_not_reported desc, unit_order,
                     p.raised_on, p.problem_id""",
        "pending": """
            select count(*) as problems, max(pending_days) as oldest_days from problems_month
            where month = :m and pending_days is not null""",
        "libraries": "select distinct library_quarter from progress_month where month = :m order by 1",
        "departments": """
            select * from department_month where month = :m
            order by overdue_problems desc, open_problems desc, department""",
        "warnings": """
            select w.*, coalesce(u.unit_order, 999) as unit_order from early_warnings as w
            left join cfg_unit as u on u.unit = w.unit and u.year = :year
            where w.month = :m order by unit_order, w.project_name, w.reason""",
        "review": "select * from progress_review where month = :m order by unit, project_name",
    }
    year = parse_month(month)[0]
    return {k: db.fetch(conn, sql, m=month, **({"year": year} if ":year" in sql else {}))
            for k, sql in q.items()}


def _table(ws, title: str, month: str, headers: Sequence[tuple[str, float]], rows: list[list],
           empty_text: str, unit_text: str | None = "单位：万元", red_rows: set[int] = frozenset(),
           total_rows: set[int] = frozenset(), footnote: str | None = None) -> None:
    """A titled, printable table; each row a list of (value, number format) cells."""
    ncols = len(headers)
    for j, (_, width) in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(j)].width = width
    look.write_title(ws, title, f"截至{month_end(month).year}年{month_end(month).month}月{month_end(month).day}日",
           unit_text or "", ncols)
    hr = 3
    for j, (text, _) in enumerate(headers, start=1):
        look.header_cell(ws, hr, j, text)
    ws.row_dimensions[hr].height = max(look.row_height(text, width) for text, width in headers)
    r = hr + 1
    if not rows:
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
        look.put(ws, r, 1, empty_text, alignment=look.CENTER)
    for i, values in enumerate(rows):
        # wrapped text, the row as tall as its longest cell (Excel does not re-fit generated rows)
        ws.row_dimensions[r].height = max(
            [18.0] + [look.row_height(v, headers[j][1]) for j, (v, _) in enumerate(values) if isinstance(v, str)])
        for j, (value, fmt) in enumerate(values, start=1):
            cell = look.put(ws, r, j, value, fmt, font=look.TOTAL_FONT if i in total_rows else look.BODY_FONT,
                       alignment=look.CENTER if j == 1 else None)
            if i in total_rows:
                cell.fill = look.TOTAL_FILL
            if i in red_rows:
                cell.fill = look.BAD_FILL
                f = cell.font
                cell.font = Font(name=f.name, size=f.size, bold=f.bold, color=look.BAD_FONT_COLOR)
        r += 1
    if footnote:
        ws.merge_cells(start_row=r + 1, start_column=1, end_row=r + 1, end_column=ncols)
        look.put(ws, r + 1, 1, footnote, font=look.NOTE_FONT, alignment=Alignment(horizontal="left", wrap_text=True),
            border=False)
        ws.row_dimensions[r + 1].height = look.row_height(footnote, sum(w for _, w in headers))
    ws.freeze_panes = ws.cell(hr + 1, 1).coordinate
    look.print_setup(ws, f"{hr}:{hr}")
    ws.oddHeader.center.text = title
    ws.oddHeader.center.size = 9


def _sum(rows, key):
    vals = [r[key] for r in rows if r[key] is not None]
    return sum(vals) if vals else None


def unit_note(u: dict) -> str | None:
    """备注 of 本月进展: 未报送, or where the quarter's library and the 13710 export disagree."""
    if not u["reported"]:
        return "未报送"
    if u.get("library_status") == "not_received":
        return "季度调度库未报送，13710平台有本月进展"
    return None


def library_note(month: str, libraries: list[str]) -> str:
    """Which dispatch library the month was matched to, when it is not the month's quarter's."""
    q = quarter_of_month(month)
    earlier = [lq for lq in libraries if lq != q]
    if not earlier:
        return ""
    return f"{q}调度库尚未报送，本月进展按已加载的最近一期（{'、'.join(earlier)}）调度库匹配。"


def write_progress_sheet(ws, month: str, units: list[dict], libraries: Sequence[str] = ()) -> None:
    rows = []
    for i, u in enumerate(units, start=1):
        rows.append([(i, look.COUNT), (u["unit"], None), (u["projects"], look.COUNT), (u["month_investment"],
                look.AMOUNT),
                     (u["ytd_investment"], look.AMOUNT), (u["annual_plan"], look.AMOUNT), (u["ytd_share"], look.RATE),
                     (unit_note(u), None)])
    plan, ytd = _sum(units, "annual_plan"), _sum(units, "ytd_investment")
    rows.append([(None, None), ("全市合计", None), (sum(u["projects"] for u in units), look.COUNT),
                 (_sum(units, "month_investment"), look.AMOUNT), (ytd, look.AMOUNT), (plan, look.AMOUNT),
                 (ytd / plan if plan and ytd is not None else None, look.RATE), (None, None)])
    _table(ws, f"{look.CITY}工业重点项目{month_label(month)}调度进展", month,
           [("序号", 6), ("县（市、区）", 18), ("报送项目(个)", 12), ("本月完成投资", 15),
            ("本年累计完成投资", 17), ("年度计划投资", 15), ("累计完成占年度计划", 14), ("备注", 12)],
           rows, "本月无数据", total_rows={len(rows) - 1},
           footnote=f"{ISSUER}根据13710平台调度数据整理；累计完成占年度计划 = 本年累计完成投资 ÷ 年度计划投资。"
                    + library_note(month, list(libraries)))


def _status_text(p: dict) -> str | None:
    if p["pending_days"] is not None:
        return f"待交办（{p['pending_days']}天）"
    return p["month_status"]


def write_problems_sheet(ws, month: str, problems: list[dict]) -> None:
    """Open problems the month's exports still list; those no longer reported go to their own sheet."""
    problems = [p for p in problems if not p["not_reported"]]
    rows, red = [], set()
    for i, p in enumerate(problems):
        if p["overdue"]:
            red.add(i)
        rows.append([(i + 1, look.COUNT), (p["unit"], None), (p["project_name"], None), (p["kind"], None),
                     (p["description"], None), (p["department"], None), (p["raised_on"], None),
                     ("是" if p["major"] else "否", None), (p["assign_by"], None), (p["feedback_by"], None),
                     (p["settle_by"], None), (_status_text(p), None),
                     (p["days_overdue"] if p["overdue"] else None, look.COUNT),
                     ("待交办，未推送责任单位" if p["pending_days"] is not None else None, None)])
    _table(ws, f"{look.CITY}工业重点项目存在问题清单（{month_label(month)}）", month,
           [("序号", 6), ("县（市、区）", 12), ("项目名称", 24), ("问题类别", 9), ("存在问题", 30),
            ("责任单位", 14), ("提出时间", 11), ("重大问题", 6), ("交办时限", 11), ("反馈时限", 11),
            ("办结时限", 11), ("办理状态", 12), ("超期天数", 8), ("备注", 12)],
           rows, "本月无未办结问题", unit_text=None, red_rows=red,
           footnote="按13710工作机制：1日内交办、3日内首次反馈、一般问题7日内办结、重大问题1个月内办结；"
                    "红色为截至月末超过办结时限仍未办结的问题。待交办（N天）：尚未交办，天数自提出时间起算，"
                    "不计入责任单位。本月导出未再列出的未办结问题见“不再报送问题”。")


def write_vanished_sheet(ws, month: str, problems: list[dict]) -> None:
    """不再报送: open problems the month's exports no longer list, with the days since last listed."""
    vanished = [p for p in problems if p["not_reported"]]
    rows = [[(i, look.COUNT), (p["unit"], None), (p["project_name"], None), (p["kind"], None),
             (p["description"], None), (p["department"], None), (p["raised_on"], None),
             (p["settle_by"], None), (p["month_status"], None), (p["days_not_reported"], look.COUNT)]
            for i, p in enumerate(vanished, start=1)]
    _table(ws, f"{look.CITY}工业重点项目不再报送问题（{month_label(month)}）", month,
           [("序号", 6), ("县（市、区）", 12), ("项目名称", 24), ("问题类别", 9), ("存在问题", 30),
            ("责任单位", 14), ("提出时间", 11), ("办结时限", 11), ("最后报送状态", 12), ("未报送天数", 10)],
           rows, "本月无不再报送的问题", unit_text=None,
           footnote="本月13710导出未再列出、且从未报告办结的问题：请核实是否已解决；不计入超期问题。"
                    "未报送天数 = 月末距最后一次列出该问题的月份末的天数。")


def write_departments_sheet(ws, month: str, departments: list[dict], pending: dict | None = None) -> None:
    rows = [[(i, look.COUNT), (d["department"], None), (d["open_problems"], look.COUNT), (d["overdue_problems"],
            look.COUNT),
             (d["closed_problems"], look.COUNT)] for i, d in enumerate(departments, start=1)]
    if departments:
        rows.append([(None, None), ("合计", None)] + [
            (sum(d[k] for d in departments), look.COUNT)
            for k in ("open_problems", "overdue_problems", "closed_problems")])
    waiting = (pending or {}).get("problems") or 0
    footnote = (f"另有待交办问题{waiting}个（尚未推送成员单位，最长已{pending['oldest_days']}天），"
                "属交办环节滞后，不计入上表责任单位。") if waiting else None
    _table(ws, f"{month_label(month)}问题推送成员单位情况", month,
           [("序号", 6), ("责任单位", 22), ("未办结(个)", 12), ("其中超期(个)", 12), ("本月办结(个)", 12)],
           rows, "本月无问题", unit_text="单位：个", total_rows={len(rows) - 1} if departments else set(),
           footnote=footnote)


def write_warnings_sheet(ws, month: str, warnings: list[dict]) -> None:
    rows = [[(i, look.COUNT), (w["unit"], None), (w["project_code"], None), (w["project_name"], None),
             (w["reason_text"], None)] for i, w in enumerate(warnings, start=1)]
    _table(ws, f"{month_label(month)}预警项目", month,
           [("序号", 6), ("县（市、区）", 14), ("项目代码", 28), ("项目名称", 30), ("预警原因", 32)],
           rows, "本月无预警项目", unit_text=None)


def write_missing_sheet(ws, month: str, units: list[dict], review: list[dict]) -> None:
    missing = [u for u in units if not u["reported"]]
    rows = [[(i, look.COUNT), (u["unit"], None), ("本月未报送项目进展", None)] for i, u in enumerate(missing, start=1)]
    n = len(rows)
    rows += [[(n + i, look.COUNT), (r["unit"], None),
              (f"{r['project_name']}：未在{r['library_quarter']}调度库中找到，请核实", None)]
             for i, r in enumerate(review, start=1)]
    _table(ws, f"{month_label(month)}未报送单位", month, [("序号", 6), ("县（市、区）", 18), ("说明", 50)],
           rows, "各县（市、区）均已报送", unit_text=None)


def build_workbook(data: dict[str, list[dict]], month: str) -> Workbook:
    wb = Workbook()
    write_progress_sheet(wb.active, month, data["units"], [r["library_quarter"] for r in data.get("libraries", [])])
    wb.active.title = "本月进展"
    write_problems_sheet(wb.create_sheet("问题清单"), month, data["problems"])
    write_vanished_sheet(wb.create_sheet("不再报送问题"), month, data["problems"])
    write_departments_sheet(wb.create_sheet("按责任单位"), month, data["departments"],
                            (data.get("pending") or [None])[0])
    write_warnings_sheet(wb.create_sheet("预警项目"), month, data["warnings"])
    write_missing_sheet(wb.create_sheet("未报送"), month, data["units"], data["review"])
    wb.active = 0
    return wb


def write_dispatch(conn_or_engine, month: str, output_dir: Path) -> Path:
    """Write the month's dispatch workbook and return its path (a rerun writes identical bytes).
    Raises LookupError when the month has no progress loaded."""
    data = read_month(conn_or_engine, month)
    if not data["units"] or not any(u["reported"] for u in data["units"]):
        raise LookupError(f"no progress loaded for {month}: nothing to publish")
    payload = look.workbook_bytes(build_workbook(data, month), dt.datetime.combine(month_end(month), dt.time()))
    return write_atomic(Path(output_dir) / month / dispatch_filename(month), payload)


PROBLEMS_FOLDER = "问题清单"


def department_problems(data: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The month's open problems per 责任单位 (department), as the 问题清单 sheet lists them: still
    reported and already assigned (待交办 problems are the office's, not yet the department's)."""
    out: dict[str, list[dict]] = {}
    for p in data["problems"]:
        if p["not_reported"] or p["pending_days"] is not None or not p["department"]:
            continue
        out.setdefault(p["department"], []).append(p)
    return out


def department_filename(department: str) -> str:
    return ("".join("_" if ch in '\\/:*?"<>|' else ch for ch in department).strip() or "未命名") + ".xlsx"


def write_department_problems(conn_or_engine, month: str, output_dir: Path) -> dict[str, dict]:
    """One small workbook per 责任单位 with its open and overdue problems of the month:
    ``<output_dir>/<YYYY-MM>/问题清单/<责任单位>.xlsx`` (older ones removed first; a rerun writes the
    same bytes). Returns {department: {"path", "open", "overdue"}}."""
    data = read_month(conn_or_engine, month)
    folder = Path(output_dir) / month / PROBLEMS_FOLDER
    if folder.exists():
        for old in folder.glob("*.xlsx"):
            old.unlink()
    moment = dt.datetime.combine(month_end(month), dt.time())
    out = {}
    for department, problems in sorted(department_problems(data).items()):
        wb = Workbook()
        write_problems_sheet(wb.active, month, problems)
        wb.active.title = "问题清单"
        path = write_atomic(folder / department_filename(department), look.workbook_bytes(wb, moment))
        out[department] = {"path": path, "open": len(problems), "overdue": sum(1 for p in problems if p["overdue"])}
    return out
