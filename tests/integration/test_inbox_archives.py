"""Issue 16 §4-5: zip archives, the drop folder, files in the wrong folder, resends and one meaning
of received — each case of the corpus below with its outcome (rows loaded, amounts, lineage, status)."""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile

import openpyxl
import pytest

from keyprojects import db
from keyprojects.ingest import arrivals, classify, loader

Q = "2022Q1"
EXP = loader.Path(__file__).resolve().parents[2] / "expectations"
DISPATCH_HEAD = ["序号", "项目名称", "县（市、区）", "建设性质", "总投资（万元）", "开工状态"]
SIGNED_HEAD = ["序号", "项目名称", "县（市、区）", "签约时间", "总投资（万元）"]


def book(title: str | None, head: list[str], rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    ws.append(head)
    for i, r in enumerate(rows, 1):
        ws.append([i, *r])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def dispatch_book(unit: str, amounts: list[float], title: str | None = "调度库") -> bytes:
    return book(title, DISPATCH_HEAD, [[f"{unit}项目{i}", unit, "新建", a, "续建"] for i, a in enumerate(amounts)])


def zip_of(members: dict[str, bytes], utf8: bool = False) -> bytes:
    """A zip of ``members``: as Windows makes it (names as GBK bytes, no UTF-8 flag), or with UTF-8 names
    and the flag."""
    if not utf8:
        return _gbk_zip(members)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2022, 4, 1, 9, 0, 0)), data)
    return buf.getvalue()


class _GbkInfo(zipfile.ZipInfo):
    """A member whose name is stored as GBK bytes without the UTF-8 flag, as Windows' zip does."""

    def _encodeFilenameFlags(self):
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


def _gbk_zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(_GbkInfo(name, date_time=(2022, 4, 1, 9, 0, 0)), data)
    return buf.getvalue()


def put(path, data: bytes, when: dt.datetime | None = None):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if when is not None:
        os.utime(path, (when.timestamp(), when.timestamp()))
    return path


def load(engine, inbox, name):
    return loader.load_list(engine, inbox, Q, name, expectations_dir=EXP)


def audit(engine, name):
    return {r["file"]: r for r in db.fetch(engine, "select * from load_audit where quarter = :q and list = :l",
                                           q=Q, l=name)}


def staged(engine, name):
    return db.fetch(engine, f"select unit, project_name, total_investment, file from stg_{name} "
                            "where quarter = :q order by file, project_name", q=Q)


def test_gbk_named_member_of_a_windows_zip_loads_with_archive_and_member_in_lineage(tmp_path, sqlite_engine):
    inbox = tmp_path / "inbox"
    data = _gbk_zip({"代县调度库.xlsx": dispatch_book("代县", [800, 1200]), "报送函.docx": b"x"})
    assert zipfile.ZipFile(io.BytesIO(data)).namelist()[0] != "代县调度库.xlsx"   # Python alone: mojibake
    put(inbox / Q / "dispatch" / "代县.zip", data)
    got = load(sqlite_engine, inbox, "dispatch")
    assert got.status == "loaded" and got.rows_loaded == 2
    rows = staged(sqlite_engine, "dispatch")
    assert [(r["unit"], r["total_investment"], r["file"]) for r in rows] == [
        ("代县", 800.0, "代县.zip!/代县调度库.xlsx"), ("代县", 1200.0, "代县.zip!/代县调度库.xlsx")]
    a = audit(sqlite_engine, "dispatch")
    assert a["代县.zip!/代县调度库.xlsx"]["status"] == "loaded"
    assert a["代县.zip!/报送函.docx"]["status"] == "ignored"


def test_utf8_flagged_member_names_work_too(tmp_path, sqlite_engine):
    inbox = tmp_path / "inbox"
    member = {"sub/忻府区调度库.xlsx": dispatch_book("忻府区", [900])}
    put(inbox / Q / "dispatch" / "全部.zip", zip_of(member, utf8=True))
    got = load(sqlite_engine, inbox, "dispatch")
    assert got.rows_loaded == 1
    assert staged(sqlite_engine, "dispatch")[0]["file"] == "全部.zip!/sub/忻府区调度库.xlsx"


@pytest.mark.parametrize(("members", "expect"), [
    ({"../../evil.xlsx": b"x"}, "points outside the archive (zip-slip)"),
    ({"a/b.zip": b"PK\x05\x06" + b"\x00" * 18}, "全部.zip!/a/b.zip: an archive inside the archive"),
    ({"内层.rar": b"Rar!\x1a\x07\x00"}, "an archive inside the archive"),
])
def test_refused_archives_fail_naming_the_archive(tmp_path, sqlite_engine, members, expect):
    inbox = tmp_path / "inbox"
    put(inbox / Q / "dispatch" / "全部.zip", zip_of(members, utf8=True))
    got = load(sqlite_engine, inbox, "dispatch")
    assert got.status == "failed" and got.rows_loaded == 0
    assert any("全部.zip" in e and expect in e for e in got.errors), got.errors
    assert audit(sqlite_engine, "dispatch")["全部.zip"]["status"] == "failed"


def test_rar_and_7z_in_a_list_folder_are_named(tmp_path, sqlite_engine):
    inbox = tmp_path / "inbox"
    put(inbox / Q / "dispatch" / "代县.rar", b"Rar!\x1a\x07\x00rest")
    put(inbox / Q / "dispatch" / "定襄.7z", b"7z\xbc\xaf\x27\x1crest")
    got = load(sqlite_engine, inbox, "dispatch")
    assert got.status == "failed"
    assert any(e.endswith("代县.rar: a RAR archive cannot be read (only .zip archives are); unpack it into this "
                          "folder, or send the files themselves or a .zip") for e in got.errors), got.errors
    assert any("定襄.7z: a 7z archive cannot be read" in e for e in got.errors)


def test_an_archive_over_the_size_limit_is_refused(tmp_path, sqlite_engine, monkeypatch):
    inbox = tmp_path / "inbox"
    monkeypatch.setenv("KP_MAX_UNCOMPRESSED_MB", "0.01")
    put(inbox / Q / "dispatch" / "大.zip", zip_of({"a.csv": b"x" * 20000}, utf8=True))
    got = load(sqlite_engine, inbox, "dispatch")
    assert got.status == "failed" and any("大.zip: the archive expands to" in e and "KP_MAX_UNCOMPRESSED_MB" in e
                                          for e in got.errors)


def test_drop_folder_files_go_to_the_list_their_header_and_title_say(tmp_path, sqlite_engine):
    inbox = tmp_path / "inbox"
    (inbox / Q).mkdir(parents=True)
    put(inbox / Q / "代县调度库.xlsx", dispatch_book("代县", [700], title=None))       # columns alone
    put(inbox / Q / "收到的.zip", zip_of({"签约项目.xlsx": book("2022年签约项目", SIGNED_HEAD,
                                                            [["签约甲项目", "忻府区", "2022-03-01", 5000]])},
                                       utf8=True))
    assert load(sqlite_engine, inbox, "dispatch").rows_loaded == 1
    assert staged(sqlite_engine, "dispatch")[0]["file"] == "../代县调度库.xlsx"
    signed = load(sqlite_engine, inbox, "signed")
    assert signed.status == "loaded" and signed.rows_loaded == 1
    assert staged(sqlite_engine, "signed")[0]["file"] == "../收到的.zip!/签约项目.xlsx"
    got = load(sqlite_engine, inbox, "reserve")    # nothing of the reserve list: missing, not read as empty
    assert got.status == "missing"
    # the arrival check counts them too
    found = arrivals.quarter_files(inbox, Q)
    assert [f.file for f in found["dispatch"]] == ["../代县调度库.xlsx"]
    assert [f.file for f in found["signed"]] == ["../收到的.zip!/签约项目.xlsx"]


def test_an_ambiguous_drop_file_fails_by_name_with_its_candidates(tmp_path, sqlite_engine):
    inbox = tmp_path / "inbox"
    # 储备库 columns and a title naming two lists: not guessed
    head = ["序号", "项目名称", "县（市、区）", "总投资（万元）"]
    put(inbox / Q / "项目表.xlsx", book("储备库及签约项目", head, [["某项目", "代县", 900]]))
    verdict = classify.classify((inbox / Q / "项目表.xlsx").read_bytes(), "项目表.xlsx")
    assert verdict.list == "reserve"     # the title names two lists, the columns one of them
    put(inbox / Q / "清单.xlsx", book(None, DISPATCH_HEAD[:5] + ["签约时间", "开工状态"],
                                     [["乙项目", "代县", "新建", 900, "2022-01-01", "续建"]]))
    verdict = classify.classify((inbox / Q / "清单.xlsx").read_bytes(), "清单.xlsx")
    assert verdict.list is None and verdict.candidates == ("dispatch", "signed")
    got = load(sqlite_engine, inbox, "signed")
    assert got.status == "failed"
    assert any(e.startswith(f"{Q}/signed/../清单.xlsx: cannot tell which list this file is") and
               "dispatch (调度库), signed (签约清单)" in e for e in got.errors), got.errors
    assert audit(sqlite_engine, "signed")["../清单.xlsx"]["status"] == "failed"
    assert load(sqlite_engine, inbox, "dispatch").status == "failed"


def test_a_file_in_the_wrong_list_folder_is_named_with_the_list_it_looks_like(tmp_path, sqlite_engine):
    inbox = tmp_path / "inbox"
    put(inbox / Q / "dispatch" / "签约.xlsx", book("2022年招商签约项目清单", SIGNED_HEAD,
                                                   [["签约甲项目", "忻府区", "2022-03-01", 5000]]))
    got = load(sqlite_engine, inbox, "dispatch")
    assert got.status == "failed"
    assert any("looks like the signed list (签约清单), not dispatch (调度库): move it to <quarter>/signed/" in e
               for e in got.errors), got.errors


def test_a_corrected_resend_supersedes_the_first_file(tmp_path, sqlite_engine):
    inbox = tmp_path / "inbox"
    first = dt.datetime(2022, 4, 5, 9, 0, tzinfo=arrivals.CHINA)
    put(inbox / Q / "dispatch" / "代县调度库.xlsx", dispatch_book("代县", [800, 1200]), first)
    put(inbox / Q / "dispatch" / "定襄县调度库.xlsx", dispatch_book("定襄县", [600]), first)
    put(inbox / Q / "dispatch" / "代县调度库（修改）.xlsx", dispatch_book("代县", [850, 1250]),
        first + dt.timedelta(days=2))
    got = load(sqlite_engine, inbox, "dispatch")
    assert got.status == "loaded" and got.rows_loaded == 3 and got.rows_rejected == {}
    assert got.rows_skipped == {"superseded": 2}
    assert [(r["unit"], r["total_investment"], r["file"]) for r in staged(sqlite_engine, "dispatch")] == [
        ("代县", 850.0, "代县调度库（修改）.xlsx"), ("代县", 1250.0, "代县调度库（修改）.xlsx"),
        ("定襄县", 600.0, "定襄县调度库.xlsx")]
    a = audit(sqlite_engine, "dispatch")
    assert a["代县调度库.xlsx"]["status"] == "superseded" and a["代县调度库.xlsx"]["rows_loaded"] == 0
    assert "superseded by 代县调度库（修改）.xlsx (received later) for 代县" in a["代县调度库.xlsx"]["message"]
    assert a["代县调度库.xlsx"]["rows_read"] == 2 and a["代县调度库.xlsx"]["rows_skipped"] == 2
    assert a["定襄县调度库.xlsx"]["status"] == "loaded"
    skipped = db.fetch(sqlite_engine, "select reason, file from skipped_rows where quarter = :q", q=Q)
    assert {(r["reason"], r["file"]) for r in skipped} == {("superseded", "代县调度库.xlsx")}
    # replacing the old file instead gives the same rows
    (inbox / Q / "dispatch" / "代县调度库.xlsx").unlink()
    again = load(sqlite_engine, inbox, "dispatch")
    assert again.rows_loaded == 3 and [r["total_investment"] for r in staged(sqlite_engine, "dispatch")] == [
        850.0, 1250.0, 600.0]


def test_a_resend_with_the_same_receipt_time_is_a_fault_naming_both(tmp_path, sqlite_engine):
    inbox = tmp_path / "inbox"
    when = dt.datetime(2022, 4, 5, 9, 0, tzinfo=arrivals.CHINA)
    put(inbox / Q / "dispatch" / "代县调度库.xlsx", dispatch_book("代县", [800]), when)
    put(inbox / Q / "dispatch" / "代县调度库（修改）.xlsx", dispatch_book("代县", [850]), when)
    got = load(sqlite_engine, inbox, "dispatch")
    assert got.status == "failed" and got.rows_loaded == 0
    assert any(e.startswith(f"{Q}/dispatch/代县调度库.xlsx: received at the same time") and
               "代县调度库（修改）.xlsx" in e for e in got.errors), got.errors
    assert any(e.startswith(f"{Q}/dispatch/代县调度库（修改）.xlsx: received at the same time") for e in got.errors)


def test_an_empty_library_is_not_received_and_a_late_one_is_overdue(tmp_path, sqlite_engine):
    inbox = tmp_path / "inbox"
    on_time = dt.datetime(2022, 4, 10, 9, 0, tzinfo=arrivals.CHINA)
    late = dt.datetime(2022, 4, 20, 9, 0, tzinfo=arrivals.CHINA)
    put(inbox / Q / "dispatch" / "岢岚县调度库.xlsx",
        book("调度库", DISPATCH_HEAD, [["合计", None, None, 0, None]]), on_time)   # header, 合计 0
    put(inbox / Q / "dispatch" / "代县调度库.xlsx", dispatch_book("代县", [800]), late)
    put(inbox / Q / "dispatch" / "忻府区调度库.xlsx", dispatch_book("忻府区", [800]), on_time)
    got = arrivals.check(sqlite_engine, inbox, Q, dt.datetime(2022, 5, 1, tzinfo=arrivals.CHINA), 15)
    assert "岢岚县" in got.units_missing["dispatch"] and "代县" not in got.units_missing["dispatch"]
    with sqlite_engine.begin() as conn:
        arrivals.record(conn, got, "r1")
    rows = {(r["list"], r["unit"]): r for r in db.fetch(sqlite_engine, "select * from inbox_arrivals")}
    assert rows[("dispatch", "岢岚县")]["status"] == "missing"
    assert rows[("dispatch", "岢岚县")]["submission"] == "未报送"
    assert rows[("dispatch", "代县")]["submission"] == "逾期报送"
    assert rows[("dispatch", "代县")]["first_received"] == "2022-04-20T09:00:00+08:00"
    assert rows[("dispatch", "忻府区")]["submission"] == "按时报送"
    assert rows[("dispatch", None)]["deadline"] == "2022-04-16T00:00:00+08:00"


def test_received_is_one_definition_for_status_bulletin_and_ranking(tmp_path, sqlite_engine):
    """A unit all of whose rows were rejected has sent its library: the sensor, inbox_arrivals and
    unit_submissions (hence the bulletin's 未报送, the ranking's deduction) all say received, and its
    rows go back in its 退回清单; an empty template is received from no one, everywhere alike."""
    from keyprojects.documents import returns
    from keyprojects.warehouse import models

    inbox = tmp_path / "inbox"
    when = dt.datetime(2022, 4, 5, 9, 0, tzinfo=arrivals.CHINA)
    put(inbox / Q / "dispatch" / "代县调度库.xlsx", dispatch_book("代县", [800, 900]), when)
    put(inbox / Q / "dispatch" / "岢岚县调度库.xlsx", book("调度库", DISPATCH_HEAD, [
        ["岢岚县项目甲", "岢岚县", "新建", "八百", "续建"],            # bad_number
        ["岢岚县项目乙", "岢岚县", "新建", 900, "不知道"]]), when)    # bad_value
    put(inbox / Q / "dispatch" / "忻府区调度库.xlsx", book("调度库", DISPATCH_HEAD, [["合计", None, None, 0, None]]),
        when)
    put(inbox / Q / "reserve" / "代县储备库.xlsx",
        book("储备库", ["序号", "项目名称", "县（市、区）", "总投资（万元）"], [["代县储备甲", "代县", 600]]), when)
    got = load(sqlite_engine, inbox, "dispatch")
    assert got.rows_loaded == 2 and sum(got.rows_rejected.values()) == 2
    load(sqlite_engine, inbox, "reserve")
    with sqlite_engine.begin() as conn:
        models.build_marts(conn, Q, EXP.parent / "include" / "sql", run_id="r")
    subs = {r["unit"]: r for r in db.fetch(sqlite_engine, "select * from unit_submissions where quarter = :q "
                                                         "and list = 'dispatch'", q=Q)}
    assert subs["代县"]["status"] == "received" and subs["代县"]["rows_loaded"] == 2
    assert subs["岢岚县"]["status"] == "received" and subs["岢岚县"]["rows_loaded"] == 0
    assert subs["岢岚县"]["files"] == 1
    assert subs["忻府区"]["status"] == "not_received" and subs["忻府区"]["files"] == 0
    unit = {r["unit"]: r for r in db.fetch(sqlite_engine, "select * from bulletin_unit_quarter where quarter = :q",
                                           q=Q)}
    assert unit["岢岚县"]["dispatch_status"] == "received" and unit["岢岚县"]["dispatch_projects"] == 0
    assert unit["忻府区"]["dispatch_status"] == "not_received" and unit["忻府区"]["dispatch_projects"] is None
    assert {r["sender"] for r in returns.read_rejections(sqlite_engine, Q)} == {"岢岚县"}
    # the sensor, inbox_arrivals (cli status, the late alerts) say the same
    seen = arrivals.check(sqlite_engine, inbox, Q, dt.datetime(2022, 5, 1, tzinfo=arrivals.CHINA), 15)
    with sqlite_engine.begin() as conn:
        arrivals.record(conn, seen, "r")
    arrived = {r["unit"]: r["status"] for r in db.fetch(
        sqlite_engine, "select unit, status from inbox_arrivals where list = 'dispatch' and unit is not null")}
    for u, s in subs.items():
        assert (arrived[u] == "arrived") == (s["status"] == "received"), u
        assert (u in seen.units_missing["dispatch"]) == (s["status"] == "not_received"), u


def test_a_letter_and_a_note_in_the_drop_folder_are_reported_ignored_once(tmp_path, sqlite_engine):
    """Nothing silently ignored in the drop folder: a 报送函.docx and a 说明.txt saved beside the lists get
    one load_audit row each (status ignored, Chinese / English reason), under the list their name names
    (代县调度库说明 -> dispatch), else reserve; the validation report and cli status show them."""
    import docx

    from keyprojects.documents import validation_report
    from keyprojects.operations import alerts, status

    inbox = tmp_path / "inbox"
    when = dt.datetime(2022, 4, 5, 9, 0, tzinfo=arrivals.CHINA)
    put(inbox / Q / "代县调度库.xlsx", dispatch_book("代县", [800]), when)
    letter = docx.Document()
    letter.add_paragraph("关于报送2022年一季度工业项目清单的函")
    buf = io.BytesIO()
    letter.save(buf)
    put(inbox / Q / "报送函.docx", buf.getvalue(), when)
    put(inbox / Q / "代县调度库说明.txt", "说明：本季度调度库已报送，请查收。\n".encode("gbk"), when)
    loads = {name: loader.load_list(sqlite_engine, inbox, Q, name, expectations_dir=EXP,
                                    report=lambda ld, v, r, run: validation_report.write_validation_report(
                                        tmp_path / "validation", ld, v, r, run))
             for name in ("reserve", "dispatch")}
    rows = db.fetch(sqlite_engine, "select list, file, status, format, message from load_audit "
                                   "where quarter = :q and status = 'ignored'", q=Q)
    assert sorted((r["list"], r["file"]) for r in rows) == [("dispatch", "../代县调度库说明.txt"),
                                                            ("reserve", "../报送函.docx")]
    assert all("/" in r["message"] and r["message"].split("/")[0].strip() for r in rows), rows
    assert loads["dispatch"].rows_loaded == 1 and loads["dispatch"].status == "loaded"
    assert loads["reserve"].status == "missing"   # nothing but a letter: the list has not arrived
    assert [i["file"] for i in loads["reserve"].ignored] == ["../报送函.docx"]
    html = (tmp_path / "validation").rglob("*.html")
    assert any("../报送函.docx" in p.read_text(encoding="utf-8") for p in html)
    shown = status.render(status.quarter_status(sqlite_engine, inbox, tmp_path / "output", Q))
    assert "../报送函.docx" in shown and "../代县调度库说明.txt" in shown
    (alert,) = alerts.ignored_alerts(loads["reserve"].as_dict(), None)
    assert f"收件箱 {Q}/ 中" in alert.message and alert.file == "../报送函.docx"
    # a rerun replaces the rows: still one each
    loader.load_list(sqlite_engine, inbox, Q, "reserve", expectations_dir=EXP)
    assert len(db.fetch(sqlite_engine, "select 1 from load_audit where status = 'ignored'")) == 2
