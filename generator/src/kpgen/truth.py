"""The expected outcome of every row, computed under docs/rules.md from the values as written.

``check_row`` applies rules 1-7 to one data row (as a reader would see its cells: merged unit cells
filled, CSV cells as text); ``mark_duplicates`` applies rule 8 over a list in read order.
"""

from __future__ import annotations

import datetime as dt

from keyprojects import RULES, normalize

from .layout import AMOUNT_FIELDS, DATE_FIELDS, VOCAB_FIELDS, File, Row, Sheet

SKIP_REASONS = ("blank", "subtotal", "note")


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
        d = normalize.parse_date(v)
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


def dup_key(row: Row) -> str:
    p = row.parsed
    return p["project_code"] if p["project_code"] else f"{p['unit']}|{p['name_key']}"


def read_order(files: list[File]):
    """(file, sheet, row) of every row under a header, in read order."""
    for fl in sorted(files, key=lambda f: f.path):
        for sh in fl.sheets:
            if sh.kind != "table":
                continue
            for r in sh.rows:
                yield fl, sh, r


def mark_duplicates(files: list[File]) -> None:
    """Rule 8: among rows passing rules 1-7, a later row with an earlier row's key is a duplicate."""
    first: dict[str, Row] = {}
    for _fl, _sh, r in read_order(files):
        if r.kind != "data":
            continue
        r.dup_first = None
        if r.faults:
            continue
        k = dup_key(r)
        if k in first:
            r.dup_first = first[k]
        else:
            first[k] = r


def outcome(row: Row) -> str:
    """loaded | the rejecting rule | a skip reason."""
    if row.kind != "data":
        return row.kind
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


def list_truth(files: list[File]) -> dict:
    files = sorted(files, key=lambda f: f.path)
    skipped = dict.fromkeys(SKIP_REASONS, 0)
    rejected_counts = dict.fromkeys(RULES, 0)
    loaded, rejected, skipped_rows, per_file, ignored = [], [], [], {}, []
    for fl in files:
        pf = {"rows_read": 0, "rows_loaded": 0, "rows_rejected": 0, "rows_skipped": 0, "format": fl.fmt,
              "sheets": [sheet_info(sh, fl) for sh in fl.sheets]}
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
                                            "file": getattr(first, "_file", None)}}
                else:
                    fld = r.faults[0][1]
                    value = unit_value(r, sh) if fld == "unit" else r.cells.get(fld)
                    rec = {**where, "rule": res, "field": fld, "value": _jsonable(value),
                           "faults": [f[0] for f in r.faults], "project_id": pid,
                           "fault_fields": sorted({f[1] for f in r.faults}), "name_variant": r.variant,
                           "code_written": not normalize.is_blank(r.cells.get("project_code"))}
                rejected.append(rec)
            per_file[fl.path] = pf
        per_file[fl.path] = pf
    n_loaded = len(loaded)
    n_rej = sum(rejected_counts.values())
    n_skip = sum(skipped.values())
    return {
        "files": [f.path for f in files],
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
