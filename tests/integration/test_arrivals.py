"""The arrival check behind the quarterly run's wait (issue 9): deadline, units per file, the clock
passed in (a fake one for the future case), the alerts raised at the deadline."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest

from keyprojects import LISTS, config, db
from keyprojects.ingest import arrivals, discovery
from keyprojects.operations import alerts
from kpgen import generate

Q = "2022Q1"
UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    base = tmp_path_factory.mktemp("arrivals") / "inbox"
    generate(base, [Q], seed=3, rows_per_quarter=300)
    return base


def test_deadline_is_n_days_after_the_quarter_at_midnight_china_time():
    assert arrivals.deadline("2022Q1", 15) == dt.datetime(2022, 4, 16, tzinfo=arrivals.CHINA)
    assert arrivals.deadline("2022Q4", 0) == dt.datetime(2023, 1, 1, tzinfo=arrivals.CHINA)


def test_files_are_found_as_the_load_finds_them(inbox):
    (inbox / Q / "signed" / "~$lock.xlsx").write_bytes(b"x")
    (inbox / Q / "signed" / "说明.docx").write_bytes(b"x")
    for name in LISTS:
        assert [f.file for f in arrivals.list_files(inbox, Q, name)] == \
            [e.file for e in discovery.discover(inbox, Q, name).files or []]


def _not_received(inbox) -> dict[str, list[str]]:
    """The generator's truth: the units with no data row in a library (an empty form is not a library)."""
    doc = json.loads((inbox / "_truth" / f"{Q}.json").read_text(encoding="utf-8"))
    sent = {lib: {r["unit"] for r in doc["lists"][lib]["loaded"]}
            for lib in arrivals.UNIT_LISTS}
    return {lib: [u.name for u in config.units() if u.name not in sent[lib]] for lib in arrivals.UNIT_LISTS}


def test_complete_quarter_ends_the_wait_before_the_deadline(inbox, sqlite_engine):
    before = dt.datetime(2022, 4, 2, tzinfo=UTC)         # a fake clock: the day after the quarter
    got = arrivals.check(sqlite_engine, inbox, Q, before, 15)
    # the silent unit's empty form (a header, no data row) is not its library (issue 16 §5)
    assert got.units_missing == _not_received(inbox) and got.units_missing["dispatch"]
    assert got.lists_missing == [] and not got.complete and not got.done
    cached = db.fetch(sqlite_engine, "select count(*) as n from inbox_file_units")[0]["n"]
    assert cached == len(got.files)
    assert alerts.late_alerts(got.as_dict(), None) == []    # before the deadline: no alert


def test_missing_list_or_unit_waits_until_the_deadline_then_alerts(inbox, sqlite_engine, tmp_path):
    part = tmp_path / "inbox"
    shutil.copytree(inbox / Q, part / Q)
    shutil.rmtree(part / Q / "signed")
    for f in (part / Q / "reserve").iterdir():
        if "代县" in f.name:
            f.unlink()
    due = arrivals.deadline(Q, 15)
    # the future case, with a fake clock: the wait goes on
    got = arrivals.check(sqlite_engine, part, Q, due - dt.timedelta(seconds=1), 15)
    silent = _not_received(inbox)   # the units whose only file is an empty form
    want = {"reserve": [u.name for u in config.units() if u.name == "代县" or u.name in silent["reserve"]],
            "dispatch": silent["dispatch"]}
    assert not got.done and got.lists_missing == ["signed"] and got.units_missing == want
    # at the deadline, and for any past quarter under the real clock: no wait at all
    assert arrivals.check(sqlite_engine, part, Q, due, 15).done
    got = arrivals.check(sqlite_engine, part, Q, dt.datetime.now(UTC), 15)
    assert got.done and got.deadline_passed
    raised = alerts.late_alerts(got.as_dict(), alerts.report_path(tmp_path / "out", Q))
    assert [(a.kind, a.list, a.unit) for a in raised] == [("late_list", "signed", None)] + [
        ("unit_not_reported", lib, u) for lib in ("reserve", "dispatch") for u in want[lib]]
    for a in raised:
        assert Q in a.subject and "Reason:" in a.message and "原因:" in a.message
        assert a.message.endswith(f"{Q}/validation/index.html")
    # recorded: each list and each unit library, arrived or missing
    with sqlite_engine.begin() as conn:
        arrivals.record(conn, got, "run1")
    rows = db.fetch(sqlite_engine, "select list, unit, status from inbox_arrivals where quarter = :q", q=Q)
    assert len(rows) == len(LISTS) + 2 * len(config.units())
    assert {(r["list"], r["unit"]) for r in rows if r["status"] == "missing"} == {("signed", None)} | {
        (lib, u) for lib in ("reserve", "dispatch") for u in want[lib]}


def test_a_naive_clock_is_refused(inbox, sqlite_engine):
    with pytest.raises(ValueError, match="timezone-aware"):
        arrivals.check(sqlite_engine, inbox, Q, dt.datetime(2022, 5, 1), 15)


def test_the_sensors_function_waits_for_a_future_deadline_and_not_for_a_past_one(inbox, tmp_path, monkeypatch):
    """runtime.check_arrivals is what wait_for_lists pokes with; its clock is the argument."""
    from keyprojects import runtime

    part = tmp_path / "inbox"
    shutil.copytree(inbox / Q, part / Q)
    shutil.rmtree(part / Q / "registered")
    monkeypatch.setenv("KP_INBOX", str(part))
    monkeypatch.setenv("KP_OUTPUT", str(tmp_path / "out"))
    monkeypatch.setenv("KP_WAREHOUSE_URL", f"sqlite:///{tmp_path / 'wh.db'}")
    monkeypatch.setenv("KP_LIST_DEADLINE_DAYS", "30")
    runtime.resolve_quarter(Q, None, None)   # creates the tables
    fake_now = dt.datetime(2022, 4, 20, tzinfo=UTC)      # 20 days after the quarter: still waiting
    got = runtime.check_arrivals(Q, fake_now)
    assert got["done"] is False and got["lists_missing"] == ["registered"]
    assert got["deadline"] == "2022-05-01T00:00:00+08:00"
    assert runtime.check_arrivals(Q, dt.datetime(2022, 5, 1, tzinfo=arrivals.CHINA))["done"] is True
