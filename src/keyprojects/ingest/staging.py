"""The staging layer's column set, defined once, and the ``stg_<list>`` tables generated from it.

Staging holds, per list, the rows that passed validation, typed and normalised (amounts in 万元,
dates as ISO text, units canonical), with their lineage (file, sheet, row_number, sha256, run_id).
All six tables share this one column set so that the models can UNION them; the loader
(``pipeline``) fills every column of it and the matcher (``matching``) reads from it.
"""

from __future__ import annotations

from keyprojects import LISTS

# (column, SQL type and constraint), in table order
COLUMN_TYPES: tuple[tuple[str, str], ...] = (
    ("quarter", "text not null"),
    ("file", "text not null"),
    ("sheet", "text not null"),
    ("row_number", "integer not null"),
    ("sha256", "text not null"),
    ("run_id", "text"),
    ("project_code", "text"),
    ("project_name", "text not null"),
    ("name_key", "text"),
    ("unit", "text not null"),
    ("owner", "text"),
    ("nature", "text"),
    ("cluster", "text"),
    ("total_investment", "double precision"),
    ("annual_plan", "double precision"),
    ("ytd_investment", "double precision"),
    ("month_investment", "double precision"),
    ("approval_type", "text"),
    ("approval_date", "text"),
    ("approver", "text"),
    ("status", "text"),
    ("start_date", "text"),
    ("signing_date", "text"),
    ("registered_flag", "text"),
    ("registered_date", "text"),
    ("progress", "text"),
    ("problems", "text"),
    ("contact", "text"),
    ("remark", "text"),
)

COLUMNS: tuple[str, ...] = tuple(name for name, _ in COLUMN_TYPES)


def table(list_name: str) -> str:
    """The staging table of a list: ``stg_<list>``."""
    if list_name not in LISTS:
        raise ValueError(f"unknown list {list_name!r}; expected one of {', '.join(LISTS)}")
    return f"stg_{list_name}"


def ddl() -> list[str]:
    """``create table if not exists`` and the quarter index of every list's staging table."""
    body = ",\n".join(f"    {name} {typ}" for name, typ in COLUMN_TYPES)
    out = []
    for name in LISTS:
        out.append(f"create table if not exists {table(name)} (\n{body}\n)")
        out.append(f"create index if not exists ix_{table(name)}_quarter on {table(name)} (quarter)")
    return out
