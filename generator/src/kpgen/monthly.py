"""Monthly 13710 progress exports with known truth (``<inbox>/<YYYY>-<MM>/progress/``).

The same world as the quarterly lists (``kpgen.generate`` with the same seed, size and quarters):
each month, every project of the dispatch library approved by the month's end reports its
progress (year-to-date accumulating from the world's quarterly spending, with months of no
spending), and the problems it raises: each problem is decided per project from the seed (kind,
department, major, raised date, fate: settled on time, late, never, or vanishing from the exports
unclosed), so any subset of months tells one consistent story. One unit misses some months; rows
carry the quarterly lists' faults (every rule code, a year-to-date below last month's, duplicates).

The truth (``_truth/<YYYY>-<MM>.json`` per month and ``_truth/monthly.json`` over the generated
months) is computed from this world and the generator's own fault decisions, by the rules of
domain.md and docs/rules.md, never with the product's parsers.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from keyprojects import config
from keyprojects.ingest import normalize

# calendar arithmetic only; the 13710 deadlines (plus_month) are computed here independently
from keyprojects.quarters import month_end, parse_month, shift_month

from . import forms
from .layout import Column, File, Row, Sheet
from .world import World, memberships, parse_quarter
from .writers import write_file

KINDS = {  # kind -> (responsible department, problem texts)
    "用地": ("市自然资源局", ("项目用地指标尚未落实", "土地征收进度滞后", "用地预审尚未批复")),
    "能耗": ("市发展改革委", ("能耗指标缺口需市级统筹", "节能审查尚未通过")),
    "环境容量": ("市生态环境局", ("环评审批办理中，环境容量不足", "排污总量指标待调剂")),
    "融资": ("市金融办", ("项目融资困难，需协调银行授信", "配套资金未到位")),
    "手续": ("市行政审批局", ("施工许可办理中", "规划许可尚未批复")),
    "其他": ("市工信局", ("电力接入需协调", "施工道路需协调")),
}
FATES = (("on_time", 35), ("late", 25), ("never", 22), ("vanish", 18))
FIRST_MONTH = "2021-01"
LAST_MONTH = "2022-12"
SETTLE_DAYS, ASSIGN_DAYS, FEEDBACK_DAYS = 7, 1, 3
FACTOR = 0.5
OPEN_STATUSES = ("待交办", "已交办", "已反馈")
HEADERS = {
    "seq": ("序号",), "project_code": ("项目代码",), "project_name": ("项目名称",),
    "unit": ("县（市、区）", "所在县区", "填报单位"), "status": ("开工状态", "建设状态"),
    "month_investment": ("本月完成投资（万元）", "当月完成投资"),
    "ytd_investment": ("本年累计完成投资（万元）", "1-{m}月累计完成投资", "累计完成投资"),
    "annual_plan": ("年度计划投资（万元）",), "progress": ("形象进度", "项目进展情况"),
    "problems": ("存在问题", "需协调解决的问题"), "problem_kind": ("问题类别",),
    "department": ("责任单位", "协调部门"), "raised_on": ("提出时间", "问题提出日期"),
    "major": ("是否重大问题",), "problem_status": ("办理状态",), "closed_on": ("办结时间",),
}
FIELDS = tuple(HEADERS)
# 存在问题 as written by a project with no problem this month (besides a blank cell): no problem
NO_PROBLEM = ("无", "暂无", "无问题", "/", "—")
FAULTS = ("missing_required", "unknown_unit", "bad_code", "bad_number", "bad_date", "bad_value",
          "ytd_decrease", "duplicate")


# ------------------------------------------------------------------ months and dates

def month_of(d: dt.date) -> str:
    return f"{d.year}-{d.month:02d}"


def plus_month(d: dt.date) -> dt.date:
    """The same day a calendar month later, clamped to that month's last day (13710: major)."""
    nxt = shift_month(month_of(d), 1)
    return month_end(nxt).replace(day=min(d.day, month_end(nxt).day))


def quarter_of(month: str) -> str:
    y, m = parse_month(month)
    return f"{y}Q{(m - 1) // 3 + 1}"


def deadlines(raised: dt.date, major: bool) -> dict:
    return {"assign_by": raised + dt.timedelta(days=ASSIGN_DAYS),
            "feedback_by": raised + dt.timedelta(days=FEEDBACK_DAYS),
            "settle_by": plus_month(raised) if major else raised + dt.timedelta(days=SETTLE_DAYS)}


# ------------------------------------------------------------------ the world's months

def ytd_at(p, month: str) -> float:
    """Year-to-date at the month's end: the quarter's spending reached in thirds, some months
    stalling (the month adds nothing), exact at the quarter's end; all of it by the month the
    project is finished, so a finished project's later months add nothing."""
    y, m = parse_month(month)
    q, k = (m - 1) // 3 + 1, (m - 1) % 3 + 1
    before = p.ytd(y, q - 1) if q > 1 else 0.0
    spend = p.spend.get((y, q), 0.0)
    if p.finish is not None and month_of(p.finish) <= month:   # finished (竣工投产): nothing more to spend
        return round(before + spend, 1)
    rng = random.Random(f"kpgen-monthly-spend:{p.id}:{y}Q{q}")
    fracs = [1 / 3, 2 / 3, 1.0]
    if rng.random() < 0.3:            # a stalled month
        stall = rng.choice((1, 2))
        fracs[stall] = fracs[stall - 1]
    return round(before + spend * fracs[k - 1], 1)


@dataclass
class Problem:
    id: str
    project: object
    kind: str
    department: str
    text: str
    raised: dt.date
    major: bool
    fate: str
    closed: dt.date | None
    vanish_after: int = 0          # months reported before vanishing (fate vanish)

    @property
    def settle_by(self) -> dt.date:
        return deadlines(self.raised, self.major)["settle_by"]


def project_problem(seed: int, p, first: dt.date, last: dt.date) -> Problem | None:
    rng = random.Random(f"kpgen-monthly-problem:{seed}:{p.id}")
    if rng.random() >= 0.4 or p.approval is None:
        return None
    lo = max(first, p.approval)
    if lo > last:
        return None
    raised = lo + dt.timedelta(days=rng.randrange((last - lo).days + 1))
    kind = rng.choice(sorted(KINDS))
    department, texts = KINDS[kind]
    text = rng.choice(texts)
    major = rng.random() < 0.25
    fate = rng.choices([f for f, _ in FATES], [w for _, w in FATES])[0]
    settle = deadlines(raised, major)["settle_by"]
    closed = None
    if fate == "on_time":
        closed = raised + dt.timedelta(days=rng.randint(1, (settle - raised).days))
    elif fate == "late":
        closed = settle + dt.timedelta(days=rng.randint(1, 75))
    return Problem(id=f"{p.id}#1", project=p, kind=kind, department=department, text=text,
                   raised=raised, major=major, fate=fate, closed=closed,
                   vanish_after=rng.randint(1, 2) if fate == "vanish" else 0)


def problem_in_month(pr: Problem, month: str) -> dict | None:
    """What the export of ``month`` says about the problem, or None (not in the export)."""
    if month < month_of(pr.raised):
        return None
    if pr.closed is not None and month > month_of(pr.closed):
        return None
    age = (parse_month(month)[0] - pr.raised.year) * 12 + parse_month(month)[1] - pr.raised.month
    if pr.fate == "vanish" and age >= pr.vanish_after:
        return None
    if pr.closed is not None and month == month_of(pr.closed):
        return {"problem_status": "已办结", "closed_on": pr.closed}
    status = ("待交办" if pr.raised.day > 25 else "已交办") if age == 0 else "已反馈"
    return {"problem_status": status, "closed_on": None}


def dispatch_projects(world: World, month: str) -> list:
    """The dispatch library's projects (the world's view) approved by the month's end."""
    end = month_end(month)
    return [e.project for e in memberships(world, quarter_of(month), include_small=False)["dispatch"]
            if e.project.approval is not None and e.project.approval <= end]


# ------------------------------------------------------------------ files of a month

@dataclass
class Written:
    """One data row as written, with the generator's decision about it."""
    month: str
    unit: str
    file: str
    sheet: str
    row_number: int
    project: object
    values: dict                       # canonical values (what the row says when not faulted)
    fault: str | None = None           # intended rule
    problem: Problem | None = None
    duplicate: bool = False
    ref: str = ""
    extra: dict = field(default_factory=dict)


def _date_cell(rng: random.Random, d: dt.date | None, csv: bool):
    if d is None:
        return None
    style = rng.choice(("iso", "dot", "cn", "date", "timed"))
    if style == "date" and not csv:
        return dt.datetime(d.year, d.month, d.day)
    if style == "dot":
        return f"{d.year}.{d.month}.{d.day}"
    if style == "cn":
        return f"{d.year}年{d.month}月{d.day}日"
    if style == "timed":  # with a time of day, as the platform and a CSV saved by Excel write it
        day = rng.choice((f"{d.year}/{d.month}/{d.day}", d.isoformat()))
        return f"{day} {forms.time_of_day(rng)}"
    return d.isoformat()


def _ref(p) -> str:
    return f"C:{p.code}" if p.code else f"N:{p.unit}|{normalize.normalize_name(p.name)}"


def build_month(world: World, month: str, seed: int, fault_rate: float,
                problems: dict) -> tuple[list[File], list[Written], list[str]]:
    """The month's files, the data rows as written, and the units that send nothing."""
    rng = random.Random(f"kpgen-monthly:{seed}:{month}")
    y, m = parse_month(month)
    by_unit: dict[str, list] = {}
    for p in dispatch_projects(world, month):
        by_unit.setdefault(p.unit, []).append(p)
    units = [u.name for u in config.units() if u.name in by_unit]
    # a unit misses every third month (rotating), so missed months occur in any window of months
    missing = [units[(y * 12 + m) % len(units)]] if units and (y * 12 + m) % 3 == 0 else []
    files, written = [], []
    n_none = 0
    for unit in units:
        if unit in missing:
            continue
        fmt = rng.choices(("xlsx", "xls", "csv"), (6, 2, 2))[0]
        csv = fmt == "csv"
        cols = [Column(f, rng.choice(HEADERS[f]).format(m=m)) for f in FIELDS]
        sh = Sheet(name=f"{m}月" if not csv else Path(f"{unit}{m}月调度").stem, columns=cols,
                   title=f"忻州市{unit}工业重点项目{y}年{m}月调度进展表", title_merged=not csv,
                   unit_line="万元", title_rows=2)
        fl = File(path=f"{unit}{m}月调度.{fmt}", fmt=fmt, sheets=[sh], encoding="gbk")
        body: list[Row] = []
        for i, p in enumerate(sorted(by_unit[unit], key=lambda p: p.id), start=1):
            ytd = ytd_at(p, month)
            prev = ytd_at(p, shift_month(month, -1)) if m > 1 else 0.0
            status = p.status(month_end(month))
            vals = {"seq": i, "project_code": p.code, "project_name": p.name,
                    "unit": unit, "status": status,
                    "month_investment": round(ytd - prev, 1), "ytd_investment": ytd,
                    "annual_plan": p.plan.get(y), "progress": "前期手续办理中" if status == "未开工" else "建设中"}
            pr = problems.get(p.id)
            said = problem_in_month(pr, month) if pr else None
            cells = {**vals, "raised_on": None, "closed_on": None}
            if said:
                cells.update({"problems": pr.text, "problem_kind": pr.kind, "department": pr.department,
                              "major": "是" if pr.major else "否", "problem_status": said["problem_status"],
                              "raised_on": _date_cell(rng, pr.raised, csv),
                              "closed_on": _date_cell(rng, said["closed_on"], csv)})
            w = Written(month=month, unit=unit, file=fl.path, sheet=sh.name, row_number=0, project=p,
                        values={**vals, **({"problem_status": said["problem_status"],
                                            "closed_on": said["closed_on"]} if said else {})},
                        problem=pr if said else None, ref=_ref(p))
            if rng.random() < fault_rate:
                w.fault = _inject(rng, cells, w, m)
            elif not said and rng.random() < 0.15:   # "无" and the like: a row without a problem
                cells["problems"] = w.extra["no_problem"] = NO_PROBLEM[n_none % len(NO_PROBLEM)]
                n_none += 1
            row = Row(kind="data", cells=cells)
            row.entry = w
            body.append(row)
            written.append(w)
            if w.fault is None and rng.random() < fault_rate / 2:   # a duplicate later in the sheet
                copy = Row(kind="data", cells=dict(cells))
                copy.entry = Written(month=month, unit=unit, file=fl.path, sheet=sh.name, row_number=0,
                                     project=p, values=w.values, fault="duplicate", ref=w.ref)
                body.append(copy)
                written.append(copy.entry)
        body.append(Row(kind="subtotal", cells={"seq": f"{unit}小计"}))
        if rng.random() < 0.5:
            body.append(Row(kind="blank", cells={}))
        body.append(Row(kind="note", cells={"seq": "填表人：张三  联系电话：0350-3030000"}))
        sh.rows = body
        for k, row in enumerate(body):
            if row.kind == "data":
                row.entry.row_number = sh.first_body_row + k
        files.append(fl)
    return files, written, missing


def _inject(rng: random.Random, cells: dict, w: Written, m: int) -> str:
    options = ["missing_required", "unknown_unit", "bad_number"]
    if cells.get("project_code"):
        options.append("bad_code")
    if cells.get("problems"):
        options += ["bad_date", "bad_value"]
    base = ytd_at(w.project, shift_month(w.month, -1)) if m > 1 else 0.0
    if base > 20:
        options.append("ytd_decrease")
    fault = rng.choice(options)
    if fault == "missing_required":
        cells["project_name"] = None
    elif fault == "unknown_unit":
        cells["unit"] = "外星县"
    elif fault == "bad_code":
        cells["project_code"] = "12345-ABC"
    elif fault == "bad_number":
        cells["ytd_investment"] = "约三百万"
    elif fault == "bad_date":
        cells["raised_on"] = "2022年13月"
    elif fault == "bad_value":
        cells["problem_status"] = "研究中"
    else:
        cells["ytd_investment"] = round(base - 10.0, 1)   # below last month's true year-to-date
        w.values = {**w.values, "ytd_investment": cells["ytd_investment"]}
    return fault


# ------------------------------------------------------------------ truth

def _rule(w: Written, baseline: dict | None) -> str | None:
    """The rule the product must reject the row under (None: loaded). A year-to-date below the
    previous month's export (rows passing the suite) for the same project is bad_number."""
    if w.fault == "ytd_decrease":
        prev = (baseline or {}).get(w.ref)
        return "bad_number" if prev is not None and w.values["ytd_investment"] < prev - 0.005 else None
    return w.fault


def month_truth(month: str, written: list[Written], missing: list[str], baseline: dict | None) -> dict:
    rows_loaded, rejected = [], {}
    for w in written:
        rule = _rule(w, baseline)
        if rule:
            rejected[rule] = rejected.get(rule, 0) + 1
        else:
            rows_loaded.append(w)
    no_problem = sorted([w.file, w.row_number, w.extra["no_problem"]] for w in rows_loaded
                        if w.extra.get("no_problem"))
    return {"month": month, "rows_loaded": len(rows_loaded), "rows_rejected": rejected,
            "missing_units": missing, "no_problem_rows": no_problem, "loaded": rows_loaded}


def suite_baseline(written: list[Written]) -> dict[str, float]:
    """Year-to-date per project among the rows passing the suite (the next month's baseline)."""
    out: dict[str, float] = {}
    for w in written:
        if w.fault in (None, "ytd_decrease") and w.ref not in out:
            out[w.ref] = w.values["ytd_investment"]
    return out


def truth(months: list[str], loaded: dict[str, list[Written]], entered: dict[str, str],
          units_by_month: dict[str, list[str]]) -> dict:
    """Problems, problems per month, department counts and early warnings over the months."""
    last = max(months)
    problems: dict[str, dict] = {}
    seen: dict[str, dict[str, str]] = {}       # problem id -> month -> reported status
    for month in months:
        for w in loaded[month]:
            if w.problem is None:
                continue
            pr = w.problem
            seen.setdefault(pr.id, {})[month] = w.values["problem_status"]
            if pr.id not in problems:
                d = deadlines(pr.raised, pr.major)
                problems[pr.id] = {
                    "unit": w.unit, "project_name": w.project.name, "project_code": w.project.code,
                    "kind": pr.kind, "department": pr.department,
                    "description": unicodedata.normalize("NFKC", pr.text),  # cells are read NFKC
                    "raised_on": pr.raised.isoformat(), "major": pr.major,
                    **{k: v.isoformat() for k, v in d.items()}, "closed_month": None, "closed_on": None}
            if w.values["problem_status"] == "已办结" and problems[pr.id]["closed_month"] is None:
                problems[pr.id]["closed_month"] = month
                problems[pr.id]["closed_on"] = w.values["closed_on"].isoformat()
    per_month = []
    for pid, p in problems.items():
        months_seen = sorted(seen[pid])
        p["first_month"], p["last_month"] = months_seen[0], months_seen[-1]
        p["status"] = "已办结" if p["closed_month"] else seen[pid][months_seen[-1]]
        p["not_reported"] = p["closed_month"] is None and months_seen[-1] < last
        for month in months:
            if month < p["first_month"] or (p["closed_month"] and month > p["closed_month"]):
                continue
            upto = [m for m in months_seen if m <= month]
            closed_now = p["closed_month"] == month
            vanished = not closed_now and upto[-1] < month      # 不再报送: listed apart, never overdue
            days = (month_end(month) - dt.date.fromisoformat(p["settle_by"])).days
            overdue = not closed_now and not vanished and days > 0
            status = "已办结" if closed_now else seen[pid][upto[-1]]
            pending = not closed_now and status == "待交办"     # the office's delay, not the department's
            per_month.append({"month": month, "problem": pid, "status": status,
                              "overdue": overdue, "days_overdue": days if overdue else 0,
                              "closed_in_month": closed_now, "not_reported": vanished,
                              "days_not_reported": (month_end(month) - month_end(upto[-1])).days if vanished
                              else None,
                              "pending_days": (month_end(month) - dt.date.fromisoformat(p["raised_on"])).days
                              if pending else None,
                              "department": p["department"]})
    departments: dict[tuple[str, str], dict] = {}
    for r in per_month:
        if r["pending_days"] is not None:
            continue
        d = departments.setdefault((r["month"], r["department"]), {"open": 0, "overdue": 0, "closed": 0})
        d["closed" if r["closed_in_month"] else "open"] += 1
        d["overdue"] += int(r["overdue"])
    warnings, finished_idle = [], []
    by_month_ref = {month: {w.ref: w for w in loaded[month]} for month in months}
    for month in months:
        y, m = parse_month(month)
        prev = shift_month(month, -1)
        for ref, w in by_month_ref[month].items():   # one warning per project, reasons in this order
            v, reasons = w.values, []
            if v["annual_plan"] and v["annual_plan"] > 0 and v["ytd_investment"] < m / 12 * v["annual_plan"] * FACTOR:
                reasons.append("ytd_below_plan")
            pw = by_month_ref.get(prev, {}).get(ref)
            if v["month_investment"] <= 0 and pw is not None and pw.values["month_investment"] <= 0:
                if v["status"] == "竣工投产":        # a finished project invests no more: no warning
                    finished_idle.append((month, w.unit, w.project.name))
                else:
                    reasons.append("no_new_investment")
            q = entered.get(w.project.id)
            if v["status"] == "未开工" and q:
                qy, qn = parse_quarter(q)
                if y * 12 + m - 1 >= qy * 12 + qn * 3 - 1 + 3:
                    reasons.append("not_started")
            if reasons:
                warnings.append((month, w.unit, w.project.name, ",".join(reasons)))
    return {
        "months": months,
        "problems": problems,
        "problems_month": per_month,
        "departments": [{"month": k[0], "department": k[1], **v} for k, v in sorted(departments.items())],
        "early_warnings": sorted(warnings),
        "finished_idle": sorted(finished_idle),
        "missing_units": units_by_month,
    }


def entered_quarters(inbox: Path, world: World) -> dict[str, str]:
    """Per project, the first generated quarter whose dispatch list loaded a row the product can
    tie to it (its code, or its exact name key in its unit), from the quarters' own truth."""
    out: dict[str, str] = {}
    by_id = world.by_id()
    for path in sorted((Path(inbox) / "_truth").glob("*Q*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for r in doc["lists"]["dispatch"]["loaded"]:
            p = by_id.get(r["project_id"])
            if p is None or p.id in out:
                continue
            if (p.code and r.get("project_code") == p.code) or \
                    (r.get("unit") == p.unit and r.get("name_key") == normalize.normalize_name(p.name)):
                out[p.id] = doc["quarter"]
    return out


def generate_months(inbox: Path, months, world: World, seed: int = 7, fault_rate: float = 0.05) -> dict:
    """Write the months' exports under ``inbox`` and their truth; return the truth over them."""
    inbox = Path(inbox)
    months = sorted(set(months))
    first = dt.date.fromisoformat(f"{FIRST_MONTH}-01")
    last = month_end(LAST_MONTH)
    problems = {p.id: pr for p in world.projects if (pr := project_problem(seed, p, first, last))}
    loaded, missing_by_month, docs, written_by_month = {}, {}, {}, {}
    for month in months:
        files, written, missing = build_month(world, month, seed, fault_rate, problems)
        written_by_month[month] = written
        prev = shift_month(month, -1)
        # the product compares with the month before's export, when the inbox has it (not January)
        baseline = suite_baseline(written_by_month[prev]) \
            if parse_month(month)[1] > 1 and prev in written_by_month else None
        folder = inbox / month / "progress"
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        for fl in files:
            write_file(fl, folder)
        t = month_truth(month, written, missing, baseline)
        loaded[month] = t.pop("loaded")
        missing_by_month[month] = sorted(set(missing) | {
            u.name for u in config.units() if not any(w.unit == u.name for w in loaded[month])})
        docs[month] = t
    doc = truth(months, loaded, entered_quarters(inbox, world), missing_by_month)
    doc["loads"] = docs
    truth_dir = inbox / "_truth"
    truth_dir.mkdir(parents=True, exist_ok=True)
    (truth_dir / "monthly.json").write_text(json.dumps(doc, ensure_ascii=False, sort_keys=True, default=str) + "\n",
                                            encoding="utf-8")
    return doc

