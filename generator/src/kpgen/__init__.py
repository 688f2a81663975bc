"""Sample-data generator: a coherent world of Xinzhou industrial projects written as messy inbox files.

``generate(inbox, quarters)`` writes, for every quarter, the six lists under
``<inbox>/<YYYY>Q<n>/<list>/`` (.xlsx, .xls, GBK/UTF-8 .csv; many files and sheets per list, title
rows, 单位 lines, two-row merged headers, merged unit cells, subtotals, notes, faulty rows) and the
expected outcome of every row under docs/rules.md in ``<inbox>/_truth/<YYYY>Q<n>.json``.

Deterministic: the same arguments give byte-identical truth and files.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from keyprojects import LISTS
from keyprojects.ingest import normalize

from .build import build_quarter
from .figures import figures
from .world import World, build_world, memberships, parse_quarter, quarter_range
from .writers import write_file

__all__ = ["generate", "generate_months", "build_world", "quarter_range", "TRUTH_DIR"]

TRUTH_DIR = "_truth"
_CALIBRATION_PER_YEAR = 600


def _calibrated_world(seed: int, quarters: list[str], rows_per_quarter: int, fault_rate: float) -> World:
    """A world whose lists hold about ``rows_per_quarter`` data rows per quarter on average."""
    years = sorted({parse_quarter(q)[0] for q in quarters})
    first, last = years[0], years[-1]
    probe = build_world(seed, first, last, _CALIBRATION_PER_YEAR)
    sample = quarters if len(quarters) <= 4 else quarters[:: max(1, len(quarters) // 4)]
    rows = [sum(len(v) for v in memberships(probe, q, include_small=fault_rate > 0).values()) for q in sample]
    per_project = (sum(rows) / len(rows)) / _CALIBRATION_PER_YEAR
    target = rows_per_quarter / (1 + fault_rate / 8)  # duplicates add rows
    per_year = max(8, round(target / max(per_project, 1e-6)))
    return build_world(seed, first, last, per_year)


def received_at(folder: Path, quarter: str, days: int = 5) -> float:
    """Give every file under ``folder`` one receipt time (its modification time): ``days`` days after the
    quarter's end, 09:00 China time, before the default deadline. A list's files arrive together (one
    submission per sender, docs/rules.md "Resends"), and the times do not follow the wall clock."""
    import datetime as dt
    import os

    y, n = parse_quarter(quarter)
    end = dt.date(y + (n == 4), 1 if n == 4 else 3 * n + 1, 1) - dt.timedelta(days=1)
    when = dt.datetime(end.year, end.month, end.day, 9, 0,
                       tzinfo=dt.timezone(dt.timedelta(hours=8))) + dt.timedelta(days=days)
    stamp = when.timestamp()
    for p in folder.rglob("*"):
        if p.is_file():
            os.utime(p, (stamp, stamp))
    return stamp


def generate(inbox: Path, quarters: Sequence[str], seed: int = 7, rows_per_quarter: int = 2000,
             fault_rate: float = 0.05, resends: Path | None = None) -> dict:
    """Write the quarters' lists and truth under ``inbox``; return {quarter: truth}.

    Existing ``<inbox>/<quarter>/<list>/`` folders of the six lists, and the files straight in
    ``<inbox>/<quarter>/`` (the drop folder), are replaced. A county's corrected resend (``kpgen.sending``)
    is written beside the file it replaces, or with ``resends`` into ``<resends>/<quarter>/<list>/``
    (the demo moves it into the inbox between two runs of the quarter); either way with its later
    receipt time (modification time), and the truth is the quarter's with the resend in place.
    """
    inbox = Path(inbox)
    quarters = [f"{y}Q{n}" for y, n in sorted({parse_quarter(q) for q in quarters})]
    if not quarters:
        raise ValueError("no quarters to generate")
    if not 0 <= fault_rate <= 1:
        raise ValueError("fault_rate must be between 0 and 1")
    world = _calibrated_world(seed, quarters, rows_per_quarter, fault_rate)
    keys_by_unit: dict[str, set[str]] = {}
    for p in world.projects:
        keys_by_unit.setdefault(p.unit, set()).add(normalize.normalize_name(p.name))
    out: dict[str, dict] = {}
    truth_dir = inbox / TRUTH_DIR
    truth_dir.mkdir(parents=True, exist_ok=True)
    for quarter in quarters:
        files_by_list, doc = build_quarter(world, quarter, seed, fault_rate, rows_per_quarter, keys_by_unit)
        drop = inbox / quarter
        for p in drop.glob("*") if drop.is_dir() else ():
            if p.is_file():
                p.unlink()
        if resends is not None and (Path(resends) / quarter).exists():
            shutil.rmtree(Path(resends) / quarter)
        for name in LISTS:
            folder = inbox / quarter / name
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(parents=True)
            _write_list(files_by_list[name], folder, quarter,
                        None if resends is None else Path(resends) / quarter / name)
        out[quarter] = doc
    for quarter, doc in out.items():
        y, n = parse_quarter(quarter)
        doc["figures"] = figures(doc, out.get(f"{y - 1}Q{n}"))
        text = json.dumps(doc, ensure_ascii=False, sort_keys=True)
        (truth_dir / f"{quarter}.json").write_text(text + "\n", encoding="utf-8")
    return out


def _write_list(files: list, folder: Path, quarter: str, resends: Path | None) -> None:
    """A list's files: in its folder, the drop folder (``../x``) or a zip (``<archive>!/<member>``); all
    received together, a resend later (``sending.RESEND_DAYS``), into ``resends`` when given."""
    from . import sending

    archives: dict[str, list] = {}
    for fl in files:
        if fl.resend_of is not None:
            continue
        if "!/" in fl.path:
            archives.setdefault(fl.path.split("!/", 1)[0], []).append(fl)
        else:
            write_file(fl, folder)   # a drop-folder file's ``../`` puts it in the quarter's folder
    for archive, members in archives.items():
        sending.write_zip(folder / archive, members, write_file)
    stamp = received_at(folder, quarter)
    for fl in files:
        if fl.path.startswith("../"):
            os.utime(folder / fl.path, (stamp, stamp))
    for fl in files:
        if fl.resend_of is not None:
            where = resends or folder
            where.mkdir(parents=True, exist_ok=True)
            path = write_file(fl, where)
            later = stamp + (sending.RESEND_DAYS - 5) * 86400
            os.utime(path, (later, later))


def generate_months(inbox: Path, months: Sequence[str], quarters: Sequence[str] | None = None, seed: int = 7,
                    rows_per_quarter: int = 2000, fault_rate: float = 0.05) -> dict:
    """Write the months' 13710 progress exports under ``<inbox>/<YYYY>-<MM>/progress/`` and their
    truth (``_truth/monthly.json``); see ``kpgen.monthly``.

    The world is the one ``generate(inbox, quarters, seed, rows_per_quarter, fault_rate)`` builds:
    pass the same quarters (default: the months' quarters). Run ``generate`` first when the truth
    should know which quarter each project entered the dispatch library.
    """
    from . import monthly

    months = sorted(set(months))
    if not months:
        raise ValueError("no months to generate")
    qs = quarters or sorted({monthly.quarter_of(m) for m in months})
    qs = [f"{y}Q{n}" for y, n in sorted({parse_quarter(q) for q in qs})]
    world = _calibrated_world(seed, qs, rows_per_quarter, fault_rate)
    return monthly.generate_months(Path(inbox), months, world, seed=seed, fault_rate=fault_rate)
