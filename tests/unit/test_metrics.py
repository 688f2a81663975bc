"""Each bulletin figure on small hand-made quarters (staging rows inserted directly)."""

import json
from pathlib import Path

import pytest

from keyprojects import db
from keyprojects.ingest import arrivals, normalize, staging
from keyprojects.warehouse import models

ROOT = Path(__file__).resolve().parents[2]
SQL = ROOT / "include" / "sql"


def stg(list_name, quarter, n, unit, name, total, code=None, nature="新建", status="续建", ytd=None, cluster=None,
        approval_date=None, cluster_text=None):
    """A staging row; ``cluster_text`` is a 所属产业集群 word that names no configured cluster
    (kept in raw_rows, as the pipeline keeps every cell as read)."""
    return {c: None for c in staging.COLUMNS} | {"_cluster_text": cluster_text or cluster} | {
        "quarter": quarter, "file": f"{list_name}.xlsx", "sheet": "S", "row_number": n, "sha256": "x",
        "project_code": normalize.clean_code(code), "project_name": name, "name_key": normalize.normalize_name(name),
        "unit": unit, "nature": nature, "status": status, "total_investment": total, "ytd_investment": ytd,
        "cluster": cluster, "approval_date": approval_date}


def load(engine, quarter, rows_by_list):
    with engine.begin() as conn:
        for list_name, rows in rows_by_list.items():
            raw = [{"quarter": quarter, "list": list_name, "file": r["file"], "sheet": r["sheet"],
                    "row_number": r["row_number"], "disposition": "loaded", "sha256": "x",
                    "cells": json.dumps({"cluster": r["_cluster_text"]} if r["_cluster_text"] else {},
                                        ensure_ascii=False)} for r in rows]
            rows = [{k: v for k, v in r.items() if k != "_cluster_text"} for r in rows]
            db.replace_partition(conn, "raw_rows", {"quarter": quarter, "list": list_name}, raw)
            db.replace_partition(conn, f"stg_{list_name}", {"quarter": quarter}, rows)
            sha = f"{quarter}-{list_name}"
            db.replace_partition(conn, "load_audit", {"quarter": quarter, "list": list_name}, [
                {"quarter": quarter, "list": list_name, "file": f"{list_name}.xlsx", "status": "loaded",
                 "sha256": sha, "rows_read": len(raw), "rows_loaded": len(raw)}])
            # who the file was received from (the one definition of received, as the load stores it)
            arrivals.remember_senders(conn, sha, list_name, arrivals.senders_of(list_name, [r["unit"] for r in rows]),
                                      len(rows))


def build(engine, quarter):
    with engine.begin() as conn:
        return models.build_marts(conn, quarter, SQL, run_id="t")


def unit_row(engine, quarter, unit):
    rows = db.fetch(engine, "SELECT * FROM bulletin_unit_quarter WHERE quarter = :q AND unit = :u",
                           q=quarter, u=unit)
    assert len(rows) == 1
    return rows[0]


CODE = "2203-140902-89-01-123456"


def hand_made_quarter(engine):
    """2022Q1 with: a code written two ways, a name-only match, a near miss, a project listed under
    two units, a signed project in no library, an unstarted project, a unit with no projects."""
    load(engine, "2022Q1", {
        "dispatch": [
            stg("dispatch", "2022Q1", 5, "忻府区", "甲公司光伏项目", 20000, code="22031409028901123456", status="续建",
                cluster="光伏"),
            stg("dispatch", "2022Q1", 6, "忻府区", "乙公司技改项目", 800, nature="技术改造", status="未开工",
                cluster_text="建材"),
            stg("dispatch", "2022Q1", 7, "忻府区", "丙公司年产五万吨新材料项目", 3000, status="新开工",
                cluster_text="化工"),
            # 定襄县's file has no 所属产业集群 column: its cluster figures are unknown, not 0
            stg("dispatch", "2022Q1", 8, "定襄县", "丁公司铸造项目", 1000, code="2203-140921-89-01-000001"),
        ],
        "approved": [  # the same code written with spaces: one project, not missed
            stg("approved", "2022Q1", 4, "忻府区", "甲公司光伏", 20000, code="2203 140902 89 01 123456",
                approval_date="2022-02-01"),
            stg("approved", "2022Q1", 5, "忻府区", "戊公司项目", 900, code="2203-140902-89-01-999999",
                approval_date="2022-03-01"),
            # listed under 忻府区 but the dispatch library holding it is 定襄县's
            stg("approved", "2022Q1", 6, "忻府区", "丁公司铸造项目", 1000, code="2203-140921-89-01-000001",
                approval_date="2022-01-10"),
        ],
        "energy": [  # no code: matched by name within the unit
            stg("energy", "2022Q1", 4, "忻府区", "丙公司 年产五万吨新材料 建设项目", 3000, approval_date="2022-01-05"),
            # near miss: one character differs -> not merged, missed, and reviewed
            stg("energy", "2022Q1", 5, "忻府区", "丙公司年产五万吨新才料项目", 3000, approval_date="2022-01-05"),
        ],
        "signed": [stg("signed", "2022Q1", 4, "忻府区", "己公司项目", 600)],
        "reserve": [stg("reserve", "2022Q1", 4, "忻府区", "庚公司储备项目", 900),
                    stg("reserve", "2022Q1", 5, "定襄县", "壬公司储备项目", 900)],
        "registered": [
            stg("registered", "2022Q1", 4, "忻府区", "甲公司光伏项目", 20000, code=CODE, ytd=1500),
            stg("registered", "2022Q1", 5, "忻府区", "庚公司技改", 900, nature="技术改造", ytd=500),
        ],
    })


@pytest.fixture
def quarter_2022q1(sqlite_engine):
    hand_made_quarter(sqlite_engine)
    build(sqlite_engine, "2022Q1")
    return sqlite_engine


def test_dispatch_counts_rates_and_shares(quarter_2022q1):
    r = unit_row(quarter_2022q1, "2022Q1", "忻府区")
    assert r["dispatch_projects"] == 3 and r["dispatch_total_investment"] == pytest.approx(23800)
    assert r["started_projects"] == 2 and r["start_rate"] == pytest.approx(2 / 3)
    assert r["registered_projects"] == 1 and r["registration_rate"] == pytest.approx(0.5)
    assert r["yiyuan_projects"] == 1 and r["yiyuan_share"] == pytest.approx(1 / 3)
    assert r["cluster_projects"] == 1


def test_investment_split_by_nature_and_growth_null_without_prior_year(quarter_2022q1):
    r = unit_row(quarter_2022q1, "2022Q1", "忻府区")
    assert r["industrial_investment"] == pytest.approx(2000)
    assert r["newbuild_investment"] == pytest.approx(1500) and r["renovation_investment"] == pytest.approx(500)
    assert r["industrial_growth"] is None and r["growth_attained"] is None
    assert "2021Q1" in r["note"]
    assert r["target_growth"] == pytest.approx(0.15)


def test_unit_that_sent_no_library_is_not_reported_with_null_figures(quarter_2022q1):
    r = unit_row(quarter_2022q1, "2022Q1", "偏关县")
    assert r["dispatch_status"] == "not_received" and r["reserve_status"] == "not_received"
    for k in ("dispatch_projects", "dispatch_total_investment", "started_projects", "start_rate",
              "registered_projects", "registration_rate", "missed_reports", "yiyuan_projects", "cluster_projects"):
        assert r[k] is None, k
    assert "未报送调度库" in r["note"] and "未报送储备库" in r["note"]
    assert r["industrial_investment"] == 0  # the statistics bureau's list did arrive: 0 is a figure here
    n = db.fetch(quarter_2022q1,
                        "SELECT COUNT(*) AS n FROM bulletin_unit_quarter WHERE quarter='2022Q1'")[0]["n"]
    assert n == 16


def test_missed_reports_with_sources(quarter_2022q1):
    missed = db.fetch(quarter_2022q1, "SELECT unit, source_list, project_name FROM missed_reports "
                                             "WHERE quarter='2022Q1' ORDER BY source_list, project_name")
    got = {(m["unit"], m["source_list"], m["project_name"]) for m in missed}
    assert got == {
        ("忻府区", "approved", "戊公司项目"),          # not in the dispatch library
        ("忻府区", "approved", "丁公司铸造项目"),      # in another unit's library only
        ("忻府区", "signed", "己公司项目"),            # signed, in neither library
    }  # the near miss 丙公司年产五万吨新才料项目 is not a match, and is 待核实, not 漏报
    assert unit_row(quarter_2022q1, "2022Q1", "忻府区")["missed_reports"] == 3
    assert unit_row(quarter_2022q1, "2022Q1", "忻府区")["unconfirmed_reports"] == 1
    assert unit_row(quarter_2022q1, "2022Q1", "定襄县")["missed_reports"] == 0
    assert unit_row(quarter_2022q1, "2022Q1", "代县")["missed_reports"] is None  # 未报送: nothing to check


def test_unregistered_list(quarter_2022q1):
    rows = db.fetch(quarter_2022q1, "SELECT unit, project_name FROM unregistered_projects "
                                           "WHERE quarter='2022Q1' "
                                           "ORDER BY unit, project_name")
    assert [(r["unit"], r["project_name"]) for r in rows] == [("定襄县", "丁公司铸造项目"),
                                                              ("忻府区", "丙公司年产五万吨新材料项目")]


def test_review_holds_near_miss_and_two_unit_project(quarter_2022q1):
    rows = db.fetch(quarter_2022q1, "SELECT reason, project_name_a, project_name_b, similarity "
                                           "FROM int_match_review "
                                           "WHERE quarter='2022Q1'")
    reasons = " ".join(r["reason"] for r in rows)
    assert "near miss" in reasons and "several units" in reasons
    near = [r for r in rows if r["reason"].startswith("near miss")]
    pair = {normalize.normalize_name(near[0]["project_name_a"]), normalize.normalize_name(near[0]["project_name_b"])}
    assert pair == {"丙公司年产五万吨新材料", "丙公司年产五万吨新才料"}
    assert 0.9 <= near[0]["similarity"] < 1


def test_growth_once_the_year_before_is_loaded(quarter_2022q1):
    eng = quarter_2022q1
    load(eng, "2021Q1", {"registered": [
        stg("registered", "2021Q1", 4, "忻府区", "甲公司光伏项目", 20000, code=CODE, ytd=1000),
        stg("registered", "2021Q1", 5, "忻府区", "庚公司技改", 900, nature="技术改造", ytd=500)]})
    build(eng, "2022Q1")
    r = unit_row(eng, "2022Q1", "忻府区")
    assert r["industrial_investment_prev"] == pytest.approx(1500)
    assert r["industrial_growth"] == pytest.approx(2000 / 1500 - 1)
    assert r["growth_attained"] == 1 and r["note"] is None
    assert r["renovation_growth"] == pytest.approx(0.0)
    # a unit with nothing last year: growth cannot be computed, and it says why (never 0)
    d = unit_row(eng, "2022Q1", "代县")
    assert d["industrial_growth"] is None and "为0" in d["note"]


def test_city_targets(quarter_2022q1):
    rows = {(r["indicator"], r["measure"]): r for r in
            db.fetch(quarter_2022q1, "SELECT * FROM city_targets WHERE quarter='2022Q1'")}
    assert rows[("industrial_investment", "amount")]["actual"] == pytest.approx(2000)
    assert rows[("industrial_investment", "amount")]["target"] == pytest.approx(3500000)
    assert rows[("industrial_investment", "amount")]["attained"] == 0
    assert rows[("industrial_investment", "growth")]["actual"] is None
    assert rows[("yiyuan_projects", "count")]["actual"] == 1
    assert rows[("yiyuan_projects", "share")]["actual"] == pytest.approx(1 / 4)


def test_rebuild_is_idempotent(quarter_2022q1):
    eng = quarter_2022q1
    tables = ("bulletin_unit_quarter", "missed_reports", "unregistered_projects", "city_targets", "int_match_review",
              "int_project_rows", "bulletin_group_quarter", "unit_submissions", "missed_projects",
              "bulletin_quarter", "int_cluster_review", "int_project_first_source", "int_library_candidate")
    before = {t: sorted(map(repr, db.fetch(eng, f"SELECT * FROM {t}"))) for t in tables}
    build(eng, "2022Q1")
    after = {t: sorted(map(repr, db.fetch(eng, f"SELECT * FROM {t}"))) for t in tables}
    assert before == after


def test_a_list_that_has_not_arrived_gives_null_figures_not_zero(sqlite_engine):
    eng = sqlite_engine
    hand_made_quarter(eng)
    load(eng, "2021Q1", {"registered": [
        stg("registered", "2021Q1", 4, "忻府区", "甲公司光伏项目", 20000, code=CODE, ytd=1000)]})
    with eng.begin() as conn:  # the statistics bureau's list has not arrived this quarter
        db.replace_partition(conn, "stg_registered", {"quarter": "2022Q1"}, [])
        db.replace_partition(conn, "load_audit", {"quarter": "2022Q1", "list": "registered"}, [
            {"quarter": "2022Q1", "list": "registered", "file": "", "status": "missing"}])
    build(eng, "2022Q1")
    r = unit_row(eng, "2022Q1", "忻府区")
    for k in ("industrial_investment", "industrial_growth", "growth_attained", "newbuild_investment",
              "renovation_investment", "registered_projects", "registration_rate"):
        assert r[k] is None, k
    assert r["dispatch_projects"] == 3 and r["start_rate"] == pytest.approx(2 / 3)  # dispatch figures still stand
    assert "入统清单(registered)" in r["note"]
    assert db.fetch(eng, "SELECT COUNT(*) AS n FROM unregistered_projects WHERE quarter='2022Q1'")[0]["n"] == 0
    targets = {(t["indicator"], t["measure"]): t for t in db.fetch(eng, "SELECT * FROM city_targets")}
    assert targets[("industrial_investment", "amount")]["actual"] is None
    assert targets[("industrial_investment", "amount")]["attained"] is None

    with eng.begin() as conn:  # and without the dispatch library nothing can be called 漏报
        db.replace_partition(conn, "stg_dispatch", {"quarter": "2022Q1"}, [])
        db.replace_partition(conn, "load_audit", {"quarter": "2022Q1", "list": "dispatch"}, [
            {"quarter": "2022Q1", "list": "dispatch", "file": "", "status": "missing"}])
    build(eng, "2022Q1")
    r = unit_row(eng, "2022Q1", "忻府区")
    assert r["dispatch_projects"] is None and r["missed_reports"] is None and r["start_rate"] is None
    assert db.fetch(eng, "SELECT COUNT(*) AS n FROM missed_reports WHERE quarter='2022Q1'")[0]["n"] == 0


def test_same_name_under_two_codes_is_reviewed(sqlite_engine):
    load(sqlite_engine, "2022Q1", {
        "dispatch": [stg("dispatch", "2022Q1", 5, "代县", "辛公司项目", 900, code="2203-140923-89-01-000001")],
        "approved": [stg("approved", "2022Q1", 5, "代县", "辛公司项目", 900, code="2203-140923-89-01-000010",
                         approval_date="2022-01-01")],
        "reserve": [], "signed": [], "energy": [], "registered": []})
    build(sqlite_engine, "2022Q1")
    rows = db.fetch(sqlite_engine, "SELECT reason FROM int_match_review WHERE quarter='2022Q1'")
    assert any("several codes" in r["reason"] for r in rows)


def test_project_master_does_not_depend_on_run_order(sqlite_engine):
    eng = sqlite_engine
    for q, name in (("2021Q4", "壬公司项目(一期)"), ("2022Q1", "壬公司项目一期")):
        load(eng, q, {"dispatch": [stg("dispatch", q, 5, "代县", name, 900, code="2103-140923-89-01-000002")],
                      "reserve": [], "signed": [], "approved": [], "energy": [], "registered": []})
    build(eng, "2022Q1")
    build(eng, "2021Q4")
    a = db.fetch(eng, "SELECT * FROM int_project_master")
    build(eng, "2022Q1")
    assert db.fetch(eng, "SELECT * FROM int_project_master") == a
    assert a[0]["first_quarter"] == "2021Q4" and a[0]["project_name"] == "壬公司项目(一期)" and a[0]["quarters"] == 2


def test_project_quarter_facts(quarter_2022q1):
    rows = {r["project_name"]: r for r in db.fetch(quarter_2022q1, "SELECT * FROM int_project_quarter "
                                                                          "WHERE quarter='2022Q1' AND unit='忻府区'")}
    solar = rows["甲公司光伏项目"]  # one project: dispatch + approved (code written differently) + registered
    assert (solar["in_dispatch"], solar["in_approved"], solar["in_registered"], solar["in_energy"]) == (1, 1, 1, 0)
    assert solar["status"] == "续建" and solar["started"] == 1 and solar["ytd_investment"] == pytest.approx(1500)
    assert solar["project_code"] == CODE
    name_only = rows["丙公司年产五万吨新材料项目"]  # dispatch + energy matched by name
    assert (name_only["in_dispatch"], name_only["in_energy"]) == (1, 1) and name_only["ytd_investment"] is None
    near = rows["丙公司年产五万吨新才料项目"]  # the near miss stays a project of its own
    assert (near["in_dispatch"], near["in_energy"]) == (0, 1)


def test_near_miss_against_any_spelling_of_a_coded_project_and_ambiguous_rows_reviewed(sqlite_engine):
    code = "2203-140923-89-01-000003"
    load(sqlite_engine, "2022Q1", {
        "dispatch": [stg("dispatch", "2022Q1", 5, "代县", "甲公司光伏电站", 9000, code=code)],
        "approved": [stg("approved", "2022Q1", 5, "代县", "甲公司年产五万吨光伏组件项目", 9000, code=code,
                         approval_date="2022-01-01"),
                     stg("approved", "2022Q1", 6, "代县", "癸公司项目", 900, code="2203-140923-89-01-000004",
                         approval_date="2022-01-01"),
                     stg("approved", "2022Q1", 7, "代县", "癸公司项目", 900, code="2203-140923-89-01-000005",
                         approval_date="2022-01-01")],
        "energy": [stg("energy", "2022Q1", 5, "代县", "甲公司年产五万吨光伏组建项目", 9000, approval_date="2022-01-02"),
                   stg("energy", "2022Q1", 6, "代县", "癸公司项目", 900, approval_date="2022-01-02")],
        "reserve": [], "signed": [], "registered": []})
    build(sqlite_engine, "2022Q1")
    review = db.fetch(sqlite_engine, "SELECT * FROM int_match_review WHERE quarter='2022Q1'")
    near = [r for r in review if r["reason"].startswith("near miss")]
    assert len(near) == 1 and {near[0]["project_key_a"], near[0]["project_key_b"]} == {
        f"C:{code}", "N:代县|甲公司年产五万吨光伏组建"}
    assert near[0]["similarity"] >= 0.9
    ambiguous = [r for r in review if r["reason"].startswith("ambiguous")]
    assert len(ambiguous) == 1 and ambiguous[0]["list_a"] == "energy" and ambiguous[0]["row_number_a"] == 6
    pq = db.fetch(sqlite_engine,
                         "SELECT project_key, project_code FROM int_project_quarter WHERE quarter='2022Q1'")
    assert {r["project_key"]: r["project_code"] for r in pq}[f"C:{code}"] == code


def test_missed_count_is_null_when_a_source_list_is_missing(sqlite_engine):
    hand_made_quarter(sqlite_engine)
    with sqlite_engine.begin() as conn:
        db.replace_partition(conn, "stg_energy", {"quarter": "2022Q1"}, [])
        db.replace_partition(conn, "load_audit", {"quarter": "2022Q1", "list": "energy"}, [
            {"quarter": "2022Q1", "list": "energy", "file": "", "status": "missing"}])
    build(sqlite_engine, "2022Q1")
    r = unit_row(sqlite_engine, "2022Q1", "忻府区")
    assert r["missed_reports"] is None and "能源类清单(energy)" in r["note"]
    # the rows the other lists prove missing are still listed
    n = db.fetch(sqlite_engine, "SELECT COUNT(*) AS n FROM missed_reports WHERE quarter='2022Q1'")[0]["n"]
    assert n == 3


def test_unit_submissions_one_row_per_unit_and_library(quarter_2022q1):
    rows = db.fetch(quarter_2022q1, "SELECT * FROM unit_submissions WHERE quarter='2022Q1'")
    assert len(rows) == 32 and {r["list"] for r in rows} == {"reserve", "dispatch"}
    by = {(r["unit"], r["list"]): r for r in rows}
    assert by[("忻府区", "dispatch")]["status"] == "received" and by[("忻府区", "dispatch")]["rows_loaded"] == 3
    assert by[("忻府区", "dispatch")]["files"] == 1
    assert by[("代县", "dispatch")]["status"] == "not_received" and by[("代县", "dispatch")]["rows_loaded"] == 0


def test_cluster_words_not_configured_are_reviewed_and_blank_clusters_are_null(quarter_2022q1):
    rows = db.fetch(quarter_2022q1, "SELECT unit, cluster_word, projects FROM int_cluster_review "
                                           "WHERE quarter='2022Q1' ORDER BY cluster_word")
    assert {(r["unit"], r["cluster_word"], r["projects"]) for r in rows} == {("忻府区", "化工", 1),
                                                                             ("忻府区", "建材", 1)}
    d = unit_row(quarter_2022q1, "2022Q1", "定襄县")  # no 所属产业集群 column
    assert d["cluster_projects"] is None and d["cluster_share"] is None and d["cluster_unknown_projects"] == 1
    assert "未填所属产业集群" in d["note"]


def test_group_totals_are_sums_of_units_and_city_targets_equal_the_city_row(quarter_2022q1):
    eng = quarter_2022q1
    groups = {(g["group_kind"], g["group_name"]): g for g in db.fetch(
        eng, "SELECT * FROM bulletin_group_quarter WHERE quarter='2022Q1'")}
    assert set(groups) == {("zone_group", "太忻一体化经济区"), ("zone_group", "省级开发区县"), ("zone_group", "其余县"),
                           ("city", "全市合计")}
    city = groups[("city", "全市合计")]
    units = db.fetch(eng, "SELECT * FROM bulletin_unit_quarter WHERE quarter='2022Q1'")
    assert city["dispatch_projects"] == sum(u["dispatch_projects"] or 0 for u in units) == 4
    assert city["industrial_investment"] == pytest.approx(2000)
    assert city["start_rate"] == pytest.approx(3 / 4)  # summed numerators over summed denominators
    assert city["cluster_projects"] == 1 and "集群项目数不含" in city["note"]
    assert city["units_not_reported"] == 14 and "14个单位未报送调度库" in city["note"]
    assert city["target_growth"] == pytest.approx(0.10)
    targets = {(t["indicator"], t["measure"]): t for t in db.fetch(
        eng, "SELECT * FROM city_targets WHERE quarter='2022Q1'")}
    assert targets[("industrial_investment", "amount")]["actual"] == city["industrial_investment"]
    assert targets[("industrial_investment", "amount")]["target_shown"] == pytest.approx(350.0)
    assert targets[("industrial_investment", "amount")]["shown_unit"] == "亿元"
    assert targets[("industrial_investment", "amount")]["actual_shown"] == pytest.approx(0.2)
    assert targets[("yiyuan_projects", "share")]["actual"] == city["yiyuan_share"]


def test_a_year_without_targets_says_so_not_missing_prior_year(sqlite_engine):
    eng = sqlite_engine
    for q in ("2020Q1", "2021Q1"):
        load(eng, q, {"dispatch": [stg("dispatch", q, 5, "代县", "辛公司项目", 900, code="2103-140923-89-01-000001")],
                      "registered": [stg("registered", q, 5, "代县", "辛公司项目", 900,
                                         ytd=100.0 if q == "2020Q1" else 150.0, code="2103-140923-89-01-000001")],
                      "reserve": [], "signed": [], "approved": [], "energy": []})
    build(eng, "2021Q1")
    city = db.fetch(eng, "SELECT * FROM bulletin_group_quarter WHERE quarter='2021Q1' AND group_kind='city'")[0]
    assert city["industrial_growth"] == pytest.approx(0.5)  # growth stands: last year is loaded
    assert city["target_growth"] is None and city["growth_attained"] is None
    assert "未设增速目标" in city["note"] and "上年同期" not in city["note"]
    assert db.fetch(eng, "SELECT COUNT(*) AS n FROM city_targets WHERE quarter='2021Q1'")[0]["n"] == 0


def test_amounts_are_rounded_where_stored(sqlite_engine):
    load(sqlite_engine, "2022Q1", {
        "dispatch": [stg("dispatch", "2022Q1", 5, "代县", "甲项目", 47247.6 + 1e-11),
                     stg("dispatch", "2022Q1", 6, "代县", "乙项目", 0.1 + 0.2 + 600)],
        "registered": [], "reserve": [], "signed": [], "approved": [], "energy": []})
    build(sqlite_engine, "2022Q1")
    r = unit_row(sqlite_engine, "2022Q1", "代县")
    assert repr(r["dispatch_total_investment"]) == "47847.9"


def test_parameters_are_bound_by_name():
    clause, bound = models.bind("select :quarter_text as a, :quarter as b", {"quarter": "2022Q1",
                                                                               "quarter_text": "x", "other": 1})
    assert bound == {"quarter": "2022Q1", "quarter_text": "x"}
    with pytest.raises(KeyError, match="year"):
        models.bind("select :year", {"quarter": "2022Q1"})
