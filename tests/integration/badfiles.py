"""Generators of bad input files for the corpus in test_bad_inputs.py.

Every function writes one file (or a few) under the folder it is given and returns its path. The
files are made here, at test time, with openpyxl, xlwt, zipfile and a small OLE2/CFB writer; nothing
is checked in.
"""

from __future__ import annotations

import csv
import io
import re
import struct
import zipfile
from pathlib import Path

import openpyxl

RESERVE_HEADER = ["序号", "项目名称", "县（市、区）", "建设单位", "总投资"]


def reserve_rows(n: int = 3, start: int = 1) -> list[list]:
    """n ordinary reserve-list rows (each above the 500 万元 threshold, distinct names)."""
    return [[i, f"忻州示范项目{i:04d}号", "忻府区", f"某某公司{i}", 600 + i] for i in range(start, start + n)]


def xlsx(path: Path, sheets: dict[str, list[list]], hidden: tuple[str, ...] = ()) -> Path:
    """A workbook with one sheet per item (rows of values, None = empty cell)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, v in enumerate(row, start=1):
                if v is not None:
                    ws.cell(r, c, v)
        if name in hidden:
            ws.sheet_state = "hidden"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def reserve_xlsx(path: Path, rows: list[list] | None = None, header: list | None = None) -> Path:
    return xlsx(path, {"储备库": [header or RESERVE_HEADER, *(reserve_rows() if rows is None else rows)]})


def csv_bytes(rows: list[list], encoding: str) -> bytes:
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode(encoding)


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def rewrite_member(src: Path, dst: Path, member: str, edit) -> Path:
    """Copy the zip ``src`` to ``dst`` with ``member``'s text replaced by ``edit(text)``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == member:
                data = edit(data.decode("utf-8")).encode("utf-8")
            zout.writestr(item, data)
    return dst


def formula_xlsx(path: Path, cached: bool) -> Path:
    """总投资 as a formula (=E2+0 style). openpyxl writes formulas without a cached value; with
    ``cached`` the sheet XML is edited so that each formula cell carries the value Excel would have
    saved (<f>…</f><v>value</v>)."""
    rows = [[i, f"公式项目{i}", "忻府区", "某公司", f"={600 + i}+0"] for i in (1, 2)]
    tmp = path.with_name(path.stem + "-plain.xlsx")
    reserve_xlsx(tmp, rows)
    if not cached:
        tmp.replace(path)
        return path

    def add_values(text: str) -> str:
        def one(m: re.Match) -> str:
            value = eval(m.group("f").replace("+0", ""))  # noqa: S307 - our own literal "601+0"
            return f"<f>{m.group('f')}</f><v>{value}</v>"
        out, n = re.subn(r"<f>(?P<f>[^<]*)</f>(?:<v\s*/>|<v>\s*</v>)?", one, text)
        assert n == 2, text
        return out

    rewrite_member(tmp, path, "xl/worksheets/sheet1.xml", add_values)
    tmp.unlink()
    return path


def entity_bomb_xlsx(path: Path) -> Path:
    """A workbook whose sheet XML declares a billion-laughs entity chain (10 levels of 10) and uses it."""
    src = reserve_xlsx(path.with_name(path.stem + "-src.xlsx"))
    ents = ['<!ENTITY l0 "lol">'] + [f'<!ENTITY l{i} "{("&l%d;" % (i - 1)) * 10}">' for i in range(1, 10)]
    doctype = "<!DOCTYPE worksheet [" + "".join(ents) + "]>"

    def edit(text: str) -> str:
        text = text.replace("?>", "?>" + doctype, 1) if text.startswith("<?xml") else doctype + text
        return text.replace("<sheetData>", '<sheetData><row r="9"><c r="B9" t="inlineStr"><is><t>&l9;'
                                          "</t></is></c></row>", 1)

    rewrite_member(src, path, "xl/worksheets/sheet1.xml", edit)
    src.unlink()
    return path


def zip_bomb(path: Path, megabytes: int = 64) -> Path:
    """A zip named .xlsx holding one highly compressible member (ratio ~1000:1)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            block = b"<row/>" * (1 << 17)
            for _ in range(megabytes * (1 << 20) // len(block)):
                fh.write(block)
    return path


def many_members_zip(path: Path, members: int, member_kb: int) -> Path:
    """A zip whose members are each ordinary (ratio ~1) but whose total is large."""
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for i in range(members):
            zf.writestr(f"xl/media/image{i}.bin", os.urandom(member_kb * 1024))
    return path


# ---------------------------------------------------------------- an encrypted Office file

_FREE, _END, _FAT, _NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def _dir_entry(name: str, kind: int, left: int, right: int, child: int, start: int, size: int) -> bytes:
    raw = name.encode("utf-16-le") + b"\x00\x00" if name else b""
    return (raw.ljust(64, b"\x00") + struct.pack("<HBB", len(raw), kind, 1)
            + struct.pack("<III", left, right, child) + b"\x00" * 16 + b"\x00" * 4 + b"\x00" * 16
            + struct.pack("<IQ", start, size))


def encrypted_office_file() -> bytes:
    """A well-formed OLE2/CFB compound file (version 3, 512-byte sectors) as Excel writes for a
    password-protected .xlsx: an ``EncryptionInfo`` stream (agile encryption, version 4.4, with its
    XML descriptor) and an ``EncryptedPackage`` stream, each 4096 bytes in regular sectors."""
    info_xml = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
                b'<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption">'
                b'<keyData saltSize="16" blockSize="16" keyBits="256" hashSize="64" '
                b'cipherAlgorithm="AES" cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512" '
                b'saltValue="AAAAAAAAAAAAAAAAAAAAAA=="/></encryption>')
    info = (struct.pack("<HHI", 4, 4, 0x40) + info_xml).ljust(4096, b"\x00")
    package = struct.pack("<Q", 12345) + bytes((i * 37 + 11) % 256 for i in range(4088))
    # sectors: 0 FAT, 1 directory, 2-9 EncryptionInfo, 10-17 EncryptedPackage
    fat = [_FAT, _END] + list(range(3, 10)) + [_END] + list(range(11, 18)) + [_END]
    fat += [_FREE] * (128 - len(fat))
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 40, 0, 1, 1, 0, 4096, _END, 0, _END, 0)
    difat = [0] + [_FREE] * 108
    struct.pack_into("<109I", header, 76, *difat)
    directory = (_dir_entry("Root Entry", 5, _NOSTREAM, _NOSTREAM, 1, _END, 0)
                 + _dir_entry("EncryptionInfo", 2, _NOSTREAM, 2, _NOSTREAM, 2, len(info))
                 + _dir_entry("EncryptedPackage", 2, _NOSTREAM, _NOSTREAM, _NOSTREAM, 10, len(package))
                 + _dir_entry("", 0, _NOSTREAM, _NOSTREAM, _NOSTREAM, 0, 0))
    return bytes(header) + struct.pack("<128I", *fat) + directory + info + package


def big_csv(path: Path, rows: int) -> Path:
    """A UTF-8 CSV with a reserve header and ``rows`` data rows, written in chunks."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("序号,项目名称,县区,总投资\n")
        chunk = 50_000
        for start in range(1, rows + 1, chunk):
            fh.write("".join(f"{i},项目{i},忻府区,{600 + i % 1000}\n"
                             for i in range(start, min(start + chunk, rows + 1))))
    return path
