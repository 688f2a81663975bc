"""What the office's documents share: the issuing body (``config/office.toml``), the document date
(taken from the quarter, never the wall clock) and writing a finished file atomically.

The documents themselves: ``ranking`` (年度考评排名), ``notice`` (通报初稿), ``returns`` (退回清单).
"""

from __future__ import annotations

import datetime as dt

from keyprojects import config
from keyprojects.quarters import parse_quarter, quarter_end


@config.per_config_dir
def settings() -> dict:
    return config.load_toml("office.toml")


def issuing_body() -> str:
    """The issuing body of every document: ``issuer`` in ``bulletin.toml`` (one home)."""
    return config.bulletin()["issuer"]


def title_rows(ws, text: str, left: str, right: str | None, ncols: int) -> None:
    """Row 1: the title merged over ``ncols`` columns; row 2: ``left`` and ``right`` halves (the
    bulletin's fonts, through its ``put``)."""
    from openpyxl.styles import Alignment

    from keyprojects.documents import look

    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    look.put(ws, 1, 1, text, font=look.TITLE_FONT, alignment=Alignment(horizontal="center", vertical="center"),
        border=False)
    ws.row_dimensions[1].height = 30
    split = ncols if right is None else max(1, ncols // 2)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=split)
    look.put(ws, 2, 1, left, font=look.SUBTITLE_FONT, alignment=Alignment(horizontal="left"), border=False)
    if right is not None:
        ws.merge_cells(start_row=2, start_column=split + 1, end_row=2, end_column=ncols)
        look.put(ws, 2, split + 1, right, font=look.SUBTITLE_FONT, alignment=Alignment(horizontal="right"),
                border=False)


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
