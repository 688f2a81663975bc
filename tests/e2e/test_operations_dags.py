"""Scheduled operation end to end (issue 9) with dag.test(): late lists and units at the deadline
raise alerts that are emailed for real (aiosmtpd on 127.0.0.1) and recorded; a resent file makes
keyprojects_inbox_watch trigger a rerun of its quarter; the load history then says when the file
came and what changed in the figures; a quarter with no list publishes nothing and fails."""

from __future__ import annotations

import email
import json
import runpy
import shutil
import socket
from email.header import decode_header, make_header
from pathlib import Path

import openpyxl
import pytest

from keyprojects import db
from kpgen import generate

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e
Q = "2022Q1"


class _Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _text(msg) -> tuple[str, str]:
    subject = str(make_header(decode_header(msg["Subject"])))
    # the text parts (the documents delivered through the same server come as attachments)
    parts = [p for p in msg.walk() if not p.is_multipart() and p.get_content_maintype() == "text"
             and not p.get_filename()]
    body = "\n".join(p.get_payload(decode=True).decode(p.get_content_charset() or "utf-8") for p in parts)
    return subject, body


@pytest.fixture(scope="module")
def env(tmp_path_factory, airflow_db):
    from aiosmtpd.controller import Controller

    base = tmp_path_factory.mktemp("ops")
    inbox, output = base / "inbox", base / "output"
    generate(inbox, [Q], seed=11, rows_per_quarter=500)
    # the energy bureau has not sent its list, and 代县 not its dispatch library
    shutil.rmtree(inbox / Q / "energy")
    for f in (inbox / Q / "dispatch").iterdir():
        if "代县" in f.name:
            f.unlink()
    handler, port = _Inbox(), _free_port()
    smtp = Controller(handler, hostname="127.0.0.1", port=port)
    smtp.start()
    url = f"sqlite:///{base / 'warehouse.db'}"
    mp = pytest.MonkeyPatch()
    mp.setenv("KP_INBOX", str(inbox))
    mp.setenv("KP_OUTPUT", str(output))
    mp.setenv("KP_WAREHOUSE_URL", url)
    mp.setenv("KP_ALERT_TO", "office@example.org")
    mp.setenv("AIRFLOW_CONN_KP_SMTP", json.dumps({
        "conn_type": "smtp", "host": "127.0.0.1", "port": port,
        "extra": {"disable_tls": True, "disable_ssl": True, "from_email": "keyprojects@example.org"}}))
    quarterly = runpy.run_path(str(ROOT / "dags" / "keyprojects_quarterly.py"))["quarterly"]
    watch = runpy.run_path(str(ROOT / "dags" / "keyprojects_inbox_watch.py"))["inbox_watch"]
    yield {"inbox": inbox, "output": output, "engine": db.make_engine(url), "quarterly": quarterly,
           "watch": watch, "smtp": handler}
    mp.undo()
    smtp.stop()


def _states(dr) -> dict:
    return {ti.task_id: str(ti.state).split(".")[-1] for ti in dr.get_task_instances()}


def test_late_lists_alert_and_a_resent_file_triggers_a_rerun(env):
    eng, inbox = env["engine"], env["inbox"]
    dr = env["quarterly"].test(run_conf={"quarter": Q})
    assert str(dr.state).endswith("success"), _states(dr)

    # what arrived, with receipt times; what did not
    arr = db.fetch(eng, "select list, unit, status, last_received from inbox_arrivals where quarter = :q",
                          q=Q)
    assert {(a["list"], a["status"]) for a in arr if a["unit"] is None} == {
        ("reserve", "arrived"), ("dispatch", "arrived"), ("signed", "arrived"), ("approved", "arrived"),
        ("energy", "missing"), ("registered", "arrived")}
    missing_units = {(a["list"], a["unit"]) for a in arr if a["unit"] and a["status"] == "missing"}
    assert ("dispatch", "代县") in missing_units
    assert all(a["last_received"] for a in arr if a["status"] == "arrived")

    # alerts: recorded, open, and emailed (Chinese and English, quarter, list, reason, report link)
    alerts = db.fetch(eng, "select kind, list, unit, status, emailed, message, run_id, dag_id "
                                  "from alerts where quarter = :q", q=Q)
    kinds = {(a["kind"], a["list"], a["unit"]) for a in alerts}
    assert ("late_list", "energy", None) in kinds and ("unit_not_reported", "dispatch", "代县") in kinds
    assert all(a["status"] == "open" and a["emailed"] == 1 and a["dag_id"] == "keyprojects_quarterly"
               and a["run_id"] == dr.run_id for a in alerts)
    mails = [_text(m) for m in env["smtp"].messages]
    late = [(s, b) for s, b in mails if "energy" in s]
    assert late, [s for s, _ in mails]
    subject, body = late[0]
    assert Q in subject and "清单逾期未报" in subject and "list late" in subject
    for needle in ("能源类清单", "市能源局", "原因", "Reason", "not received by the deadline",
                   f"{Q}/validation/index.html"):
        assert needle in body, needle
    assert any("代县" in s and "unit not reported" in s for s, _ in mails)

    runs = db.fetch(eng, "select run_id, state, fingerprint, bulletin from run_history where quarter = :q",
                           q=Q)
    assert [(r["run_id"], r["state"]) for r in runs] == [(dr.run_id, "success")] and runs[0]["bulletin"]

    # nothing changed: the watcher triggers nothing
    w = env["watch"].test()
    assert str(w.state).endswith("success")
    assert "trigger_rerun" not in _states(w) or _states(w)["trigger_rerun"] in ("skipped", "removed")

    # 代县 resends its reserve library with a corrected amount
    resent = next(f for f in sorted((inbox / Q / "reserve").iterdir()) if f.suffix == ".xlsx")
    book = openpyxl.load_workbook(resent)
    ws = book.worksheets[0]
    cell = next(c for row in ws.iter_rows(min_row=4) for c in row if isinstance(c.value, (int, float))
                and not isinstance(c.value, bool) and c.value > 1000)
    cell.value = cell.value + 5000
    book.save(resent)

    w = env["watch"].test()
    assert str(w.state).endswith("success")
    assert _states(w)["trigger_rerun"] == "success"
    from airflow.models import DagRun
    from airflow.utils.session import create_session

    with create_session() as session:
        triggered = [r for r in session.query(DagRun).filter(DagRun.dag_id == "keyprojects_quarterly")
                     if r.run_id.startswith(f"inbox_change__{Q}__")]
    assert len(triggered) == 1 and triggered[0].conf == {"quarter": Q}

    # the rerun (dag.test stands in for the scheduler here), then the history answers the question
    dr2 = env["quarterly"].test(run_conf={"quarter": Q})
    assert str(dr2.state).endswith("success")
    hist = db.fetch(eng, """
        select h.run_id, h.file, h.sha256, h.file_mtime
        from load_history h where h.quarter = :q and h.list = 'reserve' and h.file = :f
        order by h.loaded_at, h.run_id""", q=Q, f=resent.name)
    assert len(hist) == 2 and hist[0]["sha256"] != hist[1]["sha256"] and all(h["file_mtime"] for h in hist)
    figures = db.fetch(eng, "select count(distinct run_id) as n from bulletin_history where quarter = :q",
                              q=Q)
    assert figures[0]["n"] == 2
    # the README's two history queries answer "when did <unit> resend, what changed in the figures"
    unit = json.loads(db.fetch(eng, "select units from load_history where file = :f", f=resent.name)[0]
                      ["units"])[0]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("### History", 1)[1].split("```sql", 1)[1].split("```", 1)[0]
    receipts, figures_sql = [q.strip() for q in block.split(";") if q.strip()]
    receipts = db.fetch(eng, receipts.replace("代县", unit))
    assert [r["run_id"] for r in receipts if r["file"] == resent.name] == [dr.run_id, dr2.run_id]
    assert len({r["sha256"] for r in receipts if r["file"] == resent.name}) == 2
    assert [r["run_id"] for r in db.fetch(eng, figures_sql.replace("代县", unit))] == [dr.run_id, dr2.run_id]
    # the watcher is quiet again: the last successful run loaded what the inbox holds
    w = env["watch"].test()
    assert "trigger_rerun" not in _states(w) or _states(w)["trigger_rerun"] in ("skipped", "removed")


def test_a_quarter_with_no_list_publishes_nothing_and_fails(env):
    eng, output = env["engine"], env["output"]
    q = "2023Q1"
    (env["inbox"] / q).mkdir(parents=True, exist_ok=True)
    before = len(env["smtp"].messages)
    dr = env["quarterly"].test(run_conf={"quarter": q})
    assert str(dr.state).endswith("failed")
    states = _states(dr)
    assert states["record_arrivals"] == "failed"
    assert states.get("publish_bulletin") != "success"
    assert not list((output / q).glob("*.xlsx")) if (output / q).exists() else True
    assert db.fetch(eng, "select count(*) as n from bulletin_unit_quarter where quarter = :q",
                           q=q)[0]["n"] == 0
    from airflow.models.asset import AssetEvent
    from airflow.utils.session import create_session

    with create_session() as session:
        events = [e for e in session.query(AssetEvent) if (e.extra or {}).get("quarter") == q]
    assert events == []
    failed = db.fetch(eng, "select kind, task_id, message from alerts where quarter = :q", q=q)
    assert [(a["kind"], a["task_id"]) for a in failed] == [("failed", "record_arrivals")]
    assert "no list of 2023Q1 had arrived" in failed[0]["message"] and "未收到任何清单" in failed[0]["message"]
    subject, body = _text(env["smtp"].messages[before])
    assert q in subject and "运行失败" in subject and "no list of 2023Q1 had arrived" in body
    run = db.fetch(eng, "select state from run_history where quarter = :q", q=q)
    assert [r["state"] for r in run] == ["failed"]


def test_status_shows_arrivals_rejections_last_run_alerts_and_bulletin(env, capsys):
    from keyprojects import cli

    assert cli.main(["status", Q]) == 0
    out = capsys.readouterr().out
    assert f"== {Q}" in out and "deadline" in out
    assert "energy      missing" in out and "signed      arrived" in out
    # one meaning of received (issue 16 §5): status names as missing exactly the units the bulletin calls
    # 未报送 — 代县 (no file) and the generator's silent unit, whose empty form is no library
    not_received = [r["unit"] for r in db.fetch(env["engine"], """
        select s.unit from unit_submissions as s join cfg_unit as u on u.unit = s.unit and u.year = 2022
        where s.quarter = :q and s.list = 'dispatch' and s.status = 'not_received' order by u.unit_order""", q=Q)]
    assert "代县" in not_received and len(not_received) == 2
    assert (f"dispatch libraries: {16 - len(not_received)} units arrived" in out
            and f"missing: {', '.join(not_received)}" in out)
    assert "success" in out and "last run: " in out
    assert "unit_not_reported" in out and "late_list" in out and "energy" in out
    assert f"bulletin: {env['output'] / Q}" in out
    rejected = db.fetch(env["engine"], "select sum(rows_rejected) as n from load_audit where quarter = :q "
                                              "and list = 'signed'", q=Q)[0]["n"]
    assert any(line.split()[:2] == ["signed", "arrived"] and line.split()[-1] == str(rejected)
               for line in out.splitlines())
    assert cli.main(["status"]) == 0
    assert "== 2023Q1" in capsys.readouterr().out
