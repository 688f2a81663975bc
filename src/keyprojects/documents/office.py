"""What the office's documents share: the issuing body (``config/office.toml``), the document date
(taken from the quarter, never the wall clock) and writing a finished file atomically.

The documents themselves: ``ranking`` (年度考评排名), ``notice`` (通报初稿), ``returns`` (退回清单).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from keyprojects import config
from keyprojects.quarters import parse_quarter, quarter_end


@config.per_config_dir
def settings() -> dict:
    return config.load_toml("office.toml")


def issuing_body() -> str:
    """The issuing body of every document: ``issuer`` in ``bulletin.toml`` (one home)."""
    return config.bulletin()["issuer"]


def title_rows(ws, text: str, left: str, right: str | None, ncols: int,
               widths: Sequence[float] | None = None) -> None:
    """Row 1: the title merged over ``ncols`` columns; row 2: ``left`` and ``right`` halves (the
    bulletin's fonts). Given the columns' ``widths``, row 2 wraps and is made tall enough to show
    both halves whole. A regular or a write-only sheet (rows 1 and 2 are its first)."""
    from openpyxl.styles import Alignment

    from keyprojects.documents import look

    look.title_row(ws, text, ncols)
    split = ncols if right is None else max(1, ncols // 2)
    halves = [(1, split, left, "left")] + ([(split + 1, ncols, right, "right")] if right is not None else [])
    cells: list = [None] * ncols
    height = None
    for start, end, part, how in halves:
        look.merge(ws, 2, start, 2, end)
        align = Alignment(horizontal=how) if widths is None else \
            Alignment(horizontal=how, vertical="center", wrap_text=True)
        cells[start - 1] = look.cell(ws, part, font=look.SUBTITLE_FONT, alignment=align, border=False)
        if widths is not None:
            height = max(height or 0.0, look.row_height(part, sum(widths[start - 1:end])))
    look.write_row(ws, 2, cells, height=height)


def document_date(quarter: str) -> dt.date:
    """The date a quarter's documents carry: the quarter's last day (the data's cut-off), so that a
    rerun writes the same bytes. The office changes it in the draft before issuing."""
    return quarter_end(quarter)


def cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def signing_year(quarter: str) -> int:
    """The year a quarter's 通报 is signed in: the year after a Q4, else the quarter's own year (the
    bulletin follows the quarter's end). Used for the 发文字号 and the blank 成文日期 / 印发日期."""
    y, n = parse_quarter(quarter)
    return y + 1 if n == 4 else y


def resubmit_deadline(quarter: str) -> dt.date:
    """重报截止日期 of a quarter's 退回清单: ``[returns] resubmit_days`` after the quarter's last day."""
    return quarter_end(quarter) + dt.timedelta(days=int(settings()["returns"]["resubmit_days"]))


def contact() -> str:
    """The office's contact line printed under each 退回清单's title (``[returns] contact``)."""
    return settings()["returns"]["contact"]
