"""Cell helpers shared by the header detection and the row classification."""

from __future__ import annotations

from keyprojects.ingest import normalize


def blank(v) -> bool:
    if v.__class__ is str:
        return not v.strip()
    return normalize.is_blank(v)


def cell_text(v) -> str:
    t = normalize.text(v)
    return t if t is not None else ""
