"""One quarter: plan each list's files and sheets, render rows, inject faults, compute the truth."""

from __future__ import annotations

import random
from collections import defaultdict

from keyprojects import LISTS, RULES, config

from . import faults, forms, layout, sending, truth
from .layout import Ctx, File, Row, Sheet
from .world import Entry, World, memberships, parse_quarter, project_snapshot, quarter_end

TITLES = {"reserve": "储备库", "dispatch": "调度库", "signed": "签约清单", "approved": "立项清单",
          "energy": "能源类清单", "registered": "入统清单"}
LONG_TITLES = {"reserve": "工业项目储备库", "dispatch": "工业重点项目调度库", "signed": "招商引资签约项目清单",
               "approved": "工业项目立项清单", "energy": "能源类项目批复清单", "registered": "工业项目入统清单"}
SOURCES = {"signed": "市商务局", "approved": "市行政审批局", "energy": "市能源局", "registered": "市统计局"}
QCN = "一二三四"
XLS_MAX_ROWS = 60000


def _fmt(rng: random.Random, multi_sheet: bool, rows: int) -> str:
    r = rng.random()
    fmt = "xlsx" if r < 0.65 else ("xls" if r < 0.85 else "csv")
    if multi_sheet and fmt == "csv":
        fmt = "xlsx" if rng.random() < 0.7 else "xls"
    if fmt == "xls" and rows > XLS_MAX_ROWS:
        fmt = "xlsx"
    return fmt


def _encoding(rng: random.Random) -> str:
    r = rng.random()
    return "gbk" if r < 0.65 else ("utf-8-sig" if r < 0.85 else "utf-8")


def _sort_key(list_name: str):
    def key(e: Entry):
        p = e.project
        d = e.fields.get("approval_date") or e.fields.get("signing_date") or e.fields.get("registered_date") or p.born
        return (d, p.id)
    return key


def _split(ctx: Ctx, entries: list[Entry], how: str) -> list[tuple[str, list[Entry]]]:
    """Split a list's entries into labelled parts (for several files or sheets)."""
    y = ctx.year
    if how == "carry":
        a = [e for e in entries if e.project.approval and e.project.approval.year < y]
        ids = {id(e) for e in a}
        return [("续建项目", a), ("新建项目", [e for e in entries if id(e) not in ids])]
    if how == "nature":
        reno = [e for e in entries if e.project.nature == "技术改造"]
        ids = {id(e) for e in reno}
        return [("新建类", [e for e in entries if id(e) not in ids]), ("技改类", reno)]
    if how == "signed":
        s = [e for e in entries if e.fields.get("signing_date")]
        ids = {id(e) for e in s}
        return [("签约项目", s), ("谋划项目", [e for e in entries if id(e) not in ids])]
    if how == "period":
        parts = []
        for qq in range(1, ctx.q + 1):
            lo, hi = 3 * qq - 2, 3 * qq

            def in_q(e, lo=lo, hi=hi):
                d = (e.fields.get("approval_date") or e.fields.get("signing_date")
                     or e.fields.get("registered_date"))
                return d is not None and lo <= d.month <= hi
            parts.append((f"{lo}-{hi}月", [e for e in entries if in_q(e)]))
        return parts
    if how == "zone":
        groups = defaultdict(list)
        for e in entries:
            zg = ctx.units[e.project.unit].zone_group or "其余县"
            groups[zg].append(e)
        return [(z, groups[z]) for z in ("太忻一体化经济区", "省级开发区县", "其余县") if groups.get(z)]
    if how == "halves":
        h = (len(entries) + 1) // 2
        return [("（一）", entries[:h]), ("（二）", entries[h:])]
    raise ValueError(how)


def _unit_title(ctx: Ctx, unit: str) -> str:
    rng = ctx.rng
    short = TITLES[ctx.list_name]
    return rng.choice((f"忻州市{ctx.year}年{LONG_TITLES[ctx.list_name]}", f"{unit}{ctx.year}年工业项目{short}",
                       f"{unit}{ctx.year}年第{QCN[ctx.q - 1]}季度{LONG_TITLES[ctx.list_name]}"))


def _bureau_title(ctx: Ctx) -> str:
    rng = ctx.rng
    return rng.choice((f"忻州市{ctx.year}年1-{3 * ctx.q}月{LONG_TITLES[ctx.list_name]}",
                       f"{ctx.year}年全市{LONG_TITLES[ctx.list_name]}",
                       f"{SOURCES[ctx.list_name]}{ctx.year}年第{QCN[ctx.q - 1]}季度{LONG_TITLES[ctx.list_name]}"))


def _fill_sheet(ctx: Ctx, sh: Sheet, entries: list[Entry], csv: bool, unit_groups: bool) -> None:
    st = layout.sheet_style(ctx, csv)
    sh._style = st
    data: list[Row] = []
    rng = ctx.rng
    p_fault = ctx.fault_rate * 7 / 8
    for e in entries:
        row = layout.render(ctx, sh, st, e, csv)
        if rng.random() < p_fault:
            avoid: set = set()
            rules = [r for r in faults.NON_DUP_RULES if faults.applicable(r, sh, ctx)]
            for _ in range(2 if rng.random() < 0.15 else 1):
                rule = rng.choice(rules)
                f = faults.inject(rule, row, sh, ctx, csv, avoid)
                if f:
                    avoid.add(f)
                    row.intended.append(rule)
        data.append(row)
    layout.finish_body(ctx, sh, data, unit_groups)


def _extras(ctx: Ctx, fl: File) -> None:
    """Instructions sheet and empty sheets in some workbooks."""
    rng = ctx.rng
    if fl.fmt == "csv":
        return
    if rng.random() < 0.12:
        if rng.random() < 0.5:
            fl.sheets.insert(0, layout.instructions_sheet())
        else:
            fl.sheets.append(layout.instructions_sheet())
    if rng.random() < 0.08:
        names = {s.name for s in fl.sheets}
        n = len(fl.sheets) + 1
        while f"Sheet{n}" in names:
            n += 1
        fl.sheets.append(layout.empty_sheet(f"Sheet{n}"))


def plan_unit_list(ctx: Ctx, entries: list[Entry]) -> list[File]:
    rng = ctx.rng
    by_unit = defaultdict(list)
    for e in sorted(entries, key=_sort_key(ctx.list_name)):
        by_unit[e.project.unit].append(e)
    files: list[File] = []
    taken: set[str] = set()
    short = TITLES[ctx.list_name]
    annex = "附件1：" if ctx.list_name == "reserve" else "附件2："
    for unit in config.units():
        ents = by_unit.get(unit.name, [])
        if not ents and rng.random() < 0.5:
            continue  # nothing to report and no file sent
        alias = unit.name if rng.random() < 0.7 else rng.choice(unit.aliases or (unit.name,))
        stem = rng.choice((f"{alias}{ctx.year}年工业项目{short}", f"{annex}{alias}{short}",
                           f"{alias}{ctx.year}年第{QCN[ctx.q - 1]}季度{short}", f"{alias}-{short}",
                           f"{ctx.year}年{alias}{LONG_TITLES[ctx.list_name]}"))
        r = rng.random()
        mode = "single" if (r < 0.6 or len(ents) < 4) else ("two_files" if r < 0.8 else "multi_sheet")
        how = "carry" if ctx.list_name == "dispatch" and rng.random() < 0.6 else (
            "signed" if ctx.list_name == "reserve" and rng.random() < 0.6 else rng.choice(("nature", "halves")))
        title = _unit_title(ctx, unit.name)
        if mode == "single":
            parts = [("", ents)]
        else:
            parts = [(lab, es) for lab, es in _split(ctx, ents, how) if es] or [("", ents)]
            if len(parts) == 1:
                mode = "single"
        if mode in ("single", "two_files"):
            for lab, es in parts:
                fmt = _fmt(rng, False, len(es))
                suffix = f"（{lab.strip('（）')}）" if lab else ""
                path = _unique(f"{stem}{suffix}.{fmt}", taken)
                fl = File(path=path, fmt=fmt, encoding=_encoding(rng))
                csv = fmt == "csv"
                unit_col = csv or rng.random() < 0.75
                reporter = unit.name if (not unit_col or rng.random() < 0.5) else None
                sname = rng.choice(("Sheet1", short, unit.name, f"{short}{lab.strip('（）')}" if lab else "Sheet1"))
                sh = layout.make_sheet(ctx, sname, csv, unit_col, reporter, False, title)
                sh.home_unit = unit.name
                _fill_sheet(ctx, sh, es, csv, False)
                fl.sheets.append(sh)
                _extras(ctx, fl)
                files.append(fl)
        else:
            fmt = _fmt(rng, True, max(len(es) for _, es in parts))
            fl = File(path=_unique(f"{stem}.{fmt}", taken), fmt=fmt)
            unit_col = rng.random() < 0.75
            reporter = unit.name if (not unit_col or rng.random() < 0.5) else None
            for lab, es in parts:
                sh = layout.make_sheet(ctx, lab.strip("（）") or short, False, unit_col, reporter, False, title)
                sh.home_unit = unit.name
                _fill_sheet(ctx, sh, es, False, False)
                fl.sheets.append(sh)
            _extras(ctx, fl)
            files.append(fl)
    return files


def plan_bureau_list(ctx: Ctx, entries: list[Entry]) -> list[File]:
    rng = ctx.rng
    unit_order = {u.name: u.order for u in config.units()}
    by_unit = rng.random() < 0.7
    key = _sort_key(ctx.list_name)
    ents = sorted(entries, key=(lambda e: (unit_order[e.project.unit], key(e))) if by_unit else key)
    src = SOURCES[ctx.list_name]
    stem = rng.choice((f"{src}{ctx.year}年1-{3 * ctx.q}月{LONG_TITLES[ctx.list_name]}",
                       f"忻州市{ctx.year}年{LONG_TITLES[ctx.list_name]}（{src}）",
                       f"{ctx.year}年第{QCN[ctx.q - 1]}季度{TITLES[ctx.list_name]}"))
    title = _bureau_title(ctx)
    r = rng.random()
    mode = "single" if r < 0.5 else ("multi_sheet" if r < 0.75 else "few_files")
    hows = ["nature"] + (["period"] if ctx.q >= 2 and ctx.list_name != "registered" else []) + \
        (["zone"] if by_unit else [])
    parts = [(lab, es) for lab, es in _split(ctx, ents, rng.choice(hows))] if mode != "single" else [("", ents)]
    parts = [(lab, es) for lab, es in parts if es] or [("", ents)]
    files: list[File] = []
    taken: set[str] = set()
    if len(parts) == 1:
        mode = "single"
    if mode == "multi_sheet":
        fmt = _fmt(rng, True, max(len(es) for _, es in parts))
        fl = File(path=_unique(f"{stem}.{fmt}", taken), fmt=fmt)
        for lab, es in parts:
            sh = layout.make_sheet(ctx, lab, False, True, None, by_unit, title)
            _fill_sheet(ctx, sh, es, False, by_unit)
            fl.sheets.append(sh)
        _extras(ctx, fl)
        files.append(fl)
    else:
        for lab, es in parts:
            fmt = _fmt(rng, False, len(es))
            path = _unique(f"{stem}{'（' + lab + '）' if lab else ''}.{fmt}", taken)
            fl = File(path=path, fmt=fmt, encoding=_encoding(rng))
            csv = fmt == "csv"
            sh = layout.make_sheet(ctx, rng.choice(("Sheet1", TITLES[ctx.list_name], lab or "清单")), csv, True,
                                   None, by_unit, title)
            _fill_sheet(ctx, sh, es, csv, by_unit)
            fl.sheets.append(sh)
            _extras(ctx, fl)
            files.append(fl)
    return files


def _unique(path: str, taken: set[str]) -> str:
    base, dot, ext = path.rpartition(".")
    out, n = path, 2
    while out in taken:
        out = f"{base}-{n}.{ext}"
        n += 1
    taken.add(out)
    return out


# ------------------------------------------------------------------ duplicates and coverage


def _table_positions(files: list[File]):
    """Sheets in read order with their file."""
    out = []
    for fl in sorted(files, key=truth.file_order):
        for sh in fl.sheets:
            if sh.kind == "table":
                out.append((fl, sh))
    return out


def _compatible(src_sh: Sheet, row: Row, dst_sh: Sheet) -> bool:
    if row.cells.get("project_code") is not None and not dst_sh.has("project_code"):
        return False
    if not dst_sh.has("unit") and dst_sh.reporter_unit != row.parsed["unit"]:
        return False
    if src_sh.home_unit != dst_sh.home_unit:
        return False
    return True


def _insert_duplicate(ctx: Ctx, files: list[File], fl: File, sh: Sheet, row: Row, same_sheet: bool) -> Row | None:
    rng = ctx.rng
    sheets = _table_positions(files)
    idx = next(i for i, (f, s) in enumerate(sheets) if s is sh)
    if not same_sheet:
        later = [(f, s) for f, s in sheets[idx + 1:] if _compatible(sh, row, s)]
        if later:
            dfl, dsh = rng.choice(later)
            data_idx = [i for i, r in enumerate(dsh.rows) if r.kind == "data"]
            lo = data_idx[0] if data_idx else 0
            hi = data_idx[-1] + 1 if data_idx else 0
            dup = faults.copy_row(row, ctx, dsh, dsh._style, dfl.fmt == "csv")
            dsh.rows.insert(rng.randint(lo, hi), dup)
            truth.check_row(dup, dsh, ctx.spec)
            return dup
    pos = sh.rows.index(row)
    data_idx = [i for i, r in enumerate(sh.rows) if r.kind == "data"]
    hi = data_idx[-1] + 1
    dup = faults.copy_row(row, ctx, sh, sh._style, fl.fmt == "csv")
    sh.rows.insert(rng.randint(pos + 1, max(pos + 1, hi)), dup)
    truth.check_row(dup, sh, ctx.spec)
    return dup


def _listed_with_and_without_code(ctx: Ctx, files: list[File]) -> None:
    """A project listed twice, once with its code and once without (same unit and name as written):
    in half of the cases the code-less row comes later (a later row of the same or a later sheet),
    in the other half just before the coded one. Either way the later row is the duplicate."""
    rng = ctx.rng
    coded = [(fl, sh, r) for fl, sh, r in _loaded_rows(files) if r.parsed["project_code"]]
    n = min(len(coded), 2 * max(1, round(len(coded) * ctx.fault_rate / 8)))
    for k, (fl, sh, r) in enumerate(rng.sample(coded, n)):
        if k % 2 == 0:
            dup = _insert_duplicate(ctx, files, fl, sh, r, same_sheet=rng.random() < 0.6)
            dup.cells.pop("project_code", None)
            dsh = next(s for f in files for s in f.sheets if dup in s.rows)
            truth.check_row(dup, dsh, ctx.spec)
        else:
            first = faults.copy_row(r, ctx, sh, sh._style, fl.fmt == "csv")
            first.cells.pop("project_code", None)
            first.duplicate_of, first.intended = None, []
            r.intended.append("duplicate")
            sh.rows.insert(sh.rows.index(r), first)
            truth.check_row(first, sh, ctx.spec)
    truth.mark_duplicates(files)


def _counts(files: list[File]) -> dict[str, int]:
    c = dict.fromkeys(RULES, 0)
    for _fl, _sh, r in truth.read_order(files):
        o = truth.outcome(r)
        if o in c:
            c[o] += 1
    return c


def _loaded_rows(files: list[File]):
    originals = set()
    for _fl, _sh, r in truth.read_order(files):
        if r.kind == "data" and r.dup_first is not None:
            originals.add(id(r.dup_first))
        if r.duplicate_of is not None:
            originals.add(id(r.duplicate_of))
    return [(fl, sh, r) for fl, sh, r in truth.read_order(files)
            if r.kind == "data" and truth.outcome(r) == "loaded" and id(r) not in originals and r.entry is not None]


PLATFORM_QUARTER = 2   # every year's Q2: the 审批局's platform export (HTML .xls) and one county's .ods


def platform_formats(ctx: Ctx, files: list[File]) -> None:
    """In every year's second quarter, the 行政审批局 exports its list from the online approval platform
    (an HTML table saved as .xls: ``fmt`` html) and the first county (by file name) whose reserve
    library is one workbook saves it as .ods from WPS/LibreOffice. No random draw: the rest of the
    quarter is generated exactly as before, and the truth (whose per-file ``format`` says html / ods)
    is computed from these files."""
    if ctx.q != PLATFORM_QUARTER:
        return
    taken = {fl.path for fl in files}

    def rename(fl: File, fmt: str, suffix: str) -> None:
        stem = fl.path.rsplit(".", 1)[0]
        path, n = f"{stem}{suffix}", 2
        while path in taken and path != fl.path:
            path, n = f"{stem}（{n}）{suffix}", n + 1
        taken.discard(fl.path)
        taken.add(path)
        fl.path, fl.fmt = path, fmt

    if ctx.list_name == "approved":
        for fl in files:
            rename(fl, "html", ".xls")
    elif ctx.list_name == "reserve":
        counts: dict[str, int] = defaultdict(int)
        for fl in files:
            for sh in fl.sheets:
                if sh.home_unit:
                    counts[sh.home_unit] += 1
                    break
        for fl in sorted(files, key=lambda f: f.path):
            unit = next((sh.home_unit for sh in fl.sheets if sh.home_unit), None)
            if unit and counts[unit] == 1:
                rename(fl, "ods", ".ods")
                return


def build_list(ctx: Ctx, entries: list[Entry], force_all_rules: bool) -> list[File]:
    files = plan_unit_list(ctx, entries) if ctx.list_name in ("reserve", "dispatch") else plan_bureau_list(ctx, entries)
    platform_formats(ctx, files)
    if ctx.q == PLATFORM_QUARTER and ctx.list_name == "reserve":
        sending.zip_county(files)        # a county's library in a zip (kpgen.sending)
    if ctx.q == PLATFORM_QUARTER and ctx.list_name == "energy":
        sending.drop_one(files)          # one file saved straight into the quarter's folder
    rng = ctx.rng
    for _fl, sh, r in truth.read_order(files):
        if r.kind == "data":
            truth.check_row(r, sh, ctx.spec)
    truth.mark_duplicates(files)
    # random duplicates of passing rows, placed later in read order
    p_dup = ctx.fault_rate / 8
    picks = [(fl, sh, r) for fl, sh, r in truth.read_order(files)
             if r.kind == "data" and truth.outcome(r) == "loaded" and rng.random() < p_dup]
    for fl, sh, r in picks:
        _insert_duplicate(ctx, files, fl, sh, r, same_sheet=rng.random() < 0.6)
    truth.mark_duplicates(files)
    if ctx.list_name == "registered" and ctx.fault_rate > 0:
        _listed_with_and_without_code(ctx, files)
    if force_all_rules:
        counts = _counts(files)
        for rule in RULES:
            if counts[rule]:
                continue
            cands = _loaded_rows(files)
            rng.shuffle(cands)
            for fl, sh, r in cands:
                if rule == "duplicate":
                    _insert_duplicate(ctx, files, fl, sh, r, same_sheet=rng.random() < 0.5)
                    truth.mark_duplicates(files)
                    break
                if not faults.applicable(rule, sh, ctx):
                    continue
                saved = dict(r.cells)
                if faults.inject(rule, r, sh, ctx, fl.fmt == "csv", set()):
                    truth.check_row(r, sh, ctx.spec)
                    if r.faults and r.faults[0][0] == rule:
                        r.intended.append(rule)
                        break
                r.cells = saved
                truth.check_row(r, sh, ctx.spec)
            truth.mark_duplicates(files)
    if ctx.list_name in ("reserve", "dispatch"):
        _province_spelled_file(ctx, files)
    for fl in files:
        for sh in fl.sheets:
            if sh.kind == "table":
                layout.assign_seq(sh, rng)
    truth.stamp_positions(files)
    if ctx.q == PLATFORM_QUARTER and ctx.list_name == "dispatch":
        sending.resend(files)            # a county's corrected resend, received later
    return files


def _province_spelled_file(ctx: Ctx, files: list[File]) -> None:
    """The first unit file (read order) with a rejected row and a unit column in every sheet writes
    its unit as 山西省忻州市<unit> in every intact unit cell: its rejected rows still belong to that
    unit (退回清单), though no cell spells the unit the short way."""
    for fl in sorted(files, key=lambda f: f.path):
        tables = [sh for sh in fl.sheets if sh.kind == "table"]
        rows = [(sh, r) for sh in tables for r in sh.rows if r.kind == "data"]
        if not tables or not all(sh.has("unit") and not sh.merge_units for sh in tables) or \
                not any(truth.outcome(r) != "loaded" for _, r in rows):
            continue
        for sh, r in rows:
            if not truth.unit_cell_faulted(r):
                r.cells["unit"] = forms.province_spelling(sh.home_unit)
                truth.check_row(r, sh, ctx.spec)
        truth.mark_duplicates(files)
        return


def silent_units(seed: int, quarter: str) -> dict[str, str]:
    """Which unit sends no dispatch library this quarter (every quarter one), and which sends no
    reserve library (every other quarter): cases of 未报送 with known truth."""
    rng = random.Random(f"keyprojects:{seed}:{quarter}:silent")
    names = [u.name for u in config.units() if u.ranked]
    out = {"dispatch": rng.choice(names)}
    if rng.random() < 0.5:
        out["reserve"] = rng.choice([n for n in names if n != out["dispatch"]])
    return out


def build_quarter(world: World, quarter: str, seed: int, fault_rate: float, rows_per_quarter: int,
                  keys_by_unit: dict) -> tuple[dict[str, list[File]], dict]:
    year, q = parse_quarter(quarter)
    members = memberships(world, quarter, include_small=fault_rate > 0)
    silent = silent_units(seed, quarter)
    for lib, unit in silent.items():  # 未报送: the unit sends no file of this library this quarter
        members[lib] = [e for e in members[lib] if e.project.unit != unit]
    units = {u.name: u for u in config.units()}
    specs = config.list_specs()
    files_by_list: dict[str, list[File]] = {}
    lists_truth: dict[str, dict] = {}
    for name in LISTS:
        ctx = Ctx(list_name=name, year=year, q=q, rng=random.Random(f"keyprojects:{seed}:{quarter}:{name}"),
                  fault_rate=fault_rate, keys_by_unit=keys_by_unit, units=units, spec=specs[name])
        files = build_list(ctx, members[name], force_all_rules=rows_per_quarter >= 1000 and fault_rate > 0)
        files_by_list[name] = files
        lists_truth[name] = truth.list_truth(files, bureau=SOURCES.get(name))
    # the world's view of every project a list of this quarter reports, or should report
    qend = quarter_end(year, q)
    ids = {e.project.id for es in members.values() for e in es}
    for p in world.projects:
        if (year in p.omitted_dispatch and p.approval and p.approval <= qend) or \
                (p.omitted_reserve and p.signed and p.signed.year == year and p.signed <= qend):
            ids.add(p.id)
    projects = {p.id: project_snapshot(p, year, q) for p in world.projects if p.id in ids}
    for p in projects.values():
        p["lists"] = []
    for name, es in members.items():
        for e in es:
            projects[e.project.id]["lists"].append(name)
    data_rows = sum(t["rows_loaded"] + sum(t["rows_rejected"].values()) for t in lists_truth.values())
    doc = {
        "quarter": quarter, "seed": seed, "silent_units": silent, "rows_per_quarter": rows_per_quarter,
        "fault_rate": fault_rate,
        "quarter_end": qend.isoformat(), "data_rows": data_rows,
        "lists": lists_truth, "projects": projects,
    }
    return files_by_list, doc
