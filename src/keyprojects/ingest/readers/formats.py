"""Format sniffing and guards: which reader a file's bytes need, and refusing what must not be opened.

* the reader is picked by the file's content (``detect``), not its name: xlsx/xlsb/ods and binary
  xls (also WPS's .et) with calamine, delimited text (tab or comma; UTF-8 with or without BOM,
  UTF-16, else GB18030/GBK) with the csv module, HTML tables (``htmltables``), Excel 2003 XML
  (``spreadsheetml``); any other content is refused naming its format and what the sender should do;
* zips are checked before they are opened (total uncompressed size, compression ratio);
* workbooks are read with python-calamine (openpyxl is an order of magnitude slower and is not used).

Every sheet comes out as a grid (a list of rows of cell values), its Excel row numbers (None when they
are 1..n) and its merged ranges.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

from keyprojects import settings
from keyprojects.ingest.readers import detect
from keyprojects.ingest.readers.results import FileFault

MAX_UNCOMPRESSED_MB = settings.DEFAULT_MAX_UNCOMPRESSED_MB  # whole-zip limit; KP_MAX_UNCOMPRESSED_MB overrides
MAX_COMPRESSION_RATIO = 200        # a member above this ratio ...
RATIO_MIN_BYTES = 10 * 1024 * 1024  # ... and above this uncompressed size is a zip bomb


def iter_sheets(data: bytes, path: Path, name: str, ignored: dict, found=None):
    """Yield (sheet name, grid, Excel row numbers, merged ranges) for every worksheet; ``found``
    (``detect.detect``'s answer) picks the reader."""
    found = found or detect.detect(data, name)
    fmt = found.format
    if fmt in ("xlsx", "xlsb", "ods"):
        _check_zip(data, name)
        yield from _calamine_sheets(data, name, ignored, ods=fmt == "ods")
    elif fmt == "xls":
        yield from _calamine_sheets(data, name, ignored)
    elif fmt == "csv":
        yield _csv_sheet(data, path, name)
    elif fmt == "html":
        from keyprojects.ingest.readers import htmltables

        yield from htmltables.sheets(data, name)
    elif fmt == "spreadsheetml":
        from keyprojects.ingest.readers import spreadsheetml

        yield from spreadsheetml.sheets(data, name)
    else:
        raise not_read(name, path.suffix.lower(), found)


def not_read(name: str, ext: str, found: detect.Detected) -> FileFault:
    """The fault of a file whose content is not a table: which format it is and what to do."""
    if found.format == "encrypted":
        return FileFault(name, "the workbook is password-protected (encrypted) and cannot be read; open it in "
                               "Excel/WPS, remove the password (save it without a password) and send it again",
                         fmt=found.format)
    if ext in detect.SPREADSHEET_SUFFIXES and found.format in ("binary", "ole"):
        what = "xlsx" if ext in (".xlsx", ".xlsm", ".xltx", ".xltm") else ext.lstrip(".")
        return FileFault(name, f"the file is damaged or not an Excel workbook (it is named '{ext}' but is not a "
                               f"valid {what} file)", fmt=found.format)
    named = f" (saved with a '{ext}' name)" if ext else ""
    return FileFault(name, f"the file is {found.reason_en}{named} / 文件内容为{found.reason_zh}",
                     fmt=found.format, reason_zh=found.reason_zh, reason_en=found.reason_en)


def _looks_like_text(data: bytes) -> bool:
    return detect.looks_like_text(data)


def _max_uncompressed_bytes() -> int:
    return int(settings.max_uncompressed_mb() * 1024 * 1024)


def _check_zip(data: bytes, name: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        raise FileFault(name, f"the file is damaged: it is not a valid xlsx (zip) archive ({exc})") from None
    limit = _max_uncompressed_bytes()
    total = sum(i.file_size for i in infos)
    if total > limit:
        raise FileFault(
            name,
            f"the workbook expands to {total / 2**20:.0f} MiB, more than the allowed "
            f"{limit / 2**20:.0f} MiB; refusing to open it (set KP_MAX_UNCOMPRESSED_MB to raise the limit)",
        )
    for i in infos:
        if i.file_size > RATIO_MIN_BYTES and i.file_size > MAX_COMPRESSION_RATIO * max(i.compress_size, 1):
            raise FileFault(name, f"zip member '{i.filename}' is compressed more than {MAX_COMPRESSION_RATIO}:1 "
                                  f"({i.file_size / 2**20:.0f} MiB from {i.compress_size} bytes); refusing to open a "
                                  "possible zip bomb")


def _calamine_sheets(data: bytes, name: str, ignored: dict, ods: bool = False):
    try:
        import python_calamine as pc
    except ImportError as exc:  # pragma: no cover - dependency missing
        raise FileFault(name, f"python-calamine is not installed ({exc})") from None
    try:
        wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
        metas = {m.name: m for m in wb.sheets_metadata}
        sheet_names = list(wb.sheet_names)
    except pc.PasswordError:
        raise FileFault(
            name,
            "the workbook is password-protected (encrypted) and cannot be read; open it in "
            "Excel/WPS, remove the password (save it without a password) and send it again",
        ) from None
    except Exception as exc:
        if re.search(r"password|encrypt", str(exc), re.I):
            raise FileFault(
                name,
                "the workbook is password-protected (encrypted) and cannot be read; open it in "
                "Excel/WPS, remove the password (save it without a password) and send it "
                "again",
            ) from None
        raise FileFault(
            name, f"the file cannot be opened as a workbook (damaged or unsupported): {_plain(exc)}"
        ) from None

    ods_merged = None
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
            if ods and not merged:   # calamine gives an .ods file's values, not its merged cells
                if ods_merged is None:
                    from keyprojects.ingest.readers import ods as _ods

                    ods_merged = _ods.merged_ranges(data)
                merged = ods_merged.get(sheet_name, [])
        except pc.PasswordError:
            raise FileFault(
                name, "the sheet is password-protected (encrypted) and cannot be read", sheet_name
            ) from None
        except Exception as exc:
            raise FileFault(name, f"the sheet cannot be read (damaged workbook): {_plain(exc)}", sheet_name) from None
        yield sheet_name, grid, None, merged


def _plain(exc: Exception) -> str:
    msg = str(exc).strip() or type(exc).__name__
    return msg[:300]


def _decode_text(data: bytes, name: str) -> str:
    encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else detect.utf16_without_bom(data)
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
        raise FileFault(
            name, "the text encoding of this CSV is not recognised (expected UTF-8 or GBK/GB18030)"
        ) from None


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
