"""The three public settings (contract.md) and the project's own paths.

Defaults work in a fresh checkout: everything lives under the checkout's ``data/`` and ``output/``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def project_root() -> Path:
    """The checkout: ``KP_HOME`` if set, else the folder holding ``src/keyprojects`` (editable install)."""
    if os.environ.get("KP_HOME"):
        return Path(os.environ["KP_HOME"]).resolve()
    here = Path(__file__).resolve().parent
    if here.parent.name == "src":
        return here.parent.parent
    return Path.cwd()


@dataclass(frozen=True)
class Settings:
    inbox: Path
    warehouse_url: str
    output: Path
    expectations: Path
    sql: Path


def load() -> Settings:
    root = project_root()
    return Settings(
        inbox=Path(os.environ.get("KP_INBOX") or root / "data" / "inbox").resolve(),
        warehouse_url=os.environ.get("KP_WAREHOUSE_URL") or f"sqlite:///{root / 'data' / 'warehouse.db'}",
        output=Path(os.environ.get("KP_OUTPUT") or root / "output").resolve(),
        expectations=Path(os.environ.get("KP_EXPECTATIONS") or root / "expectations"),
        sql=Path(os.environ.get("KP_SQL") or root / "include" / "sql"),
    )
