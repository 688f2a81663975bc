"""The year-end ranking (年度考评), computed in SQL on a year's Q4 run.

``rank_year(conn, "2022Q4", sql_dir)`` loads the indicators and weights of ``config/ranking.toml``
into ``cfg_ranking_indicator`` and runs ``include/sql/models/ranking/*.sql``, which replaces the
year's rows of ``ranking_unit_year`` from the Q4 rows of ``bulletin_unit_quarter``. Any other
quarter: nothing is touched. ``read_ranking`` reads a year's rows for the workbook
(``keyprojects.documents.ranking_workbook``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from keyprojects import config, db, quarters
from keyprojects.warehouse import ddl

INDICATORS = ("industrial_growth_gap", "renovation_growth", "start_rate", "registration_rate",
              "large_projects", "cluster_projects")


@dataclass(frozen=True)


class Indicator:
    name: str
    label: str
    detail: str
    weight: float
    format: str


@dataclass(frozen=True)


class Method:
    quarter: int
    deduction_per_missed: float
    deduction_cap: float
    deduct_unconfirmed: bool
    score_decimals: int
    text: str
    indicators: tuple[Indicator, ...]


def method() -> Method:
    """The ranking method of ``config/ranking.toml``, checked: the six indicators, weights summing to 100."""
    raw = config.ranking_weights()
    m = raw["method"]
    inds = tuple(Indicator(i["name"], i["label"], i.get("detail", ""), float(i["weight"]), i.get("format", "rate"))
                 for i in raw["indicator"])
    names = [i.name for i in inds]
    if sorted(names) != sorted(INDICATORS):
        raise ValueError(f"ranking.toml: indicators must be exactly {', '.join(INDICATORS)}; got {', '.join(names)}")
    if abs(sum(i.weight for i in inds) - 100) > 1e-9:
        raise ValueError(f"ranking.toml: weights sum to {sum(i.weight for i in inds):g}, not 100")
    return Method(int(m.get("quarter", 4)), float(m["deduction_per_missed"]), float(m["deduction_cap"]),
                  bool(m.get("deduct_unconfirmed", False)),
                  int(m.get("score_decimals", 2)), m.get("text", ""), inds)


def is_ranking_quarter(quarter: str) -> bool:
    return quarters.parse_quarter(quarter)[1] == method().quarter


def rank_year(conn: Connection, quarter: str, sql_dir: Path, run_id: str | None = None) -> dict:
    """Replace the year's ``ranking_unit_year`` rows on the ranking quarter's run (Q4); other quarters
    return ``{"ranked": False}`` without touching anything. Runs in the caller's transaction."""
    year, n = quarters.parse_quarter(quarter)
    quarter = f"{year}Q{n}"
    m = method()
    if n != m.quarter:
        return {"quarter": quarter, "year": year, "ranked": False, "reason": f"the ranking runs on Q{m.quarter}"}
    rows = conn.execute(sa.text("SELECT COUNT(*) FROM bulletin_unit_quarter WHERE quarter = :q"),
                        {"q": quarter}).scalar()
    if not rows:
        raise LookupError(f"bulletin_unit_quarter has no rows for {quarter}: build the quarter's marts first")
    conn.execute(sa.text("DELETE FROM cfg_ranking_indicator"))
    conn.execute(sa.text("INSERT INTO cfg_ranking_indicator (indicator, indicator_order, label, weight) "
                         "VALUES (:i, :o, :l, :w)"),
                 [{"i": i.name, "o": k, "l": i.label, "w": i.weight} for k, i in enumerate(m.indicators)])
    params = {"year": year, "prev_year": year - 1, "quarter": quarter, "per_missed": m.deduction_per_missed,
              "deduction_cap": m.deduction_cap, "deduct_unconfirmed": int(m.deduct_unconfirmed),
              "decimals": m.score_decimals, "run_id": run_id}
    for path in sorted((Path(sql_dir) / "models" / "ranking").glob("*.sql")):
        for stmt in ddl.sql_statements(path):
            conn.execute(sa.text(stmt), {k: v for k, v in params.items() if f":{k}" in stmt})
    ranked = conn.execute(sa.text("SELECT COUNT(*) FROM ranking_unit_year WHERE year = :y AND rank IS NOT NULL"),
                          {"y": year}).scalar()
    return {"quarter": quarter, "year": year, "ranked": True, "units_ranked": int(ranked)}


def read_ranking(conn_or_engine, year: int) -> list[dict]:
    """The year's rows: ranked units by rank, then the units listed but not ranked in plan order."""
    rows = db.fetch(conn_or_engine, """
        SELECT * FROM ranking_unit_year WHERE year = :y
        ORDER BY CASE WHEN rank IS NULL THEN 1 ELSE 0 END, rank, unit_order""", y=year)
    for r in rows:
        r["ranked"] = bool(r["ranked"])
    return rows
