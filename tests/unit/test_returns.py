"""退回清单 routing and wording on hand-made rejected rows; Chinese labels in the validation report."""

import json

import openpyxl

from keyprojects import RULES, db
from keyprojects.documents import returns


def _row(list_name, file, sheet, rn, rule, field, value, cells):
    base = {"quarter": "2022Q1", "list": list_name, "file": file, "sheet": sheet, "row_number": rn}
    raw = {**base, "disposition": "rejected" if rule else "loaded", "reason": rule,
           "cells": json.dumps(cells, ensure_ascii=False), "sha256": "x"}
    rej = {**base, "rule": rule, "field": field, "value": value, "message": f"{file}: {rule}"} if rule else None
    return raw, rej


def test_rows_go_to_their_sender_with_chinese_reasons(sqlite_engine, tmp_path):
    rows = [
        # a unit's own file: the unit cell of the rejected row is unknown -> the sheet's one unit
        _row("dispatch", "定襄.xlsx", "Sheet1", 5, None, None, None, {"unit": "定襄", "project_name": "甲"}),
        _row("dispatch", "定襄.xlsx", "Sheet1", 6, "unknown_unit", "unit", "定襄乡",
             {"unit": "定襄乡", "project_name": "乙"}),
        # a mixed file: a row without a unit cannot be told -> 单位不明
        _row("reserve", "全市.xlsx", "储备", 4, None, None, None, {"unit": "忻府区", "project_name": "丙"}),
        _row("reserve", "全市.xlsx", "储备", 5, None, None, None, {"unit": "代县", "project_name": "丁"}),
        _row("reserve", "全市.xlsx", "储备", 6, "missing_required", "unit", None, {"project_name": "戊"}),
        # a row naming its unit goes to that unit, whatever file it came in
        _row("reserve", "全市.xlsx", "储备", 7, "bad_number", "total_investment", "一千",
             {"unit": "五台山", "project_name": "己", "total_investment": "一千"}),
        # bureau lists go to the bureau
        _row("signed", "签约.xlsx", "Sheet1", 9, "bad_date", "signing_date", "2022年13月",
             {"unit": "忻府区", "project_name": "庚", "signing_date": "2022年13月"}),
        _row("dispatch", "定襄.xlsx", "Sheet1", 7, "bad_value", "nature", "新造",
             {"unit": "定襄县", "project_name": "辛", "nature": "新造", "seq": "3"}),
    ]
    with sqlite_engine.begin() as conn:
        db.replace_partition(conn, "raw_rows", {"quarter": "2022Q1"}, [r for r, _ in rows])
        db.replace_partition(conn, "rejected_rows", {"quarter": "2022Q1"}, [j for _, j in rows if j])
    stale = tmp_path / "2022Q1" / "退回清单" / "偏关县.xlsx"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    paths = returns.write_returns(sqlite_engine, "2022Q1", tmp_path)
    assert set(paths) == {"定襄县", "单位不明", "五台山风景名胜区", "市商务局"}
    assert not stale.exists()

    ws = openpyxl.load_workbook(paths["定襄县"])["调度库"]
    heads = [c.value for c in ws[3]]
    assert heads == ["序号", "文件", "工作表", "行号", "原序号", "项目名称", "县(市、区)", "建设性质",
                     "问题", "修改建议"]
    body = [[c.value for c in r] for r in ws.iter_rows(min_row=4)]
    assert [r[3] for r in body] == [6, 7]
    assert body[0][-2].startswith("县（市、区）无法识别：") and "定襄乡" in body[0][-2]
    assert body[1][4:8] == ["3", "辛", "定襄县", "新造"]
    assert "新建" in body[1][-1] and "技术改造" in body[1][-1]          # the accepted values, from config
    ws = openpyxl.load_workbook(paths["单位不明"])["储备库"]
    assert [c.value for c in ws[4]][3] == 6
    ws = openpyxl.load_workbook(paths["市商务局"])["签约清单"]
    assert "2022年13月" in ws.cell(4, len(ws[3]) - 1).value


def test_units_written_with_the_province_and_city_prefix_go_to_their_unit(sqlite_engine):
    """A unit cell the loader resolves (山西省忻州市代县, 140923, 忻州市代县) names the sender: the
    退回清单 resolves units with the loader's own function (normalize.resolve_unit)."""
    rows = [
        _row("dispatch", "代县.xlsx", "Sheet1", 5, "bad_number", "total_investment", "一千",
             {"unit": "山西省忻州市代县", "project_name": "甲", "total_investment": "一千"}),
        _row("dispatch", "代县.xlsx", "Sheet1", 6, "unknown_unit", "unit", "代县乡",
             {"unit": "代县乡", "project_name": "乙"}),      # the sheet's one unit, as the loader reads it
        _row("reserve", "繁峙.xlsx", "Sheet1", 4, "bad_date", "start_date", "2022年13月",
             {"unit": "山西省 忻州市 繁峙县", "project_name": "丙"}),
    ]
    with sqlite_engine.begin() as conn:
        db.replace_partition(conn, "raw_rows", {"quarter": "2022Q1"}, [r for r, _ in rows])
        db.replace_partition(conn, "rejected_rows", {"quarter": "2022Q1"}, [j for _, j in rows if j])
    senders = {(r["file"], r["row_number"]): r["sender"] for r in returns.read_rejections(sqlite_engine, "2022Q1")}
    assert senders == {("代县.xlsx", 5): "代县", ("代县.xlsx", 6): "代县", ("繁峙.xlsx", 4): "繁峙县"}


def test_every_rule_has_chinese_wording_and_the_report_shows_it():
    from keyprojects.documents.validation_report import _rule

    for rule in RULES:
        assert returns.rule_label(rule)
        problem, suggestion = returns.explain(rule, "total_investment", "1")
        assert problem and suggestion and "{" not in problem + suggestion
    assert _rule("duplicate") == "duplicate（重复报送）"


def test_nothing_is_drafted_or_ranked_for_a_quarter_without_lists(sqlite_engine, tmp_path, monkeypatch):
    from keyprojects import runtime_office
    from keyprojects.warehouse import models

    monkeypatch.setenv("KP_WAREHOUSE_URL", str(sqlite_engine.url))
    monkeypatch.setenv("KP_OUTPUT", str(tmp_path))
    with sqlite_engine.begin() as conn:
        models.refresh_config_tables(conn, 2022)
        db.replace_partition(conn, "bulletin_unit_quarter", {"quarter": "2022Q4"},
                                    [{"quarter": "2022Q4", "unit": "忻府区", "unit_order": 0}])
    assert runtime_office.rank_year("2022Q4")["ranked"] is False
    assert runtime_office.draft_notice("2022Q4") is None
    assert db.fetch(sqlite_engine, "SELECT COUNT(*) AS n FROM ranking_unit_year")[0]["n"] == 0
    assert not any(tmp_path.rglob("*.docx"))
