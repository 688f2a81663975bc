"""What the office's documents share: the issuing body (``config/office.toml``), the document date
(taken from the quarter, never the wall clock) and writing a finished file atomically.

The documents themselves: ``ranking`` (年度考评排名), ``notice`` (通报初稿), ``returns`` (退回清单).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

from . import config
from .quarters import quarter_end


@config._per_config_dir
def settings() -> dict:
    return config._load("office.toml")


def issuing_body() -> str:
    return settings()["issuing_body"]


def document_date(quarter: str) -> dt.date:
    """The date a quarter's documents carry: the quarter's last day (the data's cut-off), so that a
    rerun writes the same bytes. The office changes it in the draft before issuing."""
    return quarter_end(quarter)


def cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def write_atomic(path: Path, payload: bytes) -> Path:
    """Write ``payload`` to ``path`` through a temporary file in the same folder and a rename, so a
    reader never sees half a file; returns ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".kp-", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
