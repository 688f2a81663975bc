"""The warehouse's connection and partition writes, through SQLAlchemy 2: an engine for a URL,
``fetch`` / ``tuples``, and ``replace_partition`` / ``insert_rows`` / ``lock_partition``.

Every write replaces one partition (a quarter and list, or a quarter) inside the caller's
transaction: delete-then-insert with bound parameters only, so a rerun equals a run. Every wing
writes through these (ingest loads its lists with them), so they stand at the bottom, beside
``settings`` and ``config``; the schema they write into is ``keyprojects.warehouse.schema``.
"""

from __future__ import annotations

import itertools
import operator
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

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


def url_from_parts(kind: str, host: str | None = None, login: str | None = None, password: str | None = None,
                   port: int | None = None, database: str | None = None,
                   query: Mapping[str, object] | None = None) -> str:
    """A SQLAlchemy URL from a connection's parts (kind ``postgres``/``postgresql`` means psycopg 3;
    ``sqlite`` takes the file from ``database`` or ``host``). Used by the DAG layer to turn the
    Airflow connection ``kp_warehouse`` into a warehouse URL; knows nothing of Airflow itself."""
    kind = (kind or "").strip().lower()
    if kind in ("postgres", "postgresql"):
        kind = "postgresql+psycopg"
    if kind == "sqlite":
        return f"sqlite:///{database or host or ''}"
    if not kind:
        raise ValueError("the warehouse connection has no type (postgres, sqlite, ...)")
    url = sa.engine.URL.create(kind, username=login or None, password=password or None, host=host or None,
                               port=int(port) if port else None, database=database or None,
                               query={str(k): str(v) for k, v in (query or {}).items()})
    return url.render_as_string(hide_password=False)


class SchemaOutdated(RuntimeError):
    """A warehouse table lacks columns its DDL defines: made by a version older than the migrations
    know, or a column was added to the DDL without a migration."""


def _check(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"not a table or column name: {name!r}")
    return name


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
    lock_partition(conn, table, where)
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
        rows_ = [dict(zip(cols, t, strict=True)) for t in tuples()]
        conn.execute(sa.text(f"INSERT INTO {table} ({names}) VALUES ({', '.join(':' + c for c in cols)})"), rows_)
        return count
    cur = conn.connection.cursor()
    try:
        cur.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join([mark] * len(cols))})", tuples())
    finally:
        cur.close()
    return count


def lock_partition(conn: Connection, table: str, where: Mapping[str, object]) -> None:
    """Serialise writers of one partition until the caller's transaction ends (docs/decisions.md,
    "Bad input and faults"). PostgreSQL: a transaction-level advisory lock keyed by table and
    partition (without it two concurrent delete-then-insert transactions would both insert: each
    DELETE misses the other's uncommitted rows). SQLite: nothing to do, the DELETE takes the
    database's single write lock and the busy timeout makes a second writer wait."""
    if conn.dialect.name != "postgresql":
        return
    ident = table + "|" + "|".join(f"{k}={where[k]}" for k in sorted(where))
    # advisory locks are database-wide: the key includes the schema the partition lives in, so that
    # warehouses in other schemas of the same database (tests run in parallel) never wait on it
    conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || '|' || :ident, 0))"),
                 {"ident": ident})


class WarehouseUnreachable(RuntimeError):
    """The warehouse did not answer after the retries; the message names it (without a password)."""


def analyze(conn: Connection, table: str | None = None) -> None:
    """Refresh the query planner's statistics of ``table`` (every table when None), in the caller's
    transaction. The mart models join CTEs: without row counts SQLite plans them as nested scans
    (96 s instead of 2 s at 100k rows, bench/README.md); ``analysis_limit`` bounds the cost on SQLite
    however large the warehouse grows."""
    target = f" {_check(table)}" if table else ""
    if conn.dialect.name == "sqlite":
        conn.execute(sa.text("PRAGMA analysis_limit=1000"))
    conn.execute(sa.text(f"ANALYZE{target}"))


def safe_url(engine_or_url) -> str:
    """The warehouse URL with its password masked, for messages and logs."""
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else sa.engine.make_url(engine_or_url)
    return url.render_as_string(hide_password=True)


def check_reachable(engine: Engine, attempts: int = 3, delay: float = 2.0) -> None:
    """Connect once, retrying ``attempts`` times with a growing pause (delay, 2×delay, …); raise
    WarehouseUnreachable naming the warehouse when it never answers. Airflow's task retries come on
    top of these (dags/, default_args)."""
    last = None
    for attempt in range(1, attempts + 1):
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return
        except sa.exc.OperationalError as exc:
            last = exc
            engine.dispose()
            if attempt < attempts:
                time.sleep(delay * attempt)
    reason = str(getattr(last, "orig", None) or last).strip().splitlines()[0][:300]
    raise WarehouseUnreachable(f"the warehouse {safe_url(engine)} is unreachable after {attempts} attempts: "
                               f"{reason}")


def fetch(conn: Connection | Engine, sql: str, **params) -> list[dict]:
    """Rows of a SELECT as dicts (bound parameters only)."""
    if isinstance(conn, Engine):
        with conn.connect() as c:
            return [dict(r._mapping) for r in c.execute(sa.text(sql), params)]
    return [dict(r._mapping) for r in conn.execute(sa.text(sql), params)]


def tuples(conn: Connection, sql: str, **params) -> Iterator[tuple]:
    """Rows of a SELECT as plain tuples, one at a time from the driver's cursor: no SQLAlchemy row
    object per row, and never the whole result as a list (a quarter's rows are read this way;
    bound parameters only, written ``:name`` as for ``fetch``)."""
    compiled = sa.text(sql).compile(dialect=conn.dialect)
    values = compiled.construct_params(params)
    args = tuple(values[k] for k in compiled.positiontup) if compiled.positional else values
    cur = conn.connection.cursor()
    try:
        cur.execute(compiled.string, args)
        yield from cur
    finally:
        cur.close()
