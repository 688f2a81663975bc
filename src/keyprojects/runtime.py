"""Entry points for the DAGs: settings in, package functions called, small dicts out.

The DAG files stay a few lines per task; everything that touches files or the warehouse is here
or below, so it is tested without Airflow.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from . import quarters, settings, warehouse

log = logging.getLogger(__name__)


class LoadFailed(RuntimeError):
    """A whole-file fault in the quarter: raised at the end so the run shows red."""


@contextmanager
def _warehouse() -> Iterator[tuple[settings.Settings, object]]:
    """The settings and an engine on the warehouse, disposed of afterwards (one per task)."""
    s = settings.load()
    eng = warehouse.make_engine(s.warehouse_url)
    try:
        yield s, eng
    finally:
        eng.dispose()


def resolve_quarter(override, start, end) -> str:
    q = quarters.quarter_from_interval(start, end, override)
    with _warehouse() as (s, eng):
        warehouse.ensure_schema(eng, s.sql)
    log.info("processing %s from %s into %s", q, s.inbox, s.warehouse_url.split("@")[-1])
    return q


def load_list(quarter: str, list_name: str, run_id: str | None = None) -> dict:
    from . import pipeline

    loaded_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    with _warehouse() as (s, eng):
        result = pipeline.load_list(eng, s.inbox, quarter, list_name, expectations_dir=s.expectations,
                                    run_id=run_id, loaded_at=loaded_at,
                                    report_dir=s.output / quarter / "validation")
    r = result.as_dict()
    log.info("%s %s: %s, read %d, loaded %d, rejected %s, skipped %s", quarter, list_name, r["status"],
             r["rows_read"], r["rows_loaded"], r["rows_rejected"], r["rows_skipped"])
    for e in r["errors"] + r["warnings"]:
        log.warning("%s", e)
    r.pop("files", None)
    return r


def check_loads(loads: list[dict]) -> dict:
    missing = [ld["list"] for ld in loads if ld["status"] == "missing"]
    errors = [e for ld in loads if ld["status"] == "failed" for e in ld["errors"]]
    summary = {
        "quarter": loads[0]["quarter"] if loads else None,
        "missing_lists": missing,
        "failed_files": errors,
        "rows_read": sum(ld["rows_read"] for ld in loads),
        "rows_loaded": sum(ld["rows_loaded"] for ld in loads),
        "rows_rejected": sum(sum(ld["rows_rejected"].values()) for ld in loads),
        "rows_skipped": sum(sum(ld["rows_skipped"].values()) for ld in loads),
    }
    for m in missing:
        log.warning("list %s has not arrived for %s: reported as missing, not as empty", m, summary["quarter"])
    if errors:
        raise LoadFailed("files that could not be loaded (nothing was loaded from them):\n" + "\n".join(errors))
    log.info("quarter summary: %s", summary)
    return summary


def build_marts(quarter: str, run_id: str | None = None) -> dict:
    """Match projects across the lists and replace the quarter's mart rows in one transaction."""
    from . import metrics

    with _warehouse() as (s, eng), eng.begin() as conn:
        summary = metrics.build_marts(conn, quarter, s.sql, run_id=run_id)
    log.info("marts for %s: %s", quarter, summary)
    return summary


def publish_bulletin(quarter: str) -> str:
    """Write the quarter's bulletin workbook under KP_OUTPUT/<quarter>/ and return its path."""
    from . import bulletin

    with _warehouse() as (s, eng):
        path = bulletin.write_bulletin(eng, quarter, s.output)
    log.info("bulletin for %s: %s", quarter, path)
    return str(path)
