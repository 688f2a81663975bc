"""Months, identities and the 13710 calendar of keyprojects.monthly.dispatch."""

import datetime as dt

import pytest

from keyprojects import quarters
from keyprojects.monthly import dispatch


def test_month_from_interval_and_override():
    utc = dt.UTC
    assert quarters.month_from_interval(dt.datetime(2022, 3, 1, tzinfo=utc), dt.datetime(2022, 4, 1, tzinfo=utc)) \
        == "2022-03"
    assert quarters.month_from_interval(dt.date(2022, 12, 1), dt.date(2023, 1, 1)) == "2022-12"
    assert quarters.month_from_interval(None, None, "2021-07") == "2021-07"
    with pytest.raises(ValueError, match="not one calendar month"):
        quarters.month_from_interval(dt.date(2022, 3, 1), dt.date(2022, 3, 1))
    with pytest.raises(ValueError, match="2022-03"):
        quarters.month_from_interval(None, None, "2022-13")


def test_month_arithmetic():
    assert quarters.shift_month("2022-01", -1) == "2021-12"
    assert quarters.month_range("2021-11", "2022-02") == ["2021-11", "2021-12", "2022-01", "2022-02"]
    assert quarters.month_end("2024-02") == dt.date(2024, 2, 29)
    assert quarters.quarter_of_month("2022-06") == "2022Q2"


def test_problem_identity_ignores_spacing_and_punctuation():
    a = dispatch.problem_key("用地指标不足， 需协调")
    assert a == dispatch.problem_key("用地指标不足,需协调") == "用地指标不足需协调"
    ref = dispatch.project_ref(None, "忻府区", "甲")
    assert dispatch.problem_id("忻府区", ref, a, "2022-03-01") == dispatch.problem_id("忻府区", ref, a, "2022-03-01")
    assert dispatch.problem_id("忻府区", ref, a, "2022-03-01") != dispatch.problem_id("忻府区", ref, a, "2022-03-02")


def test_calendar_clamps_a_month_later(sqlite_engine):
    from keyprojects import db

    with sqlite_engine.begin() as conn:
        dispatch.refresh_calendar(conn)
        dispatch.refresh_calendar(conn)  # idempotent
    rows = {r["day"]: r["plus_month"] for r in db.fetch(
        sqlite_engine, "select day, plus_month from cal_day where day in ('2022-01-31', '2024-01-30', '2022-12-15')")}
    assert rows == {"2022-01-31": "2022-02-28", "2024-01-30": "2024-02-29", "2022-12-15": "2023-01-15"}
