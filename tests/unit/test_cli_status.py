"""``cli status``: without an argument the quarters only (never the month folders); a month gets its
own status (exports, overdue problems, units not reported, deliveries); times in China time."""

from __future__ import annotations

import pytest

from tests.unit.test_office_page import fill


@pytest.fixture
def env(sqlite_engine, tmp_path, monkeypatch):
    output, inbox = tmp_path / "output", tmp_path / "inbox"
    output.mkdir()
    fill(sqlite_engine, output)
    for m in range(1, 13):   # a year of month folders beside one quarter's
        (inbox / f"2022-{m:02d}" / "progress").mkdir(parents=True)
    (inbox / "2022-12" / "progress" / "13710导出.xlsx").write_bytes(b"PK")
    (inbox / "2022Q4" / "signed").mkdir(parents=True)
    monkeypatch.setenv("KP_WAREHOUSE_URL", str(sqlite_engine.url))
    monkeypatch.setenv("KP_OUTPUT", str(output))
    monkeypatch.setenv("KP_INBOX", str(inbox))


def test_status_without_argument_lists_quarters_only(env, capsys):
    from keyprojects import cli

    assert cli.main(["status"]) == 0
    out = capsys.readouterr().out
    headers = [line for line in out.splitlines() if line.startswith("== ")]
    assert [h.split()[1] for h in headers] == ["2022Q4"]
    # China time: the run started 2023-01-17T00:00Z, the deadline is midnight +08:00
    assert "started 2023-01-17 08:00" in out and "deadline 2023-01-16 00:00 China time" in out


def test_status_of_a_month(env, capsys):
    from keyprojects import cli

    assert cli.main(["status", "2022-12"]) == 0
    out = capsys.readouterr().out
    assert "== 2022-12" in out and "Traceback" not in out
    assert "read 5, loaded 5, rejected 0 (loaded 2023-01-03 00:30 China time)" in out
    assert "problems: 4 open, 2 overdue" in out and "市<img src=x onerror=alert(1)>局: 2 overdue of 3 open" in out
    assert "units not reported: 河曲县" in out
    assert "deliveries: 0" in out
    assert "dispatch workbook: 2022-12/忻州市工业重点项目2022年12月调度通报.xlsx" in out


def test_status_of_a_month_not_loaded_names_the_inbox(env, capsys):
    from keyprojects import cli

    assert cli.main(["status", "2022-11"]) == 0
    out = capsys.readouterr().out
    assert "exports loaded: none (nothing in the inbox either)" in out and "dispatch workbook: not published" in out


def test_status_of_something_else_says_so(env, capsys):
    from keyprojects import cli

    assert cli.main(["status", "2022-13"]) == 2
    assert "neither a quarter (2022Q1) nor a month (2022-03)" in capsys.readouterr().err


def test_summary_names_the_office_documents(env, capsys):
    """``cli summary`` (the end of ``make demo``): the audit per quarter and list, then where the
    bulletin, the ranking, the draft 通报 and the 退回清单 are."""
    from keyprojects import cli

    assert cli.main(["summary"]) == 0
    out = capsys.readouterr().out
    assert "2022Q4   approved" in out
    assert "year-end ranking (年度考评) 2022:" in out and "年度考评排名.xlsx" in out
    assert "退回清单 for 2022Q4:" in out and "五台县" in out
