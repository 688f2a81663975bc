"""报送情况, the office's page: what a quarter, a month and a unit's history show, escaping of hostile
names, and that nothing is served without Airflow's login (the plugin's app through FastAPI's
TestClient, with Airflow's SimpleAuthManager and a signed JWT). The FAB role 办公室/Office is
tested in tests/integration/test_office_fab.py; the page in a real browser in test_office_browser.py."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
from pathlib import Path

import pytest

from keyprojects import config, db

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = '<script>alert("x")</script>'
HOSTILE_DEPT = "市<img src=x onerror=alert(1)>局"


def _plugin():
    spec = importlib.util.spec_from_file_location("keyprojects_links_office", ROOT / "plugins" / "keyprojects_links.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def fill(eng, output: Path) -> None:
    """A warehouse as 2022Q4's and 2022-12's runs would leave it, written directly."""
    units = [u.name for u in config.units()]
    deadline = "2023-01-16T00:00:00+08:00"
    arrivals = []
    for u in units:
        for lst in ("reserve", "dispatch"):
            if u == "偏关县" and lst == "dispatch":
                arrivals.append({"quarter": "2022Q4", "list": lst, "unit": u, "status": "missing", "files": 0,
                                 "first_received": None, "last_received": None, "deadline": deadline,
                                 "run_id": "r2"})
                continue
            # 代县's dispatch library came after the deadline (2023-01-20 10:00 China time)
            first = "2023-01-20T02:00:00+00:00" if (u, lst) == ("代县", "dispatch") else "2023-01-05T01:30:00+00:00"
            arrivals.append({"quarter": "2022Q4", "list": lst, "unit": u, "status": "arrived", "files": 1,
                             "first_received": first, "last_received": first, "deadline": deadline,
                             "run_id": "r2"})
    for lst in ("signed", "approved", "energy", "registered"):
        status = "missing" if lst == "energy" else "arrived"
        arrivals.append({"quarter": "2022Q4", "list": lst, "unit": None, "status": status,
                         "files": int(status == "arrived"), "first_received": None if status == "missing" else
                         "2023-01-03T08:00:00+00:00", "last_received": None if status == "missing" else
                         "2023-01-03T08:00:00+00:00", "deadline": deadline, "run_id": "r2"})
    with eng.begin() as conn:
        db.insert_rows(conn, "inbox_arrivals", arrivals)
        # two rejected rows of 五台县's reserve library, one of the approval list
        db.insert_rows(conn, "raw_rows", [
            {"quarter": "2022Q4", "list": "reserve", "file": "五台县.xlsx", "sheet": "储备库", "row_number": n,
             "disposition": disp, "reason": None, "cells": json.dumps({"unit": "五台县"}, ensure_ascii=False),
             "sha256": "a" * 64, "run_id": "r2"} for n, disp in ((4, "loaded"), (5, "rejected"), (6, "rejected"))])
        db.insert_rows(conn, "rejected_rows", [
            {"quarter": "2022Q4", "list": "reserve", "file": "五台县.xlsx", "sheet": "储备库", "row_number": n,
             "rule": "bad_number", "field": "total_investment", "value": "x", "message": "m", "run_id": "r2"}
            for n in (5, 6)] + [
            {"quarter": "2022Q4", "list": "approved", "file": "立项.xlsx", "sheet": "Sheet1", "row_number": 9,
             "rule": "bad_code", "field": "project_code", "value": "x", "message": "m", "run_id": "r2"}])
        # submission_quality as model 070 leaves it for those rows (the page reads its counts there)
        db.insert_rows(conn, "submission_quality", [
            {"quarter": "2022Q4", "sender": sender, "list": lst, "sender_kind": kind, "received_at": None,
             "on_time": 1, "days_late": 0, "files": 1, "resubmissions": 0, "rows_read": read,
             "rows_loaded": read - rejected, "rows_rejected": rejected, "rows_skipped": 0,
             "rejection_rate": rejected / read, "top_rule": rule, "top_rule_rows": rejected,
             "missed_reports": None, "unregistered_projects": None, "run_id": "r2"}
            for sender, lst, kind, read, rejected, rule in (("五台县", "reserve", "unit", 3, 2, "bad_number"),
                                                           ("市行政审批局", "approved", "bureau", 10, 1, "bad_code"))])
        db.insert_rows(conn, "load_audit", [
            {"quarter": "2022Q4", "list": "approved", "file": "立项.xlsx", "sha256": "b" * 64, "status": "loaded",
             "rows_read": 10, "rows_loaded": 9, "rows_rejected": 1, "rows_skipped": 0, "message": None,
             "run_id": "r2", "loaded_at": "2023-01-17T01:00:00+00:00"},
            {"quarter": "2022-12", "list": "progress", "file": f"{HOSTILE}.xlsx", "sha256": "c" * 64,
             "status": "loaded", "rows_read": 5, "rows_loaded": 5, "rows_rejected": 0, "rows_skipped": 0,
             "message": None, "run_id": "m1", "loaded_at": "2023-01-02T16:30:00+00:00"}])
        db.insert_rows(conn, "run_history", [
            {"quarter": "2022Q4", "dag_id": "keyprojects_quarterly", "run_id": "r1", "state": "success",
             "fingerprint": None, "bulletin": None, "message": None, "started_at": "2023-01-16T00:00:00+00:00",
             "finished_at": "2023-01-16T00:10:00+00:00"},
            {"quarter": "2022Q4", "dag_id": "keyprojects_quarterly", "run_id": "r2", "state": "failed",
             "fingerprint": None, "bulletin": None, "message": f"check_marts failed {HOSTILE}",
             "started_at": "2023-01-17T00:00:00+00:00", "finished_at": "2023-01-17T00:05:00+00:00"}])
        db.insert_rows(conn, "alerts", [
            {"created_at": "2023-01-16T00:00:00+00:00", "dag_id": "keyprojects_quarterly", "run_id": "r2",
             "quarter": "2022Q4", "month": None, "kind": "unit_not_reported", "list": "dispatch", "unit": "偏关县",
             "file": None, "task_id": "record_arrivals", "message": f"偏关县 未报送调度库 {HOSTILE}",
             "report": None, "status": "open", "closed_at": None, "emailed": 0}])
        db.insert_rows(conn, "load_history", [
            {"quarter": "2022Q4", "list": "dispatch", "file": f"代县/{name}", "sha256": sha * 64, "status": "loaded",
             "rows_read": 20, "rows_loaded": loaded, "rows_rejected": 20 - loaded, "rows_skipped": 0,
             "message": None, "units": json.dumps(["代县"], ensure_ascii=False), "file_size": 100,
             "file_mtime": mtime, "run_id": run, "loaded_at": None}
            for run, name, sha, loaded, mtime in (
                ("r1", "调度库.xlsx", "d", 18, "2023-01-05T01:30:00+00:00"),
                ("r2", "调度库（更正）.xlsx", "e", 20, "2023-01-20T02:00:00+00:00"))])
        db.insert_rows(conn, "bulletin_history", [
            {"quarter": "2022Q4", "run_id": run, "unit": "代县", "dispatch_projects": n,
             "dispatch_total_investment": 1000.0 * n, "industrial_investment": 5000.0, "industrial_growth": 0.12,
             "renovation_investment": 10.0, "renovation_growth": None, "start_rate": rate,
             "registration_rate": 0.5, "missed_reports": 1} for run, n, rate in (("r1", 18, 0.5), ("r2", 20, 0.55))])
        db.insert_rows(conn, "department_month", [
            {"month": "2022-12", "department": HOSTILE_DEPT, "open_problems": 3, "overdue_problems": 2,
             "closed_problems": 1},
            {"month": "2022-12", "department": "市自然资源局", "open_problems": 1, "overdue_problems": 0,
             "closed_problems": 0}])
        db.insert_rows(conn, "progress_unit_month", [
            {"month": "2022-12", "unit": u, "unit_order": i, "reported": int(u != "河曲县"), "projects": 1,
             "month_investment": None, "ytd_investment": None, "annual_plan": None, "ytd_share": None,
             "library_status": "received"} for i, u in enumerate(units)])
    for rel in ("2022Q4/忻州市工业重点项目2022年第四季度通报.xlsx", "2022Q4/退回清单/五台县.xlsx",
                f"2022Q4/退回清单/{HOSTILE}.xlsx", "2022/忻州市工业重点项目2022年度考评排名.xlsx",
                "2022-12/忻州市工业重点项目2022年12月调度通报.xlsx", "2022Q4/notes.txt"):
        (output / rel).parent.mkdir(parents=True, exist_ok=True)
        (output / rel).write_bytes(b"PK\x03\x04 test")
    (output / "outside.xlsx").write_bytes(b"PK")


@pytest.fixture
def site(airflow_db, sqlite_engine, tmp_path, monkeypatch):
    output = tmp_path / "output"
    output.mkdir()
    fill(sqlite_engine, output)
    monkeypatch.setenv("KP_WAREHOUSE_URL", str(sqlite_engine.url))
    monkeypatch.setenv("KP_OUTPUT", str(output))
    monkeypatch.setenv("KP_INBOX", str(tmp_path / "inbox"))
    monkeypatch.setenv("AIRFLOW__CORE__AUTH_MANAGER",
                       "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager")
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "office:viewer")
    monkeypatch.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", str(tmp_path / "passwords.json"))
    monkeypatch.setenv("AIRFLOW__API_AUTH__JWT_SECRET", "test-secret-" + "x" * 64)
    monkeypatch.delenv("AIRFLOW__API__BASE_URL", raising=False)
    from airflow.api_fastapi import app as af_app
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    af_app.purge_cached_app()
    am = af_app.init_auth_manager()
    token = am.generate_jwt(SimpleAuthManagerUser(username="office", role="viewer"))
    root = FastAPI()
    root.mount("/keyprojects", _plugin().create_app())
    client = TestClient(root)
    yield client, token, output
    af_app.purge_cached_app()


def get(client, token, url, **kw):
    return client.get(url, headers={"Authorization": f"Bearer {token}"}, **kw)


def cell(html: str, table: str, row: str) -> list[str]:
    """The class and text of each cell of a row (first cell ``row``) of the table with that id."""
    body = re.search(rf'<table id="{table}">(.*?)</table>', html, re.S).group(1)
    for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        tds = re.findall(r'<td(?: class="([^"]*)")?>(.*?)</td>', tr, re.S)
        if tds and tds[0][1].strip() == row:
            return [f"{c}|{' '.join(re.sub(r'<[^>]+>', ' ', t).split()[:2])}" for c, t in tds[1:]]
    raise AssertionError(f"no row {row} in {table}")


def test_the_quarter_shows_who_has_reported(site):
    client, token, _ = site
    r = get(client, token, "/keyprojects/office/2022Q4")
    assert r.status_code == 200, r.text
    html = r.text
    assert "2022年第四季度 报送情况" in html
    assert cell(html, "units", "忻府区")[:2] == ["ok|已报送 2023-01-05", "ok|已报送 2023-01-05"]
    assert cell(html, "units", "代县")[1] == "late|逾期报送 2023-01-20"        # after 2023-01-16 00:00 +08
    assert cell(html, "units", "偏关县")[1] == "missing|未报送"
    assert cell(html, "units", "五台县")[0] == "returned|退回 2"                 # 退回 2 行
    assert "退回 2 行" in html
    assert cell(html, "bureaus", "能源类清单")[1] == "missing|未报送"
    assert cell(html, "bureaus", "立项清单")[1] == "returned|退回 1"
    assert "报送截止：<strong>2023-01-15</strong>" in html
    # the documents: the bulletin, the Q4 ranking, the 退回清单; not a stray text file
    assert "/keyprojects/office/files/2022Q4/%E5%BF%BB" in html and "年度考评排名.xlsx</a>" in html
    assert "notes.txt" not in html
    # the last run (failed, its message) and the open alert, in China time
    assert '<span class="failed">失败</span>：r2，开始 2023-01-17 08:00' in html
    assert "2023-01-16 08:00" in html and "单位未报送" in html
    # no delivery recorded yet; the 报送质量 table from submission_quality
    assert "暂无发送记录。" in html and "暂无（报送质量统计尚未启用）" not in html


def test_days_left_count_to_the_deadline(site, sqlite_engine, tmp_path):
    from keyprojects.operations import office_queries as op

    page = op.quarter_page(sqlite_engine, tmp_path, "2022Q4", dt.date(2023, 1, 10), 15)
    assert (page["deadline"], page["days_left"]) == ("2023-01-15", 5)
    assert page["missing_units"] == ["偏关县"] and page["late_units"] == ["代县"]


def test_hostile_names_are_escaped(site):
    client, token, _ = site
    for url in ("/keyprojects/office/2022Q4", "/keyprojects/office/2022-12", "/keyprojects/office/"):
        html = get(client, token, url).text
        assert "<script>alert" not in html and "<img src=x" not in html, url
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in get(client, token, "/keyprojects/office/2022Q4").text
    assert "市&lt;img src=x onerror=alert(1)&gt;局" in get(client, token, "/keyprojects/office/2022-12").text


def test_the_month_shows_problems_per_department_and_units_not_reported(site):
    client, token, _ = site
    html = get(client, token, "/keyprojects/office/2022-12").text
    assert "2022年12月 13710 调度情况" in html
    assert cell(html, "departments", "市&lt;img src=x onerror=alert(1)&gt;局") == ["num|3", "num|2", "num|1"]
    assert '<p class="warn">河曲县</p>' in html
    assert "调度通报.xlsx</a>" in html and "2023-01-03 00:30" in html


def test_a_units_history_shows_each_receipt_and_what_changed(site):
    client, token, _ = site
    html = get(client, token, "/keyprojects/office/2022Q4/unit/%E4%BB%A3%E5%8E%BF").text
    assert "代县 · 2022年第四季度 收文记录" in html
    assert "代县/调度库.xlsx" in html and "代县/调度库（更正）.xlsx" in html and "2023-01-20 10:00" in html
    assert "调度库项目数：18 → 20" in html and "开复工率：50.0% → 55.0%" in html
    assert get(client, token, "/keyprojects/office/2022Q4/unit/nobody").status_code == 404


def test_the_index_lists_quarters_and_months_only(site):
    client, token, _ = site
    html = get(client, token, "/keyprojects/office/").text
    assert 'href="/keyprojects/office/2022Q4"' in html and 'href="/keyprojects/office/2022-12"' in html
    assert "2022-12</a>" not in html.split("月度")[0]   # the month is not listed as a quarter


def test_documents_are_served_and_nothing_else(site):
    client, token, output = site
    r = get(client, token, "/keyprojects/office/files/2022Q4/退回清单/五台县.xlsx")
    assert r.status_code == 200 and r.content == b"PK\x03\x04 test"
    ranking = "/keyprojects/office/files/2022/忻州市工业重点项目2022年度考评排名.xlsx"
    assert get(client, token, ranking).status_code == 200
    for bad in ("2022Q4/../outside.xlsx", "2022Q4/%2E%2E/outside.xlsx", "2022Q4/notes.txt", "..%2Foutside.xlsx",
                "etc/passwd", "2022Q4/missing.xlsx"):
        assert get(client, token, f"/keyprojects/office/files/{bad}").status_code == 404, bad


def test_login_is_required(site):
    client, token, _ = site
    for url in ("/keyprojects/office/", "/keyprojects/office/2022Q4", "/keyprojects/office/2022-12",
                "/keyprojects/office/2022Q4/unit/代县", "/keyprojects/office/files/2022Q4/退回清单/五台县.xlsx"):
        assert client.get(url).status_code == 401, url
        assert client.get(url, headers={"Authorization": "Bearer forged"}).status_code in (401, 403), url
    assert get(client, token, "/keyprojects/office/2022Q5").status_code == 404


def test_the_plugin_links_the_page_from_the_ui():
    p = _plugin().KeyprojectsLinksPlugin()
    [view] = p.external_views
    assert view["href"] == "/keyprojects/office/" and view["destination"] == "nav" and view["name"] == "报送情况"


@pytest.mark.postgres
def test_the_pages_queries_run_on_postgres(pg_engine, tmp_path):
    from keyprojects.operations import office_queries as op
    from keyprojects.warehouse import schema

    schema.ensure_schema(pg_engine, ROOT / "include" / "sql")
    fill(pg_engine, tmp_path)
    page = op.quarter_page(pg_engine, tmp_path, "2022Q4", dt.date(2023, 1, 10), 15)
    assert page["missing_units"] == ["偏关县"] and page["late_units"] == ["代县"]
    assert page["last_run"]["state"] == "failed" and len(page["alerts"]) == 1
    month = op.month_page(pg_engine, tmp_path, "2022-12")
    assert month["not_reported"] == ["河曲县"] and month["departments"][0]["overdue_problems"] == 2
    assert [r["first"] for r in op.unit_history(pg_engine, "2022Q4", "代县")["runs"]] == [True, False]
    periods = op.periods(pg_engine, None, tmp_path)
    assert [q["period"] for q in periods["quarters"]] == ["2022Q4"] and periods["months"][0]["period"] == "2022-12"
