"""The warehouse through SQLAlchemy 2: schema from ``include/sql/ddl``, partition replacement.

Every write replaces one partition (a quarter and list, or a quarter) inside the caller's
transaction: delete-then-insert with bound parameters only, so a rerun equals a run.
"""

from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from . import LISTS

STAGING_COLUMNS = (
    "quarter", "file", "sheet", "row_number", "sha256", "run_id",
    "project_code", "project_name", "name_key", "unit", "owner", "nature", "cluster",
    "total_investment", "annual_plan", "ytd_investment", "month_investment",
    "approval_type", "approval_date", "approver", "status", "start_date", "signing_date",
    "registered_flag", "registered_date", "progress", "problems", "contact", "remark",
)
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


def make_engine(url: str) -> Engine:
    """An engine for the warehouse URL; SQLite gets a busy timeout so parallel list loads wait."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 120})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=120000")
            cur.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def sql_statements(path: Path) -> list[str]:
    """The statements of one .sql file (split on ';' at line ends; comments dropped)."""
    body = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines() if not line.strip().startswith("--"))
    return [s.strip() for s in re.split(r";\s*(?:\n|$)", body) if s.strip()]


class SchemaOutdated(RuntimeError):
    """A warehouse table lacks columns the DDL defines: it was created by an older version."""


_CREATE = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+) \((.*)\)\s*$", re.S | re.I)


def ddl_columns(stmt: str) -> tuple[str, list[str]] | None:
    """(table, columns) of a ``CREATE TABLE IF NOT EXISTS`` statement of ours, else None."""
    m = _CREATE.match(stmt.strip())
    if not m:
        return None
    cols = [line.strip().split()[0] for line in m.group(2).splitlines()
            if line.strip() and not line.strip().upper().startswith(("PRIMARY", "UNIQUE", "CONSTRAINT", "FOREIGN"))]
    return m.group(1), cols


def ensure_schema(engine: Engine | Connection, sql_dir: Path) -> None:
    """Create every table and index of ``sql_dir/ddl/*.sql`` that does not exist yet, then check that
    existing tables have every column the DDL defines (``SchemaOutdated`` names what is missing)."""
    files = sorted((Path(sql_dir) / "ddl").glob("*.sql"))
    if not files:
        raise FileNotFoundError(f"no DDL files under {Path(sql_dir) / 'ddl'}")

    def run(conn: Connection) -> None:
        expected = {}
        for f in files:
            for stmt in sql_statements(f):
                table_cols = ddl_columns(stmt)
                if table_cols:
                    expected[table_cols[0]] = table_cols[1]
                    have = {c["name"] for c in sa.inspect(conn).get_columns(table_cols[0])} \
                        if sa.inspect(conn).has_table(table_cols[0]) else None
                    if have is not None:
                        missing = [c for c in table_cols[1] if c not in have]
                        if missing:
                            raise SchemaOutdated(
                                f"warehouse table {table_cols[0]} lacks columns {', '.join(missing)}: it was created "
                                "by an older version of keyprojects; rebuild the warehouse (README, 'Schema changes')")
                        continue
                conn.exec_driver_sql(stmt)

    if isinstance(engine, Connection):
        run(engine)
    else:
        with engine.begin() as conn:
            run(conn)


def _check(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"not a table or column name: {name!r}")
    return name


def staging_table(list_name: str) -> str:
    if list_name not in LISTS:
        raise ValueError(f"unknown list {list_name!r}; expected one of {', '.join(LISTS)}")
    return f"stg_{list_name}"


def replace_partition(
    conn: Connection,
    table: str,
    where: Mapping[str, object],
    rows: Sequence[Mapping[str, object]] | Iterable[Mapping[str, object]],
) -> int:
    """Delete the rows of ``table`` matching ``where`` and insert ``rows``; returns rows inserted.

    Runs in the caller's transaction; names are checked identifiers, values bound parameters.
    """
    _check(table)
    cond = " AND ".join(f"{_check(k)} = :w_{k}" for k in where)
    conn.execute(sa.text(f"DELETE FROM {table} WHERE {cond}"), {f"w_{k}": v for k, v in where.items()})
    return insert_rows(conn, table, rows)


_PLACEHOLDER = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def insert_rows(conn: Connection, table: str, rows: Iterable[Mapping[str, object]]) -> int:
    """Insert mapping rows (all with the first row's keys) in the caller's transaction; returns the count.

    Bulk paths of the driver, not one statement per row through SQLAlchemy: PostgreSQL (psycopg 3)
    gets ``COPY ... FROM STDIN``, other drivers one ``executemany`` of tuples on the DBAPI cursor.
    ``rows`` may be a generator: it is consumed once, never listed whole.
    """
    _check(table)
    it = iter(rows)
    first = next(it, None)
    if first is None:
        return 0
    cols = [_check(c) for c in first.keys()]
    values = ((lambda r: (r[cols[0]],)) if len(cols) == 1 else operator.itemgetter(*cols))
    count = 0

    def tuples():
        nonlocal count
        for r in itertools.chain((first,), it):
            count += 1
            yield values(r)

    names = ", ".join(cols)
    dbapi = conn.connection.driver_connection
    if conn.dialect.name == "postgresql" and hasattr(dbapi, "pgconn"):  # psycopg 3
        with dbapi.cursor() as cur, cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in tuples():
                copy.write_row(row)
        return count
    mark = _PLACEHOLDER.get(conn.dialect.paramstyle)
    if mark is None:  # pragma: no cover - a driver with another paramstyle: SQLAlchemy's executemany
        rows_ = [dict(zip(cols, t)) for t in tuples()]
        conn.execute(sa.text(f"INSERT INTO {table} ({names}) VALUES ({', '.join(':' + c for c in cols)})"), rows_)
        return count
    cur = conn.connection.cursor()
    try:
        cur.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join([mark] * len(cols))})", tuples())
    finally:
        cur.close()
    return count


def fetch(conn: Connection | Engine, sql: str, **params) -> list[dict]:
    """Rows of a SELECT as dicts (bound parameters only)."""
    if isinstance(conn, Engine):
        with conn.connect() as c:
            return [dict(r._mapping) for r in c.execute(sa.text(sql), params)]
    return [dict(r._mapping) for r in conn.execute(sa.text(sql), params)]
