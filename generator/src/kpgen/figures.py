"""The bulletin figures a correct pipeline must produce for a generated quarter.

Computed from the truth's loaded rows with the world's project ids as identity — not from codes
and names as the pipeline matches them — so it is an independent statement of the result. Rows
written with a near-miss name (one character differs, no code) are by design not the same project
to a correct pipeline (they go to review), so each counts as an identity of its own.

Definitions: docs/domain.md 'Working definitions' and docs/decisions.md (same unit; distinct projects;
a unit no data row of a library names — loaded or rejected — has not reported it (未报送): its library
figures are None and it is charged with no 漏报; one all of whose rows were rejected has (its figures
count no project); a project without a 所属产业集群 word in any dispatch row makes its
unit's cluster figures None). Amounts are rounded to 2 decimals, as the warehouse stores them.

A 漏报 candidate is set apart (docs/rules.md, '漏报, 退回待改, 待核实'), decided from the world:
- 退回待改 when a *rejected* row of the unit's reserve or dispatch library is the same world project
  and still identifies it as written: its unit cell is not the faulted field, and either its name is
  written intact (not faulted, not a near-miss variant) or its code is written intact while the
  project has a code among the quarter's rows of that unit (bureau row or any loaded row);
- else 待核实 when a row of the unit's loaded libraries that is not the candidate (another world
  project, or the same one written with a near-miss name) has a name near-identical to the
  candidate's as written (normalised names unequal, similarity at or above the near-miss threshold),
  at least one of the two without a code (two different codes are two projects): the generator's
  near-miss variants, and distinct projects whose names happen to be that close;
- else 漏报.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from rapidfuzz import fuzz

from keyprojects import config
from keyprojects.ingest import normalize

YIYUAN = 10000.0


def _identity(row: dict, list_name: str):
    if row.get("name_variant") == "near_miss" and not row.get("project_code"):
        return ("near_miss", list_name, row["file"], row["sheet"], row["row_number"])
    return row["project_id"]


def _investment(doc: dict | None) -> dict[str, dict[str, float]] | None:
    if doc is None:
        return None
    groups = config.groups()["nature"]
    out: dict[str, dict[str, float]] = defaultdict(lambda: {"industrial": 0.0, "newbuild": 0.0, "renovation": 0.0})
    for r in doc["lists"]["registered"]["loaded"]:
        ytd = r.get("ytd_investment") or 0.0
        out[r["unit"]]["industrial"] += ytd
        for g in ("newbuild", "renovation"):
            if r.get("nature") in groups[g]:
                out[r["unit"]][g] += ytd
    return out


def printed(fraction: float) -> Decimal:
    """A growth as the office reads it (domain.md, Attainment): percent at one decimal, half away
    from zero, of the value to 15 significant digits (as Excel shows it): 1150/1000 - 1 is 15.0%."""
    return (Decimal(f"{fraction:.15g}") * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _growth(cur: float, prev: float | None):
    return None if not prev else cur / prev - 1


def figures(doc: dict, prev_year_doc: dict | None) -> dict:
    """{"bulletin": {unit: {...}}, "missed_reports": [...], "unregistered_projects": [...]}"""
    quarter = doc["quarter"]
    year = int(quarter[:4])
    lists = {name: doc["lists"][name]["loaded"] for name in doc["lists"]}
    started_set = set(config.groups()["status"]["started"])
    try:
        target_by_group = config.targets(year).get("growth_by_zone_group", {})
    except FileNotFoundError:
        target_by_group = {}

    # received (docs/rules.md "Received"): a unit named by a data row of the library, loaded or rejected
    received = {lib: {r["unit"] for r in lists[lib]} | {r["unit"] for r in doc["lists"][lib]["rejected"]
                                                         if r.get("unit")} for lib in ("reserve", "dispatch")}
    ids: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))   # list -> unit -> identities
    for name, rows in lists.items():
        for r in rows:
            ids[name][r["unit"]].add(_identity(r, name))

    dispatch: dict[str, dict] = defaultdict(dict)   # unit -> identity -> facts
    for r in lists["dispatch"]:
        f = dispatch[r["unit"]].setdefault(_identity(r, "dispatch"), {
            "total": 0.0, "started": False, "cluster": False, "cluster_known": False, "code": r["project_code"],
            "name": r["project_name"], "status": r["status"]})
        f["total"] = max(f["total"], r["total_investment"] or 0.0)
        f["started"] |= r["status"] in started_set
        f["cluster"] |= r.get("cluster") is not None
        f["cluster_known"] |= r.get("industry") is not None

    missed = []
    for name in ("approved", "energy", "signed"):
        for r in lists[name]:
            if name != "signed" and r.get("approval_date") and int(r["approval_date"][:4]) != year:
                continue
            libraries = ("dispatch",) if name != "signed" else ("reserve", "dispatch")
            if not all(r["unit"] in received[lib] for lib in libraries):
                continue  # 未报送: nothing to check against
            ident = _identity(r, name)
            if not any(ident in ids[lib][r["unit"]] for lib in libraries):
                missed.append({"unit": r["unit"], "source_list": name, "identity": repr(ident),
                               "project_id": r["project_id"],
                               "project_code": r["project_code"], "project_name": r["project_name"],
                               "total_investment": r["total_investment"]})
    # one row per project and source list
    seen, candidate_rows = set(), []
    for m in missed:
        key = (m["unit"], m["source_list"], m["identity"])
        if key not in seen:
            seen.add(key)
            candidate_rows.append(m)
    category = _categories(doc, lists, candidate_rows)
    for m in candidate_rows:
        m["category"] = category[(m["unit"], m["identity"])]
    missed_rows = [m for m in candidate_rows if m["category"] == "missed"]

    inv, inv_prev = _investment(doc), _investment(prev_year_doc)
    bulletin, unregistered = {}, []
    for u in config.units():
        projects = dispatch.get(u.name, {})
        registered_ids = ids["registered"][u.name]
        started = [i for i, f in projects.items() if f["started"]]
        registered = [i for i in started if i in registered_ids]
        for i in started:
            if i not in registered_ids:
                f = projects[i]
                unregistered.append({"unit": u.name, "project_code": f["code"], "project_name": f["name"]})
        n = len(projects)
        cur = inv[u.name] if u.name in inv else {"industrial": 0.0, "newbuild": 0.0, "renovation": 0.0}
        prev = None if inv_prev is None else (inv_prev[u.name] if u.name in inv_prev else
                                              {"industrial": 0.0, "newbuild": 0.0, "renovation": 0.0})
        target = target_by_group.get(u.zone_group)
        growth = _growth(cur["industrial"], prev and prev["industrial"])
        yiyuan = sum(1 for f in projects.values() if f["total"] >= YIYUAN)
        clusters = sum(1 for f in projects.values() if f["cluster"])
        unknown = sum(1 for f in projects.values() if not f["cluster_known"])
        has_dispatch = u.name in received["dispatch"]
        has_both = has_dispatch and u.name in received["reserve"]

        def lib(value, ok=has_dispatch):
            return value if ok else None

        bulletin[u.name] = {
            "reserve_status": "received" if u.name in received["reserve"] else "not_received",
            "dispatch_status": "received" if has_dispatch else "not_received",
            "dispatch_projects": lib(n),
            "dispatch_total_investment": lib(round(sum(f["total"] for f in projects.values()), 2)),
            "industrial_investment": round(cur["industrial"], 2),
            "industrial_investment_prev": None if prev is None else round(prev["industrial"], 2),
            "industrial_growth": growth,
            "target_growth": target,
            "growth_attained": None if growth is None or target is None else int(printed(growth) >= printed(target)),
            "newbuild_investment": round(cur["newbuild"], 2),
            "newbuild_growth": _growth(cur["newbuild"], prev and prev["newbuild"]),
            "renovation_investment": round(cur["renovation"], 2),
            "renovation_growth": _growth(cur["renovation"], prev and prev["renovation"]),
            "started_projects": lib(len(started)),
            "start_rate": lib(len(started) / n if n else None),
            "registered_projects": lib(len(registered)),
            "registration_rate": lib(len(registered) / len(started) if started else None),
            "missed_reports": lib(len({m["identity"] for m in missed_rows if m["unit"] == u.name}), has_both),
            "returned_reports": lib(len({m["identity"] for m in candidate_rows
                                         if m["unit"] == u.name and m["category"] == "returned"}), has_both),
            "unconfirmed_reports": lib(len({m["identity"] for m in candidate_rows
                                            if m["unit"] == u.name and m["category"] == "unconfirmed"}), has_both),
            "yiyuan_projects": lib(yiyuan),
            "yiyuan_share": lib(yiyuan / n if n else None),
            "cluster_projects": lib(clusters, has_dispatch and unknown == 0),
            "cluster_share": lib(clusters / n if n else None, has_dispatch and unknown == 0),
            "cluster_unknown_projects": lib(unknown),
        }
    gaps = {u: b["industrial_growth"] - b["target_growth"] for u, b in bulletin.items()
            if b["industrial_growth"] is not None and b["target_growth"] is not None}
    for u, b in bulletin.items():
        b["growth_rank"] = 1 + sum(1 for g in gaps.values() if g > gaps[u]) if u in gaps else None
    for m in candidate_rows:
        m.pop("identity")
    key = lambda r: (r["unit"], r.get("source_list", ""), r["project_name"])  # noqa: E731
    return {"bulletin": bulletin, "missed_reports": sorted(missed_rows, key=key),
            "missed_candidates": sorted(candidate_rows, key=key),
            "unregistered_projects": sorted(unregistered, key=key)}


def _categories(doc: dict, lists: dict, candidates: list[dict]) -> dict:
    """(unit, identity) -> missed | returned | unconfirmed, for every 漏报 candidate (module doc)."""
    threshold = config.matching()["near_miss_threshold"] * 100
    coded = {(r["unit"], r["project_id"]) for rows in lists.values() for r in rows if r.get("project_code")}
    returned_ids: dict[str, set] = defaultdict(set)     # project id -> units where a rejected row names it
    returned_any: dict[str, set] = defaultdict(set)     # ... by its code only (name not intact)
    for lib in ("reserve", "dispatch"):
        for r in doc["lists"][lib]["rejected"]:
            if r["rule"] == "duplicate" or r.get("project_id") is None:
                continue
            faulted = set(r.get("fault_fields", ()))
            if "unit" in faulted:
                continue
            unit = doc["projects"][r["project_id"]]["unit"]
            if "project_name" not in faulted and r.get("name_variant") != "near_miss":
                returned_ids[r["project_id"]].add(unit)
            elif r.get("code_written") and "project_code" not in faulted:
                returned_any[r["project_id"]].add(unit)
    library: dict[str, list[dict]] = defaultdict(list)   # unit -> loaded library rows
    for lib in ("reserve", "dispatch"):
        for r in lists[lib]:
            library[r["unit"]].append(r)

    def near(a: str, b: str) -> bool:
        ka, kb = normalize.normalize_name(a), normalize.normalize_name(b)
        return ka != kb and fuzz.ratio(ka, kb) >= threshold - 1e-6

    out = {}
    for m in candidates:
        unit, ident, pid = m["unit"], m["identity"], m["project_id"]
        near_miss = ident != repr(pid)
        cat = "missed"
        if not near_miss and (unit in returned_ids[pid] or (unit in returned_any[pid] and (unit, pid) in coded)):
            cat = "returned"
        else:
            cand_coded = not near_miss and (unit, pid) in coded
            for r in library[unit]:
                other_near_miss = r.get("name_variant") == "near_miss" and not r.get("project_code")
                if r["project_id"] == pid and near_miss == other_near_miss:
                    continue  # the candidate's own identity
                lib_coded = not other_near_miss and (unit, r["project_id"]) in coded
                if (not cand_coded or not lib_coded) and near(m["project_name"], r["project_name"]):
                    cat = "unconfirmed"
                    break
        prev = out.get((unit, ident))
        out[(unit, ident)] = cat if prev in (None, "missed") else prev
    return out
