"""Compare the monthly tables with the generator's truth (kpgen.monthly), which is computed from
its own world and fault decisions, not from the product's parsers."""

from __future__ import annotations

from keyprojects import db


def _identity(r: dict) -> tuple:
    return (r["unit"], r["raised_on"], r["description"])


def assert_monthly_matches(engine, doc: dict) -> None:
    months = doc["months"]
    # row accounting per month
    for m in months:
        want = doc["loads"][m]
        got = {r["rule"]: r["n"] for r in db.fetch(
            engine, "select rule, count(*) as n from rejected_rows where list = 'progress' and quarter = :m "
                    "group by rule", m=m)}
        assert got == want["rows_rejected"], m
        n = db.fetch(engine, "select count(*) as n from stg_progress where month = :m", m=m)[0]["n"]
        assert n == want["rows_loaded"], m
        # 存在问题 "无", "暂无", "/", "—"...: loaded as a row without a problem
        got_none = {(r["file"], r["row_number"]): r for r in db.fetch(
            engine, "select file, row_number, problem, problem_id from stg_progress where month = :m", m=m)}
        for file, row_number, word in want["no_problem_rows"]:
            r = got_none.get((file, row_number))
            assert r is not None and r["problem"] is None and r["problem_id"] is None, (m, file, row_number, word)
        missing = [r["unit"] for r in db.fetch(
            engine, "select unit from progress_unit_month where month = :m and reported = 0 order by unit", m=m)]
        assert sorted(missing) == sorted(doc["missing_units"][m]), m

    # problems: status, deadlines, first/last month, closure, 不再报送
    got = {_identity(r): r for r in db.fetch(engine, "select * from problems")}
    want = {_identity(p): (pid, p) for pid, p in doc["problems"].items()}
    assert set(got) == set(want)
    ids = {}
    for key, (pid, p) in want.items():
        g = got[key]
        ids[g["problem_id"]] = pid
        for f in ("project_name", "kind", "department", "assign_by", "feedback_by", "settle_by", "first_month",
                  "last_month", "closed_month", "closed_on", "status"):
            assert g[f] == p[f], (key, f, g[f], p[f])
        assert bool(g["major"]) == p["major"] and bool(g["not_reported"]) == p["not_reported"], key

    # problems as of each month's last day
    got_pm = {(r["month"], ids[r["problem_id"]]): r for r in db.fetch(engine, "select * from problems_month")}
    want_pm = {(r["month"], r["problem"]): r for r in doc["problems_month"]}
    assert set(got_pm) == set(want_pm)
    for k, w in want_pm.items():
        g = got_pm[k]
        assert (g["status"], bool(g["overdue"]), g["days_overdue"], bool(g["closed_in_month"]),
                bool(g["not_reported"]), g["days_not_reported"], g["pending_days"]) == (
            w["status"], w["overdue"], w["days_overdue"], w["closed_in_month"], w["not_reported"],
            w["days_not_reported"], w["pending_days"]), k

    # per department and month: open, overdue, closed this month
    got_d = {(r["month"], r["department"]): (r["open_problems"], r["overdue_problems"], r["closed_problems"])
             for r in db.fetch(engine, "select * from department_month")}
    assert got_d == {(d["month"], d["department"]): (d["open"], d["overdue"], d["closed"])
                     for d in doc["departments"]}

    # early warnings: one row per project and month, reasons joined
    got_w = sorted((r["month"], r["unit"], r["project_name"], r["reason"])
                   for r in db.fetch(engine, "select * from early_warnings"))
    assert got_w == sorted(tuple(w) for w in doc["early_warnings"])


MONTHLY_TABLES = ("stg_progress", "progress_month", "progress_review", "problems", "problems_month",
                  "department_month", "progress_unit_month", "early_warnings")


def monthly_snapshot(engine) -> dict:
    """Every monthly table's rows (run ids left out), sorted, for equality between warehouses."""
    out = {}
    for t in MONTHLY_TABLES + ("rejected_rows", "load_audit"):
        rows = db.fetch(engine, f"select * from {t}" + (" where list = 'progress'" if t in (
            "rejected_rows", "load_audit") else ""))
        out[t] = sorted(tuple(sorted((k, str(v)) for k, v in r.items() if k not in ("run_id", "loaded_at")))
                        for r in rows)
    return out
