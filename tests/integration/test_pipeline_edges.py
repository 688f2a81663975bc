"""Missing lists, whole-file faults and reruns, on small hand-made inboxes."""

import shutil

import openpyxl
import pytest

from keyprojects import db, runtime
from keyprojects.ingest import loader

from ..conftest import validation_report_writer as report


def write_reserve(path, rows, header=("序号", "项目名称", "县（市、区）", "总投资")):
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "储备库"
    ws.append(["忻州市2022年工业重点项目储备库"])
    ws.append(["单位：万元"])
    ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    wb.save(path)


def load(engine, inbox, list_name, expectations_dir, tmp_path=None):
    return loader.load_list(engine, inbox, "2022Q1", list_name, expectations_dir=expectations_dir, run_id="r",
                              loaded_at="t", report=report(tmp_path))


def test_missing_list_is_reported_not_empty(sqlite_engine, tmp_path, expectations_dir):
    res = load(sqlite_engine, tmp_path / "inbox", "signed", expectations_dir)
    assert res.status == "missing" and "has not arrived" in res.errors[0]
    audit = db.fetch(sqlite_engine, "SELECT status, file FROM load_audit WHERE list = 'signed'")
    assert audit == [{"status": "missing", "file": ""}]
    with pytest.raises(runtime.LoadFailed):
        runtime.check_loads([res.as_dict() | {"status": "failed", "errors": ["x.xlsx: broken"]}])
    summary = runtime.check_loads([res.as_dict()])
    assert summary["missing_lists"] == ["signed"]


def test_whole_file_fault_loads_nothing_from_it_and_the_rest_loads(sqlite_engine, tmp_path, expectations_dir):
    inbox = tmp_path / "inbox"
    folder = inbox / "2022Q1" / "reserve"
    write_reserve(folder / "a.xlsx", [(1, "甲项目", "忻府", 800), (2, "乙项目", "代县", 900)])
    write_reserve(folder / "b.xlsx", [(1, "丙项目", "忻府", 800)], header=("序号", "项目名称", "县（市、区）"))
    (folder / "c.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    res = load(sqlite_engine, inbox, "reserve", expectations_dir, tmp_path / "report")
    assert res.status == "failed" and res.rows_loaded == 2
    audit = {r["file"]: r for r in db.fetch(sqlite_engine, "SELECT * FROM load_audit WHERE list = 'reserve'")}
    assert audit["a.xlsx"]["status"] == "loaded" and audit["a.xlsx"]["rows_loaded"] == 2
    assert audit["b.xlsx"]["status"] == "failed" and "total_investment" in audit["b.xlsx"]["message"]
    assert audit["c.xlsx"]["status"] == "failed" and "c.xlsx" in audit["c.xlsx"]["message"]
    assert audit["b.xlsx"]["rows_loaded"] == 0
    page = (tmp_path / "report" / "reserve.html").read_text(encoding="utf-8")
    assert "b.xlsx" in page and "FAILED" not in page.split("<h2>Expectations</h2>")[0]
    with pytest.raises(runtime.LoadFailed, match="b.xlsx"):
        runtime.check_loads([res.as_dict()])


def test_rejections_name_file_sheet_row_field_and_value(sqlite_engine, tmp_path, expectations_dir):
    inbox = tmp_path / "inbox"
    write_reserve(inbox / "2022Q1" / "reserve" / "a.xlsx",
                  [(1, "甲项目", "太原市", 800), (2, "乙项目", "代县", "约一千万"), (3, None, "代县", 700),
                   (None, None, None, None), (None, "合计", None, 2300)])
    res = load(sqlite_engine, inbox, "reserve", expectations_dir)
    assert res.rows_read == 5 and res.rows_loaded == 0
    assert res.rows_rejected == {"missing_required": 1, "unknown_unit": 1, "bad_number": 1}
    assert res.rows_skipped == {"blank": 1, "subtotal": 1}
    rej = {r["row_number"]: r for r in db.fetch(sqlite_engine, "SELECT * FROM rejected_rows")}
    assert rej[4]["rule"] == "unknown_unit" and rej[4]["value"] == "太原市" and rej[4]["sheet"] == "储备库"
    assert "a.xlsx" in rej[5]["message"] and "row 5" in rej[5]["message"] and "约一千万" in rej[5]["message"]
    assert rej[6]["rule"] == "missing_required" and rej[6]["field"] == "project_name"
    raw = db.fetch(sqlite_engine, "SELECT disposition, COUNT(*) AS n FROM raw_rows GROUP BY disposition")
    assert {r["disposition"]: r["n"] for r in raw} == {"rejected": 3, "skipped": 2}


def test_rerun_after_a_list_vanished_removes_its_rows(sqlite_engine, tmp_path, expectations_dir):
    inbox = tmp_path / "inbox"
    write_reserve(inbox / "2022Q1" / "reserve" / "a.xlsx", [(1, "甲项目", "忻府", 800)])
    assert load(sqlite_engine, inbox, "reserve", expectations_dir).rows_loaded == 1
    shutil.rmtree(inbox / "2022Q1" / "reserve")
    assert load(sqlite_engine, inbox, "reserve", expectations_dir).status == "missing"
    assert db.fetch(sqlite_engine, "SELECT COUNT(*) AS n FROM stg_reserve")[0]["n"] == 0


def test_other_quarters_are_untouched(sqlite_engine, tmp_path, expectations_dir):
    inbox = tmp_path / "inbox"
    write_reserve(inbox / "2022Q1" / "reserve" / "a.xlsx", [(1, "甲项目", "忻府", 800)])
    write_reserve(inbox / "2022Q2" / "reserve" / "a.xlsx", [(1, "甲项目", "忻府", 800), (2, "乙项目", "忻府", 900)])
    loader.load_list(sqlite_engine, inbox, "2022Q2", "reserve", expectations_dir=expectations_dir)
    load(sqlite_engine, inbox, "reserve", expectations_dir)
    load(sqlite_engine, inbox, "reserve", expectations_dir)
    n = {
        r["quarter"]: r["n"]
        for r in db.fetch(sqlite_engine, "SELECT quarter, COUNT(*) AS n FROM stg_reserve GROUP BY quarter")
    }
    assert n == {"2022Q1": 1, "2022Q2": 2}


def test_files_of_other_kinds_are_reported_not_read(sqlite_engine, tmp_path, expectations_dir):
    inbox = tmp_path / "inbox"
    folder = inbox / "2022Q1" / "reserve"
    write_reserve(folder / "a.xlsx", [(1, "甲项目", "忻府", 800)])
    (folder / "说明.docx").write_bytes(b"not a list")
    (folder / "~$a.xlsx").write_bytes(b"excel lock file")
    res = load(sqlite_engine, inbox, "reserve", expectations_dir)
    assert res.status == "loaded" and res.rows_loaded == 1
    # not a table: ignored, with its reason in Chinese and English (the lock file is not the sender's)
    assert res.warnings == ["说明.docx: not read (ignored): 文本文件，不含表格（无制表符或逗号分隔的列） / "
                            "a text file with no table in it (no tab- or comma-separated columns)"]
    audit = {r["file"]: r["status"] for r in db.fetch(sqlite_engine, "SELECT file, status FROM load_audit")}
    # every file of the folder is in load_audit, the lock file too (ignored quietly: no warning, no alert)
    assert audit == {"a.xlsx": "loaded", "说明.docx": "ignored", "~$a.xlsx": "ignored"}


def test_a_warehouse_from_an_older_schema_is_named_not_misused(tmp_path):
    import sqlalchemy as sa

    from keyprojects import db
    from keyprojects.warehouse import ddl, schema

    eng = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with eng.begin() as c:
        c.exec_driver_sql("CREATE TABLE int_project_rows (quarter TEXT, list TEXT, project_key TEXT)")
    sql = __import__("pathlib").Path(__file__).resolve().parents[2] / "include" / "sql"
    with pytest.raises(db.SchemaOutdated, match="int_project_rows lacks columns seq"):
        schema.ensure_schema(eng, sql)
    assert ddl.ddl_columns("CREATE TABLE IF NOT EXISTS t (\n  a TEXT NOT NULL,\n  b INTEGER\n)") == ("t", ["a", "b"])
    assert sa.inspect(eng).has_table("int_project_rows")
