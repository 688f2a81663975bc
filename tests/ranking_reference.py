"""An independent Python statement of domain.md's ranking (for comparing with the SQL model)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from keyprojects import config, db

WEIGHTS = {"industrial_growth_gap": 30, "renovation_growth": 15, "start_rate": 20, "registration_rate": 15,
           "large_projects": 10, "cluster_projects": 10}


def printed_percent(fraction: float) -> Decimal:
    """A fraction as the office reads it: percent at one decimal, half away from zero, of the value
    to 15 significant digits (as Excel shows it)."""
    return (Decimal(f"{fraction:.15g}") * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def expected_ranking(engine, year: int, previous: dict[str, int] | None = None) -> dict[str, dict]:
    rows = db.fetch(engine, "SELECT * FROM bulletin_unit_quarter WHERE quarter = :q", q=f"{year}Q4")
    order = {u.name: u.order for u in config.units()}
    ranked = {u.name for u in config.units() if u.ranked}
    values = {}
    for r in rows:
        gap = None if r["industrial_growth"] is None or r["target_growth"] is None \
            else float(printed_percent(r["industrial_growth"]) - printed_percent(r["target_growth"])) / 100
        values[r["unit"]] = {"industrial_growth_gap": gap, "renovation_growth": r["renovation_growth"],
                             "start_rate": r["start_rate"], "registration_rate": r["registration_rate"],
                             "large_projects": r["yiyuan_projects"], "cluster_projects": r["cluster_projects"]}
    out = {}
    for r in rows:
        out[r["unit"]] = {"ranked": r["unit"] in ranked, "values": values[r["unit"]], "points": {},
                          "inv": r["industrial_investment"], "missed": r["missed_reports"]}
    for ind, w in WEIGHTS.items():
        have = [values[u][ind] for u in ranked if u in values and values[u][ind] is not None]
        lo, hi = (min(have), max(have)) if have else (None, None)
        for u, e in out.items():
            v = values[u][ind]
            if not e["ranked"]:
                e["points"][ind] = None
            elif v is None:
                e["points"][ind] = 0.0
            elif hi == lo:
                e["points"][ind] = float(w)
            else:
                e["points"][ind] = w * (v - lo) / (hi - lo)
    for e in out.values():
        if not e["ranked"]:
            e["deduction"] = e["score"] = e["rank"] = None
            continue
        e["deduction"] = min(2 * (e["missed"] or 0), 10)
        raw = sum(e["points"].values()) - e["deduction"]
        e["score"] = float(Decimal(repr(raw)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    ranked_units = sorted((u for u in out if out[u]["ranked"]),
                          key=lambda u: (-out[u]["score"], out[u]["inv"] is None, -(out[u]["inv"] or 0), order[u]))
    for i, u in enumerate(ranked_units, 1):
        out[u]["rank"] = i
    for u, e in out.items():
        prev = (previous or {}).get(u)
        e["previous_rank"] = prev
        e["rank_change"] = None if prev is None or e["rank"] is None else prev - e["rank"]
    return out


def assert_ranking_matches(engine, year: int, previous: dict[str, int] | None = None) -> dict[str, dict]:
    exp = expected_ranking(engine, year, previous)
    got = {r["unit"]: r for r in db.fetch(engine, "SELECT * FROM ranking_unit_year WHERE year = :y", y=year)}
    assert set(got) == set(exp)
    for u, e in exp.items():
        g = got[u]
        assert bool(g["ranked"]) == e["ranked"], u
        for ind in WEIGHTS:
            ev, gv = e["values"][ind], g[f"{ind}_value"]
            assert (ev is None) == (gv is None) and (ev is None or abs(ev - gv) < 1e-9), (u, ind, ev, gv)
            ep, gp = e["points"][ind], g[f"{ind}_points"]
            assert (ep is None) == (gp is None) and (ep is None or abs(ep - gp) < 1e-9), (u, ind, ep, gp)
        for k in ("deduction", "score"):
            assert (e[k] is None) == (g[k] is None), (u, k, e[k], g[k])
            assert e[k] is None or abs(float(g[k]) - e[k]) < 1e-9, (u, k, e[k], g[k])
        assert g["rank"] == e["rank"], (u, g["rank"], e["rank"])
        assert g["previous_rank"] == e["previous_rank"], u
        assert g["rank_change"] == e["rank_change"], u
    return exp
