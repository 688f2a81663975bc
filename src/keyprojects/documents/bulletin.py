"""The quarterly bulletin (季度通报): the mart tables of one quarter as a printable Chinese workbook.

``write_bulletin(engine, "2022Q1", output_dir)`` reads the marts ``bulletin_unit_quarter``,
``bulletin_group_quarter``, ``bulletin_quarter``, ``missed_projects``, ``unregistered_projects`` and
``city_targets`` (bound parameters only) and writes
``<output_dir>/2022Q1/忻州市工业重点项目2022年第一季度通报.xlsx`` with the sheets

* ``季度通报``   header block (issuer, 数据截止日期, 制表日期, units not reported), one row per unit in
  the plan's order, zone-group subtotals and 全市合计, the 说明 of every blank figure;
* ``漏报项目``   one row per project the bureaus' lists name and the unit's libraries miss;
* ``未入统项目`` started projects not registered in investment statistics;
* ``全市目标``   the city's progress against the year's targets, amounts in 亿元;
* ``图表``       native Excel charts (growth against target, 开复工率).

Every figure, total and note comes from the SQL models (include/sql/models); this module lays them
out and formats them, and computes nothing.

Text from input files is always written as a plain string cell (never a formula, never a link),
and the file is deterministic: the same data give the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook

from keyprojects import config
from keyprojects.db import fetch
from keyprojects.documents import look
from keyprojects.documents.bulletin_main import (
    GROUP_COLUMNS,
    UNIT_COLUMNS,
    write_main_sheet,
)
from keyprojects.documents.bulletin_sheets import (
    write_charts_sheet,
    write_missed_sheet,
    write_quality_sheet,
    write_targets_sheet,
    write_unregistered_sheet,
)
from keyprojects.documents.files import write_atomic

# --------------------------------------------------------------------------------------------
# Reading the marts (every figure and note is the SQL models'; this module only lays them out)


def read_quarter(conn, quarter: str) -> dict[str, list[dict]]:
    """The quarter's rows of the marts the bulletin shows (bound parameters only), in print order."""
    return {
        "units": fetch(conn, f"select {', '.join(UNIT_COLUMNS)} from bulletin_unit_quarter "
                             "where quarter = :quarter order by unit_order, unit", quarter=quarter),
        "groups": fetch(conn, f"select {', '.join(GROUP_COLUMNS)} from bulletin_group_quarter "
                              "where quarter = :quarter order by group_order, group_name", quarter=quarter),
        "header": fetch(conn, "select issuer, data_cutoff, tabulated_on, units_not_reported from bulletin_quarter "
                              "where quarter = :quarter", quarter=quarter),
        "missed": fetch(conn, "select unit, project_code, project_name, owner, total_investment, sources, "
                              "source_date, candidate_name, candidate_similarity, category, returned_list, "
                              "returned_file, returned_sheet, returned_row_number, returned_rule from missed_projects "
                              "where quarter = :quarter", quarter=quarter),
        "unregistered": fetch(conn, "select unit, project_code, project_name, nature, status, start_date, "
                                    "total_investment from unregistered_projects where quarter = :quarter",
                              quarter=quarter),
        # 报送质量: units in plan order, then the unknown sender, then the bureaus in list order
        "quality": fetch(conn, """
            select q.*, l.title as list_title from submission_quality as q
            inner join cfg_list as l on q.list = l.list
            left join cfg_unit as u on q.sender = u.unit and u.year = :year
            where q.quarter = :quarter
            order by case q.sender_kind when 'unit' then 0 when 'unknown' then 1 else 2 end,
                     u.unit_order, l.list_order, q.sender""", quarter=quarter, year=int(quarter[:4])),
        "targets": fetch(conn, "select indicator, label, measure, target_shown, actual_shown, shown_unit, attained, "
                               "progress, note from city_targets where quarter = :quarter "
                               "order by indicator_order, measure_order", quarter=quarter),
    }


def ordered_units(rows: Sequence[dict]) -> list[dict]:
    """Every configured unit in the plan's order (a unit without a mart row gets an empty row),
    then any other unit the mart names, by its unit_order and name."""
    by_unit = {r["unit"]: r for r in rows}
    out = []
    for u in config.units():
        row = by_unit.pop(u.name, None)
        out.append(dict(row) if row is not None else {"unit": u.name, "note": "本季度无该单位汇总数据"})
    extra = sorted(by_unit.values(), key=lambda r: (r.get("unit_order") is None, r.get("unit_order") or 0, r["unit"]))
    out.extend(dict(r) for r in extra)
    return out






# --------------------------------------------------------------------------------------------
# Saving


def build_workbook(data: dict[str, list[dict]], quarter: str) -> Workbook:
    rank = {u.name: u.order for u in config.units()}

    def unit_key(unit: str | None) -> tuple:
        return (rank.get(unit or "", len(rank)), unit or "")

    units = ordered_units(data["units"])
    header = data["header"][0] if data.get("header") else {}

    wb = look.stream_workbook()  # every sheet write-only: the lists run to thousands of rows
    main = wb.create_sheet("季度通报")
    write_main_sheet(main, quarter, units, data.get("groups", []), header)
    write_missed_sheet(wb.create_sheet("漏报项目"), quarter, header, data["missed"], unit_key)
    write_unregistered_sheet(wb.create_sheet("未入统项目"), quarter, header, data["unregistered"], unit_key)
    write_targets_sheet(wb.create_sheet("全市目标"), quarter, header, data["targets"])
    write_charts_sheet(wb.create_sheet("图表"), main, quarter, header, len(units))
    write_quality_sheet(wb.create_sheet("报送质量"), quarter, header, data.get("quality", []))
    wb.active = 0
    return wb


def write_bulletin(conn_or_engine, quarter: str, output_dir: Path) -> Path:
    """Write the quarter's bulletin workbook and return its path.

    ``<output_dir>/<quarter>/忻州市工业重点项目<YYYY>年第<N>季度通报.xlsx``; a rerun replaces the file
    (written to a temporary file and renamed, so a reader never sees half a workbook).
    Raises ``LookupError`` when the mart holds no rows for the quarter (the metrics have not run).
    """
    quarter = look.normal_quarter(quarter)
    data = read_quarter(conn_or_engine, quarter)
    if not data["units"]:
        raise LookupError(f"bulletin_unit_quarter has no rows for {quarter}: run the quarter's metrics first")
    wb = build_workbook(data, quarter)
    payload = look.workbook_bytes(wb, look.fixed_moment(quarter))

    return write_atomic(Path(output_dir) / quarter / look.bulletin_filename(quarter), payload)
