"""Format sniffing and guards: which reader a file's bytes need, and refusing what must not be opened.

* the format is detected from the content, not only the name: a zip is an xlsx, an OLE2/CFB file is
  an .xls unless it holds an ``EncryptionInfo`` stream (a password-protected workbook); other
  bytes are read as CSV when the name says so (UTF-8 with or without BOM, UTF-16, else GB18030/GBK);
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
from keyprojects.ingest.readers.results import FileFault

MAX_UNCOMPRESSED_MB = settings.DEFAULT_MAX_UNCOMPRESSED_MB  # whole-zip limit; KP_MAX_UNCOMPRESSED_MB overrides
MAX_COMPRESSION_RATIO = 200        # a member above this ratio ...
RATIO_MIN_BYTES = 10 * 1024 * 1024  # ... and above this uncompressed size is a zip bomb

EXCEL_EXTS = {".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".ods", ".et"}
CSV_EXTS = {".csv", ".txt", ".tsv"}

_CFB_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")

def iter_sheets(data: bytes, path: Path, name: str, ignored: dict):
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
            raise FileFault(
                name, "the sheet is password-protected (encrypted) and cannot be read", sheet_name
            ) from None
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
