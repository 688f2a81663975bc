"""Entry points of the monthly DAG (the 13710 dispatch): the month resolved, its exports loaded,
the monthly tables built, the dispatch workbook written; settings in, small dicts out.

Its delivery (``deliver_month``) is in ``runtime_office``, with the other deliveries.
"""

from __future__ import annotations

import datetime as dt
import logging

from keyprojects import quarters
from keyprojects.runtime import LoadFailed, warehouse
from keyprojects.warehouse import schema

log = logging.getLogger(__name__)


# ------------------------------------------------------------------ the monthly 13710 dispatch

def resolve_month(override, start, end) -> str:

    m = quarters.month_from_interval(start, end, override)
    with warehouse() as (s, eng):
        schema.ensure_schema(eng, s.sql)
    log.info("processing month %s from %s", m, s.inbox)
    return m


def load_progress(month: str, run_id: str | None = None) -> dict:
    """Load the month's 13710 exports; MonthNotArrived / LoadFailed when there is nothing to publish."""
    from keyprojects.monthly import dispatch

    loaded_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    with warehouse() as (s, eng):
        result = dispatch.load_month(eng, s.inbox, month, expectations_dir=s.expectations, run_id=run_id,
                                    loaded_at=loaded_at)
    r = result.as_dict()
    log.info("%s progress: read %d, loaded %d, rejected %s, skipped %s", month, r["rows_read"],
             r["rows_loaded"], r["rows_rejected"], r["rows_skipped"])
    for w in r["warnings"]:
        log.warning("%s", w)
    if r["errors"]:
        raise LoadFailed("files that could not be loaded (nothing was loaded from them):\n" + "\n".join(r["errors"]))
    r.pop("files", None)
    return r


def build_monthly(month: str) -> dict:
    """Rebuild the monthly tables (all loaded months) in one transaction."""
    from keyprojects.monthly import dispatch

    with warehouse() as (s, eng), eng.begin() as conn:
        summary = dispatch.build_monthly(conn, s.sql)
    log.info("monthly tables after %s: %s", month, summary)
    return summary


def publish_dispatch(month: str) -> str:
    """Write the month's dispatch workbook under KP_OUTPUT/<YYYY-MM>/ (and each 责任单位's open problems
    under 问题清单/) and return the workbook's path."""
    from keyprojects.documents import dispatch_workbook

    with warehouse() as (s, eng):
        path = dispatch_workbook.write_dispatch(eng, month, s.output)
        lists = dispatch_workbook.write_department_problems(eng, month, s.output)
    log.info("dispatch workbook for %s: %s; 问题清单 for %d 责任单位", month, path, len(lists))
    return str(path)
