"""pipeline.partition_rows, the pure step of a list's load: plain data in, the rows of each table out."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from keyprojects.ingest import loader, reading, validation
from keyprojects.ingest.readers import FileRead, SheetRead, SkippedRow


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{"_file": "a.xlsx", "_sheet": "S", **r} for r in rows])


def _read(frame: pd.DataFrame, skipped: list[SkippedRow]) -> FileRead:
    sheet = SheetRead(sheet="S", header_rows=(1, 1), columns={}, amount_units={}, reporter=None, frame=frame,
                      skipped=skipped, rows_read=len(frame) + len(skipped))
    return FileRead(path=Path("a.xlsx"), file="a.xlsx", sha256="aaa", sheets=[sheet],
                    ignored_sheets={"图表": "not a worksheet"})


ROWS = [
    {"_row": 2, "project_name_raw": "甲", "project_name": "甲", "unit_raw": "忻府区", "unit": "忻府区",
     "total_investment_raw": "600", "total_investment": 600.0, "name_key": "甲"},
    {"_row": 3, "project_name_raw": "乙", "project_name": "乙", "unit_raw": "忻府区", "unit": "忻府区",
     "total_investment_raw": "abc", "total_investment": float("nan"), "name_key": "乙"},
]


def test_every_row_goes_to_exactly_one_place():
    frame = _frame(ROWS)
    skipped = [SkippedRow("a.xlsx", "S", 4, "subtotal", "合计 | 600")]
    read = reading.ListRead(folder="inbox/2022Q1/dispatch", files_found=2, reads=[_read(frame, skipped)],
                             failed=[("b.xlsx", "bbb", "b.xlsx: the file is empty (0 bytes)", "empty")],
                             ignored=[reading.Ignored("notes.docx", "ccc", "docx", "Word 文档", "a Word document")])
    verdict = validation.Verdict(faults={1: [("bad_number", "total_investment")]})

    load, part = loader.partition_rows("2022Q1", "dispatch", read, frame, verdict, run_id="r1", loaded_at="t")

    assert load.status == "failed"
    assert (load.rows_read, load.rows_loaded) == (3, 1)
    assert load.rows_rejected == {"bad_number": 1} and load.rows_skipped == {"subtotal": 1}
    assert load.errors == ["2022Q1/dispatch/b.xlsx: the file is empty (0 bytes)"]
    assert load.warnings == ["notes.docx: not read (ignored): Word 文档 / a Word document"]
    assert load.ignored == [{"file": "notes.docx", "format": "docx", "reason_zh": "Word 文档",
                             "reason_en": "a Word document", "quiet": False}]
    assert load.files == [{"file": "a.xlsx", "format": None, "rows_read": 3, "loaded": 1, "rejected": 1,
                           "skipped": 1}]

    [staged] = part.staged
    assert set(staged) == set(loader.STAGING_COLUMNS)
    assert (staged["project_name"], staged["total_investment"], staged["row_number"]) == ("甲", 600.0, 2)
    assert (staged["quarter"], staged["sha256"], staged["run_id"], staged["approval_date"]) == ("2022Q1", "aaa",
                                                                                              "r1", None)
    [rejected] = part.rejected
    assert (rejected["rule"], rejected["field"], rejected["row_number"]) == ("bad_number", "total_investment", 3)
    assert "a.xlsx, sheet S, row 3" in rejected["message"]
    assert [(s["row_number"], s["reason"]) for s in part.skipped] == [(4, "subtotal")]
    assert [(r["row_number"], r["disposition"], r["reason"]) for r in part.raw] == [
        (2, "loaded", None), (3, "rejected", "bad_number"), (4, "skipped", "subtotal")]
    assert json.loads(part.raw[1]["cells"])["total_investment"] == "abc"
    assert [(a["file"], a["status"], a["rows_loaded"]) for a in part.audit] == [
        ("notes.docx", "ignored", 0), ("b.xlsx", "failed", 0), ("a.xlsx", "loaded", 1)]
    assert [a["format"] for a in part.audit] == ["docx", "empty", None]
    assert part.audit[-1]["message"] == "sheet 图表 ignored: not a worksheet"
    assert all(a["loaded_at"] == "t" and a["run_id"] == "r1" for a in part.audit)


def test_a_list_that_has_not_arrived_is_missing_not_empty():
    for found, why in ((None, "folder not found"), (0, "folder holds no list file")):
        read = reading.ListRead(folder="inbox/2022Q1/energy", files_found=found)
        load, part = loader.partition_rows("2022Q1", "energy", read, None, validation.Verdict())
        assert load.status == "missing" and load.rows_read == 0
        assert load.errors == [f"list energy for 2022Q1 has not arrived (inbox/2022Q1/energy: {why})"]
        assert [(a["file"], a["status"]) for a in part.audit] == [("", "missing")]
        assert not (part.staged or part.rejected or part.skipped or part.raw)


def test_release_memory_gives_freed_heap_back():
    """runtime.release_memory (after the reading tasks and the marts): heap blocks freed between live
    ones, and garbage in reference cycles, stay in the process until collected and trimmed; after a
    task that grew the process, resident memory drops. A task that did not grow it skips the work."""
    import gc

    from keyprojects import runtime

    class Cycle:
        def __init__(self):
            self.me, self.payload = self, b"z" * 2048

    start = runtime.resident_mb()
    gc.disable()
    try:
        blocks = [b"x" * 2048 + str(i).encode() for i in range(64_000)]  # ~130 MB of malloc'd blocks
        kept = blocks[::16]  # every 16th stays alive: the freed ones between cannot go back by themselves
        del blocks
        cycles = [Cycle() for _ in range(20_000)]  # ~40 MB only a collection frees
        del cycles
        freed = runtime.resident_mb()
        runtime.release_memory(freed)  # grew by nothing since `freed`: nothing done
        assert runtime.resident_mb() > freed - 10
        runtime.release_memory(start)
    finally:
        gc.enable()
    assert runtime.resident_mb() < freed - 80, (start, freed, runtime.resident_mb())
    assert len(kept) == 4000
