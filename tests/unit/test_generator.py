"""The sample-data generator: determinism, rule coverage, row accounting, formats, world coherence.

The files are re-read here with openpyxl/xlrd/csv directly (a minimal independent reader), not
with the project's readers, to check that what was written is what the truth says.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import unicodedata
from pathlib import Path

import pytest

from keyprojects import LISTS, RULES, config
from keyprojects.ingest import normalize
from kpgen import generate
from kpgen import truth as gtruth
from kpgen.__main__ import main as cli_main
from kpgen.layout import Column, Row, Sheet, header_field

QUARTERS = ["2021Q4", "2022Q1"]
STARTED = set(config.groups()["status"]["started"])
NO_CODE_LISTS = {"reserve", "signed"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    a = tmp_path_factory.mktemp("gen_a")
    b = tmp_path_factory.mktemp("gen_b")
    c = tmp_path_factory.mktemp("gen_c")
    ta = generate(a, QUARTERS, seed=7, rows_per_quarter=2000)
    tb = generate(b, QUARTERS, seed=7, rows_per_quarter=2000)
    tc = generate(c, ["2022Q1"], seed=8, rows_per_quarter=2000)
    return {"a": (a, ta), "b": (b, tb), "c": (c, tc)}


def _digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes(runs):
    (a, ta), (b, tb) = runs["a"], runs["b"]
    assert ta == tb
    da, db = _digest(a), _digest(b)
    assert da == db
    assert any(k.startswith("_truth/") for k in da)


def test_different_seed_differs(runs):
    (a, ta), (c, tc) = runs["a"], runs["c"]
    assert ta["2022Q1"]["lists"] != tc["2022Q1"]["lists"]
    assert (a / "_truth/2022Q1.json").read_bytes() != (c / "_truth/2022Q1.json").read_bytes()


def test_truth_file_matches_return_value(runs):
    a, ta = runs["a"]
    for q in QUARTERS:
        doc = json.loads((a / "_truth" / f"{q}.json").read_text(encoding="utf-8"))
        assert doc == json.loads(json.dumps(ta[q]))
        assert doc["quarter"] == q and doc["seed"] == 7


def test_every_rule_in_every_list(runs):
    _, ta = runs["a"]
    for q, doc in ta.items():
        for name in LISTS:
            counts = doc["lists"][name]["rows_rejected"]
            assert set(counts) == set(RULES)
            for rule in RULES:
                if rule == "bad_code" and name in NO_CODE_LISTS:
                    continue
                assert counts[rule] >= 1, (q, name, rule)


def test_row_accounting(runs):
    _, ta = runs["a"]
    for doc in ta.values():
        for t in doc["lists"].values():
            rej, skip = sum(t["rows_rejected"].values()), sum(t["rows_skipped"].values())
            assert t["rows_read"] == t["rows_loaded"] + rej + skip
            assert len(t["loaded"]) == t["rows_loaded"] and len(t["rejected"]) == rej and len(t["skipped"]) == skip
            for rule in RULES:
                assert sum(r["rule"] == rule for r in t["rejected"]) == t["rows_rejected"][rule]
            assert sum(pf["rows_read"] for pf in t["per_file"].values()) == t["rows_read"]
            for pf in t["per_file"].values():
                assert pf["rows_read"] == pf["rows_loaded"] + pf["rows_rejected"] + pf["rows_skipped"]
            for r in t["rejected"]:
                assert r["rule"] == min(r["faults"], key=RULES.index)
            assert t["files"] == sorted(t["files"])
            assert set(t["per_file"]) == set(t["files"])
            assert set(t["rows_skipped"]) == {"blank", "subtotal", "note", "superseded"}
            assert all(t["rows_skipped"][k] >= 0 for k in t["rows_skipped"])


def test_some_rows_have_two_faults(runs):
    _, ta = runs["a"]
    multi = [r for doc in ta.values() for t in doc["lists"].values() for r in t["rejected"] if len(r["faults"]) > 1]
    assert multi


def test_formats_present(runs):
    a, ta = runs["a"]
    files = [p for p in (a / "2022Q1").rglob("*") if p.is_file()]
    exts = {p.suffix for p in files}
    assert {".xlsx", ".xls", ".csv"} <= exts
    gbk = []
    for p in files:
        if p.suffix == ".csv":
            data = p.read_bytes()
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                data.decode("gbk")
                gbk.append(p)
    assert gbk, "no GBK-encoded CSV"
    # unit lists come as many files, bureau lists as one or a few
    for q in QUARTERS:
        assert len(ta[q]["lists"]["dispatch"]["files"]) >= 12
        assert 1 <= len(ta[q]["lists"]["approved"]["files"]) <= 4
    # the contract's layout
    for name in LISTS:
        assert (a / "2022Q1" / name).is_dir()


def test_instruction_and_multi_sheet_workbooks(runs):
    _, ta = runs["a"]
    ignored = [s for doc in ta.values() for t in doc["lists"].values() for s in t["sheets_ignored"]]
    assert any(s["reason"] == "instructions" for s in ignored)
    multi = [f for doc in ta.values() for t in doc["lists"].values() for f, pf in t["per_file"].items()
             if len(pf["sheets"]) > 1]
    assert multi
    sheets = [s for doc in ta.values() for t in doc["lists"].values() for pf in t["per_file"].values()
              for s in pf["sheets"] if s["kind"] == "table"]
    assert any(s["header_rows"] == 2 for s in sheets)
    assert any(s["merged_unit_cells"] for s in sheets)
    assert any(s["unit_line"] == "亿元" for s in sheets)
    assert any(s["reporter"] and not any(c["field"] == "unit" for c in s["columns"]) for s in sheets)
    assert any(c["amount_unit"] == "亿元" and c["header"].endswith(("亿元)", "亿元）"))
               for s in sheets for c in s["columns"])


def test_loaded_amounts_and_values(runs):
    _, ta = runs["a"]
    units = {u.name for u in config.units()}
    for doc in ta.values():
        for name, t in doc["lists"].items():
            for r in t["loaded"]:
                assert r["total_investment"] is None or r["total_investment"] >= 500, r
                assert r["unit"] in units
                if r["ytd_investment"] is not None and r["total_investment"] is not None:
                    assert r["ytd_investment"] <= r["total_investment"]
                if r["project_code"]:
                    assert normalize.normalize_code(r["project_code"]) == r["project_code"]
            if name == "approved":
                assert all(r["project_code"] for r in t["loaded"])
    # about 30% of dispatch projects at or above 1亿元, some cluster projects
    d = ta["2022Q1"]["lists"]["dispatch"]["loaded"]
    big = sum(r["total_investment"] >= 10000 for r in d) / len(d)
    assert 0.15 < big < 0.5
    projects = ta["2022Q1"]["projects"]
    clusters = sum(projects[r["project_id"]]["cluster"] is not None for r in d) / len(d)
    assert 0.08 < clusters < 0.4


def test_carry_over_projects_keep_code_and_name(runs):
    _, ta = runs["a"]
    p21, p22 = ta["2021Q4"]["projects"], ta["2022Q1"]["projects"]
    d21 = {r["project_id"] for r in ta["2021Q4"]["lists"]["dispatch"]["loaded"]}
    carried = [r for r in ta["2022Q1"]["lists"]["dispatch"]["loaded"]
               if r["project_id"] in d21 and p22[r["project_id"]]["approval_date"] < "2022-01-01"]
    assert len(carried) > 50
    for r in carried:
        a, b = p21[r["project_id"]], p22[r["project_id"]]
        assert (a["project_code"], a["name"], a["unit"]) == (b["project_code"], b["name"], b["unit"])
        # approved last year: continuing, or started only this year (新开工), or not started yet
        assert b["status"] in ("未开工", "续建", "复工", "竣工投产") or b["start_date"] >= "2022-01-01"
    assert any(p22[r["project_id"]]["status"] == "续建" for r in carried)


def test_lists_are_consistent(runs):
    _, ta = runs["a"]
    for q, doc in ta.items():
        qend = doc["quarter_end"]
        year = q[:4]
        projects = doc["projects"]
        lists = doc["lists"]
        for r in lists["dispatch"]["loaded"]:
            p = projects[r["project_id"]]
            assert p["approval_date"] and p["approval_date"] <= qend
        for r in lists["registered"]["loaded"]:
            p = projects[r["project_id"]]
            assert p["status"] in STARTED and p["registered_date"] <= qend
        for r in lists["approved"]["loaded"]:
            assert projects[r["project_id"]]["channel"] == "platform"
            assert r["approval_date"].startswith(year)
        for r in lists["energy"]["loaded"]:
            assert projects[r["project_id"]]["channel"] == "energy"
        for r in lists["reserve"]["loaded"]:
            p = projects[r["project_id"]]
            assert p["approval_date"] is None
        for r in lists["signed"]["loaded"]:
            assert projects[r["project_id"]]["signing_date"].startswith(year)
        # some approved projects deliberately left out of dispatch (漏报), some started ones not registered
        assert any(p["omitted_from_dispatch"] for p in projects.values())
        disp = {r["project_id"] for r in lists["dispatch"]["loaded"]}
        reg = {r["project_id"] for r in lists["registered"]["loaded"]}
        started = {i for i in disp if projects[i]["status"] in STARTED}
        assert started - reg


def test_names_match_by_key_except_near_misses(runs):
    _, ta = runs["a"]
    doc = ta["2022Q1"]
    near = 0
    for t in doc["lists"].values():
        for r in t["loaded"]:
            p = doc["projects"][r["project_id"]]
            if r["name_variant"] == "near_miss":
                near += 1
                assert r["name_key"] != p["name_key"] and not r["project_code"]
            else:
                assert r["name_key"] == p["name_key"]
    assert near >= 1


# ------------------------------------------------------------------ an independent re-read of the files

_UNIT_LINE = re.compile(r"单位[:：]?\s*(万元|亿元|元)")
_REPORTER = re.compile(r"(填报单位|报送单位)[:：]\s*(\S+)")
_SUBTOTAL = ("小计", "合计", "总计")
_NOTES = tuple(config.squash(p) for p in ("填表人", "填报人", "联系电话", "联系人", "说明", "注:", "注：", "审核人",
                                            "填报日期"))


def _grids(path: Path):
    if path.suffix == ".xlsx":
        import openpyxl

        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            grid = [[c.value for c in row] for row in ws.iter_rows()]
            for rng in ws.merged_cells.ranges:
                v = grid[rng.min_row - 1][rng.min_col - 1]
                for r in range(rng.min_row, rng.max_row + 1):
                    for c in range(rng.min_col, rng.max_col + 1):
                        grid[r - 1][c - 1] = v
            yield ws.title, grid
    elif path.suffix == ".xls":
        import xlrd

        book = xlrd.open_workbook(str(path), formatting_info=True)
        for sh in book.sheets():
            grid = []
            for r in range(sh.nrows):
                row = []
                for c in range(sh.ncols):
                    cell = sh.cell(r, c)
                    if cell.ctype == xlrd.XL_CELL_DATE:
                        row.append(xlrd.xldate_as_datetime(cell.value, book.datemode))
                    elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                        row.append(None)
                    else:
                        row.append(cell.value)
                grid.append(row)
            for r1, r2, c1, c2 in sh.merged_cells:
                v = grid[r1][c1]
                for r in range(r1, r2):
                    for c in range(c1, c2):
                        grid[r][c] = v
            yield sh.name, grid
    else:
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("gbk")
        yield path.stem, [[v if v != "" else None for v in row] for row in csv.reader(io.StringIO(text))]


def _reread_list(folder: Path, name: str):
    spec = config.list_specs()[name]
    outcomes, parsed = {}, {}
    rows_in_order = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        for sheet_name, grid in _grids(path):
            while grid and all(normalize.is_blank(v) for v in grid[-1]):
                grid.pop()
            hdr = None
            for i, row in enumerate(grid[:8]):
                if sum(1 for v in row if isinstance(v, str) and header_field(v)) >= 3:
                    hdr = i
                    break
            if hdr is None:
                continue
            last = hdr + 1 if hdr + 1 < len(grid) and sum(
                1 for v in grid[hdr + 1] if isinstance(v, str) and header_field(v)) >= 3 else hdr
            unit_line, reporter = None, None
            for row in grid[:hdr]:
                for v in row:
                    if isinstance(v, str):
                        if m := _REPORTER.search(v):
                            reporter = m.group(2)
                        elif m := _UNIT_LINE.search(v):
                            unit_line = m.group(1)
            cols = []
            for j in range(len(grid[last])):
                lower = grid[last][j]
                upper = grid[hdr][j]
                f = None
                for cand in (lower, (upper or "") + (lower or "") if upper != lower else None, upper):
                    if isinstance(cand, str) and (f := header_field(cand)):
                        break
                if f is None:
                    cols.append(None)
                    continue
                text = config.squash(lower if isinstance(lower, str) and header_field(lower) else upper)
                hu = re.search(r"\((万元|亿元|元)\)$", text)
                cols.append(Column(field=f, header=text, unit=hu.group(1) if hu else (unit_line or "万元")))
            sh = Sheet(name=sheet_name or "", columns=[c for c in cols if c], reporter=reporter)
            for k, row in enumerate(grid[last + 1:]):
                rn = last + 2 + k
                key = (rel, sheet_name, rn)
                vals = [v for v in row if not normalize.is_blank(v)]
                if not vals:
                    outcomes[key] = "blank"
                    continue
                if any(isinstance(v, str) and any(w in v for w in _SUBTOTAL) for v in vals):
                    outcomes[key] = "subtotal"
                    continue
                if isinstance(vals[0], str) and config.squash(vals[0]).startswith(_NOTES):
                    outcomes[key] = "note"
                    continue
                cells = {c.field: (row[j] if j < len(row) else None) for j, c in enumerate(cols) if c}
                r = Row(kind="data", cells=cells)
                gtruth.check_row(r, sh, spec)
                rows_in_order.append((key, r))
    first = gtruth.FirstOccurrences()
    for key, r in rows_in_order:
        if r.faults:
            outcomes[key] = r.faults[0][0]
            continue
        if first.first_of(r.parsed) is not None:
            outcomes[key] = "duplicate"
        else:
            first.load(r.parsed, r)
            outcomes[key] = "loaded"
            parsed[key] = r.parsed
    return outcomes, parsed


def test_files_say_what_the_truth_says(runs):
    a, ta = runs["a"]
    q = "2022Q1"
    for name in LISTS:
        t = ta[q]["lists"][name]
        outcomes, parsed = _reread_list(a / q / name, name)
        expected = {}
        for r in t["loaded"]:
            expected[(r["file"], r["sheet"], r["row_number"])] = "loaded"
        for r in t["rejected"]:
            expected[(r["file"], r["sheet"], r["row_number"])] = r["rule"]
        for r in t["skipped"]:
            expected[(r["file"], r["sheet"], r["row_number"])] = r["reason"]
        assert outcomes == expected, name
        for r in t["loaded"]:
            got = parsed[(r["file"], r["sheet"], r["row_number"])]
            for k, v in got.items():
                assert r[k] == v, (name, r["file"], r["row_number"], k)


TIMED = re.compile(r"^(\d{4})[/.\-年](\d{1,2})[/.\-月](\d{1,2})日? (\d{1,2}):(\d{2})(:\d{2})?$")


def test_some_text_dates_carry_a_time_of_day_and_the_truth_keeps_the_day(runs):
    """Issue 14 §3: CSV (and some text) date cells are written with a time of day, as Excel and WPS
    save them ("2022/3/28 9:00"); the truth's date of such a loaded row is the day written, found here
    with a regex of this test's own."""
    a, ta = runs["a"]
    seen = one_digit_hour = 0
    for q in QUARTERS:
        for name in LISTS:
            t = ta[q]["lists"][name]
            by_file: dict[str, list] = {}
            for r in t["loaded"]:
                if r["file"].endswith(".csv"):
                    by_file.setdefault(r["file"], []).append(r)
            for f, rows in by_file.items():
                data = (a / q / name / f).read_bytes()
                try:
                    text = data.decode("utf-8-sig")
                except UnicodeDecodeError:
                    text = data.decode("gbk")
                lines = list(csv.reader(io.StringIO(text)))
                for r in rows:
                    days = {r[k] for k in ("approval_date", "signing_date", "start_date", "registered_date") if r[k]}
                    for cell in lines[r["row_number"] - 1]:
                        m = TIMED.match(unicodedata.normalize("NFKC", cell).strip())
                        if m:
                            seen += 1
                            one_digit_hour += len(m.group(4)) == 1
                            assert dt.date(*map(int, m.groups()[:3])).isoformat() in days, (name, f, r["row_number"])
    assert seen >= 20 and one_digit_hour >= 5, (seen, one_digit_hour)


def test_cli(tmp_path, capsys):
    assert cli_main(["--inbox", str(tmp_path), "--from", "2022Q3", "--to", "2022Q4", "--rows", "300",
                     "--seed", "3"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert [line[:6] for line in out] == ["2022Q3", "2022Q4"]
    assert (tmp_path / "_truth" / "2022Q4.json").exists()
    doc = json.loads((tmp_path / "_truth" / "2022Q3.json").read_text(encoding="utf-8"))
    assert 150 < doc["data_rows"] < 600


def test_no_faults_when_fault_rate_is_zero(tmp_path):
    doc = generate(tmp_path, ["2022Q3"], seed=5, rows_per_quarter=1200, fault_rate=0.0)["2022Q3"]
    for t in doc["lists"].values():
        assert sum(t["rows_rejected"].values()) == 0
        assert t["rows_loaded"] > 0


def test_rows_scale(tmp_path):
    small = generate(tmp_path / "s", ["2022Q2"], seed=1, rows_per_quarter=1000)["2022Q2"]
    assert 700 < small["data_rows"] < 1400
    assert dt.date.fromisoformat(small["quarter_end"]) == dt.date(2022, 6, 30)


def test_registered_projects_listed_with_and_without_code_are_one_project(runs):
    """Issue 14 §4: the 入统清单 lists projects twice, once with and once without code; the later
    row is the duplicate, naming the first, whichever of the two carries the code."""
    _, ta = runs["a"]
    for q in QUARTERS:
        t = ta[q]["lists"]["registered"]
        loaded = {(r["file"], r["sheet"], r["row_number"]): r for r in t["loaded"]}
        kinds = set()
        for r in t["rejected"]:
            if r["rule"] != "duplicate":
                continue
            d = r["duplicate_of"]
            first = loaded[(d["file"], d["sheet"], d["row_number"])]
            assert first["project_id"] == r["project_id"]
            kinds.add((bool(first["project_code"]), r["field"]))
        assert {(True, "project_name"), (False, "project_code")} <= kinds, (q, kinds)


def test_rejected_rows_name_their_sender_and_province_spelled_units_are_there(runs):
    a, ta = runs["a"]
    units = {u.name for u in config.units()}
    for q in QUARTERS:
        for name in LISTS:
            senders = {r["sender"] for r in ta[q]["lists"][name]["rejected"]}
            if name in ("reserve", "dispatch"):
                assert senders <= units | {"单位不明"}, (q, name, senders)
            else:
                assert senders == {config.list_specs()[name].source}, (q, name, senders)
    # a unit file whose every unit cell reads 山西省忻州市<unit>, with rows sent back to that unit
    found = []
    for name in ("reserve", "dispatch"):
        t = ta["2022Q1"]["lists"][name]
        for r in t["rejected"]:
            grids = dict(_grids(a / "2022Q1" / name / r["file"]))
            if any(isinstance(v, str) and v == "山西省忻州市" + r["sender"] for row in grids[r["sheet"]] for v in row):
                found.append((name, r["file"], r["sender"]))
    assert {n for n, _, _ in found} == {"reserve", "dispatch"}, found


def test_second_quarter_sends_a_zip_a_drop_file_and_a_resend(tmp_path):
    """Issue 16's demo cases, in every year's Q2: a county's reserve library in a zip whose member names
    are GBK bytes without the UTF-8 flag, the 能源局's file in the drop folder, a county's corrected
    dispatch library received three days later (the first file's rows superseded, its amounts
    different); with ``resends`` the resend goes to a side folder instead, same truth."""
    import zipfile

    doc = generate(tmp_path / "a", ["2022Q2"], seed=11, rows_per_quarter=1200)["2022Q2"]
    side = generate(tmp_path / "b", ["2022Q2"], seed=11, rows_per_quarter=1200, resends=tmp_path / "held")["2022Q2"]
    assert side == doc
    q = tmp_path / "a" / "2022Q2"
    reserve = doc["lists"]["reserve"]
    members = [f for f in reserve["files"] if "!/" in f]
    archive = members[0].split("!/")[0]
    assert members and all(f.startswith(archive + "!/") for f in members)
    with zipfile.ZipFile(q / "reserve" / archive) as zf:
        infos = zf.infolist()
        assert all(not i.flag_bits & 0x800 for i in infos)
        names = sorted(i.filename.encode("cp437").decode("gbk") for i in infos)
    assert [archive + "!/" + n for n in names] == sorted(members)
    assert any(r["file"] in members for r in reserve["loaded"])
    energy = doc["lists"]["energy"]
    drop = [f for f in energy["files"] if f.startswith("../")]
    assert len(drop) == 1 and (q / drop[0][3:]).is_file()
    dispatch = doc["lists"]["dispatch"]
    (resend,) = dispatch["resends"]
    assert "调度库（修改）" in resend["file"]
    new, old = q / "dispatch" / resend["file"], q / "dispatch" / resend["replaces"]
    assert new.stat().st_mtime - old.stat().st_mtime == 3 * 86400
    assert not (tmp_path / "b" / "2022Q2" / "dispatch" / resend["file"]).exists()
    held = tmp_path / "held" / "2022Q2" / "dispatch" / resend["file"]
    assert held.read_bytes() == new.read_bytes() and held.stat().st_mtime == new.stat().st_mtime
    pf = dispatch["per_file"]
    assert pf[resend["replaces"]]["status"] == "superseded" and pf[resend["replaces"]]["rows_loaded"] == 0
    assert dispatch["rows_skipped"]["superseded"] == sum(
        1 for r in dispatch["skipped"] if r["reason"] == "superseded") > 0
    assert pf[resend["file"]]["rows_loaded"] > 0
    assert old.read_bytes() != new.read_bytes()
    assert not any(r["file"] == resend["replaces"] for r in dispatch["loaded"] + dispatch["rejected"])
