"""The operations tables on PostgreSQL: run history, load history, alerts open/closed."""

from __future__ import annotations

from keyprojects import db
from keyprojects.operations import alerts, history


def test_history_and_alerts_on_postgres(pg_engine, tmp_path):
    q = "2022Q1"
    with pg_engine.begin() as conn:
        history.start_run(conn, q, "r1", "keyprojects_quarterly", "2026-01-01T00:00:00+00:00")
        db.replace_partition(conn, "load_audit", {"quarter": q, "list": "signed"}, [
            {"quarter": q, "list": "signed", "file": "a.xlsx", "sha256": "ab", "status": "loaded",
             "rows_read": 3, "rows_loaded": 2, "rows_rejected": 1, "rows_skipped": 0, "message": None,
             "run_id": "r1", "loaded_at": "2026-01-01T00:00:01+00:00"}])
        history.record_loads(conn, tmp_path, q, "signed", "r1", {"ab": ["代县"]})
        history.record_loads(conn, tmp_path, q, "signed", "r1")   # a retry replaces, no duplicate
        history.finish_run(conn, q, "r1", "success", "2026-01-01T00:01:00+00:00", bulletin="b.xlsx")
        a = alerts.compose("late_list", quarter=q, list_name="energy", reason_zh="未到", reason_en="late")
        alerts.record(conn, a, dag_id="d", run_id="r1", created_at="2026-01-01T00:00:02+00:00")
    assert db.fetch(pg_engine, "select count(*) as n from load_history")[0]["n"] == 1
    run = history.last_run(pg_engine, q, "success")
    assert run["run_id"] == "r1" and run["fingerprint"] == history.fingerprint([("signed", "a.xlsx", "ab")])
    assert history.last_run(pg_engine, q)["state"] == "success"
    assert [x["kind"] for x in alerts.open_alerts(pg_engine, quarter=q)] == ["late_list"]
    with pg_engine.begin() as conn:
        assert alerts.close(conn, quarter=q, closed_at="2026-01-02T00:00:00+00:00") == 1
    assert alerts.open_alerts(pg_engine, quarter=q) == []
