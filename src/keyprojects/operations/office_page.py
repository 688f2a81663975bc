"""报送情况, around the queries: the office page's period names, its documents on disk and its HTML.

The plugin ``plugins/keyprojects_links.py`` serves the page on the API server under
``/keyprojects/office/`` (behind Airflow's login); what it shows is read from the warehouse by
``keyprojects.operations.office_queries``; this module holds the rest:

* ``is_quarter``/``is_month``, ``quarter_title``/``month_title``: the period names and titles;
* ``china_time(value)``: a timestamp as shown, in China time (UTC+8);
* ``documents(output, period)``: the period's documents to download;
* ``document_path(output, period, path)``: a document to download, strictly inside its period's
  folder (``NotServable`` otherwise);
* ``render(template, **context)``: the Jinja2 templates (``operations/templates/office_*.html``),
  every value escaped;
* ``page_settings()``, ``page_engine(s)``: the settings and the warehouse engine for a request.

Nothing here reads the clock or the warehouse's tables.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy.engine import Engine

from keyprojects import db, quarters
from keyprojects.ingest import arrivals

CHINA = arrivals.CHINA
_QUARTER = re.compile(r"^\d{4}Q[1-4]$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_YEAR = re.compile(r"^\d{4}$")
DOCUMENT_SUFFIXES = {".xlsx", ".docx", ".html", ".eml"}


def china_time(value) -> str | None:
    """An ISO timestamp (UTC or with its offset) as China time ``2022-04-10 09:30``; None stays None."""
    if value in (None, ""):
        return None
    try:
        t = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    return t.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


# ------------------------------------------------------------------------------------ periods

def is_quarter(period: str) -> bool:
    return bool(_QUARTER.match(period or ""))


def is_month(period: str) -> bool:
    return bool(_MONTH.match(period or ""))


def quarter_title(q: str) -> str:
    y, n = quarters.parse_quarter(q)
    return f"{y}年第{'一二三四'[n - 1]}季度"


def month_title(m: str) -> str:
    y, n = quarters.parse_month(m)
    return f"{y}年{n}月"


# ------------------------------------------------------------------------------------ documents

def files(folder: Path, *suffixes: str) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
                  and (not suffixes or p.suffix.lower() in suffixes))


def documents(output: Path, period: str) -> list[dict]:
    """The period's documents to download: (group, name, path relative to ``<output>``)."""
    output = Path(output)
    out = []

    def add(group: str, p: Path):
        out.append({"group": group, "name": p.name, "path": p.relative_to(output).as_posix()})

    folder = output / period
    for p in files(folder, ".xlsx", ".docx"):
        add("通报" if is_quarter(period) else "调度通报", p)
    if is_quarter(period) and period.endswith("Q4"):
        for p in files(output / period[:4], ".xlsx"):
            add("年度考评", p)
    for p in files(folder / "退回清单", ".xlsx"):
        add("退回清单", p)
    if (folder / "validation" / "index.html").is_file():
        add("校验报告", folder / "validation" / "index.html")
    for p in files(folder / "outbox", ".eml"):
        add("待发邮件", p)
    return out


class NotServable(LookupError):
    """No document at this path (bad period, outside the period's folder, missing, not a document)."""


def document_path(output: Path, period: str, path: str) -> Path:
    """The file ``<output>/<period>/<path>`` (a quarter, a month, or a year for its ranking), strictly
    inside that folder, and a document (xlsx, docx, html, eml). Raises NotServable otherwise."""
    if not (is_quarter(period) or is_month(period) or _YEAR.match(period or "")):
        raise NotServable(f"unknown period {period!r}")
    root = (Path(output) / period).resolve()
    target = (root / (path or "").lstrip("/")).resolve()
    if not target.is_relative_to(root) or target == root:
        raise NotServable("outside the period's folder")
    if not target.is_file():
        raise NotServable(f"{period}/{path} not found")
    if target.suffix.lower() not in DOCUMENT_SUFFIXES:
        raise NotServable(f"{period}/{path} is not a document")
    return target


# ------------------------------------------------------------------------------------ HTML

@cache
def _environment():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    env.filters["pct"] = lambda v: "—" if v is None else f"{v * 100:.1f}%"
    return env


def render(template: str, **context) -> str:
    """One of the page's templates (``operations/templates/office_*.html``), every value escaped."""
    return _environment().get_template(template).render(**context)


# ------------------------------------------------------------------------------------ engine

def page_settings():
    from keyprojects import settings

    return settings.load()


@contextmanager
def page_engine(s) -> Iterator[Engine]:
    """An engine on the warehouse for the page: ``KP_OFFICE_WAREHOUSE_URL`` (a read-only role in
    production), else ``KP_WAREHOUSE_URL``; disposed of after the request."""
    eng = db.make_engine(s.office_warehouse_url or s.warehouse_url)
    try:
        yield eng
    finally:
        eng.dispose()
