"""Alert messages: bilingual, naming period, list, unit, file, reason and the report; kinds."""

from __future__ import annotations

import pytest

from keyprojects.operations import alerts


def test_failure_alert_names_task_file_and_reason_in_both_languages():
    a = alerts.failure_alert(task_id="check_loads", quarter="2022Q3", month=None,
                             error="LoadFailed: 2022Q3/signed/坏文件.xlsx: the file is damaged",
                             report="file:///out/2022Q3/validation/index.html")
    assert a.kind == "failed" and a.file == "2022Q3/signed/坏文件.xlsx" and a.task_id == "check_loads"
    assert a.subject == "[keyprojects] 2022Q3 运行失败 / run failed"
    for needle in ("季度/月份 Period: 2022Q3", "文件 File: 2022Q3/signed/坏文件.xlsx", "原因: 任务 check_loads 失败",
                   "Reason: task check_loads failed", "the file is damaged",
                   "验证报告 Validation report: file:///out/2022Q3/validation/index.html"):
        assert needle in a.message


def test_a_failed_mart_check_is_check_failed_and_names_the_check():
    a = alerts.failure_alert(task_id="check_marts", quarter="2022Q1", month=None, report=None,
                             error="AirflowFailException: check rates_between_0_and_1 failed: 3 rows")
    assert a.kind == "check_failed" and "rates_between_0_and_1" in a.message and "数据检查未通过" in a.subject


def test_monthly_period_and_unknown_kind():
    a = alerts.failure_alert(task_id="load_progress", quarter=None, month="2022-03", report=None, error="x")
    assert a.month == "2022-03" and "2022-03" in a.subject
    with pytest.raises(ValueError, match="unknown alert kind"):
        alerts.compose("nope", quarter="2022Q1", reason_zh="", reason_en="")


def test_late_alerts_only_after_the_deadline_and_one_per_whole_missing_list():
    got = {"quarter": "2022Q1", "deadline": "2022-04-16T00:00:00+08:00", "deadline_passed": False,
           "lists_missing": ["dispatch"], "units_missing": {"reserve": ["代县"], "dispatch": ["代县", "忻府区"]}}
    assert alerts.late_alerts(got, None) == []
    got["deadline_passed"] = True
    out = alerts.late_alerts(got, None)
    assert [(a.kind, a.list, a.unit) for a in out] == [("late_list", "dispatch", None),
                                                       ("unit_not_reported", "reserve", "代县")]
    assert "调度库" in out[0].message and "储备库" in out[1].message and "代县" in out[1].subject
