"""Read the units' and bureaus' spreadsheets (.xlsx/.xlsm/.xls/.csv) into one frame per file.

What a file may look like (docs/domain.md, "What real files look like") and what happens to every
row under the header (docs/rules.md, "What is a row read") is handled here:

* the format is detected from the content, not only the name: a zip is an xlsx, an OLE2/CFB file is
  an .xls unless it holds an ``EncryptionInfo`` stream (a password-protected workbook); other
  bytes are read as CSV when the name says so (UTF-8 with or without BOM, else GB18030/GBK);
* zips are checked before they are opened (total uncompressed size, compression ratio);
* the header is found in the first 30 rows (one row, or two rows with merged group headers), title
  lines above it give the sheet's amount unit (``单位：亿元``) and the reporter (``填报单位：X``);
* merged ranges are filled with their top-left value (merged unit cells running down a column);
* every row from the header to the last used row is read: blank, subtotal and note rows are
  skipped with their reason, the others become the frame's data rows with raw and parsed columns.

Values are read with python-calamine (openpyxl is an order of magnitude slower and is not used).
Text columns of the frame are ``object`` columns holding ``str`` or ``None`` (never NaN), amounts
are ``float64`` in 万元 (NaN when blank or unparseable), ``_row`` is ``int64``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from . import AMOUNT_FIELDS, DATE_FIELDS, VOCAB_FIELDS, config, normalize

__all__ = [
    "FileFault",
    "SkippedRow",
    "SheetRead",
    "FileRead",
    "read_file",
    "sha256_of",
    "frame_columns",
    "empty_frame",
]

# ---------------------------------------------------------------- limits and constants

MAX_UNCOMPRESSED_MB = 512          # whole-zip uncompressed size limit; env KP_MAX_UNCOMPRESSED_MB overrides
MAX_COMPRESSION_RATIO = 200        # a member above this ratio ...
RATIO_MIN_BYTES = 10 * 1024 * 1024  # ... and above this uncompressed size is a zip bomb
HEADER_SCAN_ROWS = 30
SKIP_TEXT_CHARS = 200

AMOUNT_UNITS = ("万元", "亿元", "元")

EXCEL_EXTS = {".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".ods", ".et"}
CSV_EXTS = {".csv", ".txt", ".tsv"}

_CFB_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")

# a unit written into a header cell: 总投资(亿元), 总投资（万元）, 总投资【万元】, 总投资/万元, 总投资(单位:万元)
_HEADER_UNIT_RE = re.compile(r"^(?P<name>.+?)[(\[【/]?(?:单位:?)?(?P<unit>万元|亿元|元)[)\]】]?$")
_UNIT_ONLY_RE = re.compile(r"^[(\[【]?(?:单位:?)?(?P<unit>万元|亿元|元)[)\]】]?$")
_LOOSE_REPORTER_RE = re.compile(r"(填报单位|报送单位)\s*(?:[(（][^)）]*[)）])?\s*[:：]\s*(\S+)")
_STAMP_RE = re.compile(r"[(（]\s*(盖章|公章|签章)\s*[)）]\s*$")
_WS_RE = re.compile(r"\s+")


# ---------------------------------------------------------------- public types

class FileFault(Exception):
    """A whole-file fault: the file loads nothing. ``str(e)`` names the file, the sheet and the fault."""

    def __init__(self, file: str, message: str, sheet: str | None = None):
        super().__init__(file, message, sheet)
        self.file = str(file)
        self.message = message
        self.sheet = sheet

    def __str__(self) -> str:
        where = f"{self.file}, sheet '{self.sheet}'" if self.sheet is not None else self.file
        return f"{where}: {self.message}"


@dataclass
class SkippedRow:
    file: str
    sheet: str
    row_number: int
    reason: str      # 'blank' | 'subtotal' | 'note'
    text: str        # the row's non-blank cells joined with ' | ', cut to 200 chars


@dataclass
class SheetRead:
    sheet: str
    header_rows: tuple[int, int]
    columns: dict[str, int]
    amount_units: dict[str, str]
    reporter: str | None
    frame: pd.DataFrame
    skipped: list[SkippedRow]
    rows_read: int


@dataclass
class FileRead:
    path: Path
    file: str
    sha256: str
    sheets: list[SheetRead] = field(default_factory=list)
    ignored_sheets: dict[str, str] = field(default_factory=dict)

    @cached_property
    def frame(self) -> pd.DataFrame:
        frames = [s.frame for s in self.sheets if len(s.frame)]
        if not frames:
            return empty_frame()
        if len(frames) == 1:
            return frames[0]
        return pd.concat(frames, ignore_index=True)

    @property
    def skipped(self) -> list[SkippedRow]:
        return [row for s in self.sheets for row in s.skipped]

    @property
    def rows_read(self) -> int:
        return sum(s.rows_read for s in self.sheets)


# ---------------------------------------------------------------- configuration helpers

@lru_cache(maxsize=None)
def _field_names_for(cfg_dir: str) -> tuple[str, ...]:
    return tuple(f.name for f in config.header_fields())


def _field_names() -> tuple[str, ...]:
    return _field_names_for(str(config.config_dir()))


def frame_columns() -> list[str]:
    """The frame's columns, in order: _file, _sheet, _row, <field>_raw…, <field>…, name_key."""
    names = _field_names()
    return ["_file", "_sheet", "_row", *(f"{n}_raw" for n in names), *names, "name_key"]


def empty_frame() -> pd.DataFrame:
    cols = {}
    for c in frame_columns():
        if c == "_row":
            cols[c] = pd.Series([], dtype="int64")
        elif c in AMOUNT_FIELDS:
            cols[c] = pd.Series([], dtype="float64")
        else:
            cols[c] = pd.Series([], dtype=object)
    return pd.DataFrame(cols)


@dataclass(frozen=True)
class _Rules:
    subtotal_words: tuple[str, ...]
    note_prefixes: tuple[str, ...]
    unit_line: re.Pattern
    reporter_line: re.Pattern
    labels: dict


@lru_cache(maxsize=None)
def _rules_for(cfg_dir: str) -> _Rules:
    raw = config._load("headers.toml")
    skip = raw.get("skip", {})
    labels = {}
    for name, spec in raw.get("fields", {}).items():
        words = spec.get("words") or []
        labels[name] = words[0] if words else name
    return _Rules(
        subtotal_words=tuple(config.squash(w) for w in skip.get("subtotal_words", ("小计", "合计", "总计"))),
        note_prefixes=tuple(dict.fromkeys(config.squash(p) for p in skip.get("note_prefixes", ()))),
        unit_line=re.compile(skip.get("unit_line", r"单位[:：]?\s*(万元|亿元|元)")),
        reporter_line=re.compile(skip.get("reporter_line", r"(填报单位|报送单位)[:：]\s*(\S+)")),
        labels=labels,
    )


def _rules() -> _Rules:
    return _rules_for(str(config.config_dir()))


def _label(name: str) -> str:
    return f"{name} ({_rules().labels.get(name, name)})"


# ---------------------------------------------------------------- entry points

SUBTOTAL_LABEL_MAX = 20


LABEL_FIELDS = ("seq", "project_name", "unit", "project_code")
_TRAILING_BRACKETS = re.compile(r"[(（][^()（）]*[)）]$")


def _is_subtotal_label(text: str, words: tuple[str, ...]) -> bool:
    """A subtotal/total label: at most 20 characters ending in 小计/合计/总计, once a trailing bracket is set
    aside; with a colon, either side may be the label (合计：3个项目, 其中：小计, 小计（2个）, 总计(万元))."""
    if len(text) > SUBTOTAL_LABEL_MAX * 2:
        return False
    for part in re.split(r"[:：]", text, maxsplit=1):
        part = _TRAILING_BRACKETS.sub("", part)
        if 0 < len(part) <= SUBTOTAL_LABEL_MAX and part.endswith(words):
            return True
    return False


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_file(path: Path, list_name: str, display_name: str | None = None) -> FileRead:
    """Read every sheet of ``path`` for list ``list_name``; raise FileFault for a whole-file fault."""
    path = Path(path)
    name = display_name or path.name
    specs = config.list_specs()
    if list_name not in specs:
        raise ValueError(f"unknown list {list_name!r}; expected one of {', '.join(specs)}")
    required = specs[list_name].required
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FileFault(name, "file not found") from None
    except OSError as exc:
        raise FileFault(name, f"cannot be read ({exc.strerror or exc})") from None
    result = FileRead(path=path, file=name, sha256=hashlib.sha256(data).hexdigest())
    if not data:
        raise FileFault(name, "the file is empty (0 bytes)")

    for sheet_name, grid, rownums, merged in _iter_sheets(data, path, name, result.ignored_sheets):
        sheet = _read_sheet(name, sheet_name, grid, rownums, merged, required)
        if isinstance(sheet, str):
            result.ignored_sheets[sheet_name] = sheet
        else:
            result.sheets.append(sheet)

    if not result.sheets:
        detail = _ignored_summary(result.ignored_sheets)
        raise FileFault(name, "no recognisable header row in any sheet (a header needs 项目名称 and at least one "
                              "other known column in the first 30 rows)" + (f" [{detail}]" if detail else ""))
    return result


def _ignored_summary(ignored: dict[str, str]) -> str:
    """The ignored sheets grouped by reason, at most 5 names each: 'a', 'b' … (50 sheets): empty sheet."""
    by_reason: dict[str, list[str]] = {}
    for sheet, why in ignored.items():
        by_reason.setdefault(why, []).append(sheet)
    parts = []
    for why, sheets in by_reason.items():
        names = ", ".join(f"'{s}'" for s in sheets[:5])
        more = f" … ({len(sheets)} sheets)" if len(sheets) > 5 else ""
        parts.append(f"{names}{more}: {why}")
    return "; ".join(parts)


# ---------------------------------------------------------------- formats

def _iter_sheets(data: bytes, path: Path, name: str, ignored: dict):
    """Yield (sheet name, grid, Excel row numbers, merged ranges) for every worksheet."""
    ext = path.suffix.lower()
    head = data[:8]
    if head.startswith(_ZIP_SIGNATURES):
        _check_zip(data, name)
        yield from _calamine_sheets(data, name, ignored)
    elif head == _CFB_SIGNATURE:
        if _ENCRYPTION_INFO in data or _ENCRYPTED_PACKAGE in data:
            raise FileFault(name, "the workbook is password-protected (encrypted) and cannot be read; open it in "
                                  "Excel/WPS, remove the password (save it without a password) and send it again")
        yield from _calamine_sheets(data, name, ignored)
    elif ext in CSV_EXTS:
        yield _csv_sheet(data, path, name)
    elif ext in EXCEL_EXTS:
        if data.startswith(b"%PDF"):
            raise FileFault(name, f"the file is a PDF document saved with a '{ext}' name, not a workbook; send "
                                  "the spreadsheet itself (.xlsx, .xls or .csv)")
        stripped = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        if stripped.startswith((b"<", b"\xff\xfe<", b"\xfe\xff\x00<")):
            raise FileFault(name, f"the file is a web page (HTML/XML) saved with a '{ext}' name, not a real "
                                  "workbook; open it in Excel/WPS and save it as .xlsx")
        what = "xlsx" if ext in (".xlsx", ".xlsm", ".xltx", ".xltm") else ext.lstrip(".")
        if _looks_like_text(data):
            raise FileFault(name, f"the file is plain text (a CSV?) saved with a '{ext}' name, not a real {what} "
                                  "workbook; rename it to .csv or open it in Excel/WPS and save it as .xlsx")
        raise FileFault(name, f"the file is damaged or not an Excel workbook (it is named '{ext}' but is not a "
                              f"valid {what} file)")
    elif ext == "" and _looks_like_text(data):
        yield _csv_sheet(data, path, name)
    else:
        raise FileFault(name, f"unsupported file format '{ext or '(no extension)'}'; send .xlsx, .xls or .csv")


def _looks_like_text(data: bytes) -> bool:
    sample = data[:4096]
    return b"\x00" not in sample or sample.startswith((b"\xff\xfe", b"\xfe\xff"))


def _max_uncompressed_bytes() -> int:
    raw = os.environ.get("KP_MAX_UNCOMPRESSED_MB")
    try:
        mb = float(raw) if raw else MAX_UNCOMPRESSED_MB
    except ValueError:
        mb = MAX_UNCOMPRESSED_MB
    return int(mb * 1024 * 1024)


def _check_zip(data: bytes, name: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        raise FileFault(name, f"the file is damaged: it is not a valid xlsx (zip) archive ({exc})") from None
    limit = _max_uncompressed_bytes()
    total = sum(i.file_size for i in infos)
    if total > limit:
        raise FileFault(name, f"the workbook expands to {total / 2**20:.0f} MiB, more than the allowed "
                              f"{limit / 2**20:.0f} MiB; refusing to open it (set KP_MAX_UNCOMPRESSED_MB to raise the limit)")
    for i in infos:
        if i.file_size > RATIO_MIN_BYTES and i.file_size > MAX_COMPRESSION_RATIO * max(i.compress_size, 1):
            raise FileFault(name, f"zip member '{i.filename}' is compressed more than {MAX_COMPRESSION_RATIO}:1 "
                                  f"({i.file_size / 2**20:.0f} MiB from {i.compress_size} bytes); refusing to open a "
                                  "possible zip bomb")


def _calamine_sheets(data: bytes, name: str, ignored: dict):
    try:
        import python_calamine as pc
    except ImportError as exc:  # pragma: no cover - dependency missing
        raise FileFault(name, f"python-calamine is not installed ({exc})") from None
    try:
        wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
        metas = {m.name: m for m in wb.sheets_metadata}
        sheet_names = list(wb.sheet_names)
    except pc.PasswordError:
        raise FileFault(name, "the workbook is password-protected (encrypted) and cannot be read; open it in "
                              "Excel/WPS, remove the password (save it without a password) and send it again") from None
    except Exception as exc:
        if re.search(r"password|encrypt", str(exc), re.I):
            raise FileFault(name, "the workbook is password-protected (encrypted) and cannot be read; open it in "
                                  "Excel/WPS, remove the password (save it without a password) and send it "
                                  "again") from None
        raise FileFault(name, f"the file cannot be opened as a workbook (damaged or unsupported): {_plain(exc)}") from None

    for sheet_name in sheet_names:
        meta = metas.get(sheet_name)
        typ = str(getattr(meta, "typ", "WorkSheet"))
        if meta is not None and "WorkSheet" not in typ:
            ignored[sheet_name] = f"not a worksheet ({typ.rsplit('.', 1)[-1]})"
            continue
        try:
            sheet = wb.get_sheet_by_name(sheet_name)
            grid = sheet.to_python(skip_empty_area=False)
            merged = list(sheet.merged_cell_ranges or ())
        except pc.PasswordError:
            raise FileFault(name, "the sheet is password-protected (encrypted) and cannot be read", sheet_name) from None
        except Exception as exc:
            raise FileFault(name, f"the sheet cannot be read (damaged workbook): {_plain(exc)}", sheet_name) from None
        yield sheet_name, grid, None, merged


def _plain(exc: Exception) -> str:
    msg = str(exc).strip() or type(exc).__name__
    return msg[:300]


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' for UTF-16 text saved without a BOM (most of its ASCII characters leave
    a NUL in every other byte), else None."""
    sample = data[:4096]
    if len(sample) < 4 or len(sample) % 2 and len(data) == len(sample):
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > 4 * even and odd >= len(sample) // 16:
        return "utf-16-le"
    if even > 4 * odd and even >= len(sample) // 16:
        return "utf-16-be"
    return None


def _decode_text(data: bytes, name: str) -> str:
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else _utf16_without_bom(data)
    if encoding:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and exc.start >= len(data) - 3:
            # valid UTF-8 up to a character cut in half at the very end: the file was cut short
            raise FileFault(name, "the file is truncated: it ends in the middle of a character (UTF-8), so "
                                  "its last row is incomplete; send the whole file again") from None
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise FileFault(name, "the text encoding of this CSV is not recognised (expected UTF-8 or GBK/GB18030)") from None


def _sniff_delimiter(text: str) -> str:
    lines = [ln for ln in text.splitlines()[:40] if ln.strip()]
    tabs = sum(ln.count("\t") for ln in lines)
    commas = sum(ln.count(",") for ln in lines)
    return "\t" if tabs > commas else ","


def _csv_sheet(data: bytes, path: Path, name: str):
    text = _decode_text(data, name)
    if "\x00" in text:
        raise FileFault(name, "the file is binary, not a CSV text file")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    rows, rownums = [], []
    prev = 0
    try:
        for rec in reader:
            rows.append(rec)
            rownums.append(prev + 1)
            prev = reader.line_num
    except csv.Error as exc:
        raise FileFault(name, f"the CSV cannot be parsed at line {prev + 1}: {exc}") from None
    width = max((len(r) for r in rows), default=0)
    for r in rows:
        if len(r) < width:
            r.extend([""] * (width - len(r)))
    return path.stem, rows, rownums, []


# ---------------------------------------------------------------- sheets

def _blank(v) -> bool:
    if v.__class__ is str:
        return not v.strip()
    return normalize.is_blank(v)


def _cell_text(v) -> str:
    t = normalize.text(v)
    return t if t is not None else ""


def _read_sheet(file: str, sheet_name: str, grid: list, rownums: list | None, merged: list,
                required: tuple[str, ...]):
    """A SheetRead, or a string saying why the sheet is ignored."""
    # last used row: the last row holding a value (merged ranges beyond it are not 'used')
    last = len(grid) - 1
    while last >= 0 and all(_blank(v) for v in grid[last]):
        last -= 1
    if last < 0:
        return "empty sheet"
    del grid[last + 1:]
    if rownums is None:
        rownums = range(1, len(grid) + 1)

    filled = _fill_merged(grid, merged)

    header = _find_header(grid, filled, merged)
    if header is None:
        return ("no recognisable header row (needs 项目名称 and at least one other known column in the first "
                f"{HEADER_SCAN_ROWS} rows)")
    first, lastrow, columns, header_units = header
    _refuse_ambiguous_columns(file, sheet_name, grid, rownums, filled, first, lastrow, columns)

    rules = _rules()
    sheet_unit, reporter = _title_lines(grid[:first], rules)

    missing = [f for f in required if f not in columns and not (f == "unit" and reporter)]
    if missing:
        which = ", ".join(_label(f) for f in missing)
        found = ", ".join(_label(f) for f in columns) or "none"
        plural = "s" if len(missing) > 1 else ""
        raise FileFault(file, f"missing required column{plural} {which} in the header at row "
                              f"{rownums[first]}" + (f"-{rownums[lastrow]}" if lastrow != first else "")
                              + f" (columns found: {found})", sheet_name)

    amount_units = {f: header_units.get(f) or sheet_unit or "万元" for f in AMOUNT_FIELDS}

    # classify every row under the header
    data_idx: list[int] = []
    skipped: list[SkippedRow] = []
    subtotal_words = rules.subtotal_words
    note_prefixes = rules.note_prefixes
    # where subtotal labels stand: 序号, name, unit and code columns, and columns without a header
    width = max((len(r) for r in grid), default=0)
    mapped = set(columns.values())
    label_cols = sorted({columns[f] for f in LABEL_FIELDS if f in columns} | {c for c in range(width) if c not in mapped})
    for i in range(lastrow + 1, len(grid)):
        row = grid[i]
        fcols = filled.get(i)
        if fcols:
            vals = [v for c, v in enumerate(row) if c not in fcols and not _blank(v)]
        else:
            # calamine and csv give str/int/float/bool/date values, never None or NaN
            vals = [v for v in row if v.__class__ is not str or v.strip()]
        reason = None
        if not vals:
            reason = "blank"
        else:
            for c in label_cols:
                # a label such as 合计, 小计（3个）, 忻府区小计 in a label column -- not 资金缺口合计 under
                # 存在问题, nor a project named 总计量检测中心
                v = row[c] if c < len(row) and not (fcols and c in fcols) else None
                if v.__class__ is str and len(v) <= 40 and _is_subtotal_label(config.squash(v), subtotal_words):
                    reason = "subtotal"
                    break
            if reason is None and note_prefixes:
                first_val = vals[0]
                if first_val.__class__ is str and config.squash(first_val).startswith(note_prefixes):
                    reason = "note"
        if reason is None:
            data_idx.append(i)
        else:
            txt = " | ".join(_cell_text(v) for v in vals)
            skipped.append(SkippedRow(file, sheet_name, int(rownums[i]), reason, txt[:SKIP_TEXT_CHARS]))

    frame = _build_frame(file, sheet_name, grid, rownums, data_idx, columns, amount_units, reporter)
    return SheetRead(
        sheet=sheet_name,
        header_rows=(int(rownums[first]), int(rownums[lastrow])),
        columns=dict(columns),
        amount_units=amount_units,
        reporter=reporter,
        frame=frame,
        skipped=skipped,
        rows_read=len(frame) + len(skipped),
    )


def _fill_merged(grid: list, merged: list) -> dict[int, set[int]]:
    """Copy each merged range's top-left value into the rest of the range; return the cells filled."""
    filled: dict[int, set[int]] = {}
    nrows = len(grid)
    for rng in merged:
        try:
            (r0, c0), (r1, c1) = rng
        except (TypeError, ValueError):
            continue
        if r0 >= nrows or r0 < 0 or c0 < 0:
            continue
        top = grid[r0]
        if c0 >= len(top):
            continue
        value = top[c0]
        if _blank(value):
            continue
        for r in range(r0, min(r1, nrows - 1) + 1):
            row = grid[r]
            if len(row) <= c1:
                row.extend([""] * (c1 + 1 - len(row)))
            cols = None
            for c in range(c0, c1 + 1):
                if r == r0 and c == c0:
                    continue
                row[c] = value
                if cols is None:
                    cols = filled.setdefault(r, set())
                cols.add(c)
    return filled


# ---------------------------------------------------------------- header detection

@lru_cache(maxsize=4096)
def _classify_header_text(s: str, cfg_dir: str) -> tuple[str | None, str | None, str]:
    """(field, unit, name without unit) for a squashed header cell."""
    fields = config.header_fields()
    for f in fields:
        if f.matches(s):
            return f.name, None, s
    m = _UNIT_ONLY_RE.match(s)
    if m:
        return None, m.group("unit"), ""
    m = _HEADER_UNIT_RE.match(s)
    if m:
        base, unit = m.group("name"), m.group("unit")
        for f in fields:
            if f.matches(base):
                return f.name, unit, base
        return None, unit, base
    return None, None, s


def _header_cell(v) -> str:
    if v.__class__ is not str:
        return ""
    return config.squash(v) if v.strip() else ""


def _classify(s: str) -> tuple[str | None, str | None, str]:
    if not s:
        return None, None, ""
    return _classify_header_text(s, str(config.config_dir()))


def _single_row_fields(cells: list[str]) -> dict[str, tuple[int, str | None]]:
    out: dict[str, tuple[int, str | None]] = {}
    for c, s in enumerate(cells):
        f, unit, _ = _classify(s)
        if f is not None and f not in out:
            out[f] = (c, unit)
    return out


def _two_row_fields(upper: list[str], lower: list[str]) -> dict[str, tuple[int, str | None]]:
    out: dict[str, tuple[int, str | None]] = {}
    for c in range(max(len(upper), len(lower))):
        u = upper[c] if c < len(upper) else ""
        lo = lower[c] if c < len(lower) else ""
        fu, uu, bu = _classify(u)
        fl, ul, bl = _classify(lo)
        field_, unit = None, None
        if fl is not None:
            field_, unit = fl, ul or uu
        elif u and lo and u != lo:
            fj, uj, _ = _classify(bu + bl)
            if fj is not None:
                field_, unit = fj, uj or ul or uu
        if field_ is None and fu is not None:
            field_, unit = fu, uu or ul
        if field_ is not None and field_ not in out:
            out[field_] = (c, unit)
    return out


def _find_header(grid: list, filled: dict, merged: list):
    """(first row index, last row index, {field: col}, {field: header unit}) or None."""
    scan = min(HEADER_SCAN_ROWS, len(grid))
    cells = [[_header_cell(v) for v in grid[r]] for r in range(scan)]
    singles = [_single_row_fields(row) for row in cells]
    best, best_n = None, 1
    for r, fields in enumerate(singles):
        if "project_name" in fields and len(fields) > best_n:
            best, best_n = r, len(fields)
    if best is None:
        return None

    choice = (best, best, singles[best])
    name_col = singles[best]["project_name"][0]
    span = next(((r0, r1) for (r0, c0), (r1, c1) in merged
                 if r0 <= best <= r1 and c0 <= name_col <= c1 and r1 > r0), None)
    if span is not None and span[1] - span[0] <= 2:
        # 项目名称 merged down over the header rows: the header is exactly those rows
        up, lo = span[0], min(span[1], len(grid) - 1)
        lower_cells = cells[lo] if lo < scan else [_header_cell(v) for v in grid[lo]]
        combo = _two_row_fields(cells[up], lower_cells)
        choice = (up, lo, combo if len(combo) >= len(singles[best]) else singles[best])
    else:
        # header over two rows: best row + the next one (group headers above, details below) ...
        nxt = best + 1
        if nxt < len(grid):
            lower_row = grid[nxt]
            under_name = lower_row[name_col] if name_col < len(lower_row) else ""
            if _blank(under_name) or name_col in filled.get(nxt, ()):
                nxt_cells = cells[nxt] if nxt < scan else [_header_cell(v) for v in lower_row]
                combo = _two_row_fields(cells[best], nxt_cells)
                if len(combo) > len(choice[2]):
                    choice = (best, nxt, combo)
        # ... or the row above + best row, when the row above is a header row itself (merged or matching)
        prv = best - 1
        if prv >= 0 and choice[0] == best:
            merged_above = any(rng[0][0] == prv and rng[0] != rng[1] for rng in merged)
            if merged_above or len(singles[prv]) >= 2:
                combo = _two_row_fields(cells[prv], cells[best])
                if len(combo) > len(choice[2]) or (
                        len(combo) == len(choice[2]) and _is_group_row(grid[prv], prv, filled, merged)):
                    choice = (prv, best, combo)

    first, lastrow, fields = choice
    columns = {f: c for f, (c, _) in sorted(fields.items(), key=lambda kv: kv[1][0])}
    units = {f: u for f, (_, u) in fields.items() if u and f in AMOUNT_FIELDS}
    # a row of units right under the header ("万元", "(亿元)" under the amount columns) belongs to it
    below = lastrow + 1
    if below < len(grid):
        below_cells = [_header_cell(v) if not _blank(v) else "" for v in grid[below]]
        nonblank = [(c, s) for c, s in enumerate(below_cells) if s]
        if nonblank and all(s and _UNIT_ONLY_RE.match(s) for c, s in nonblank) and \
                all(grid[below][c].__class__ is str for c, _ in nonblank):
            lastrow = below
            by_col = {c: _UNIT_ONLY_RE.match(s).group("unit") for c, s in nonblank}
            for f, c in columns.items():
                if f in AMOUNT_FIELDS and c in by_col:
                    units[f] = by_col[c]
    return first, lastrow, columns, units


def _column_letter(c: int) -> str:
    """Excel's letter of the 0-based column ``c`` (0 -> A, 26 -> AA)."""
    out = ""
    c += 1
    while c:
        c, r = divmod(c - 1, 26)
        out = chr(65 + r) + out
    return out


def _fields_matching(s: str) -> list[str]:
    """Every field whose words/patterns match the squashed header text ``s`` (or ``s`` without a unit)."""
    fields = config.header_fields()
    hits = [f.name for f in fields if f.matches(s)]
    if not hits:
        m = _HEADER_UNIT_RE.match(s)
        if m:
            hits = [f.name for f in fields if f.matches(m.group("name"))]
    return hits


def _refuse_ambiguous_columns(file, sheet_name, grid, rownums, filled, first, lastrow, columns) -> None:
    """Raise FileFault when the header is ambiguous (docs/decisions.md, "Bad input and faults"):

    * a header cell matching two fields (synonyms of two fields in headers.toml), or
    * two columns mapping to the same field whose values differ in some row under the header
      (identical columns are harmless: the first is read).

    A group cell merged over several columns (总投资 over 合计 | 其中：贷款) names the group, not a
    second column, so a column whose field comes only from such a cell is not counted."""
    upper = [_header_cell(v) for v in grid[first]]
    lower = [_header_cell(v) for v in grid[first + 1]] if lastrow > first else []
    merged_upper = filled.get(first, set())
    claims: dict[str, list[int]] = {}
    for c in range(max(len(upper), len(lower))):
        u = upper[c] if c < len(upper) else ""
        lo = lower[c] if c < len(lower) else ""
        for t in dict.fromkeys(t for t in (lo, u + lo if u and lo and u != lo else "", u) if t):
            hits = _fields_matching(t)
            if len(hits) > 1:
                raise FileFault(file, f"header '{t}' in column {_column_letter(c)} matches several fields "
                                      f"({', '.join(_label(h) for h in hits)}); rename the column or fix the "
                                      "synonyms in config/headers.toml", sheet_name)
        one = _two_row_fields([u], [lo]) if lower else _single_row_fields([u])
        if not one:
            continue
        (f, _), = one.items()
        from_upper_only = lower and not _classify(lo)[0] and _classify(u)[0] == f
        if from_upper_only and (c in merged_upper or (c + 1 < len(upper) and c + 1 in merged_upper)):
            continue
        claims.setdefault(f, []).append(c)
    for f, cols in claims.items():
        if len(cols) < 2 or columns.get(f) not in cols:
            continue
        a = columns[f]
        for b in (c for c in cols if c != a):
            for i in range(lastrow + 1, len(grid)):
                row = grid[i]
                va = _text(row[a]) if a < len(row) else None
                vb = _text(row[b]) if b < len(row) else None
                if va != vb:
                    def head(c):
                        return " ".join(x for x in (upper[c] if c < len(upper) else "",
                                                    lower[c] if c < len(lower) else "") if x) or "?"
                    raise FileFault(
                        file, f"ambiguous columns: {_column_letter(a)} '{head(a)}' and {_column_letter(b)} "
                              f"'{head(b)}' both map to {_label(f)} and their values differ (row {rownums[i]}: "
                              f"{va!r} vs {vb!r}); delete or rename one of them", sheet_name)


def _is_group_row(row: list, r: int, filled: dict, merged: list) -> bool:
    """A row of group headers (项目基本情况 | 投资情况 …) over the header row: merged across columns, with
    at least two distinct labels, none of them a title line (单位：万元, 填报单位：X)."""
    if not any(r0 == r and c1 > c0 for (r0, c0), (_, c1) in merged):
        return False
    fcols = filled.get(r, ())
    labels = {v.strip() for c, v in enumerate(row) if c not in fcols and v.__class__ is str and v.strip()}
    if len(labels) < 2:
        return False
    rules = _rules()
    return not any(rules.unit_line.search(t) or "填报单位" in t or "报送单位" in t for t in labels)


def _title_lines(rows: list, rules: _Rules) -> tuple[str | None, str | None]:
    """(amount unit of the 单位 line, reporter of the 填报单位 line) from the rows above the header."""
    unit, reporter = None, None
    for row in rows:
        texts = [unicodedata.normalize("NFKC", v).strip() if v.__class__ is str else "" for v in row]
        for c, t in enumerate(texts):
            if not t:
                continue
            if unit is None:
                m = rules.unit_line.search(t)
                if m and m.group(m.lastindex or 0) in AMOUNT_UNITS:
                    unit = m.group(m.lastindex or 0)
                elif _WS_RE.sub("", t).rstrip(":") in ("单位", "金额单位"):
                    # "单位：" in one cell and "万元" in the next
                    nxt = next((x for x in texts[c + 1:] if x and x != t), "")
                    m = _UNIT_ONLY_RE.match(_WS_RE.sub("", nxt))
                    if m:
                        unit = m.group("unit")
            if reporter is None and ("填报单位" in t or "报送单位" in t):
                m = rules.reporter_line.search(t) or _LOOSE_REPORTER_RE.search(t)
                value = None
                if m:
                    value = m.group(m.lastindex or 0)
                    value = rules.unit_line.sub("", value).strip()
                if not value:
                    # "填报单位：" in one cell and the unit in the next non-blank one
                    value = next((x for x in texts[c + 1:] if x and x != t), None)
                    if value and rules.unit_line.search(value):
                        value = rules.unit_line.sub("", value).strip() or None
                if value:
                    value = _STAMP_RE.sub("", value).strip(" :：") or None
                reporter = value or None
    return unit, reporter


# ---------------------------------------------------------------- frame

def _text(v):
    """normalize.text, with a fast path for strings (the same result, fewer checks)."""
    if v.__class__ is str:
        s = v.strip()
        if not s:
            return None
        return s if s.isascii() else unicodedata.normalize("NFKC", v).strip()
    if v.__class__ is float:
        if v != v:
            return None
        return str(int(v)) if v.is_integer() else str(v)
    if v.__class__ is int:
        return str(v)
    return normalize.text(v)


def _convert(values, parse=None) -> tuple[list, list]:
    """(raw texts, parsed values) of one column. Strings and dates are converted once per distinct value
    (units, vocabularies and text amounts repeat a lot); numbers are converted directly."""
    cache: dict = {}
    get = cache.get
    raw, parsed = [], []
    add_raw, add_parsed = raw.append, parsed.append
    for v in values:
        cls = v.__class__
        if cls is float or cls is int:
            t = _text(v)
            add_raw(t)
            if parse is not None:
                add_parsed(parse(v))
            continue
        key = v if cls is str else (cls, v)
        hit = get(key)
        if hit is None:
            t = _text(v)
            hit = cache[key] = (t, t if parse is None else parse(v))
        add_raw(hit[0])
        if parse is not None:
            add_parsed(hit[1])
    return raw, (raw if parse is None else parsed)


def _code_value(v):
    # a code already written in its clean form is returned as is (what normalize.clean_code gives)
    if v.__class__ is str and normalize.CODE_RE.fullmatch(v):
        return v
    return normalize.clean_code(v)


def _unit_value(v):
    return normalize.resolve_unit(v) or normalize.text(v)


def _vocab_fn(vocabulary: str):
    def fn(v):
        return normalize.resolve_vocab(vocabulary, v) or normalize.text(v)
    return fn


def _date_value(v):
    d = normalize.parse_date(v)
    return d.isoformat() if d is not None else None


def _amount_fn(unit: str):
    scale = {"万元": 1.0, "亿元": 10000.0, "元": 0.0001}.get(unit, 1.0)

    def fn(v):
        if v.__class__ is float or v.__class__ is int:
            return float(v) * scale
        a = normalize.parse_amount(v, unit)
        return np.nan if a is None else a
    return fn


def _object(values) -> pd.Series:
    return pd.Series(values, dtype=object)


def _build_frame(file, sheet_name, grid, rownums, data_idx, columns, amount_units, reporter) -> pd.DataFrame:
    n = len(data_idx)
    names = _field_names()
    rows = [grid[i] for i in data_idx]
    width = max((len(r) for r in rows), default=0)
    transposed = list(zip(*rows)) if rows and all(len(r) == width for r in rows) else None

    def column(c: int):
        if transposed is not None:
            return transposed[c] if c < width else ("",) * n
        return [r[c] if c < len(r) else "" for r in rows]

    raw_cols: dict[str, object] = {}
    parsed: dict[str, object] = {}
    nones = [None] * n
    for f in names:
        if f in columns:
            values = column(columns[f])
        elif f == "unit" and reporter:
            values = [reporter] * n
        else:
            values = None
        if values is None:
            raw_cols[f] = _object(nones)
            parsed[f] = pd.Series(np.full(n, np.nan), dtype="float64") if f in AMOUNT_FIELDS else _object(nones)
            continue
        if f == "project_code":
            raw, par = _convert(values, _code_value)
        elif f == "unit":
            raw, par = _convert(values, _unit_value)
        elif f in AMOUNT_FIELDS:
            raw, par = _convert(values, _amount_fn(amount_units[f]))
        elif f in DATE_FIELDS:
            raw, par = _convert(values, _date_value)
        elif f in VOCAB_FIELDS:
            raw, par = _convert(values, _vocab_fn(f))
        elif f == "cluster":
            raw, par = _convert(values, normalize.resolve_cluster)
        else:
            raw, par = _convert(values, None)
        raw_cols[f] = _object(raw)
        if par is raw:
            parsed[f] = raw_cols[f]
        elif f in AMOUNT_FIELDS:
            parsed[f] = pd.Series(par, dtype="float64")
        else:
            parsed[f] = _object(par)

    if "project_name" in columns:
        name_key = _object([normalize.normalize_name(v) for v in column(columns["project_name"])])
    else:
        name_key = _object(nones)

    data = {
        "_file": _object([file] * n),
        "_sheet": _object([sheet_name] * n),
        "_row": pd.Series([rownums[i] for i in data_idx], dtype="int64"),
    }
    for f in names:
        data[f"{f}_raw"] = raw_cols[f]
    for f in names:
        data[f] = parsed[f]
    data["name_key"] = name_key
    return pd.DataFrame(data)
