"""Write-audit-publish: check the quarter's marts before anything is published.

Each suite of ``expectations/marts/*.json`` names (``meta.frame``) a query of
``include/sql/checks/<frame>.sql``; the query's rows are validated with Great Expectations like
the lists are (``validation.run_suite``). Every expectation carries ``meta.check`` (a short name)
and ``meta.description``. ``check_marts`` raises ``MartCheckFailed`` naming each failed check, so
the DAG stops before ``publish_bulletin`` and the last published bulletin stays as it was.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Connection, Engine

from keyprojects import config
from keyprojects.warehouse import models


class MartCheckFailed(RuntimeError):
    """A mart check failed: nothing is published for the quarter."""


@dataclass
class CheckResult:
    check: str
    description: str
    suite: str
    success: bool
    unexpected: list

    def line(self) -> str:
        sample = f" (e.g. {self.unexpected[:3]})" if self.unexpected else ""
        return f"{self.check}: {self.description} [suite {self.suite}]{sample}"


def suite_parameters() -> dict:
    units = [u.name for u in config.units()]
    return {"units": units, "unit_count": len(units)}


def frame(conn: Connection, sql_dir: Path, name: str, quarter: str) -> pd.DataFrame:
    """The rows of ``include/sql/checks/<name>.sql`` for the quarter (columns kept when empty)."""
    path = Path(sql_dir) / "checks" / f"{name}.sql"
    text = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines()
                     if not line.strip().startswith("--"))
    clause, bound = models.bind(text, {"quarter": quarter})
    result = conn.execute(clause, bound)
    return pd.DataFrame([tuple(r) for r in result], columns=list(result.keys()))


def _sample(frame_: pd.DataFrame, res) -> list:
    idx = res.result.get("unexpected_index_list") or []
    keep = [c for c in frame_.columns if c in ("unit", "group_name", "figure", "indicator", "measure")]
    out = []
    for i in idx[:3]:
        i = int(i.get("index", 0)) if isinstance(i, dict) else int(i)
        if keep and i < len(frame_):
            out.append({c: frame_.iloc[i][c] for c in keep})
    return out or list((res.result.get("partial_unexpected_list") or [])[:3]) or (
        [res.result["observed_value"]] if "observed_value" in res.result else [])


def run_checks(conn_or_engine: Connection | Engine, quarter: str, sql_dir: Path,
               expectations_dir: Path) -> list[CheckResult]:
    """Every expectation of every mart suite, as CheckResults (pure reading; nothing written)."""
    from keyprojects.ingest.validation import run_suite

    if isinstance(conn_or_engine, Engine):
        with conn_or_engine.connect() as conn:
            return run_checks(conn, quarter, sql_dir, expectations_dir)
    suites = sorted((Path(expectations_dir) / "marts").glob("*.json"))
    if not suites:
        raise FileNotFoundError(f"no mart suites under {Path(expectations_dir) / 'marts'}")
    params = suite_parameters()
    out = []
    for path in suites:
        suite = json.loads(path.read_text(encoding="utf-8"))
        rows = frame(conn_or_engine, sql_dir, suite["meta"]["frame"], quarter)
        result = run_suite(rows, suite, params)
        for res in result.results:
            meta = res.expectation_config.meta or {}
            out.append(CheckResult(check=meta.get("check", res.expectation_config.type),
                                   description=meta.get("description", ""), suite=path.name,
                                   success=bool(res.success), unexpected=_sample(rows, res)))
    return out


def check_marts(conn_or_engine, quarter: str, sql_dir: Path, expectations_dir: Path) -> dict:
    """Raise MartCheckFailed naming every failed check; else a summary of the checks passed."""
    results = run_checks(conn_or_engine, quarter, sql_dir, expectations_dir)
    failed = [r for r in results if not r.success]
    if failed:
        raise MartCheckFailed(f"mart checks failed for {quarter}; nothing published:\n"
                              + "\n".join(r.line() for r in failed))
    return {"quarter": quarter, "expectations": len(results),
            "checks": sorted({r.check for r in results})}
