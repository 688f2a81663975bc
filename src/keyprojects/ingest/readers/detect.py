"""What a file is, from its content (not its name): the one home of format detection.

``detect(data, name)`` gives a ``Detected``: the format (``xlsx``, ``xlsb``, ``ods``, ``xls``, ``csv``,
``html``, ``spreadsheetml``: read; ``pdf``, ``docx``, ``doc``, ``image``, ``zip`` …: not a table) and,
for what is not read, a one-line reason in Chinese and English saying what the sender should do.
``hidden_or_lock(name)`` says which files of an inbox folder are not the senders' files at all
(hidden files, office lock files, ``Thumbs.db``, ``.DS_Store``).
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

# names tried as a list file; every other file is still sniffed, and read when its content is a table
DATA_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".ods", ".et", ".csv", ".tsv", ".txt",
                 ".htm", ".html", ".xml")
# a name that says "spreadsheet": content that is not a table is a fault of the file, not a file to ignore
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".ods", ".et", ".csv", ".tsv")
TABULAR = ("xlsx", "xlsb", "ods", "xls", "csv", "html", "spreadsheetml")

CFB_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_LOCK_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}
_SEND = "请另存为 .xlsx 后重新报送 / save it as .xlsx in Excel/WPS and send it again"


@dataclass(frozen=True)
class Detected:
    format: str
    reason_zh: str | None = None   # why it is not read (None: it is read)
    reason_en: str | None = None

    @property
    def tabular(self) -> bool:
        return self.format in TABULAR

    @property
    def reason(self) -> str | None:
        return f"{self.reason_zh} / {self.reason_en}" if self.reason_zh else None


def hidden_or_lock(relpath: str) -> bool:
    """A hidden file (or one in a hidden folder), an office lock file (``~$…``, ``.~lock…#``) or a
    system file (``Thumbs.db``, ``.DS_Store``, ``desktop.ini``): never a sender's file."""
    parts = PurePosixPath(relpath).parts
    name = parts[-1] if parts else relpath
    return (any(p.startswith(".") for p in parts) or name.startswith("~$")
            or name.lower() in _LOCK_NAMES)


def _not_table(fmt: str, zh: str, en: str) -> Detected:
    return Detected(fmt, zh, en)


_CFB_STREAMS = {
    "xls": ("Workbook".encode("utf-16-le"), "Book".encode("utf-16-le")),
    "doc": ("WordDocument".encode("utf-16-le"),),
    "ppt": ("PowerPoint Document".encode("utf-16-le"),),
    "encrypted": ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le")),
}


def _cfb(data: bytes, ext: str) -> Detected:
    def has(kind):
        return any(s in data for s in _CFB_STREAMS[kind])
    if has("encrypted"):
        return _not_table("encrypted", "工作簿设有密码（已加密），无法读取；请取消密码后重新报送",
                          "the workbook is password-protected (encrypted); remove the password and send it again")
    if has("xls"):
        return Detected("xls")
    if has("doc"):
        return _not_table("doc", "Word 文档（.doc），不是表格", "a Word document (.doc), not a table")
    if has("ppt"):
        return _not_table("ppt", "PowerPoint 演示文稿，不是表格", "a PowerPoint presentation, not a table")
    if ext == ".et":
        return _not_table("et", f"WPS 表格专用格式（.et），无法读取；{_SEND}",
                          "a WPS spreadsheet in WPS's own .et format, which no library reads; open it in WPS, "
                          "save it as .xlsx and send it again")
    return _not_table("ole", "未知的 Office 二进制文件，不是可读的表格", "an unknown Office (OLE2) binary file, not a "
                      "readable workbook")


def _zip(data: bytes, ext: str) -> Detected:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
            mimetype = zf.read("mimetype")[:100].decode("ascii", "replace") if "mimetype" in names else ""
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError, KeyError):
        if ext in SPREADSHEET_SUFFIXES:
            return Detected("xlsx")   # the reader's zip check names the damage
        return _not_table("zip", "损坏的压缩包或 Office 文件，不是可读的表格",
                          "a damaged zip archive or Office file, not a readable table")
    lower = {n.lower() for n in names}
    if "xl/workbook.bin" in lower:
        return Detected("xlsb")
    if "xl/workbook.xml" in lower or "[content_types].xml" in lower and any(n.startswith("xl/") for n in lower):
        return Detected("xlsx")
    if mimetype.startswith("application/vnd.oasis.opendocument.spreadsheet"):
        return Detected("ods")
    if "word/document.xml" in lower or mimetype.startswith("application/vnd.oasis.opendocument.text"):
        return _not_table("docx", "Word 文档（如报送函），不是表格", "a Word document (a cover letter?), not a table")
    if any(n.startswith("ppt/") for n in lower):
        return _not_table("pptx", "PowerPoint 演示文稿，不是表格", "a PowerPoint presentation, not a table")
    if "[content_types].xml" in lower or ext in SPREADSHEET_SUFFIXES:
        return Detected("xlsx")   # an Office package without a workbook part: the reader says it is damaged
    return _not_table("zip", "压缩包，其中的文件未读取；请解压后放入对应清单文件夹",
                      "a zip archive: its members are not read here; unpack it into the list's folder")


_MAGIC = (
    (b"%PDF", "pdf", "PDF 文档，不是表格；请报送表格文件本身（.xlsx）",
     "a PDF document, not a table; send the spreadsheet itself (.xlsx)"),
    (b"\xff\xd8\xff", "image", "图片（JPEG），不是表格；请报送表格文件本身（.xlsx）",
     "an image (JPEG), not a table; send the spreadsheet itself (.xlsx)"),
    (b"\x89PNG", "image", "图片（PNG），不是表格；请报送表格文件本身（.xlsx）",
     "an image (PNG), not a table; send the spreadsheet itself (.xlsx)"),
    (b"GIF8", "image", "图片（GIF），不是表格", "an image (GIF), not a table"),
    (b"BM", "image", "图片（BMP），不是表格", "an image (BMP), not a table"),
    (b"II*\x00", "image", "图片（TIFF），不是表格", "an image (TIFF), not a table"),
    (b"MM\x00*", "image", "图片（TIFF），不是表格", "an image (TIFF), not a table"),
    (b"{\\rtf", "rtf", "RTF 文档，不是表格", "an RTF document, not a table"),
    (b"Rar!", "rar", "RAR 压缩包，无法读取；请解压后放入对应清单文件夹",
     "a RAR archive, which is not read; unpack it into the list's folder"),
    (b"7z\xbc\xaf\x27\x1c", "7z", "7z 压缩包，无法读取；请解压后放入对应清单文件夹",
     "a 7z archive, which is not read; unpack it into the list's folder"),
)

_MARKUP_HEAD = re.compile(rb"^(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*(?:<!doctype\s+(?!html)[^\[>]*(?:\[.*?\])?\s*>\s*)?"
                          rb"(?:<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|meta|table|"
                          rb"style|title|div|\?mso-application|workbook|ss:workbook|[a-z])", re.I | re.S)


def _text_head(data: bytes, size: int = 4096) -> bytes:
    """The first ``size`` bytes as ASCII-compatible bytes (UTF-16 decoded), BOM and leading blanks removed."""
    head = data[:size]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            head = head.decode("utf-16", "ignore").encode("utf-8", "ignore")
        except UnicodeError:
            pass
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")


def _looks_delimited(text: bytes) -> bool:
    lines = [ln for ln in text.splitlines()[:40] if ln.strip()]
    return sum(1 for ln in lines if b"\t" in ln or b"," in ln) >= min(2, len(lines)) > 0


def utf16_without_bom(data: bytes) -> str | None:
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


def looks_like_text(data: bytes) -> bool:
    sample = data[:4096]
    return b"\x00" not in sample or sample.startswith((b"\xff\xfe", b"\xfe\xff"))


def detect(data: bytes, name: str) -> Detected:
    """What ``data`` (the bytes of the file called ``name``) is; see the module's docstring."""
    ext = PurePosixPath(name).suffix.lower()
    if not data:
        return _not_table("empty", "空文件（0 字节）", "an empty file (0 bytes)")
    if data.startswith(ZIP_SIGNATURES):
        return _zip(data, ext)
    if data[:8] == CFB_SIGNATURE:
        return _cfb(data, ext)
    for magic, fmt, zh, en in _MAGIC:
        if data.startswith(magic):
            return _not_table(fmt, zh, en)
    utf16 = utf16_without_bom(data)
    if utf16:
        data = data[:65536].decode(utf16, "ignore").encode("utf-8")
    if not looks_like_text(data):
        return _not_table("binary", "无法识别的二进制文件，不是表格", "an unrecognised binary file, not a table")
    head = _text_head(data)
    low = _text_head(data, 65536).lower()
    if _MARKUP_HEAD.match(head):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in low and b"<table" not in low \
                or b"progid=\"excel.sheet\"" in low and b"<workbook" in low:
            return Detected("spreadsheetml")
        if b"<table" in data[:1 << 20].lower() or b"<html" in low or b"<!doctype html" in low:
            return Detected("html")
        if low.startswith(b"<?xml") or ext == ".xml":
            return _not_table("xml", "XML 文件，不是 Excel 2003 XML 表格", "an XML file that is not an Excel 2003 XML "
                              "spreadsheet")
    if ext in (".csv", ".tsv") or _looks_delimited(head):
        return Detected("csv")
    return _not_table("text", "文本文件，不含表格（无制表符或逗号分隔的列）",
                      "a text file with no table in it (no tab- or comma-separated columns)")
