"""The quarter's figures: load the configuration tables, match projects across the lists, then run
the SQL models of ``include/sql/models`` in file order. Every figure, total and note is computed
there; this module only prepares inputs and binds parameters. Replaces the quarter's rows of every
mart in the caller's transaction (delete-then-insert), so a rerun equals a run.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from keyprojects import LISTS, config, db, quarters, settings
from keyprojects.warehouse import ddl, matching

# Rebuilt per quarter by the models (int_project_master is rebuilt whole by its model).
MART_TABLES = ("int_project_quarter", "int_project_first_source", "int_library_candidate", "unit_submissions",
               "int_cluster_review", "int_missed_candidates", "missed_reports", "missed_projects",
               "unregistered_projects", "bulletin_unit_quarter", "bulletin_group_quarter", "city_targets",
               "int_attainment", "bulletin_quarter", "submission_quality")
YIYUAN = 10000.0  # 万元: 亿元以上
MEASURES = ("amount", "growth", "count", "share")


def target_rows(year: int) -> list[dict]:
    """cfg_target rows of ``year`` from ``targets/<year>.toml`` (none when the file is absent)."""
    try:
        spec = config.targets(year)
    except FileNotFoundError:
        return []
    out = []
    for i, t in enumerate(spec.get("city", [])):
        for j, measure in enumerate(MEASURES):
            if t.get(measure) is None:
                continue
            out.append({"year": year, "indicator": t["indicator"], "label": t.get("label"), "measure": measure,
                        "target": float(t[measure]), "indicator_order": i, "measure_order": j,
                        "strict": int(bool(t.get("growth_strict")) and measure == "growth")})
    return out


def refresh_config_tables(conn: Connection, year: int) -> None:
    """The cfg_* tables the models join: units and targets of ``year``, natures, statuses, lists,
    zone groups and the bulletin's issuer, all from configuration."""
    try:
        by_group = config.targets(year).get("growth_by_zone_group", {})
    except FileNotFoundError:
        by_group = {}
    units = config.units()
    db.replace_partition(conn, "cfg_unit", {"year": year}, [
        {"year": year, "unit": u.name, "unit_order": u.order, "zone_group": u.zone_group or None,
         "target_growth": by_group.get(u.zone_group), "ranked": int(u.ranked)} for u in units])
    db.replace_partition(conn, "cfg_target", {"year": year}, target_rows(year))
    groups = list(dict.fromkeys(u.zone_group for u in units if u.zone_group))
    _replace_all(conn, "cfg_zone_group", [{"zone_group": g, "group_order": i + 1} for i, g in enumerate(groups)])
    _replace_all(conn, "cfg_nature", [{"nature": n, "nature_group": g}
                                      for g, natures in config.groups()["nature"].items() for n in natures])
    started = set(config.groups()["status"]["started"])
    _replace_all(conn, "cfg_status", [{"status": s, "started": int(s in started)}
                                      for s in sorted(set(config.vocab()["status"].values()))])
    specs = config.list_specs()
    _replace_all(conn, "cfg_list", [{"list": n, "title": specs[n].title, "list_order": i + 1,
                                     "source": specs[n].source} for i, n in enumerate(LISTS)])
    _replace_all(conn, "cfg_bulletin", [{"issuer": config.bulletin()["issuer"]}])


def _replace_all(conn: Connection, table: str, rows: list[dict]) -> None:
    """Replace every row of a small configuration table (names are this module's constants)."""
    conn.execute(sa.text(f"delete from {table}"))
    if rows:
        cols = list(rows[0])
        conn.execute(sa.text(f"insert into {table} ({', '.join(cols)}) values ({', '.join(':' + c for c in cols)})"),
                     rows)


def bind(stmt: str, params: dict) -> tuple[sa.TextClause, dict]:
    """The statement with exactly the parameters it names (from its compiled bind names); a name
    the statement uses that ``params`` lacks raises KeyError naming it."""
    clause = sa.text(stmt)
    names = clause.compile().params
    missing = [n for n in names if n not in params]
    if missing:
        raise KeyError(f"SQL model parameter(s) {', '.join(missing)} not supplied")
    return clause, {n: params[n] for n in names}


_TARGET = re.compile(r"^\s*insert\s+into\s+([a-z_][a-z0-9_]*)", re.IGNORECASE | re.MULTILINE)


def run_models(conn: Connection, sql_dir: Path, params: dict) -> None:
    """Run the models in file order; the planner's statistics are refreshed first and after each
    model for the tables it filled, so that later models are planned on real row counts."""
    db.analyze(conn)
    for path in sorted((Path(sql_dir) / "models").glob("*.sql")):
        filled = []
        for stmt in ddl.sql_statements(path):
            clause, bound = bind(stmt, params)
            conn.execute(clause, bound)
            filled += [t for t in _TARGET.findall(stmt) if t not in filled]
        for table in filled:
            db.analyze(conn, table)


def build_marts(conn: Connection, quarter: str, sql_dir: Path, run_id: str | None = None,
                run_date: dt.date | None = None) -> dict:
    """``run_date``: the day of the run (the Airflow run's data interval end, China time), from which
    the 制表日期 is taken when it lies after the quarter's end; never the clock, never a row."""
    year, _ = quarters.parse_quarter(quarter)
    prev = quarters.previous_year(quarter)
    refresh_config_tables(conn, year)
    match = matching.merge_quarter(conn, quarter, run_id)
    for table in MART_TABLES:
        db.replace_partition(conn, table, {"quarter": quarter}, [])
    params = {"quarter": quarter, "prev_quarter": prev, "year": year, "year_text": str(year),
              "yiyuan": YIYUAN, "threshold": config.list_specs()["approved"].threshold, "run_id": run_id,
              "near_miss_threshold": config.matching()["near_miss_threshold"],
              "cutoff": quarters.quarter_end(quarter).isoformat(),
              "tabulated_on": max(quarters.quarter_end(quarter), run_date or dt.date.min).isoformat(),
              # submission_quality: the lists' deadline (KP_LIST_DEADLINE_DAYS after the quarter's end,
              # midnight UTC+8) as a day number, and the sender of rows no unit can be found for
              "deadline_day": (quarters.quarter_end(quarter) - dt.date(1970, 1, 1)).days
              + settings.load().deadline_days,
              "unknown_sender": config.unknown_sender()}
    run_models(conn, sql_dir, params)
    missing = [r["list"] for r in db.fetch(
        conn, "select list from cfg_list where list not in (select list from load_audit "
              "where quarter = :q and status = 'loaded') order by list_order", q=quarter)]
    not_reported = [r["unit"] for r in db.fetch(
        conn, "select s.unit from unit_submissions as s join cfg_unit as u on u.unit = s.unit and u.year = :y "
              "where s.quarter = :q and s.list = 'dispatch' and s.status = 'not_received' order by u.unit_order",
        q=quarter, y=year)]
    targets = db.fetch(conn, "select count(*) as n from city_targets where quarter = :q", q=quarter)[0]["n"]
    return {"quarter": quarter, "projects": len({r.project_key for r in match.rows}), "review": len(match.review),
            "missing_lists": missing, "units_not_reported_dispatch": not_reported, "city_targets": targets}
