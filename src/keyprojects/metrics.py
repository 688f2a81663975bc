"""The quarter's figures: match projects, run the SQL models of ``include/sql/models`` and compute the
city's progress against the year's targets. Replaces the quarter's rows of every mart in the
caller's transaction (delete-then-insert), so a rerun equals a run.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import LISTS, config, matching, quarters, warehouse

MART_TABLES = ("project_quarter", "missed_reports", "unregistered_projects", "bulletin_unit_quarter", "city_targets")
YIYUAN = 10000.0  # 万元: 亿元以上


def refresh_config_tables(conn: Connection, year: int) -> None:
    """cfg_unit (for ``year``), cfg_nature and cfg_status from configuration."""
    try:
        t = config.targets(year)
        by_group = t.get("growth_by_zone_group", {})
    except FileNotFoundError:
        by_group = {}
    warehouse.replace_partition(conn, "cfg_unit", {"year": year}, [
        {"year": year, "unit": u.name, "unit_order": u.order, "zone_group": u.zone_group or None,
         "target_growth": by_group.get(u.zone_group), "ranked": int(u.ranked)} for u in config.units()])
    conn.execute(sa.text("DELETE FROM cfg_nature"))
    conn.execute(sa.text("INSERT INTO cfg_nature (nature, nature_group) VALUES (:n, :g)"),
                 [{"n": n, "g": g} for g, natures in config.groups()["nature"].items() for n in natures])
    conn.execute(sa.text("DELETE FROM cfg_status"))
    started = set(config.groups()["status"]["started"])
    statuses = sorted(set(config.vocab()["status"].values()))
    conn.execute(sa.text("INSERT INTO cfg_status (status, started) VALUES (:s, :v)"),
                 [{"s": s, "v": int(s in started)} for s in statuses])


def list_loaded(conn: Connection, quarter: str, list_name: str) -> bool:
    row = conn.execute(sa.text("SELECT COUNT(*) FROM load_audit WHERE quarter = :q AND list = :l AND status = 'loaded'"),
                       {"q": quarter, "l": list_name}).scalar()
    return bool(row)


def build_marts(conn: Connection, quarter: str, sql_dir: Path, run_id: str | None = None) -> dict:
    year, _ = quarters.parse_quarter(quarter)
    prev = quarters.previous_year(quarter)
    refresh_config_tables(conn, year)
    match = matching.merge_quarter(conn, quarter, run_id)
    for table in MART_TABLES:
        warehouse.replace_partition(conn, table, {"quarter": quarter}, [])
    loaded = {name: list_loaded(conn, quarter, name) for name in LISTS}
    missing = [name for name in LISTS if not loaded[name]]
    missing_note = ("缺少清单:" + "、".join(f"{config.list_specs()[n].title}({n})" for n in missing)) if missing else ""
    params = {"quarter": quarter, "prev_quarter": prev, "year": year, "year_text": str(year),
              "prev_loaded": int(list_loaded(conn, prev, "registered")), "yiyuan": YIYUAN,
              "threshold": config.list_specs()["approved"].threshold, "run_id": run_id,
              "dispatch_loaded": int(loaded["dispatch"]), "registered_loaded": int(loaded["registered"]),
              "reserve_loaded": int(loaded["reserve"]), "missing_note": missing_note,
              "missed_complete": int(all(loaded[n] for n in ("dispatch", "reserve", "signed", "approved", "energy")))}
    for path in sorted((Path(sql_dir) / "models").glob("*.sql")):
        for stmt in warehouse.sql_statements(path):
            conn.execute(sa.text(stmt), {k: v for k, v in params.items() if f":{k}" in stmt})
    targets = city_targets(conn, quarter, run_id)
    warehouse.replace_partition(conn, "city_targets", {"quarter": quarter}, targets)
    return {"quarter": quarter, "projects": len({r["project_key"] for r in match.rows}), "review": len(match.review),
            "prev_year_loaded": bool(params["prev_loaded"]), "missing_lists": missing, "city_targets": len(targets)}


def city_targets(conn: Connection, quarter: str, run_id: str | None = None) -> list[dict]:
    """Each indicator of the year's 主要目标: target, actual (year to date), attained."""
    year, _ = quarters.parse_quarter(quarter)
    try:
        spec = config.targets(year)
    except FileNotFoundError:
        return []
    # the city is the sum of its units (a sum over NULLs -- a list not arrived -- stays NULL)
    tot = conn.execute(sa.text(
        "SELECT SUM(industrial_investment), SUM(newbuild_investment), SUM(renovation_investment), "
        "SUM(industrial_investment_prev), SUM(newbuild_investment_prev), SUM(renovation_investment_prev), "
        "SUM(dispatch_projects), SUM(yiyuan_projects), SUM(cluster_projects) "
        "FROM bulletin_unit_quarter WHERE quarter = :q"), {"q": quarter}).one()
    ind, new, ren, ind_prev, new_prev, ren_prev, projects, yiyuan, clusters = tot
    prev = (ind_prev, new_prev, ren_prev)
    actual = {
        "industrial_investment": (ind, _growth(ind, prev[0])),
        "newbuild_investment": (new, _growth(new, prev[1])),
        "renovation_investment": (ren, _growth(ren, prev[2])),
        "cluster_projects": (clusters, _share(clusters, projects)),
        "yiyuan_projects": (yiyuan, _share(yiyuan, projects)),
    }
    out = []
    for t in spec.get("city", []):
        ind_name = t["indicator"]
        value, rate = actual[ind_name]
        strict = t.get("growth_strict", False)
        for measure, target, act in (("amount", t.get("amount"), value), ("growth", t.get("growth"), rate),
                                     ("count", t.get("count"), value), ("share", t.get("share"), rate)):
            if target is None:
                continue
            attained = None if act is None else int(act > target if (strict and measure == "growth") else act >= target)
            out.append({"quarter": quarter, "indicator": ind_name, "label": t.get("label"), "measure": measure,
                        "target": float(target), "actual": None if act is None else float(act),
                        "attained": attained, "run_id": run_id})
    return out


def _growth(cur, prev):
    return None if cur is None or not prev else cur / prev - 1


def _share(part, whole):
    return None if part is None or not whole else part / whole
