"""Issue 14 §7: one rounding home for 亿元 (the draft 通报 and 全市目标 agree), the staging check
compares like with like, 全市目标 says 无法判断, and the 制表日期 does not come from a row's content."""

import openpyxl
import pytest

from keyprojects import db
from keyprojects.documents import notice_text
from keyprojects.warehouse import mart_checks

from .test_mart_checks import EXPECTATIONS
from .test_metrics import SQL, build, load, stg

ENGINES = ["sqlite_engine", pytest.param("pg_engine", marks=pytest.mark.postgres)]


def quarter(engine, q="2022Q4", industrial=2700050.0, approval_date="2022-11-30"):
    """One registered project whose year-to-date investment ends in …50万元 (270.005亿元), one dispatch
    project of 123.455亿元, and an approval dated ``approval_date``."""
    load(engine, q, {
        "registered": [stg("registered", q, 4, "忻府区", "甲公司项目", 3000000, ytd=industrial)],
        "dispatch": [stg("dispatch", q, 4, "忻府区", "甲公司项目", 1234550.0, cluster="光伏")],
        "approved": [stg("approved", q, 4, "忻府区", "乙公司项目", 900, code="2211-140902-89-01-000001",
                         approval_date=approval_date)],
        "reserve": [], "signed": [], "energy": []})
    build(engine, q)


@pytest.mark.parametrize("engine_name", ENGINES)
def test_the_draft_and_the_targets_sheet_show_the_same_yiyuan(engine_name, request):
    eng = request.getfixturevalue(engine_name)
    quarter(eng)
    shown = db.fetch(eng, "SELECT actual_shown FROM city_targets WHERE quarter = '2022Q4' "
                                 "AND indicator = 'industrial_investment' AND measure = 'amount'")[0]["actual_shown"]
    assert float(shown) == 270.01  # half away from zero in SQL
    text = "".join(notice_text.overview_sentences(notice_text.read_city(eng, "2022Q4"), "2022Q4"))
    assert "工业投资完成270.01亿元" in text and "总投资123.46亿元" in text, text


@pytest.mark.parametrize("ytd", [17.005, 1.005, 2.675, 3000.055, 1000.125, 2700050.005])
def test_staging_check_passes_amounts_ending_in_5(sqlite_engine, ytd):
    """The mart stores the amount rounded to 2 decimals; the staging sum is compared rounded the same
    way, so x.xx5 is not a mismatch (before: |17.01 - 17.005| > 0.005 in floating point)."""
    quarter(sqlite_engine, industrial=ytd)
    summary = mart_checks.check_marts(sqlite_engine, "2022Q4", SQL, EXPECTATIONS)
    assert "counts_reconcile_with_staging" in summary["checks"]


def test_staging_check_still_catches_a_cent(sqlite_engine):
    quarter(sqlite_engine, industrial=1000.125)
    with sqlite_engine.begin() as conn:
        conn.exec_driver_sql("UPDATE bulletin_unit_quarter SET industrial_investment = 1000.14 WHERE unit = '忻府区'")
        conn.exec_driver_sql("UPDATE bulletin_group_quarter SET industrial_investment = industrial_investment + 0.01")
        conn.exec_driver_sql("UPDATE city_targets SET actual = actual + 0.01 WHERE measure = 'amount' "
                             "AND indicator = 'industrial_investment'")
    with pytest.raises(Exception, match="counts_reconcile_with_staging"):
        mart_checks.check_marts(sqlite_engine, "2022Q4", SQL, EXPECTATIONS)


def test_targets_sheet_says_cannot_judge(sqlite_engine, tmp_path):
    from keyprojects.documents import bulletin

    quarter(sqlite_engine)
    path = bulletin.write_bulletin(sqlite_engine, "2022Q4", tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = next(ws for ws in wb.worksheets if "全市目标" in ws.title)
    cells = [c.value for row in ws.iter_rows() for c in row]
    # 15 units have not sent their dispatch library: the counts and shares are not judged
    assert "无法判断" in cells


@pytest.mark.parametrize("engine_name", ENGINES)
def test_tabulation_date_is_not_taken_from_a_row(engine_name, request):
    """A typo in one row (an approval dated 2029) does not move the 制表日期."""
    eng = request.getfixturevalue(engine_name)
    quarter(eng, approval_date="2029-12-01")
    header = db.fetch(eng, "SELECT data_cutoff, tabulated_on FROM bulletin_quarter WHERE quarter = '2022Q4'")[0]
    assert str(header["data_cutoff"])[:10] == "2022-12-31"
    assert str(header["tabulated_on"])[:10] == "2022-12-31"


def test_tabulation_date_is_the_runs_day_after_the_cutoff(sqlite_engine):
    import datetime as dt

    from keyprojects.warehouse import models

    quarter(sqlite_engine)
    for run_date, want in ((dt.date(2023, 1, 9), "2023-01-09"), (dt.date(2022, 6, 1), "2022-12-31")):
        with sqlite_engine.begin() as conn:
            models.build_marts(conn, "2022Q4", SQL, run_id="t", run_date=run_date)
        got = db.fetch(sqlite_engine, "SELECT tabulated_on FROM bulletin_quarter WHERE quarter = '2022Q4'")
        assert [r["tabulated_on"] for r in got] == [want]
