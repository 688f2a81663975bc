"""The warehouse DDL files read as statements: ``sql_statements`` splits a .sql file, ``ddl_columns``
names a ``CREATE TABLE`` statement's table and columns. Read by the schema (``schema``) and by the
migrations, which import nothing else of the wing.
"""

from __future__ import annotations

import re
from pathlib import Path


def sql_statements(path: Path) -> list[str]:
    """The statements of one .sql file (split on ';' at line ends; comments dropped)."""
    body = "\n".join(
        line for line in path.read_text(encoding="utf-8").splitlines() if not line.strip().startswith("--")
    )
    return [s.strip() for s in re.split(r";\s*(?:\n|$)", body) if s.strip()]


_CREATE = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+) \((.*)\)\s*$", re.S | re.I)


def ddl_columns(stmt: str) -> tuple[str, list[str]] | None:
    """(table, columns) of a ``CREATE TABLE IF NOT EXISTS`` statement of ours, else None."""
    m = _CREATE.match(stmt.strip())
    if not m:
        return None
    cols = [line.strip().split()[0] for line in m.group(2).splitlines()
            if line.strip() and not line.strip().upper().startswith(("PRIMARY", "UNIQUE", "CONSTRAINT", "FOREIGN"))]
    return m.group(1), cols
