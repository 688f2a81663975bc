"""Faults put into generated rows on purpose: one per rule of docs/rules.md, and exact duplicates.

``applicable`` says whether a rule can be injected into a row of a sheet, ``inject`` breaks the row so
that the rule (and no earlier one) rejects it, ``copy_row`` renders a duplicate of a row.
"""

from __future__ import annotations

from keyprojects import AMOUNT_FIELDS, DATE_FIELDS, VOCAB_FIELDS

from . import forms
from .layout import Ctx, Row, Sheet, Style, render

NON_DUP_RULES = ("missing_required", "unknown_unit", "bad_code", "bad_number", "bad_date", "bad_value",
                 "below_threshold")


def unit_cell_faultable(sh: Sheet, blanking: bool = False) -> bool:
    """Whether a row's unit cell may carry a fault: never where a 填报单位 line could stand in for it,
    and never blanked inside a column of merged unit cells (a wrong unit simply breaks the merge)."""
    return sh.has("unit") and sh.reporter is None and not (blanking and sh.merge_units)


def applicable(rule: str, sh: Sheet, ctx: Ctx) -> bool:
    if rule == "missing_required":
        return True
    if rule == "unknown_unit":
        return unit_cell_faultable(sh)
    if rule == "bad_code":
        return sh.has("project_code")
    if rule == "bad_number":
        return any(sh.has(f) for f in AMOUNT_FIELDS)
    if rule == "bad_date":
        return any(sh.has(f) for f in DATE_FIELDS)
    if rule == "bad_value":
        return any(sh.has(f) for f in VOCAB_FIELDS)
    if rule == "below_threshold":
        return sh.has(ctx.spec.threshold_field)
    return True


def inject(rule: str, row: Row, sh: Sheet, ctx: Ctx, csv: bool, avoid: set) -> str | None:
    """Put a ``rule`` fault into ``row``; returns the field touched (None when not possible)."""
    rng = ctx.rng
    cells = row.cells
    year = ctx.year
    if rule == "missing_required":
        cands = [f for f in ctx.spec.required if sh.has(f) and f not in avoid
                 and not (f == "unit" and not unit_cell_faultable(sh, blanking=True))]
        if not cands:
            return None
        f = rng.choice(cands)
        cells[f] = None if rng.random() < 0.85 else " "
        return f
    if rule == "unknown_unit":
        if not unit_cell_faultable(sh) or "unit" in avoid:
            return None
        cells["unit"] = rng.choice(forms.UNKNOWN_UNITS)
        return "unit"
    if rule == "bad_code":
        if not sh.has("project_code") or "project_code" in avoid:
            return None
        code = row.entry.project.code if row.entry else None
        cells["project_code"] = forms.bad_code(rng, code, year)
        return "project_code"
    if rule == "bad_number":
        cands = [f for f in AMOUNT_FIELDS if sh.has(f) and f not in avoid]
        if not cands:
            return None
        f = rng.choice(cands)
        tcol, ycol = sh.column("total_investment"), sh.column("ytd_investment")
        if (f == "ytd_investment" and tcol and ycol and "total_investment" not in avoid and rng.random() < 0.5):
            total = row.entry.project.total
            cells["total_investment"] = forms.amount_form(rng, total, tcol.unit, csv, "num")
            cells["ytd_investment"] = forms.amount_form(rng, round(total * 1.25 + 100), ycol.unit, csv, "num")
            avoid.add("total_investment")
            return f
        if rng.random() < 0.25 and row.entry:
            v = row.entry.project.total
            cells[f] = "-" + forms.num_text(v if sh.column(f).unit == "万元" else round(v / 10000, 6))
        else:
            cells[f] = rng.choice(forms.BAD_NUMBERS)
        return f
    if rule == "bad_date":
        cands = [f for f in DATE_FIELDS if sh.has(f) and f not in avoid]
        if not cands:
            return None
        f = rng.choice(cands)
        cells[f] = rng.choice(forms.BAD_DATES).format(y=year)
        return f
    if rule == "bad_value":
        cands = [f for f in VOCAB_FIELDS if sh.has(f) and f not in avoid]
        if not cands:
            return None
        f = rng.choice(cands)
        cells[f] = rng.choice(forms.BAD_VALUES[f])
        return f
    if rule == "below_threshold":
        f = ctx.spec.threshold_field
        col = sh.column(f)
        if col is None or f in avoid:
            return None
        w = float(rng.randrange(50, 490, 10))
        cells[f] = forms.amount_form(rng, w, col.unit, csv, "num")
        ycol = sh.column("ytd_investment")
        if ycol is not None and "ytd_investment" in cells and "ytd_investment" not in avoid:
            cells["ytd_investment"] = forms.amount_form(rng, round(w * 0.4), ycol.unit, csv, "num")
        return f
    raise ValueError(rule)


def copy_row(row: Row, ctx: Ctx, sh: Sheet, st: Style, csv: bool) -> Row:
    """A duplicate of a passing ``row`` for sheet ``sh``: same project, code and name as written."""
    dup = render(ctx, sh, st, row.entry, csv)
    for f in ("project_code", "project_name"):
        if sh.has(f):
            if row.cells.get(f) is None:
                dup.cells.pop(f, None)
            else:
                dup.cells[f] = row.cells[f]
    if sh.has("unit") and row.parsed and row.parsed.get("unit"):
        # the same unit, spelled the way this sheet spells it
        u = row.parsed["unit"]
        dup.cells["unit"] = st.unit_spelling.get(u) or ctx.units[u].name
    dup.variant = row.variant
    dup.duplicate_of = row
    dup.intended = ["duplicate"]
    return dup
