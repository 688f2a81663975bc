"""漏报 candidates set apart (issue 14 §1): 退回待改 (the unit's library row was rejected) and 待核实
(a near-identical library project) are not counted as 漏报."""

import json

import pytest
import sqlalchemy as sa

from keyprojects import db

from .test_metrics import build, load, stg, unit_row

Q = "2022Q1"
CODE_RETURNED = "2203-140902-89-01-555555"
CODE_UNKNOWN_UNIT = "2203-140902-89-01-666666"


def rejected(engine, list_name, rows):
    """Rejected rows of a unit library, as the pipeline keeps them: rejected_rows and raw_rows.cells."""
    with engine.begin() as conn:
        for n, (rule, cells) in enumerate(rows, start=20):
            conn.execute(sa.text(
                "insert into raw_rows (quarter, list, file, sheet, row_number, disposition, reason, cells, sha256) "
                "values (:q, :l, :f, 'S', :n, 'rejected', :r, :c, 'x')"),
                {"q": Q, "l": list_name, "f": f"{list_name}.xlsx", "n": n, "r": rule,
                 "c": json.dumps(cells, ensure_ascii=False)})
            conn.execute(sa.text(
                "insert into rejected_rows (quarter, list, file, sheet, row_number, rule, field, value, message) "
                "values (:q, :l, :f, 'S', :n, :r, 'x', 'x', 'x')"),
                {"q": Q, "l": list_name, "f": f"{list_name}.xlsx", "n": n, "r": rule})


def make_quarter(engine):
    """2022Q1 of 忻府区: two projects reported on rejected dispatch rows, one near miss, two 漏报."""
    sqlite_engine = engine
    load(sqlite_engine, Q, {
        "dispatch": [stg("dispatch", Q, 5, "忻府区", "丙公司年产五万吨新材料项目", 3000, status="新开工")],
        "reserve": [stg("reserve", Q, 5, "忻府区", "庚公司储备项目", 900)],
        "approved": [
            # reported on a dispatch row rejected for its amount: matched by code -> 退回待改
            stg("approved", Q, 4, "忻府区", "戊公司项目", 900, code=CODE_RETURNED, approval_date="2022-03-01"),
            # its rejected row names no unit: it identifies nothing -> 漏报
            stg("approved", Q, 5, "忻府区", "癸公司项目", 900, code=CODE_UNKNOWN_UNIT, approval_date="2022-03-01"),
        ],
        "energy": [
            # reported on a dispatch row rejected for its date, no code: matched by name -> 退回待改
            stg("energy", Q, 4, "忻府区", "辛公司风电项目", 2000, approval_date="2022-01-05"),
            # one character from a dispatch project -> 待核实
            stg("energy", Q, 5, "忻府区", "丙公司年产五万吨新才料项目", 3000, approval_date="2022-01-05"),
        ],
        "signed": [stg("signed", Q, 4, "忻府区", "己公司项目", 600)],  # in no library -> 漏报
        "registered": [],
    })
    rejected(sqlite_engine, "dispatch", [
        ("bad_number", {"unit": "忻府", "project_code": "2203 140902 89 01 555555", "project_name": "戊公司",
                        "total_investment": "约一千万"}),
        ("bad_date", {"unit": "忻州市忻府区", "project_name": "辛公司 风电 项目", "approval_date": "2022年13月"}),
        ("unknown_unit", {"unit": "某某县", "project_code": CODE_UNKNOWN_UNIT, "project_name": "癸公司项目"}),
        ("missing_required", {"unit": "忻府区", "total_investment": "900"}),  # neither code nor name
    ])
    build(sqlite_engine, Q)
    return sqlite_engine


@pytest.fixture
def quarter(sqlite_engine):
    return make_quarter(sqlite_engine)


def test_counts_apart_from_missed(quarter):
    r = unit_row(quarter, Q, "忻府区")
    assert (r["missed_reports"], r["returned_reports"], r["unconfirmed_reports"]) == (2, 2, 1)
    other = unit_row(quarter, Q, "定襄县")   # sent nothing: none of the three can be counted
    assert (other["missed_reports"], other["returned_reports"], other["unconfirmed_reports"]) == (None, None, None)
    city = db.fetch(quarter, "SELECT * FROM bulletin_group_quarter WHERE quarter = :q AND group_kind = 'city'",
                           q=Q)[0]
    assert (city["missed_reports"], city["returned_reports"], city["unconfirmed_reports"]) == (2, 2, 1)


def test_missed_reports_holds_only_counted_missed(quarter):
    got = {(m["source_list"], m["project_name"]) for m in db.fetch(
        quarter, "SELECT source_list, project_name FROM missed_reports WHERE quarter = :q", q=Q)}
    assert got == {("approved", "癸公司项目"), ("signed", "己公司项目")}


def test_sheet_rows_carry_category_and_the_rejected_row(quarter):
    rows = {m["project_name"]: m for m in db.fetch(
        quarter, "SELECT * FROM missed_projects WHERE quarter = :q", q=Q)}
    assert {n: m["category"] for n, m in rows.items()} == {
        "戊公司项目": "returned", "辛公司风电项目": "returned", "丙公司年产五万吨新才料项目": "unconfirmed",
        "癸公司项目": "missed", "己公司项目": "missed"}
    assert (rows["戊公司项目"]["returned_list"], rows["戊公司项目"]["returned_row_number"],
            rows["戊公司项目"]["returned_rule"]) == ("dispatch", 20, "bad_number")
    assert (rows["辛公司风电项目"]["returned_row_number"], rows["辛公司风电项目"]["returned_rule"]) == (21, "bad_date")
    assert rows["丙公司年产五万吨新才料项目"]["candidate_name"] == "丙公司年产五万吨新材料项目"
    assert rows["癸公司项目"]["returned_file"] is None


def test_rebuild_is_idempotent(quarter):
    tables = ("int_rejected_library_rows", "int_missed_candidates", "missed_reports", "missed_projects",
              "bulletin_unit_quarter")
    before = {t: sorted(map(repr, db.fetch(quarter, f"SELECT * FROM {t}"))) for t in tables}
    build(quarter, Q)
    after = {t: sorted(map(repr, db.fetch(quarter, f"SELECT * FROM {t}"))) for t in tables}
    assert before == after


def test_returns_row_says_the_project_is_in_a_bureau_list(quarter, tmp_path):
    from openpyxl import load_workbook

    from keyprojects.documents import returns

    path = returns.write_returns(quarter, Q, tmp_path)["忻府区"]
    ws = load_workbook(path)["调度库"]
    heads = [c.value for c in ws[3]]
    rows = {r[heads.index("行号")]: r for r in ws.iter_rows(min_row=4, values_only=True)}
    advice = heads.index("修改建议")
    assert rows[20][advice].startswith(returns.IN_BUREAU_LIST)      # matched by code
    assert rows[21][advice].startswith(returns.IN_BUREAU_LIST)      # matched by name
    assert not rows[23][advice].startswith(returns.IN_BUREAU_LIST)  # identifies nothing


def test_notice_counts_only_missed_and_names_the_others(quarter):
    from keyprojects.documents import notice_text

    s3 = notice_text.overview_sentences(notice_text.read_city(quarter, Q), Q)[2]
    assert "漏报项目2个" in s3
    assert "报送不规范（退回待改）的项目2个" in s3 and "待核实的项目1个" in s3  # the three counts (issue 17)
