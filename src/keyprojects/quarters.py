"""Quarter and month partitions: parsing, and deriving them from a run's data interval."""

from __future__ import annotations

import datetime as dt
import re

_Q = re.compile(r"^(\d{4})Q([1-4])$")
_M = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_quarter(q: str) -> tuple[int, int]:
    m = _Q.match(str(q).strip().upper())
    if not m:
        raise ValueError(f"quarter must look like 2022Q1, got {q!r}")
    return int(m.group(1)), int(m.group(2))


def quarter_bounds(q: str) -> tuple[dt.date, dt.date]:
    """First day of the quarter and first day of the next one."""
    y, n = parse_quarter(q)
    start = dt.date(y, 3 * n - 2, 1)
    end = dt.date(y + (n == 4), 1 if n == 4 else 3 * n + 1, 1)
    return start, end


def quarter_end(q: str) -> dt.date:
    """The quarter's last day (截至 date of its lists)."""
    return quarter_bounds(q)[1] - dt.timedelta(days=1)


def quarter_of(day: dt.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def previous_year(q: str) -> str:
    y, n = parse_quarter(q)
    return f"{y - 1}Q{n}"


def next_year(q: str) -> str:
    """The same quarter of the year after: the quarter whose growth (上年同期) reads ``q``."""
    y, n = parse_quarter(q)
    return f"{y + 1}Q{n}"


def quarter_range(first: str, last: str) -> list[str]:
    y, n = parse_quarter(first)
    ly, ln = parse_quarter(last)
    out = []
    while (y, n) <= (ly, ln):
        out.append(f"{y}Q{n}")
        y, n = (y + 1, 1) if n == 4 else (y, n + 1)
    return out


def quarter_from_interval(start: dt.datetime | dt.date | None, end: dt.datetime | dt.date | None,
                          override: str | None = None) -> str:
    """The run's quarter: the ``quarter`` parameter when given, else the data interval's quarter.

    The interval must cover exactly one calendar quarter (2022-01-01 -> 2022-04-01 is 2022Q1).
    """
    if override:
        parse_quarter(override)
        return str(override).strip().upper()
    if start is None or end is None:
        raise ValueError("no quarter parameter and no data interval: pass --conf '{\"quarter\": \"2022Q1\"}'")
    s = start.date() if isinstance(start, dt.datetime) else start
    e = end.date() if isinstance(end, dt.datetime) else end
    q = quarter_of(s)
    if (s, e) != quarter_bounds(q):
        raise ValueError(f"data interval {s} -> {e} is not one calendar quarter; pass the quarter parameter")
    return q


def parse_month(month: str) -> tuple[int, int]:
    m = _M.match(str(month).strip())
    if not m:
        raise ValueError(f"month must look like 2022-03, got {month!r}")
    return int(m.group(1)), int(m.group(2))


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """The month's first day and the first day of the next month."""
    y, m = parse_month(month)
    return dt.date(y, m, 1), dt.date(y + (m == 12), 1 if m == 12 else m + 1, 1)


def month_end(month: str) -> dt.date:
    return month_bounds(month)[1] - dt.timedelta(days=1)


def shift_month(month: str, n: int) -> str:
    y, m = parse_month(month)
    i = y * 12 + m - 1 + n
    return f"{i // 12}-{i % 12 + 1:02d}"


def month_range(first: str, last: str) -> list[str]:
    out, m = [], first
    while m <= last:
        out.append(m)
        m = shift_month(m, 1)
    return out


def quarter_of_month(month: str) -> str:
    y, m = parse_month(month)
    return f"{y}Q{(m - 1) // 3 + 1}"


def month_from_interval(start, end, override: str | None = None) -> str:
    """The run's month: the ``month`` parameter when given, else the data interval, which must be
    one calendar month (2022-03-01 -> 2022-04-01 is 2022-03)."""
    if override:
        parse_month(override)
        return str(override).strip()
    if start is None or end is None:
        raise ValueError("no month parameter and no data interval: pass --conf '{\"month\": \"2022-03\"}'")
    s = start.date() if isinstance(start, dt.datetime) else start
    e = end.date() if isinstance(end, dt.datetime) else end
    month = f"{s.year}-{s.month:02d}"
    if (s, e) != month_bounds(month):
        raise ValueError(f"data interval {s} -> {e} is not one calendar month; pass the month parameter")
    return month
