"""Zip archives in the inbox, read as if their members stood beside them (issue 16 §4).

Counties send one ``.zip`` of everything, made on Windows: its member names are GBK bytes without
the zip's UTF-8 flag, which Python decodes as cp437 (mojibake). ``members`` gives each member's
real name and bytes, or an ``ArchiveFault`` naming the archive (and the member) when the archive
must not or cannot be read:

* a member whose name leaves the archive (``../x.xlsx``, ``/etc/x``, ``C:\\x``: zip-slip) refuses the
  whole archive (nothing is ever extracted to disk; the archive is simply not trusted);
* the archive's total uncompressed size above ``KP_MAX_UNCOMPRESSED_MB``, or a member compressed
  more than 200:1 above 10 MiB, refuses it as a possible zip bomb (the same limits as a workbook's);
* an archive inside the archive (``.zip``, ``.rar``, ``.7z`` …) is a fault naming both: unpack it;
* a ``.rar`` / ``.7z`` / ``.tar`` … archive in the inbox is a fault naming it: it cannot be read,
  send a ``.zip`` or the files themselves;
* folders, hidden members (``.x``, ``__MACOSX/``) and office lock files (``~$x``) are not members.

A member is named ``<archive>!/<member>`` wherever lineage names a file (``代县.zip!/代县调度库.xlsx``).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from keyprojects import settings

ZIP_SUFFIXES = (".zip",)
OTHER_ARCHIVE_SUFFIXES = (".rar", ".7z", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".cab", ".arj", ".z")
ARCHIVE_SUFFIXES = ZIP_SUFFIXES + OTHER_ARCHIVE_SUFFIXES
SEPARATOR = "!/"
MAX_COMPRESSION_RATIO = 200         # a member above this ratio ...
RATIO_MIN_BYTES = 10 * 1024 * 1024  # ... and above this uncompressed size is a zip bomb
_UTF8_FLAG = 0x800
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_ARCHIVE_MAGIC = {b"Rar!\x1a\x07": "RAR", b"7z\xbc\xaf\x27\x1c": "7z"}


class ArchiveFault(Exception):
    """The archive (or one member) cannot be read; ``str(e)`` names the archive, the member and why."""

    def __init__(self, archive: str, message: str, member: str | None = None):
        super().__init__(archive, message, member)
        self.archive, self.message, self.member = archive, message, member

    def __str__(self) -> str:
        where = member_name(self.archive, self.member) if self.member else self.archive
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Member:
    archive: str    # the archive's lineage name
    name: str       # the member's path inside the archive, decoded (GBK or UTF-8)
    size: int       # uncompressed bytes
    zf: zipfile.ZipFile = field(repr=False, compare=False)
    info: zipfile.ZipInfo = field(repr=False, compare=False)

    def read(self) -> bytes:
        """The member's bytes (unpacked now: listing an archive unpacks nothing)."""
        try:
            return self.zf.read(self.info)
        except (zipfile.BadZipFile, ValueError, EOFError, OSError, NotImplementedError) as exc:
            raise ArchiveFault(self.archive, f"the member cannot be unpacked (damaged archive): {exc}",
                               self.name) from None


def member_name(archive: str, member: str) -> str:
    """How lineage names a member: ``代县.zip!/代县调度库.xlsx``."""
    return f"{archive}{SEPARATOR}{member}"


def split_name(file: str) -> tuple[str, str | None]:
    """(archive or file, member or None) of a lineage name."""
    archive, sep, member = file.partition(SEPARATOR)
    return (archive, member) if sep else (file, None)


def is_archive(name: str) -> bool:
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def decode_name(info: zipfile.ZipInfo) -> str:
    """The member's real name: UTF-8 when the zip says so (Python has decoded it), else the raw bytes
    (which Python decoded as cp437) as UTF-8 when they are valid UTF-8, else as GBK (GB18030)."""
    if info.flag_bits & _UTF8_FLAG:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:   # already decoded some other way (a metadata_encoding was given)
        return info.filename
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def _escapes(name: str) -> bool:
    """True for a member name that points outside the archive's folder (zip-slip)."""
    norm = name.replace("\\", "/")
    if norm.startswith("/") or (len(norm) > 1 and norm[1] == ":"):
        return True
    return ".." in PurePosixPath(norm).parts


def _skipped(name: str) -> bool:
    """Folders, hidden members (.x, __MACOSX/), lock files (~$x, .~lock…#) and Thumbs.db: not members."""
    parts = [p for p in name.replace("\\", "/").split("/") if p]
    if not parts or name.endswith(("/", "\\")):
        return True
    return (any(p.startswith(".") or p == "__MACOSX" for p in parts) or parts[-1].startswith("~$")
            or parts[-1].lower() == "thumbs.db")


def other_archive_fault(archive: str, data: bytes | None = None) -> ArchiveFault:
    """The fault of an archive that is not a zip (.rar, .7z …): it cannot be read, say what to do."""
    kind = next((k for magic, k in _ARCHIVE_MAGIC.items() if data and data.startswith(magic)), None)
    kind = kind or PurePosixPath(archive).suffix.lstrip(".").upper() or "archive"
    return ArchiveFault(archive, f"a {kind} archive cannot be read (only .zip archives are); unpack it into "
                                 "this folder, or send the files themselves or a .zip")


def members(archive: str, data: bytes) -> list[Member]:
    """The archive's members in name order (nothing unpacked yet); ArchiveFault when it must not be read."""
    if not data.startswith(_ZIP_SIGNATURES):
        if archive.lower().endswith(ZIP_SUFFIXES) and not any(data.startswith(m) for m in _ARCHIVE_MAGIC):
            raise ArchiveFault(archive, "the file is named .zip but is not a zip archive (damaged?); send it again")
        raise other_archive_fault(archive, data)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        raise ArchiveFault(archive, f"the zip archive is damaged and cannot be opened ({exc})") from None
    named = [(decode_name(i), i) for i in infos]
    for name, _ in named:
        if _escapes(name):
            raise ArchiveFault(archive, f"member '{name}' points outside the archive (zip-slip); the archive is "
                                        "refused: send the files themselves or a plain .zip")
    limit = settings.max_uncompressed_mb() * 1024 * 1024
    total = sum(i.file_size for i in infos)
    if total > limit:
        raise ArchiveFault(archive, f"the archive expands to {total / 2**20:.0f} MiB, more than the allowed "
                                    f"{limit / 2**20:.0f} MiB; refusing to open it (set KP_MAX_UNCOMPRESSED_MB "
                                    "to raise the limit)")
    for name, i in named:
        if i.file_size > RATIO_MIN_BYTES and i.file_size > MAX_COMPRESSION_RATIO * max(i.compress_size, 1):
            raise ArchiveFault(archive, f"compressed more than {MAX_COMPRESSION_RATIO}:1 ({i.file_size / 2**20:.0f} "
                                        f"MiB from {i.compress_size} bytes); refusing a possible zip bomb", name)
    out = []
    for name, i in sorted(named, key=lambda p: p[0]):
        if i.is_dir() or _skipped(name):
            continue
        if is_archive(name):
            raise ArchiveFault(archive, "an archive inside the archive is not read; unpack it and send its files "
                                        "(or one .zip of them)", name)
        if i.flag_bits & 0x1:
            raise ArchiveFault(archive, "the member is password-protected (encrypted); send the archive without "
                                        "a password", name)
        out.append(Member(archive=archive, name=name, size=i.file_size, zf=zf, info=i))
    return out
