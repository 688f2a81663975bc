"""退回清单: the rows each county and bureau sent that were not accepted, with why and how to fix them.

``write_returns(engine, "2022Q4", output_dir)`` reads the quarter's ``rejected_rows`` with each row's
cells as read (``raw_rows.cells``) and writes ``<output_dir>/2022Q4/退回清单/<sender>.xlsx`` for every
sender that had rows rejected: one sheet per list, the original cells, file, sheet and row, 问题 and
修改建议 from ``config/rules.toml``. A rerun replaces the folder's workbooks (a sender whose rows are
all accepted now gets none) and writes identical bytes.

Who gets a row back (docs/decisions.md, 'office'): a bureau's list (signed, approved, energy,
registered) goes to the bureau named as its source in ``config/lists.toml``; a unit library's row
(reserve, dispatch) goes to the unit named in its unit cell; when that cell is blank or unknown, to
the one unit all other rows of the same sheet (else the same file) name; else to 单位不明.xlsx.

A library row that a bureau-listed project matched (退回待改, ``int_missed_candidates``) says so in its
修改建议: ``IN_BUREAU_LIST`` first, then the rule's suggestion.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from keyprojects import LISTS, RULES, config, db
from keyprojects.documents import look, office
from keyprojects.documents.files import write_atomic
from keyprojects.ingest.normalize import resolve_unit
from keyprojects.ingest.validation import FIELD_LABELS

FOLDER = "退回清单"
UNIT_LISTS = ("reserve", "dispatch")
IN_BUREAU_LIST = "该项目已在部门清单中，请尽快更正后重报"
ORDER_FIELDS = ("seq", "project_code", "project_name", "unit", "owner", "nature", "cluster", "total_investment",
                "annual_plan", "ytd_investment", "month_investment", "approval_type", "approval_date",
                "approver", "status", "start_date", "signing_date", "registered_flag", "registered_date",
                "progress", "problems", "contact", "remark")


@config.per_config_dir
def _rules_config() -> dict:
    raw = config.load_toml("rules.toml")
    missing = [r for r in RULES if r not in raw["rules"]]
    if missing:
        raise ValueError(f"rules.toml has no Chinese wording for {', '.join(missing)}")
    return raw


def rule_label(rule: str) -> str:
    """The rule code's Chinese label (``missing_required`` -> 必填项缺失); unknown codes: ''."""
    return _rules_config()["rules"].get(rule, {}).get("label", "")


def field_label(field: str | None) -> str:
    """The column's Chinese label: rules.toml's override, else the field's usual label, else the
    first header word of config/headers.toml (called per cell of a 退回清单: cached)."""
    return _field_label(field) if field else ""


@config.per_config_dir
def _field_label(field: str) -> str:
    override = _rules_config()["returns"].get("field_labels", {})
    if field in override:
        return override[field]
    if field in FIELD_LABELS:
        return FIELD_LABELS[field]
    words = config.load_toml("headers.toml")["fields"].get(field, {}).get("words", [])
    return words[0] if words else field


def _options(field: str | None) -> str:
    vocab = config.vocab().get(field or "", {})
    return "、".join(dict.fromkeys(v for v in vocab.values() if v))


def explain(rule: str, field: str | None, value: str | None) -> tuple[str, str]:
    """(问题, 修改建议) of a rejected row in Chinese."""
    spec = _rules_config()["rules"][rule]
    words = {"field": field_label(field), "value": "" if value is None else value, "options": _options(field)}
    return spec["problem"].format(**words), spec["suggestion"].format(**words)


def unknown_sender() -> str:
    return _rules_config()["returns"]["unknown_sender"]


def read_rejections(conn_or_engine, quarter: str) -> list[dict]:
    """The quarter's rejected rows with their cells (a dict field -> text) and their sender."""
    rows = db.fetch(conn_or_engine, """
        SELECT list, file, sheet, row_number, rule, field, value, message FROM rejected_rows
        WHERE quarter = :q
        ORDER BY list, file, sheet, row_number""", q=quarter)
    # each rejected row's cells as read, looked up by its lineage: joined here, not in SQL, because
    # raw_rows is indexed by partition only and a join probed the whole list per row (30 s at 100k)
    cells = {(c["list"], c["file"], c["sheet"], c["row_number"]): c["cells"] for c in db.fetch(
        conn_or_engine, """
        SELECT list, file, sheet, row_number, cells FROM raw_rows
        WHERE quarter = :q AND disposition = 'rejected'""", q=quarter)}
    # the library rows a bureau-listed project matched: 退回待改
    in_bureau = {(c["returned_list"], c["returned_file"], c["returned_sheet"], c["returned_row_number"])
                 for c in db.fetch(conn_or_engine, """
        SELECT DISTINCT returned_list, returned_file, returned_sheet, returned_row_number FROM int_missed_candidates
        WHERE quarter = :q AND category = 'returned'""", q=quarter)}
    for r in rows:
        text = cells.get((r["list"], r["file"], r["sheet"], r["row_number"]))
        r["cells"] = json.loads(text) if text else {}
        r["in_bureau_list"] = (r["list"], r["file"], r["sheet"], r["row_number"]) in in_bureau
    # the units each sheet / file of the unit libraries names in its (loaded or rejected) rows
    named = db.fetch(conn_or_engine, """
        SELECT list, file, sheet, cells FROM raw_rows
        WHERE quarter = :q AND disposition IN ('loaded', 'rejected') AND list IN ('reserve', 'dispatch')""",
                            q=quarter)
    by_sheet, by_file = defaultdict(set), defaultdict(set)
    for n in named:
        unit = resolve_unit(json.loads(n["cells"] or "{}").get("unit"))
        if unit:
            by_sheet[(n["list"], n["file"], n["sheet"])].add(unit)
            by_file[(n["list"], n["file"])].add(unit)
    specs = config.list_specs()
    for r in rows:
        if r["list"] not in UNIT_LISTS:
            r["sender"] = specs[r["list"]].source
            continue
        unit = resolve_unit(r["cells"].get("unit"))
        if unit is None:
            for names in (by_sheet[(r["list"], r["file"], r["sheet"])], by_file[(r["list"], r["file"])]):
                if len(names) == 1:
                    unit = next(iter(names))
                    break
        r["sender"] = unit or unknown_sender()
    return rows


def safe_filename(name: str) -> str:
    return "".join("_" if ch in '\\/:*?"<>|' else ch for ch in name).strip() or "未命名"


# A4 landscape at no less than about 75% scale: this many column-width units. A sheet whose original cells would make
# it wider gives them in one wrapped column 原表内容 ("表头：值" a line), so the page stays legible.
PAGE_WIDTH = 180
ORIGINAL = "原表内容"
ORIGINAL_WIDTH = 44


def original_text(labelled: list[tuple[str, str]], cells: dict) -> str:
    """The row's cells as sent, one "表头：值" a line (blank cells left out); ``labelled``: the
    sheet's (field, label) pairs."""
    return "\n".join(f"{label}：{cells[f]}" for f, label in labelled if cells.get(f) is not None)


def build_workbook(sender: str, quarter: str, rows: list[dict]) -> Workbook:
    """The sender's 退回清单: one write-only sheet per list (a list can hold thousands of rows)."""
    wb = look.stream_workbook()
    specs = config.list_specs()
    by_list = defaultdict(list)
    for r in rows:
        by_list[r["list"]].append(r)
    for list_name in [n for n in LISTS if n in by_list]:
        items = by_list[list_name]
        ws = wb.create_sheet(specs[list_name].title)
        present = {f for r in items for f in r["cells"]}
        fields = [f for f in ORDER_FIELDS if f in present] + sorted(present - set(ORDER_FIELDS))
        heads = [("序号", 6), ("文件", 22), ("工作表", 10), ("行号", 6)]
        labelled = [(f, field_label(f)) for f in fields]
        cell_heads = [(label, 16 if f in ("project_name", "owner", "progress", "problems") else 11)
                      for f, label in labelled]
        collapsed = sum(w for _, w in heads + cell_heads) + 34 + 40 > PAGE_WIDTH
        heads += [(ORIGINAL, ORIGINAL_WIDTH)] if collapsed else cell_heads
        heads += [("问题", 34), ("修改建议", 40)]
        # written with the first row: widths, frozen header, print set-up
        for j, (_, width) in enumerate(heads, start=1):
            ws.column_dimensions[get_column_letter(j)].width = width
        ws.freeze_panes = "A4"
        look.print_setup(ws, "3:3")
        ws.oddHeader.center.text = f"退回清单（{sender}，{look.quarter_label(quarter)}）"
        ws.oddHeader.center.size = 9
        deadline = office.cn_date(office.resubmit_deadline(quarter))
        office.title_rows(ws, f"{look.CITY}工业重点项目{specs[list_name].title}退回清单（{sender}）",
               f"{look.quarter_label(quarter)}，{look.cutoff_label(quarter)}；以下各行未被接收，请按“修改建议”更正，"
               f"于{deadline}（重报截止日期）前重新报送",
               f"{office.issuing_body()}　{office.contact()}", len(heads), [w for _, w in heads])
        look.write_row(ws, 3, [look.header(ws, text) for text, _ in heads])
        for i, r in enumerate(items, start=1):
            problem, suggestion = explain(r["rule"], r["field"], r["value"])
            if r.get("in_bureau_list"):
                suggestion = f"{IN_BUREAU_LIST}。{suggestion}"
            values = [i, r["file"], r["sheet"], r["row_number"]]
            if collapsed:
                values.append(original_text(labelled, r["cells"]))
            else:
                values += [r["cells"].get(f) for f in fields]
            values += [f"{rule_label(r['rule'])}：{problem}", suggestion]
            height = 18.0
            cells = []
            for j, v in enumerate(values, start=1):
                cells.append(look.cell(ws, v, "0" if j in (1, 4) else None,
                                       alignment=look.CENTER if j in (1, 4) else None))
                if isinstance(v, str):
                    height = max(height, sum(look.row_height(part, heads[j - 1][1]) - 4 for part in v.split("\n")) + 4)
            look.write_row(ws, 3 + i, cells, height)
    return wb


def write_returns(conn_or_engine, quarter: str, output_dir: Path) -> dict[str, Path]:
    """Write one workbook per sender with rejected rows; returns {sender: path}. Older workbooks of
    the quarter's folder are removed first, so the folder always matches the warehouse."""
    folder = Path(output_dir) / quarter / FOLDER
    rows = read_rejections(conn_or_engine, quarter)
    if folder.exists():
        for old in folder.glob("*.xlsx"):
            old.unlink()
    by_sender = defaultdict(list)
    for r in rows:
        by_sender[r["sender"]].append(r)
    out = {}
    moment = look.fixed_moment(quarter)
    for sender in sorted(by_sender):
        payload = look.workbook_bytes(build_workbook(sender, quarter, by_sender[sender]), moment)
        out[sender] = write_atomic(folder / f"{safe_filename(sender)}.xlsx", payload)
    return out
