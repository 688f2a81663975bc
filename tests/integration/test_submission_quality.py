"""报送质量 (issue 18 §3) on a generated quarter against the generator's truth: every sender's rows
read / loaded / rejected / skipped, its files, its receipt time in China time and days late (file
times set around the deadline), a resubmitted file counted, the mart check in check_marts, and the
bulletin's 报送质量 sheet."""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter, defaultdict

import openpyxl
import pytest

from keyprojects import LISTS, config, db, runtime
from keyprojects.warehouse import mart_checks
from kpgen import generate

from ..conftest import ROOT

Q = "2022Q4"
CHINA = dt.timezone(dt.timedelta(hours=8))
ON_TIME = dt.datetime(2023, 1, 15, 23, 30, tzinfo=CHINA)     # the deadline's last half hour
LATE = dt.datetime(2023, 1, 18, 10, 0, tzinfo=CHINA)         # 3 days late


def _touch(path, when):
    os.utime(path, (when.timestamp(), when.timestamp()))


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    base = tmp_path_factory.mktemp("quality")
    truth = generate(base / "inbox", [Q], seed=13, rows_per_quarter=600)[Q]
    inbox = base / "inbox" / Q
    late_unit = "五寨县"
    for name in LISTS:
        for p in (inbox / name).rglob("*"):
            if p.is_file():
                _touch(p, LATE if name == "dispatch" and "五寨" in p.name else ON_TIME)
    mp = pytest.MonkeyPatch()
    url = f"sqlite:///{base / 'wh.db'}"
    for k, v in {"KP_INBOX": base / "inbox", "KP_OUTPUT": base / "output", "KP_WAREHOUSE_URL": url}.items():
        mp.setenv(k, str(v))
    runtime.resolve_quarter(Q, None, None)
    for name in LISTS:
        runtime.load_list(Q, name, run_id="r1")
    # 定襄县 resubmits one reserve file (same rows, new bytes) before the second run
    resubmitted = sorted(p for p in (inbox / "reserve").glob("*定襄*.xlsx"))[0]
    wb = openpyxl.load_workbook(resubmitted)
    wb.properties.title = "更正"
    wb.save(resubmitted)
    _touch(resubmitted, ON_TIME)
    for name in LISTS:
        runtime.load_list(Q, name, run_id="r2")
    runtime.build_marts(Q, run_id="r2")
    eng = db.make_engine(url)
    yield {"engine": eng, "truth": truth, "late_unit": late_unit, "base": base}
    eng.dispose()
    mp.undo()


def _truth_by_sender(truth) -> dict[tuple[str, str], Counter]:
    out: dict[tuple[str, str], Counter] = defaultdict(Counter)
    specs = config.list_specs()
    for name in LISTS:
        lst = truth["lists"][name]
        for file, f in lst["per_file"].items():
            # a library file's sender: the one unit its rows belong to in the generator's world
            # (one unit per file in this inbox); none when no data row names one (docs/decisions.md)
            named = {r["unit"] for r in lst["loaded"] if r["file"] == file} | {
                r["sender"] for r in lst["rejected"] if r["file"] == file}
            if name not in ("reserve", "dispatch"):
                sender = specs[name].source
            else:
                assert len(named) <= 1, (name, file, named)
                sender = named.pop() if named else config.unknown_sender()
            c = out[(sender, name)]
            c["files"] += 1
            for k in ("rows_read", "rows_loaded", "rows_rejected", "rows_skipped"):
                c[k] += f[k]
    return out


def test_each_sender_as_the_truth_says(env):
    rows = {(r["sender"], r["list"]): r for r in db.fetch(
        env["engine"], "select * from submission_quality where quarter = :q", q=Q)}
    truth = _truth_by_sender(env["truth"])
    units = [u.name for u in config.units()]
    assert {(u, n) for u in units for n in ("reserve", "dispatch")} <= set(rows)
    for key, t in truth.items():
        r = rows[key]
        assert {k: r[k] for k in t} == dict(t), (key, {k: r[k] for k in t}, dict(t))
        assert r["rows_read"] == r["rows_loaded"] + r["rows_rejected"] + r["rows_skipped"]
        if r["rows_loaded"] + r["rows_rejected"]:
            assert r["rejection_rate"] == pytest.approx(r["rows_rejected"] / (r["rows_loaded"] + r["rows_rejected"]))
    # a unit that sent nothing: a row, not on time, nothing read
    silent = env["truth"]["silent_units"]["dispatch"]
    r = rows[(silent, "dispatch")]
    assert (r["files"], r["rows_read"], r["on_time"], r["days_late"], r["received_at"]) == (0, 0, 0, None, None)
    # receipt in China time; the deadline is midnight UTC+8 ending 2023-01-15
    late = rows[(env["late_unit"], "dispatch")]
    assert (late["received_at"], late["on_time"], late["days_late"]) == ("2023-01-18 10:00:00", 0, 3)
    ok = rows[("市商务局", "signed")]
    assert (ok["received_at"], ok["on_time"], ok["days_late"]) == ("2023-01-15 23:30:00", 1, 0)
    assert ok["missed_reports"] is None
    # the resubmitted file, and no other
    assert rows[("定襄县", "reserve")]["resubmissions"] == 1
    assert sum(r["resubmissions"] for r in rows.values()) == 1
    # the most frequent rule, and the unit's 漏报 / 未入统 as the bulletin counts them
    rejected = Counter((r["sender"], n, r["rule"]) for n in LISTS for r in env["truth"]["lists"][n]["rejected"])
    for (sender, name), r in rows.items():
        mine = {rule: c for (s, n, rule), c in rejected.items() if (s, n) == (sender, name)}
        if mine:
            assert mine[r["top_rule"]] == max(mine.values()) == r["top_rule_rows"], (sender, name)
    bulletin = {b["unit"]: b for b in db.fetch(env["engine"], "select unit, missed_reports from "
                                                              "bulletin_unit_quarter where quarter = :q", q=Q)}
    unregistered = Counter(r["unit"] for r in db.fetch(env["engine"], "select unit from unregistered_projects "
                                                                        "where quarter = :q", q=Q))
    for u in units:
        assert rows[(u, "dispatch")]["missed_reports"] == bulletin[u]["missed_reports"]
        assert rows[(u, "reserve")]["unregistered_projects"] == unregistered.get(u, 0)


def test_check_marts_reconciles_and_catches_a_lost_row(env):
    eng = env["engine"]
    summary = mart_checks.check_marts(eng, Q, ROOT / "include" / "sql", ROOT / "expectations")
    assert "submission_quality_reconciles" in summary["checks"]
    with eng.begin() as conn:
        conn.exec_driver_sql("update submission_quality set rows_loaded = rows_loaded - 1 "
                             "where quarter = '2022Q4' and sender = '市商务局'")
    try:
        with pytest.raises(mart_checks.MartCheckFailed, match="submission_quality_reconciles"):
            mart_checks.check_marts(eng, Q, ROOT / "include" / "sql", ROOT / "expectations")
    finally:
        with eng.begin() as conn:
            conn.exec_driver_sql("update submission_quality set rows_loaded = rows_loaded + 1 "
                                 "where quarter = '2022Q4' and sender = '市商务局'")


def test_bulletin_sheet_names_late_and_silent_senders(env):
    from keyprojects.documents import bulletin

    path = bulletin.write_bulletin(env["engine"], Q, env["base"] / "out")
    ws = openpyxl.load_workbook(path)["报送质量"]
    assert [c.value for c in ws[3]][:5] == ["序号", "报送单位", "清单", "报送时间", "报送情况"]
    shown = {(r[1], r[2]): r for r in ws.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int)}
    n = db.fetch(env["engine"], "select count(*) as n from submission_quality where quarter = :q", q=Q)[0]["n"]
    assert len(shown) == n
    assert shown[(env["late_unit"], "调度库")][3:5] == ("2023-01-18 10:00:00", "逾期3天")
    assert shown[(env["truth"]["silent_units"]["dispatch"], "调度库")][4] == "未报送"
    assert shown[("市商务局", config.list_specs()["signed"].title)][4] == "按时"
    # units first in the plan's order, then the bureaus
    senders = list(dict.fromkeys(k[0] for k in shown))
    units = [u.name for u in config.units()]
    assert senders[:len(units)] == units and senders[-4:] == ["市商务局", "市行政审批局", "市能源局", "市统计局"]
