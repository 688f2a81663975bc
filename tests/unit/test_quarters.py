import datetime as dt

import pytest

from keyprojects import quarters as q


def test_interval_gives_quarter():
    assert q.quarter_from_interval(dt.datetime(2022, 1, 1), dt.datetime(2022, 4, 1)) == "2022Q1"
    assert q.quarter_from_interval(dt.date(2022, 10, 1), dt.date(2023, 1, 1)) == "2022Q4"


def test_parameter_overrides_interval():
    assert q.quarter_from_interval(dt.datetime(2022, 1, 1), dt.datetime(2022, 4, 1), "2021q3") == "2021Q3"


def test_zero_length_or_odd_interval_is_refused():
    with pytest.raises(ValueError, match="not one calendar quarter"):
        q.quarter_from_interval(dt.datetime(2022, 1, 1), dt.datetime(2022, 1, 1))
    with pytest.raises(ValueError, match="quarter parameter"):
        q.quarter_from_interval(None, None)
    with pytest.raises(ValueError):
        q.quarter_from_interval(None, None, "2022Q5")


def test_ranges_and_neighbours():
    assert q.quarter_range("2021Q3", "2022Q2") == ["2021Q3", "2021Q4", "2022Q1", "2022Q2"]
    assert q.previous_year("2022Q3") == "2021Q3"
    assert q.quarter_end("2022Q4") == dt.date(2022, 12, 31)
    assert q.month_from_interval(None, None, "2022-03") == "2022-03"
