"""Delivery (issue 18 §1) for real: a generated quarter published, then its documents sent through an
SMTP server on 127.0.0.1 (aiosmtpd) or written to the outbox. Recipients and subjects as configured,
each attachment's sha256 the file's, a rerun sends nothing, a changed document is sent again with
【更正】, a sender without a contact is recorded no_contact, a failed send retries and comes back
as an alert without raising."""

from __future__ import annotations

import email
import hashlib
import shutil
import socket
from email import policy

import pytest

from keyprojects import LISTS, db, runtime, runtime_office
from keyprojects.documents import returns
from keyprojects.operations import delivery
from kpgen import generate

from ..conftest import ROOT

Q = "2022Q4"
OFFICE = "office@kp.example"
CONTACTS = """
[office]
name = "市工业项目建设领导组办公室"
addresses = ["office@kp.example"]
[bureaus]
"市商务局" = ["shangwu@kp.example"]
"市行政审批局" = ["shenpi@kp.example", "shenpi-b@kp.example"]
"市能源局" = "nengyuan@kp.example"
# 市统计局: no contact
[units]
"""


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    base = tmp_path_factory.mktemp("delivery")
    cfg = base / "config"
    shutil.copytree(ROOT / "src" / "keyprojects" / "config", cfg)
    units = [u for u in __import__("tomllib").loads((cfg / "units.toml").read_text("utf-8"))["unit"]]
    # every unit but the last has a contact
    lines = [f'"{u["name"]}" = ["u{u["code"]}@kp.example"]' for u in units[:-1]]
    (cfg / "contacts.toml").write_text(CONTACTS + "\n".join(lines) + "\n", encoding="utf-8")
    text = (cfg / "delivery.toml").read_text("utf-8").replace("retry_seconds = 10", "retry_seconds = 0")
    (cfg / "delivery.toml").write_text(text, encoding="utf-8")
    generate(base / "inbox", [Q], seed=13, rows_per_quarter=600)
    mp = pytest.MonkeyPatch()
    for k, v in {"KP_INBOX": base / "inbox", "KP_OUTPUT": base / "output", "KP_CONFIG_DIR": cfg,
                 "KP_WAREHOUSE_URL": f"sqlite:///{base / 'wh.db'}"}.items():
        mp.setenv(k, str(v))
    runtime.resolve_quarter(Q, None, None)
    for name in LISTS:
        runtime.load_list(Q, name, run_id="r1")
    runtime.build_marts(Q, run_id="r1")
    runtime_office.rank_year(Q, run_id="r1")
    paths = {"bulletin": runtime.publish_bulletin(Q), "notice": runtime_office.draft_notice(Q),
             "ranking": runtime_office.publish_ranking(Q)}
    paths["returns"] = runtime_office.publish_returns(Q)["workbooks"]
    eng = db.make_engine(f"sqlite:///{base / 'wh.db'}")
    yield {"base": base, "output": base / "output", "engine": eng, "paths": paths, "units": units}
    eng.dispose()
    mp.undo()


@pytest.fixture
def fresh(env):
    with env["engine"].begin() as conn:
        conn.exec_driver_sql("delete from deliveries")
        conn.exec_driver_sql("delete from alerts")
    shutil.rmtree(env["output"] / Q / "outbox", ignore_errors=True)
    return env


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content,
                                                                                policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = _Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, {"host": "127.0.0.1", "port": port, "ssl": False, "starttls": False,
                    "from_email": "kp@kp.example"}
    controller.stop()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _attachments(msg) -> dict[str, str]:
    return {a.get_filename(): _sha(a.get_content()) for a in msg.iter_attachments()}


def _senders_with_returns(env) -> set[str]:
    return {r["sender"] for r in returns.read_rejections(env["engine"], Q)}


def test_smtp_sends_each_version_once_and_corrections_again(fresh, smtp_server):
    env = fresh
    handler, smtp = smtp_server
    got = runtime_office.deliver_quarter(Q, smtp=smtp, run_id="r1")
    assert not got["failed"] and not got["alerts"]
    by_to = {}
    for rcpts, msg in handler.messages:
        assert len(rcpts) == 1
        by_to.setdefault(rcpts[0], []).append(msg)
        assert msg["From"] == "kp@kp.example"
    # the office: bulletin, draft 通报 and (Q4) the ranking, the 总体情况 paragraph as body
    [office] = by_to.pop(OFFICE)
    files = {p.split("/")[-1]: p for p in (env["paths"]["bulletin"], env["paths"]["notice"], env["paths"]["ranking"])}
    assert _attachments(office) == {n: _sha(open(p, "rb").read()) for n, p in files.items()}
    assert office["Subject"] == "2022年第四季度工业重点项目建设情况通报及附件"
    assert "全市调度库项目" in office.get_body().get_content()
    # each sender of rejected rows with a contact: its own 退回清单, counts per list, the due date
    senders = _senders_with_returns(env)
    assert {"市商务局", "市行政审批局", "市统计局"} <= senders
    expected = {}
    contacts = delivery.contacts()
    for s in senders:
        for a in contacts.of(s):
            expected[a] = s
    assert set(by_to) == set(expected)
    assert len(by_to["shenpi@kp.example"]) == len(by_to["shenpi-b@kp.example"]) == 1   # both addresses
    for to, [msg] in by_to.items():
        sender = expected[to]
        path = env["output"] / Q / "退回清单" / f"{returns.safe_filename(sender)}.xlsx"
        assert _attachments(msg) == {path.name: _sha(path.read_bytes())}
        assert msg["Subject"] == f"2022年第四季度工业重点项目退回清单（{sender}）"
        body = msg.get_body().get_content()
        assert "行" in body and "2023年1月25日前" in body      # 2022-12-31 + 15 + 10 days
    # no contact: recorded, not skipped silently
    rows = db.fetch(env["engine"], "select * from deliveries where period = :q", q=Q)
    no_contact = {r["recipient"] for r in rows if r["status"] == "no_contact"}
    assert "市统计局" in no_contact
    assert no_contact == {s for s in senders if not contacts.of(s)}
    assert {r["status"] for r in rows} == {"sent", "no_contact"}
    sent = [r for r in rows if r["status"] == "sent"]
    assert len(sent) == 3 + len(by_to)
    assert all(r["sha256"] == _sha((env["output"] / r["document"]).read_bytes()) for r in rows)

    # a rerun over identical bytes sends nothing and records nothing new
    n = len(handler.messages)
    again = runtime_office.deliver_quarter(Q, smtp=smtp, run_id="r2")
    assert again["messages_sent"] == 0 and len(handler.messages) == n
    assert db.fetch(env["engine"], "select count(*) as n from deliveries")[0]["n"] == len(rows)

    # a changed document is sent again, with 更正 in the subject, to its readers only
    path = env["output"] / Q / "退回清单" / "市商务局.xlsx"
    original = path.read_bytes()
    try:
        path.write_bytes(original + b"\0")
        runtime_office.deliver_quarter(Q, smtp=smtp, run_id="r3")
        new = handler.messages[n:]
        assert [r for r, _ in new] == [["shangwu@kp.example"]]
        assert new[0][1]["Subject"].startswith("【更正】")
        assert _attachments(new[0][1]) == {"市商务局.xlsx": _sha(original + b"\0")}
    finally:
        path.write_bytes(original)


def test_outbox_without_smtp_then_smtp_sends_what_was_only_written(fresh, smtp_server):
    env = fresh
    got = runtime_office.deliver_quarter(Q, smtp=None, run_id="r1")
    outbox = env["output"] / Q / "outbox"
    emls = sorted(outbox.glob("*.eml"))
    assert len(emls) == got["messages_sent"] > 0
    tos = set()
    for p in emls:
        msg = email.message_from_bytes(p.read_bytes(), policy=policy.default)
        tos.add(msg["To"].addresses[0].addr_spec)
        for name, sha in _attachments(msg).items():
            assert [r for r in db.fetch(env["engine"], "select sha256 from deliveries where message_file = :f",
                                        f=str(p)) if r["sha256"] == sha], name
    assert OFFICE in tos and "shangwu@kp.example" in tos
    rows = db.fetch(env["engine"], "select status from deliveries")
    assert {r["status"] for r in rows} == {"written", "no_contact"}
    # a second run writes no file and no row
    runtime_office.deliver_quarter(Q, smtp=None, run_id="r2")
    assert sorted(outbox.glob("*.eml")) == emls
    assert len(db.fetch(env["engine"], "select status from deliveries")) == len(rows)
    # once kp_smtp exists, what was only written is sent (not as a correction), once
    handler, smtp = smtp_server
    runtime_office.deliver_quarter(Q, smtp=smtp, run_id="r3")
    assert {r[0][0] for r in handler.messages} == tos
    assert not any(m["Subject"].startswith("【更正】") for _, m in handler.messages)
    assert {r["status"] for r in db.fetch(env["engine"], "select status from deliveries")} == {"sent", "no_contact"}


def test_a_failed_send_retries_then_alerts_and_does_not_raise(fresh):
    env = fresh
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]     # nothing listens there
    got = runtime_office.deliver_quarter(Q, smtp={"host": "127.0.0.1", "port": port, "timeout": 2}, run_id="r1")
    assert got["failed"] and got["messages_sent"] == 0
    assert {a["kind"] for a in got["alerts"]} == {"delivery_failed"}
    assert any(a["unit"] == "市工业项目建设领导组办公室" for a in got["alerts"])
    rows = db.fetch(env["engine"], "select status, error from deliveries where status = 'failed'")
    assert rows and all("Connection" in r["error"] or "refused" in r["error"] for r in rows)


def test_contacts_reject_what_is_not_an_address(tmp_path, monkeypatch):
    cfg = tmp_path / "cfg"
    shutil.copytree(ROOT / "src" / "keyprojects" / "config", cfg)
    (cfg / "contacts.toml").write_text('[units]\n"忻府区" = ["忻府区办公室"]\n', encoding="utf-8")
    monkeypatch.setenv("KP_CONFIG_DIR", str(cfg))
    with pytest.raises(ValueError, match=r"contacts.toml: \[units\] 忻府区: '忻府区办公室' is not an email address"):
        delivery.contacts()
