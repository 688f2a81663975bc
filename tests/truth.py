"""Comparing the warehouse with the generator's truth (shared by integration and e2e tests)."""

from __future__ import annotations

from keyprojects import LISTS, RULES, db


def audit_counts(engine, quarter: str, list_name: str) -> dict:
    rows = db.fetch(engine, "SELECT status, rows_read, rows_loaded, rows_rejected, rows_skipped FROM load_audit "
                                   "WHERE quarter = :q AND list = :l", q=quarter, l=list_name)
    return {k: sum(r[k] for r in rows) for k in ("rows_read", "rows_loaded", "rows_rejected", "rows_skipped")} | {
        "statuses": sorted({r["status"] for r in rows})}


def assert_matches_truth(engine, truth: dict) -> None:
    """Rows loaded, rejected per rule (and which rows), skipped per reason, read = sum: all exact."""
    q = truth["quarter"]
    for list_name in LISTS:
        t = truth["lists"][list_name]
        a = audit_counts(engine, q, list_name)
        assert a["statuses"] == sorted({pf.get("status", "loaded") for pf in t["per_file"].values()}), (list_name, a)
        # every file of the truth has its audit row with the truth's status and counts (archive members,
        # drop-folder files and resends named as lineage names them)
        audit = {r["file"]: r for r in db.fetch(engine, "SELECT * FROM load_audit WHERE quarter = :q AND list = :l",
                                                q=q, l=list_name)}
        assert set(audit) == set(t["per_file"]), (list_name, sorted(set(audit) ^ set(t["per_file"])))
        for f, pf in t["per_file"].items():
            got = audit[f]
            assert (got["status"], got["rows_read"], got["rows_loaded"], got["rows_rejected"], got["rows_skipped"]) == (
                pf.get("status", "loaded"), pf["rows_read"], pf["rows_loaded"], pf["rows_rejected"],
                pf["rows_skipped"]), (list_name, f, got, pf)
        for r in t.get("resends", ()):
            assert f"superseded by {r['file']}" in (audit[r["replaces"]]["message"] or ""), (list_name, r)
        skipped_truth = sum(t["rows_skipped"].values())
        rejected_truth = sum(t["rows_rejected"].values())
        assert a["rows_read"] == t["rows_read"], (list_name, "read", a, t["rows_read"])
        assert a["rows_read"] == a["rows_loaded"] + a["rows_rejected"] + a["rows_skipped"], list_name
        assert a["rows_loaded"] == t["rows_loaded"], (list_name, "loaded", a["rows_loaded"], t["rows_loaded"])
        assert a["rows_skipped"] == skipped_truth, (list_name, "skipped")
        by_rule = {r["rule"]: r["n"] for r in db.fetch(
            engine, "SELECT rule, COUNT(*) AS n FROM rejected_rows WHERE quarter = :q AND list = :l GROUP BY rule",
            q=q, l=list_name)}
        assert {k: v for k, v in by_rule.items() if v} == {k: v for k, v in t["rows_rejected"].items() if v}, list_name
        assert a["rows_rejected"] == rejected_truth
        got = {(r["file"], r["sheet"], r["row_number"], r["rule"]) for r in db.fetch(
            engine, "SELECT file, sheet, row_number, rule FROM rejected_rows WHERE quarter = :q AND list = :l",
            q=q, l=list_name)}
        want = {(r["file"], r["sheet"], r["row_number"], r["rule"]) for r in t["rejected"]}
        assert got == want, (list_name, sorted(got ^ want, key=repr)[:10])
        # a duplicate names the row that loaded first
        messages = {(r["file"], r["sheet"], r["row_number"]): r["message"] for r in db.fetch(
            engine, "SELECT file, sheet, row_number, message FROM rejected_rows WHERE quarter = :q AND list = :l "
                    "AND rule = 'duplicate'", q=q, l=list_name)}
        for r in t["rejected"]:
            if r["rule"] == "duplicate":
                first = r["duplicate_of"]
                named = f"from {first['file']}, sheet {first['sheet']}, row {first['row_number']} [duplicate]"
                assert named in messages[(r["file"], r["sheet"], r["row_number"])], (list_name, r, named)
        by_reason = {r["reason"]: r["n"] for r in db.fetch(
            engine, "SELECT reason, COUNT(*) AS n FROM skipped_rows WHERE quarter = :q AND list = :l GROUP BY reason",
            q=q, l=list_name)}
        assert by_reason == {k: v for k, v in t["rows_skipped"].items() if v}, list_name
        staged = {(r["file"], r["sheet"], r["row_number"]): r for r in db.fetch(
            engine, f"SELECT * FROM stg_{list_name} WHERE quarter = :q", q=q)}
        assert set(staged) == {(r["file"], r["sheet"], r["row_number"]) for r in t["loaded"]}, list_name
        for r in t["loaded"]:
            s = staged[(r["file"], r["sheet"], r["row_number"])]
            for k in ("unit", "project_code", "project_name", "name_key", "nature", "status", "cluster",
                      "approval_date", "signing_date", "start_date", "registered_date"):
                assert s[k] == r.get(k), (list_name, k, s[k], r.get(k), r["file"], r["row_number"])
            for k in ("total_investment", "annual_plan", "ytd_investment", "month_investment"):
                if r.get(k) is None:
                    assert s[k] is None, (list_name, k, s[k], r["file"], r["row_number"])
                else:
                    assert abs(s[k] - r[k]) < 1e-6, (list_name, k, s[k], r[k], r["file"], r["row_number"])


def assert_returns_match(engine, truth: dict, output=None) -> None:
    """Every rejected row goes back (退回清单) to the sender the truth names; with ``output``, the
    quarter's 退回清单 folder holds one workbook per such sender and no other."""
    from keyprojects.documents import returns

    q = truth["quarter"]
    got = {(r["list"], r["file"], r["sheet"], r["row_number"]): r["sender"]
           for r in returns.read_rejections(engine, q)}
    want = {(name, r["file"], r["sheet"], r["row_number"]): r["sender"]
            for name in LISTS for r in truth["lists"][name]["rejected"]}
    assert got == want, (q, sorted(set(got.items()) ^ set(want.items()), key=repr)[:10])
    if output is not None:
        books = {p.stem for p in (output / q / returns.FOLDER).glob("*.xlsx")}
        assert books == {returns.safe_filename(s) for s in want.values()}, q


def table_snapshot(engine, table: str, quarter: str, ignore=("run_id", "loaded_at")) -> list:
    rows = db.fetch(engine, f"SELECT * FROM {table} WHERE quarter = :q", q=quarter)
    return sorted(repr(sorted((k, v) for k, v in r.items() if k not in ignore)) for r in rows)


assert set(RULES) >= {"missing_required", "unknown_unit", "bad_code", "bad_number", "bad_date", "below_threshold",
                      "duplicate"}


def assert_figures_match(engine, doc: dict) -> None:
    """Every figure of bulletin_unit_quarter, missed_reports (and the 漏报 candidates with their category)
    and unregistered_projects equals the truth."""
    q, fig = doc["quarter"], doc["figures"]
    rows = {
        r["unit"]: r for r in db.fetch(engine, "SELECT * FROM bulletin_unit_quarter WHERE quarter = :q", q=q)
    }
    assert set(rows) == set(fig["bulletin"]), q
    for unit, want in fig["bulletin"].items():
        got = rows[unit]
        for k, v in want.items():
            if isinstance(v, str):
                assert got[k] == v, (q, unit, k, got[k], v)
            elif v is None or got[k] is None:
                assert got[k] is None and v is None, (q, unit, k, got[k], v)
            else:
                assert abs(got[k] - v) <= 1e-6 * max(1.0, abs(v)), (q, unit, k, got[k], v)
    missed = sorted(
        (
            (r["unit"], r["source_list"], r["project_code"], r["project_name"], round(r["total_investment"], 4))
            for r in db.fetch(engine, "SELECT * FROM missed_reports WHERE quarter = :q", q=q)
        ),
        key=repr,
    )
    want_missed = sorted(((r["unit"], r["source_list"], r["project_code"], r["project_name"],
                           round(r["total_investment"], 4)) for r in fig["missed_reports"]), key=repr)
    assert missed == want_missed, (q, sorted(set(missed) ^ set(want_missed), key=repr)[:10])
    # every 漏报 candidate with its category: missed (漏报), returned (退回待改), unconfirmed (待核实)
    candidates = sorted(((r["unit"], r["source_list"], r["project_code"], r["project_name"], r["category"])
                         for r in db.fetch(engine, "SELECT * FROM int_missed_candidates WHERE quarter = :q",
                                                  q=q)), key=repr)
    want_candidates = sorted(((r["unit"], r["source_list"], r["project_code"], r["project_name"], r["category"])
                              for r in fig["missed_candidates"]), key=repr)
    assert candidates == want_candidates, (q, sorted(set(candidates) ^ set(want_candidates), key=repr)[:10])
    unreg = sorted(((r["unit"], r["project_code"], r["project_name"]) for r in db.fetch(
        engine, "SELECT * FROM unregistered_projects WHERE quarter = :q", q=q)), key=repr)
    want_unreg = sorted(((r["unit"], r["project_code"], r["project_name"]) for r in fig["unregistered_projects"]),
                        key=repr)
    assert unreg == want_unreg, (q, sorted(set(unreg) ^ set(want_unreg), key=repr)[:10])


WORLD_FIELDS = ("total_investment", "ytd_investment", "annual_plan", "unit", "project_code", "nature", "status",
                "cluster")


def assert_matches_world(engine, doc: dict) -> None:
    """Every value the pipeline loaded equals the generator's world (the numbers and names it drew
    before writing them in messy forms) — a check that does not go through the project's parsers."""
    q = doc["quarter"]
    for list_name in LISTS:
        ids = {(r["file"], r["sheet"], r["row_number"]): r["project_id"] for r in doc["lists"][list_name]["loaded"]}
        checked = 0
        for s in db.fetch(engine, f"SELECT * FROM stg_{list_name} WHERE quarter = :q", q=q):
            world = doc["projects"][ids[(s["file"], s["sheet"], s["row_number"])]]
            for k in WORLD_FIELDS:
                if s[k] is None:
                    continue
                if isinstance(s[k], float):
                    assert abs(s[k] - world[k]) < 1e-6, (list_name, k, s[k], world[k], s["file"], s["row_number"])
                else:
                    assert s[k] == world[k], (list_name, k, s[k], world[k], s["file"], s["row_number"])
                checked += 1
        assert checked > 0, list_name
