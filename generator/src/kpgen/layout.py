"""From a quarter's list entries to files, sheets and rows, with faults and skippable rows.

The data structures here are format-neutral: ``writers`` renders a ``File`` as .xlsx, .xls or .csv
and ``truth`` evaluates its rows under docs/rules.md.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from keyprojects import AMOUNT_FIELDS, DATE_FIELDS, VOCAB_FIELDS, config
from keyprojects.ingest import normalize

from . import forms
from .world import Entry, weighted

# ------------------------------------------------------------------ structures


@dataclass
class Column:
    field: str
    header: str                 # the (lower) header cell
    group: str | None = None    # upper header cell of a two-row group
    unit: str = "万元"          # amount unit for amount columns (header unit, else sheet line, else 万元)


@dataclass
class Row:
    kind: str                                # data | blank | subtotal | note
    cells: dict = field(default_factory=dict)
    entry: Entry | None = None
    intended: list = field(default_factory=list)
    variant: str = "exact"                   # exact | spelling | near_miss (name as written)
    duplicate_of: "Row | None" = None
    dates: dict = field(default_factory=dict)  # field -> (cell as rendered, the day it means)
    # filled by truth evaluation
    faults: list | None = None
    parsed: dict | None = None
    dup_first: "Row | None" = None


@dataclass
class Sheet:
    name: str
    kind: str = "table"                      # table | instructions | empty
    columns: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    title: str | None = None
    title_merged: bool = False
    reporter: str | None = None              # text after 填报单位： (a unit spelling)
    reporter_unit: str | None = None         # its canonical unit
    unit_line: str | None = None             # 万元 | 亿元 | None
    date_line: str | None = None
    two_row: bool = False
    merge_units: bool = False
    lines: list = field(default_factory=list)   # instructions text
    header_rows: int = 1
    title_rows: int = 0
    home_unit: str | None = None             # the reporting unit of a unit-list sheet

    def has(self, f: str) -> bool:
        return any(c.field == f for c in self.columns)

    def column(self, f: str) -> Column | None:
        for c in self.columns:
            if c.field == f:
                return c
        return None

    @property
    def first_body_row(self) -> int:
        """1-based Excel row (CSV line) of the first row under the header."""
        return self.title_rows + self.header_rows + 1


@dataclass
class File:
    path: str                  # its lineage name: relative to the list folder; ``../x`` in the drop folder,
    #                            ``<archive>.zip!/<member>`` inside a zip (kpgen.sending)
    fmt: str                   # xlsx | xls | csv | html (a web page saved as .xls) | ods
    sheets: list = field(default_factory=list)
    encoding: str = "gbk"      # csv only: gbk | utf-8 | utf-8-sig
    resend_of: str | None = None   # a corrected resend: the file it replaces (received later; kpgen.sending)



# ------------------------------------------------------------------ columns and headers

# list -> [(field, probability of being present)]; required fields are always present
COLUMN_PLAN = {
    "reserve": [("seq", .8), ("project_name", 1), ("unit", 1), ("owner", .7), ("nature", 1), ("cluster", .6),
                ("total_investment", 1), ("signing_date", 1), ("start_date", .5), ("progress", .4),
                ("contact", .5), ("remark", .3)],
    "dispatch": [("seq", .85), ("project_code", 1), ("project_name", 1), ("unit", 1), ("owner", .6),
                 ("nature", 1), ("cluster", .6), ("total_investment", 1), ("annual_plan", .8),
                 ("ytd_investment", .95), ("approval_date", .8), ("start_date", .6), ("status", 1),
                 ("registered_flag", .5), ("progress", .5), ("problems", .4), ("contact", .4), ("remark", .2)],
    "signed": [("seq", .85), ("project_name", 1), ("owner", .8), ("unit", 1), ("cluster", .7), ("nature", 1),
               ("total_investment", 1), ("signing_date", 1), ("contact", .4), ("remark", .2)],
    "approved": [("seq", .85), ("project_code", 1), ("project_name", 1), ("owner", .8), ("unit", 1),
                 ("nature", .7), ("total_investment", 1), ("approval_type", 1), ("approval_date", 1), ("remark", .2)],
    "energy": [("seq", .85), ("project_code", 1), ("project_name", 1), ("owner", .7), ("unit", 1), ("nature", 1),
               ("total_investment", 1), ("approver", 1), ("approval_date", 1), ("remark", .2)],
    "registered": [("seq", .85), ("project_code", .9), ("project_name", 1), ("unit", 1), ("nature", 1),
                   ("total_investment", 1), ("ytd_investment", 1), ("registered_date", 1), ("start_date", .5),
                   ("status", .4), ("remark", .2)],
}
# two-row header groups: list -> (fields under the group, group captions)
GROUPS = {
    "dispatch": (("annual_plan", "ytd_investment"), ("{y}年投资", "{y}年度投资情况", "本年投资")),
    "registered": (("total_investment", "ytd_investment"), ("投资情况", "投资完成情况")),
    "approved": (("approval_type", "approval_date"), ("立项情况", "审批情况")),
    "energy": (("approver", "approval_date"), ("批复情况", "核准情况")),
    "signed": (("total_investment", "signing_date"), ("签约情况",)),
    "reserve": (("signing_date", "start_date"), ("时间节点",)),
}
DASHES = ("-", "-", "—", "－", "~", "至")


def header_words(list_name: str, f: str, year: int, q: int, grouped: bool, rng: random.Random) -> str:
    m = 3 * q
    d = rng.choice(DASHES)
    words = {
        "seq": ("序号", "序号", "编号"),
        "project_code": ("项目代码", "项目统一代码", "备案代码", "投资项目统一代码", "项目代码（备案代码）"),
        "project_name": ("项目名称", "项目名称", "项目全称"),
        "unit": ("县（市、区）", "县(市、区)", "所在县区", "建设地点", "县市区", "所属县区", "县区"),
        "owner": ("签约企业", "签约单位")
        if list_name == "signed"
        else ("建设单位", "项目单位", "项目业主", "业主单位"),
        "nature": ("建设性质", "建设性质", "项目性质"),
        "cluster": ("所属产业集群", "产业链", "产业集群"),
        "total_investment": ("签约金额", "协议投资额", "签约投资额", "总投资")
        if list_name == "signed"
        else ("总投资", "计划总投资", "项目总投资"),
        "annual_plan": ("计划投资", "年度计划投资")
        if grouped
        else ("年度计划投资", "本年计划投资", f"{year}年计划投资"),
        "ytd_investment": (f"1{d}{m}月完成投资", f"1{d}{m}月")
        if grouped
        else ("本年累计完成投资", f"1{d}{m}月完成投资", f"1{d}{m}月累计完成投资", f"{year}年1{d}{m}月完成投资"),
        "approval_type": ("立项类型", "审批类型", "立项方式"),
        "approval_date": ("批复时间", "批复日期", "核准时间")
        if list_name == "energy"
        else ("立项时间", "立项日期", "审批时间", "备案时间"),
        "approver": ("批复单位", "审批单位", "审批部门", "批复机关"),
        "status": ("开工状态", "建设状态", "项目状态"),
        "start_date": ("开工时间",) if list_name == "reserve" else ("开工时间", "开工日期", "实际开工时间"),
        "signing_date": ("签约时间", "签约日期"),
        "registered_flag": ("是否入统",),
        "registered_date": ("入统时间", "入统日期"),
        "progress": ("形象进度", "工程形象进度"),
        "problems": ("存在问题", "需协调解决的问题"),
        "contact": ("联系人", "联系人及电话"),
        "remark": ("备注",),
    }[f]
    return rng.choice(words)


def header_field(text: str) -> str | None:
    """The configured field a header cell names (a trailing (万元)/(亿元) unit removed)."""
    import re

    s = config.squash(text)
    s = re.sub(r"\((万元|亿元|元)\)$", "", s)
    for hf in config.header_fields():
        if hf.matches(s):
            return hf.name
    return None


# ------------------------------------------------------------------ context shared by a list's layout


@dataclass
class Ctx:
    list_name: str
    year: int
    q: int
    rng: random.Random
    fault_rate: float
    keys_by_unit: dict          # unit -> set of normalised names of all world projects
    units: dict                 # canonical name -> config.Unit
    spec: config.ListSpec


def make_sheet(ctx: Ctx, name: str, csv: bool, unit_column: bool, reporter_unit: str | None,
               multi_unit: bool, title: str) -> Sheet:
    rng = ctx.rng
    sh = Sheet(name=name)
    plan = COLUMN_PLAN[ctx.list_name]
    required = set(ctx.spec.required)
    fields = []
    for f, p in plan:
        if f == "unit" and not unit_column:
            continue
        if f in required or rng.random() < p:
            fields.append(f)
    sh.title = title if (not csv or rng.random() < 0.6) and rng.random() < 0.9 else None
    sh.title_merged = sh.title is not None and not csv and rng.random() < 0.75
    if reporter_unit:
        sh.reporter_unit = reporter_unit
        sh.reporter = forms.pick_unit_spelling(rng, ctx.units[reporter_unit])
    r = rng.random()
    sh.unit_line = "万元" if r < 0.6 else ("亿元" if r < 0.72 else None)
    if not csv and rng.random() < 0.3:
        sh.date_line = f"截至{ctx.year}年{3 * ctx.q}月{(30 if ctx.q in (2, 3) else 31)}日"
    group_fields, captions = GROUPS[ctx.list_name]
    sh.two_row = (not csv and all(f in fields for f in group_fields) and rng.random() < 0.45)
    caption = rng.choice(captions).format(y=ctx.year) if sh.two_row else None
    for f in fields:
        grouped = sh.two_row and f in group_fields
        header = header_words(ctx.list_name, f, ctx.year, ctx.q, grouped, rng)
        col = Column(field=f, header=header, group=caption if grouped else None)
        if f in AMOUNT_FIELDS:
            col.unit = sh.unit_line or "万元"
            if rng.random() < 0.2:
                hu = "亿元" if rng.random() < 0.3 else "万元"
                col.header += rng.choice(("（{}）", "({})")).format(hu)
                col.unit = hu
        assert header_field(col.header) == f, (col.header, f)
        sh.columns.append(col)
    sh.merge_units = multi_unit and unit_column and not csv and rng.random() < 0.6
    sh.title_rows = (1 if sh.title else 0) + (1 if (sh.reporter or sh.unit_line or sh.date_line) else 0)
    sh.header_rows = 2 if sh.two_row else 1
    return sh


# ------------------------------------------------------------------ rendering a row

@dataclass
class Style:
    date: str
    amount: str | None
    code: str
    unit_spelling: dict


def sheet_style(ctx: Ctx, csv: bool) -> Style:
    rng = ctx.rng
    date = weighted(rng, forms.DATE_STYLES_CSV if csv else forms.DATE_STYLES_EXCEL)
    amount = "num" if rng.random() < 0.6 else None
    code = weighted(rng, forms.CODE_STYLES)
    return Style(date=date, amount=amount, code=code, unit_spelling={})


def render(ctx: Ctx, sh: Sheet, st: Style, entry: Entry, csv: bool) -> Row:
    rng = ctx.rng
    vals = entry.fields
    p = entry.project
    row = Row(kind="data", entry=entry)
    cells = row.cells
    for col in sh.columns:
        f = col.field
        v = vals.get(f)
        if f == "seq":
            continue
        if f == "project_name":
            written = forms.name_form(rng, p.name, p.owner)
            row.variant = "exact" if written == p.name else "spelling"
            cells[f] = written
        elif f == "project_code":
            if v is None:
                continue
            present = {"dispatch": .95, "registered": .85, "energy": .9}.get(ctx.list_name, 1.0)
            if rng.random() < present:
                cells[f] = forms.code_form(rng, v, st.code if rng.random() < 0.85 else None)
        elif f == "unit":
            u = ctx.units[v]
            if v not in st.unit_spelling:
                st.unit_spelling[v] = forms.pick_unit_spelling(rng, u)
            cells[f] = st.unit_spelling[v] if rng.random() < 0.9 else forms.pick_unit_spelling(rng, u)
        elif f in AMOUNT_FIELDS:
            if v is None:
                continue
            cells[f] = forms.amount_form(rng, v, col.unit, csv, st.amount if rng.random() < 0.85 else None)
        elif f in DATE_FIELDS:
            if v is None:
                continue
            month_only = ctx.list_name == "reserve" and f == "start_date"
            cells[f], meant = forms.date_cell(rng, v, csv, st.date if rng.random() < 0.85 else None, month_only)
            row.dates[f] = (cells[f], meant)
        elif f in VOCAB_FIELDS:
            if v is None:
                continue
            cells[f] = forms.vocab_form(rng, f, v)
        elif f == "cluster":
            c = normalize.resolve_cluster(v)
            if c and rng.random() < 0.2:
                aliases = [s for s, n in config.clusters().items() if n == c]
                v = rng.choice(aliases)
            cells[f] = v
        elif f == "contact":
            cells[f] = v
        elif f == "remark":
            if rng.random() < 0.1:
                cells[f] = rng.choice(("重点推进", "省级重点项目", "市级重点项目", "续建结转"))
        elif v not in (None, ""):
            cells[f] = v
    # near-miss spelling: only where the list row carries no code (matching is by name)
    if "project_code" not in cells and rng.random() < 0.015:
        miss = forms.near_miss(rng, p.name, ctx.keys_by_unit.get(p.unit, set()))
        if miss:
            cells["project_name"] = miss
            row.variant = "near_miss"
    return row


# ------------------------------------------------------------------ skippable rows

NOTE_TEMPLATES = (
    "填表人：{name}    联系电话：0350-{tel}",
    "填表人：{name}",
    "联系电话：0350-{tel}",
    "说明：总投资以立项批复为准，本年完成投资按统计口径填报。",
    "注：项目代码为在线审批监管平台赋予的统一代码。",
    "审核人：{name}",
    "填报日期：{y}年{m}月{d}日",
)
NAMES = ("王建国", "李晓燕", "张伟", "刘芳", "陈静", "杨帆", "赵磊", "郭丽", "马超", "高峰")


def note_row(ctx: Ctx, sh: Sheet) -> Row:
    rng = ctx.rng
    m = 3 * ctx.q + 1
    y = ctx.year + (1 if m > 12 else 0)
    m = m - 12 if m > 12 else m
    text = rng.choice(NOTE_TEMPLATES).format(name=rng.choice(NAMES), tel=rng.randrange(2_000_000, 3_999_999),
                                             y=y, m=m, d=rng.randrange(1, 10))
    # the note sits in the first column (or the second, under a blank 序号)
    col = sh.columns[1].field if (sh.columns[0].field == "seq" and rng.random() < 0.3) else sh.columns[0].field
    return Row(kind="note", cells={col: text})


def subtotal_row(ctx: Ctx, sh: Sheet, data: list[Row], word: str, unit: str | None) -> Row:
    rng = ctx.rng
    cells = {}
    label_field = "project_name"
    if sh.columns[0].field == "seq" and rng.random() < 0.4:
        label_field = "seq"
    elif unit and sh.has("unit") and not sh.merge_units and rng.random() < 0.5:
        label_field = "unit"
    label = word if label_field != "unit" else f"{unit}{word}"
    cells[label_field] = label
    col = sh.column("total_investment")
    if col is not None:
        s = sum(r.entry.project.total for r in data if r.entry is not None)
        v = s / 10000 if col.unit == "亿元" else s
        cells["total_investment"] = round(v, 4)
    return Row(kind="subtotal", cells=cells)


def finish_body(ctx: Ctx, sh: Sheet, data: list[Row], unit_groups: bool) -> None:
    """Arrange data rows with blank, subtotal (小计 per unit, 合计) and note rows."""
    rng = ctx.rng
    body: list[Row] = []
    total_top = rng.random() < 0.25
    total_bottom = not total_top and rng.random() < 0.35
    subtotals = unit_groups and rng.random() < 0.4
    if total_top:
        body.append(subtotal_row(ctx, sh, data, rng.choice(("合计", "总计")), None))
    prev_unit = None
    group: list[Row] = []
    for r in data:
        u = r.entry.project.unit if r.entry else None
        if subtotals and prev_unit is not None and u != prev_unit:
            body.append(subtotal_row(ctx, sh, group, "小计", prev_unit))
            group = []
        if body and body[-1].kind == "data" and rng.random() < 0.012:
            body.append(Row(kind="blank"))
        body.append(r)
        group.append(r)
        prev_unit = u
    if subtotals and group:
        body.append(subtotal_row(ctx, sh, group, "小计", prev_unit))
    if total_bottom:
        body.append(subtotal_row(ctx, sh, data, "合计", None))
    if rng.random() < 0.7:
        if rng.random() < 0.4:
            body.append(Row(kind="blank"))
        for _ in range(rng.choice((1, 1, 2, 3))):
            body.append(note_row(ctx, sh))
    # never end on a blank row: reading stops at the last used row
    while body and body[-1].kind == "blank":
        body.pop()
    sh.rows = body


INSTRUCTIONS = (
    "填表说明",
    "一、本表由各县（市、区）工业项目建设领导组办公室组织填报，每季度末报送。",
    "二、投资项目统一代码填写在线审批监管平台赋予的24位代码，未赋码的暂不填写。",
    "三、金额以万元计，保留两位小数；日期格式为年月日。",
    "四、建设性质分为新建、扩建、改建、迁建、技术改造五类。",
    "五、请于季度结束后5个工作日内报送市工业项目建设领导组办公室。",
)


def instructions_sheet() -> Sheet:
    return Sheet(name="填表说明", kind="instructions", lines=list(INSTRUCTIONS))


def empty_sheet(name: str) -> Sheet:
    return Sheet(name=name, kind="empty")


def assign_seq(sh: Sheet, rng: random.Random) -> None:
    if not sh.has("seq"):
        return
    restart = sh.merge_units and rng.random() < 0.3
    n, prev = 0, None
    full = rng.random() < 0.1
    for r in sh.rows:
        if r.kind != "data":
            continue
        u = r.entry.project.unit if r.entry else None
        if restart and u != prev:
            n = 0
        prev = u
        n += 1
        r.cells["seq"] = str(n).translate(forms.FULLWIDTH) if full else n
