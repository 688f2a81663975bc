"""The expected outcome of every row, computed under docs/rules.md from the values as written.

``check_row`` applies rules 1-7 to one data row (as a reader would see its cells: merged unit cells
filled, CSV cells as text); ``mark_duplicates`` applies rule 8 over a list in read order.
"""

from __future__ import annotations

import datetime as dt

from keyprojects import RULES, config
from keyprojects.ingest import normalize

from .layout import AMOUNT_FIELDS, DATE_FIELDS, VOCAB_FIELDS, File, Row, Sheet

SKIP_REASONS = ("blank", "subtotal", "note", "superseded")
DROP_PREFIX = "../"   # a file of the drop folder (kpgen.sending)


def unit_value(row: Row, sh: Sheet):
    if sh.has("unit"):
        return row.cells.get("unit")
    return sh.reporter


def check_row(row: Row, sh: Sheet, spec) -> None:
    """Set ``row.faults`` (rules 1-7, in order, as (rule, field)) and ``row.parsed``."""
    cells = row.cells
    faults: list[tuple[str, str]] = []
    blank = normalize.is_blank
    for f in spec.required:
        v = unit_value(row, sh) if f == "unit" else cells.get(f)
        if blank(v):
            faults.append(("missing_required", f))
    uv = unit_value(row, sh)
    unit = normalize.resolve_unit(uv)
    if not blank(uv) and unit is None:
        faults.append(("unknown_unit", "unit"))
    raw_code = cells.get("project_code")
    code = normalize.normalize_code(raw_code)
    if not blank(raw_code) and code is None:
        faults.append(("bad_code", "project_code"))
    amounts = {}
    for f in AMOUNT_FIELDS:
        col = sh.column(f)
        v = cells.get(f)
        if col is None or blank(v):
            amounts[f] = None
            continue
        a = normalize.parse_amount(v, col.unit)
        if a is None or a < 0:
            faults.append(("bad_number", f))
            amounts[f] = None
        else:
            amounts[f] = round(a, 6)
    t, y = amounts.get("total_investment"), amounts.get("ytd_investment")
    if t is not None and y is not None and y > t:
        faults.append(("bad_number", "ytd_investment"))
    dates = {}
    for f in DATE_FIELDS:
        v = cells.get(f)
        if blank(v):
            dates[f] = None
            continue
        written = row.dates.get(f)
        if written is not None and type(written[0]) is type(v) and written[0] == v:
            d = written[1]  # the day the generator wrote (with or without a time), not read back
        else:
            d = normalize.parse_date(v)  # a cell a fault replaced
        if d is None:
            faults.append(("bad_date", f))
        dates[f] = d.isoformat() if d else None
    vocab = {}
    for f in VOCAB_FIELDS:
        v = cells.get(f)
        if blank(v):
            vocab[f] = None
            continue
        c = normalize.resolve_vocab(f, v)
        if c is None:
            faults.append(("bad_value", f))
        vocab[f] = c
    th = amounts.get(spec.threshold_field)
    if th is not None and th < spec.threshold:
        faults.append(("below_threshold", spec.threshold_field))
    name = normalize.text(cells.get("project_name"))
    row.faults = faults
    flag = vocab.get("registered_flag")
    row.parsed = {
        "project_code": code, "project_name": name, "name_key": normalize.normalize_name(name),
        "unit": unit, "owner": normalize.text(cells.get("owner")),
        "nature": vocab["nature"], "status": vocab["status"], "approval_type": vocab["approval_type"],
        "registered": None if flag is None else flag == "是",
        "approver": normalize.text(cells.get("approver")),
        "industry": normalize.text(cells.get("cluster")),
        "cluster": normalize.resolve_cluster(cells.get("cluster")),
        **amounts, **dates,
    }


class FirstOccurrences:
    """Rule 8's memory over a list in read order: the rows loaded so far. A row repeats the earliest
    loaded row that has its code, or (when either of the two has no code) its unit and name key."""

    def __init__(self):
        self.order: dict[int, int] = {}              # id(row) -> position among loaded rows
        self.code: dict[str, object] = {}
        self.name_any: dict[tuple, object] = {}
        self.name_codeless: dict[tuple, object] = {}

    @staticmethod
    def keys(parsed: dict) -> tuple[str | None, tuple]:
        return parsed["project_code"] or None, (parsed["unit"], parsed["name_key"])

    def first_of(self, parsed: dict):
        code, name = self.keys(parsed)
        if code is None:
            found = [self.name_any.get(name)]
        else:
            found = [self.code.get(code), self.name_codeless.get(name)]
        found = [r for r in found if r is not None]
        return min(found, key=lambda r: self.order[id(r)]) if found else None

    def load(self, parsed: dict, row) -> None:
        code, name = self.keys(parsed)
        self.order[id(row)] = len(self.order)
        if code is None:
            self.name_codeless.setdefault(name, row)
        else:
            self.code.setdefault(code, row)
        self.name_any.setdefault(name, row)


def file_order(fl: File) -> tuple[bool, str]:
    """A list's files in read order: its folder's by name (an archive's members by name, in its place),
    then the drop folder's (docs/rules.md, "The drop folder")."""
    return fl.path.startswith(DROP_PREFIX), fl.path


def read_order(files: list[File]):
    """(file, sheet, row) of every row under a header, in read order."""
    for fl in sorted(files, key=file_order):
        for sh in fl.sheets:
            if sh.kind != "table":
                continue
            for r in sh.rows:
                yield fl, sh, r


def mark_duplicates(files: list[File]) -> None:
    """Rule 8: among rows passing rules 1-7, a later row that is the same project as an earlier
    loaded row (same code; or same unit and name where either has no code) is a duplicate of the
    earliest such row."""
    loaded = FirstOccurrences()
    for _fl, _sh, r in read_order(files):
        if r.kind != "data":
            continue
        r.dup_first = None
        if r.faults:
            continue
        r.dup_first = loaded.first_of(r.parsed)
        if r.dup_first is None:
            loaded.load(r.parsed, r)


def outcome(row: Row) -> str:
    """loaded | the rejecting rule | a skip reason."""
    if row.kind != "data":
        return row.kind
    if getattr(row, "superseded_by", None):
        return "superseded"   # a corrected resend of its sender replaced the file (kpgen.sending)
    if row.faults:
        return row.faults[0][0]
    if getattr(row, "dup_first", None) is not None:
        return "duplicate"
    return "loaded"


def _jsonable(v):
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()
    return str(v)


def unit_cell_faulted(row: Row) -> bool:
    """Whether the row's unit cell was broken on purpose (blank or naming no unit)."""
    return any(f == "unit" for _, f in (row.faults or ()))


def return_senders(files: list[File], bureau: str | None) -> dict[int, str]:
    """Who gets each rejected row back in the 退回清单 (docs/decisions.md, 'office'), by id(row): a
    bureau list's rows go to the bureau; a unit library's to the unit of the file it came in (the
    generator writes one unit per file) when its unit cell or another row's of the same sheet, else
    of the same file, names it; else to 单位不明."""
    unknown = config.load_toml("rules.toml")["returns"]["unknown_sender"]
    out: dict[int, str] = {}
    for fl in files:
        tables = [sh for sh in fl.sheets if sh.kind == "table"]
        file_names = any(not unit_cell_faulted(r) for sh in tables for r in sh.rows if r.kind == "data")
        for sh in tables:
            data = [r for r in sh.rows if r.kind == "data"]
            sheet_names = any(not unit_cell_faulted(r) for r in data)
            for r in data:
                if outcome(r) in ("loaded", "superseded"):
                    continue
                if bureau is not None:
                    out[id(r)] = bureau
                elif not unit_cell_faulted(r) or sheet_names or file_names:
                    out[id(r)] = sh.home_unit
                else:
                    out[id(r)] = unknown
    return out


def list_truth(files: list[File], bureau: str | None = None) -> dict:
    """The list's truth; ``bureau``: the bureau that sends it (None: a unit library)."""
    files = sorted(files, key=file_order)
    senders = return_senders(files, bureau)
    skipped = dict.fromkeys(SKIP_REASONS, 0)
    rejected_counts = dict.fromkeys(RULES, 0)
    loaded, rejected, skipped_rows, per_file, ignored = [], [], [], {}, []
    for fl in files:
        superseded = any(getattr(r, "superseded_by", None) for sh in fl.sheets for r in sh.rows)
        pf = {"rows_read": 0, "rows_loaded": 0, "rows_rejected": 0, "rows_skipped": 0, "format": fl.fmt,
              "status": "superseded" if superseded else "loaded",
              "sheets": [sheet_info(sh, fl) for sh in fl.sheets]}
        if fl.resend_of:
            pf["resend_of"] = fl.resend_of
        if fl.fmt == "csv":
            pf["encoding"] = fl.encoding
        for sh in fl.sheets:
            if sh.kind != "table":
                ignored.append({"file": fl.path, "sheet": sheet_label(fl, sh), "reason": sh.kind})
                continue
            sheet_name = sheet_label(fl, sh)
            for i, r in enumerate(sh.rows):
                rn = sh.first_body_row + i
                pf["rows_read"] += 1
                res = outcome(r)
                where = {"file": fl.path, "sheet": sheet_name, "row_number": rn}
                if res in SKIP_REASONS:
                    skipped[res] += 1
                    pf["rows_skipped"] += 1
                    skipped_rows.append({**where, "reason": res})
                    continue
                pid = r.entry.project.id if r.entry else None
                if res == "loaded":
                    pf["rows_loaded"] += 1
                    rec = {**where, **r.parsed, "project_id": pid, "name_variant": r.variant}
                    loaded.append(rec)
                    continue
                pf["rows_rejected"] += 1
                rejected_counts[res] += 1
                if res == "duplicate":
                    fld = "project_code" if r.parsed["project_code"] else "project_name"
                    first = r.dup_first
                    rec = {**where, "rule": res, "field": fld, "value": _jsonable(r.cells.get(fld)),
                           "faults": ["duplicate"], "project_id": pid,
                           "duplicate_of": {"row_number": getattr(first, "_rn", None),
                                            "file": getattr(first, "_file", None),
                                            "sheet": getattr(first, "_sheet", None)}}
                else:
                    fld = r.faults[0][1]
                    value = unit_value(r, sh) if fld == "unit" else r.cells.get(fld)
                    rec = {**where, "rule": res, "field": fld, "value": _jsonable(value),
                           "faults": [f[0] for f in r.faults], "project_id": pid,
                           "fault_fields": sorted({f[1] for f in r.faults}), "name_variant": r.variant,
                           "code_written": not normalize.is_blank(r.cells.get("project_code"))}
                rec["sender"] = senders[id(r)]
                rec["unit"] = r.parsed["unit"]   # the unit the row names (None: none): who sent it
                rejected.append(rec)
            per_file[fl.path] = pf
        per_file[fl.path] = pf
    n_loaded = len(loaded)
    n_rej = sum(rejected_counts.values())
    n_skip = sum(skipped.values())
    return {
        "files": [f.path for f in files],
        "resends": [{"file": f.path, "replaces": f.resend_of} for f in files if f.resend_of],
        "rows_read": n_loaded + n_rej + n_skip,
        "rows_loaded": n_loaded,
        "rows_rejected": rejected_counts,
        "rows_skipped": skipped,
        "per_file": per_file,
        "sheets_ignored": ignored,
        "loaded": loaded,
        "rejected": rejected,
        "skipped": skipped_rows,
    }


def sheet_label(fl: File, sh: Sheet) -> str:
    """The sheet's name; a CSV file's single 'sheet' is named after the file (its stem)."""
    if fl.fmt == "csv":
        return fl.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return sh.name


def sheet_info(sh: Sheet, fl: File) -> dict:
    """How a sheet is laid out (for whoever debugs a reader against this truth)."""
    info = {"name": sheet_label(fl, sh), "kind": sh.kind}
    if sh.kind == "table":
        info.update({
            "header_row": sh.title_rows + 1, "header_rows": sh.header_rows, "first_body_row": sh.first_body_row,
            "title": sh.title, "unit_line": sh.unit_line, "reporter": sh.reporter,
            "merged_unit_cells": sh.merge_units,
            "columns": [{"field": c.field, "header": c.header, "group": c.group,
                         "amount_unit": c.unit if c.field in AMOUNT_FIELDS else None} for c in sh.columns],
        })
    return info


def stamp_positions(files: list[File]) -> None:
    """Remember each data row's file and row number (for duplicate_of references)."""
    for fl in files:
        for sh in fl.sheets:
            if sh.kind != "table":
                continue
            for i, r in enumerate(sh.rows):
                r._rn = sh.first_body_row + i
                r._file = fl.path
                r._sheet = sheet_label(fl, sh)
