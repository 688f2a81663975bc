"""Which list a file is, from its header and its title (issue 16 §4: the drop folder).

A file put straight into ``<KP_INBOX>/<quarter>/`` says which list it is by its content:

1. **columns** — the lists whose required columns (``config/lists.toml``) the header of some sheet
   all has are the candidates; a candidate whose required columns are all another candidate's
   (储备库 ⊂ 调度库: a dispatch header has every reserve column) gives way to the more specific one;
2. **title** — the words of the rows above the header, the sheet names and the file's name:
   储备库 (储备), 调度库 (调度), 签约 (招商), 立项 (审批/核准/备案), 能源 (电网), 入统 (统计). When they name
   exactly one candidate (or, with no candidate, exactly one list), that is the list.

Anything else is not guessed: ``Verdict.list`` is None and ``Verdict.candidates`` names the lists it
could be (all six when nothing tells). ``looks_like`` answers the same question for a file in a list
folder that fails there, so the fault can name the list it looks like.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from keyprojects import LISTS, config
from keyprojects.ingest.readers.cells import blank
from keyprojects.ingest.readers.formats import iter_sheets
from keyprojects.ingest.readers.headers import find_header
from keyprojects.ingest.readers.results import FileFault

# title words per list (after NFKC, spaces removed): every list a title names is a candidate
TITLE_WORDS = {
    "reserve": ("储备库", "储备项目", "储备"),
    "dispatch": ("调度库", "调度"),
    "signed": ("签约", "招商"),
    "approved": ("立项", "审批", "核准", "备案"),
    "energy": ("能源", "电网"),
    "registered": ("入统", "统计"),
}
_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class Verdict:
    list: str | None             # the list the file is, or None (not guessed)
    candidates: tuple[str, ...]  # the lists it could be (one when told)
    why: str                     # how it was told, or why not

    def fault(self) -> str:
        """The message of a file that could not be told (names the candidates)."""
        titles = config.list_specs()
        names = ", ".join(f"{c} ({titles[c].title})" for c in self.candidates)
        return (f"cannot tell which list this file is ({self.why}); it could be {names}: "
                "save it into its list's folder (<quarter>/<list>/)")


def _squash(text: str) -> str:
    return _WS.sub("", unicodedata.normalize("NFKC", text))


def _title_lists(texts: list[str]) -> set[str]:
    joined = "|".join(_squash(t) for t in texts)
    return {name for name, words in TITLE_WORDS.items() if any(w in joined for w in words)}


def _header_lists(columns: set[str]) -> set[str]:
    specs = config.list_specs()
    cands = {n for n in LISTS if set(specs[n].required) <= columns}
    # the more specific list wins: drop a candidate whose required columns are a strict subset of another's
    return {c for c in cands
            if not any(set(specs[c].required) < set(specs[o].required) for o in cands if o != c)}


def classify(data: bytes, name: str, display: str | None = None) -> Verdict:
    """The list a file's bytes are (``name``: its own name, for the format and the title words)."""
    display = display or name
    columns: set[str] = set()
    texts = [Path(name).stem]
    try:
        for sheet_name, grid, _rownums, merged in iter_sheets(data, Path(name), display, {}):
            texts.append(str(sheet_name))
            header = find_header(grid, {}, merged)
            if header is None:
                continue
            first, _last, cols, _units = header
            columns |= set(cols)
            texts += [str(v) for row in grid[:first] for v in row if not blank(v) and isinstance(v, str)]
    except FileFault as fault:
        return Verdict(None, tuple(LISTS), f"it cannot be read: {fault.message}")
    by_header = _header_lists(columns)
    by_title = _title_lists(texts)
    if len(by_header) == 1 and (not by_title or by_title & by_header):
        only = next(iter(by_header))
        return Verdict(only, (only,), "its columns")
    if by_header and len(by_title & by_header) == 1:
        only = next(iter(by_title & by_header))
        return Verdict(only, (only,), "its columns and title")
    if not by_header and not columns:
        return Verdict(None, tuple(LISTS), "no sheet has a recognisable header")
    if not by_header:
        why = "its header lacks every list's required columns"
        return Verdict(None, tuple(n for n in LISTS if n in by_title) or tuple(LISTS), why)
    ordered = tuple(n for n in LISTS if n in by_header)
    if by_title and not by_title & by_header:
        return Verdict(None, ordered, f"its title says {', '.join(sorted(by_title))} but its columns do not fit")
    return Verdict(None, ordered, "its columns fit several lists and its title does not say which")


def drop_owner(name: str) -> str:
    """The list whose load reports a drop-folder file that is not a table (a 报送函.docx, a 说明.txt):
    the one list its name names (储备/调度/签约/立项/能源/入统 …), else the first list, reserve. ``list``
    in load_audit holds the inbox's list names (contract.md), so such a file is recorded under one of
    them, once (docs/decisions.md, "A drop-folder file that is not a table")."""
    named = _title_lists([Path(name).stem])
    return next(iter(named)) if len(named) == 1 else LISTS[0]


def looks_like(data: bytes, name: str, folder: str) -> str | None:
    """For a file that failed in list folder ``folder``: the one other list it looks like, or None."""
    verdict = classify(data, name)
    return verdict.list if verdict.list and verdict.list != folder else None


def assign_drop(entries: list) -> tuple[dict[str, list], list[tuple]]:
    """The drop folder's data entries (``inbox.Entry``) by the list each is, and the ones that cannot be
    told with their verdicts (an archive that cannot be read: every list is a candidate)."""
    by_list: dict[str, list] = {}
    undecided: list[tuple] = []
    for e in entries:
        if e.fault:
            undecided.append((e, Verdict(None, tuple(LISTS), e.fault)))
            continue
        try:
            verdict = classify(e.read(), e.name, e.file)
        except Exception as exc:   # an archive member that cannot be unpacked
            verdict = Verdict(None, tuple(LISTS), f"it cannot be read: {exc}")
        if verdict.list:
            by_list.setdefault(verdict.list, []).append(e)
        else:
            undecided.append((e, verdict))
    return by_list, undecided
