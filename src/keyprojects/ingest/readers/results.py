"""What reading a file gives: the rows of each sheet as a frame, the rows skipped, or a whole-file fault."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas comes with the first sheet read (frames): a list that has not arrived never imports it
    import pandas as pd


class FileFault(Exception):
    """A whole-file fault: the file loads nothing. ``str(e)`` names the file, the sheet and the fault."""

    def __init__(self, file: str, message: str, sheet: str | None = None, *, fmt: str | None = None,
                 reason_zh: str | None = None, reason_en: str | None = None):
        super().__init__(file, message, sheet)
        self.file = str(file)
        self.message = message
        self.sheet = sheet
        self.format = fmt              # the detected format, when known (detect.Detected.format)
        self.reason_zh = reason_zh     # set when the content is not a table: one line each, for the audit
        self.reason_en = reason_en

    @property
    def not_a_table(self) -> bool:
        """The file's content is not a table (a PDF, a Word letter, an image …): ignored unless its
        name says it is a spreadsheet."""
        return self.reason_zh is not None

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
    format: str | None = None      # detect.Detected.format: xlsx, xls, csv, html, spreadsheetml, ods, xlsb
    sheets: list[SheetRead] = field(default_factory=list)
    ignored_sheets: dict[str, str] = field(default_factory=dict)

    @cached_property
    def frame(self) -> pd.DataFrame:
        from keyprojects.ingest.readers.frames import empty_frame

        frames = [s.frame for s in self.sheets if len(s.frame)]
        if not frames:
            return empty_frame()
        if len(frames) == 1:
            return frames[0]
        import pandas as pd

        return pd.concat(frames, ignore_index=True)

    @property
    def skipped(self) -> list[SkippedRow]:
        return [row for s in self.sheets for row in s.skipped]

    @property
    def rows_read(self) -> int:
        return sum(s.rows_read for s in self.sheets)
