"""How some files of a quarter are sent (issue 16 §4-5): in every year's second quarter
(``build.PLATFORM_QUARTER``, beside the 审批局's HTML .xls and a county's .ods) —

* **a zip from one county**: the reserve library files of the first county (by file name) that is not
  the .ods county are packed into ``<county>.zip`` in the
  list folder, their names stored as GBK bytes without the zip's UTF-8 flag, as Windows writes them;
  lineage names both (``代县.zip!/代县储备库.xlsx``);
* **one file in the drop folder**: the 能源局's first file (by name) is saved straight into
  ``<quarter>/`` (lineage ``../<name>``), to be told by its header and title;
* **a county's corrected resend**: the first county (by file name) whose dispatch library is one
  .xlsx/.xls workbook naming only itself sends it again as ``<county>调度库（修改）.<ext>``, received
  three days later; the first file's amounts differ (the county corrected them). The resend holds the
  world's values and loads; every data row of the first file is ``superseded``.

No random draw: the rest of the quarter is generated exactly as before; the truth is computed from
these files (``truth.list_truth``).
"""

from __future__ import annotations

import copy
import io
import tempfile
import zipfile
from pathlib import Path

from . import truth
from .layout import File

RESEND_DAYS = 8       # the resend's receipt: 8 days after the quarter's end (the others: 5), before the deadline
_ZIP_TIME = (2022, 1, 1, 0, 0, 0)


def _home(fl: File) -> str | None:
    return next((sh.home_unit for sh in fl.sheets if sh.home_unit), None)


def _rows(fl: File):
    return [r for sh in fl.sheets if sh.kind == "table" for r in sh.rows if r.kind == "data"]


def _only_home(fl: File) -> bool:
    """Every data row of the file names the file's unit (none a fault of its unit cell)."""
    home = _home(fl)
    return all(r.parsed and r.parsed["unit"] == home for r in _rows(fl))


def zip_county(files: list[File]) -> None:
    """The reserve library of one county packed into ``<county>.zip`` (module doc)."""
    by_unit: dict[str, list[File]] = {}
    for fl in sorted(files, key=lambda f: f.path):
        by_unit.setdefault(_home(fl) or "", []).append(fl)
    for fl in sorted(files, key=lambda f: f.path):
        unit = _home(fl)
        mine = by_unit.get(unit or "", [])
        if not unit or any(f.fmt == "ods" for f in mine):
            continue
        for f in mine:
            f.path = f"{unit}.zip!/{f.path}"
        return


def drop_one(files: list[File]) -> None:
    """The list's first file saved straight into the quarter's folder (the drop folder)."""
    if files:
        first = min(files, key=lambda f: f.path)
        first.path = truth.DROP_PREFIX + first.path


def resend(files: list[File]) -> File | None:
    """A county's corrected dispatch library, received later (module doc); returns the resend, which
    is added to ``files``. Call it last, when the rows and their truth are final."""
    counts: dict[str, int] = {}
    for fl in files:
        counts[_home(fl) or ""] = counts.get(_home(fl) or "", 0) + 1
    pick = next((fl for fl in sorted(files, key=lambda f: f.path)
                 if fl.fmt in ("xlsx", "xls") and _home(fl) and counts[_home(fl)] == 1 and _only_home(fl)
                 and any(isinstance(r.cells.get("total_investment"), (int, float)) for r in _rows(fl))), None)
    if pick is None:
        return None
    unit = _home(pick)
    new = File(path=f"{unit}调度库（修改）.{pick.fmt}", fmt=pick.fmt, encoding=pick.encoding, resend_of=pick.path)
    copies: dict[int, object] = {}
    for sh in pick.sheets:
        c = copy.copy(sh)
        c.rows = []
        for r in sh.rows:
            rc = copy.copy(r)
            rc.cells, rc.intended = dict(r.cells), list(r.intended)
            copies[id(r)] = rc
            c.rows.append(rc)
        new.sheets.append(c)
    for rc in copies.values():
        for attr in ("dup_first", "duplicate_of"):
            ref = getattr(rc, attr, None)
            if ref is not None:
                setattr(rc, attr, copies.get(id(ref), ref))
    truth.stamp_positions([new])
    # the first file: every data row superseded by the resend; its amounts were the ones corrected
    for r in _rows(pick):
        r.superseded_by = new.path
        v = r.cells.get("total_investment")
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            r.cells["total_investment"] = round(v * 0.9, 2) if v > 100 else v + 1
    files.append(new)
    return new


def write_zip(archive: Path, members: list[File], write_file) -> None:
    """``members`` (their paths ``<archive>!/<member>``) written into one zip whose names are GBK bytes
    without the UTF-8 flag (as Windows' "send to compressed folder" does); byte-stable."""
    buf = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for fl in sorted(members, key=lambda f: f.path):
            name = fl.path.split("!/", 1)[1]
            inner = copy.copy(fl)
            inner.path = f"m{len(zf.infolist())}{Path(name).suffix}"
            data = write_file(inner, Path(tmp)).read_bytes()
            zi = _GbkInfo(name, date_time=_ZIP_TIME)
            zi.compress_type, zi.external_attr = zipfile.ZIP_DEFLATED, 0o600 << 16
            zf.writestr(zi, data)
    archive.parent.mkdir(parents=True, exist_ok=True)
    archive.write_bytes(buf.getvalue())


class _GbkInfo(zipfile.ZipInfo):
    """A member whose name is stored as GBK bytes without the UTF-8 flag, as Windows' zip does."""

    def _encodeFilenameFlags(self):
        return self.filename.encode("gbk"), self.flag_bits & ~0x800
