"""Resends: which file's rows count for each sender of a list (issue 16 §5, docs/rules.md "Resends").

For each list, quarter and sender — the unit a library's rows name, or the bureau of a bureau's
list — the rows come from the sender's most recent **submission**: the files holding that sender's
rows received at the latest receipt time (to the minute, China time; a unit that sends its library in
two files at once sends one submission of two files). The sender's rows in older files are
**superseded**: skipped with reason ``superseded`` (never loaded, never duplicates); a file all of whose
data rows are superseded has load_audit status ``superseded``, naming the file that replaced it.

Two files of the latest submission holding the same sender, one of them named as a correction
(修改, 更正, 修订, 订正, 重报, 最新, 新版 …), cannot be told apart by time: which one replaces the other
is unknown, so both fail, each naming the other. Save the corrected file later (or replace the old one).

``plan`` is pure: it takes each file's receipt time and senders (``arrivals.file_senders``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CORRECTION = re.compile(r"修改|更正|修订|订正|重报|重新报送|最新|新版|改后|修正")


def submission_time(received_at: str) -> str:
    """The receipt time a submission is known by: ISO time to the minute."""
    return received_at[:16]


@dataclass
class Plan:
    superseded: dict[str, dict[str, str]] = field(default_factory=dict)  # file -> {sender: replacing file}
    faults: dict[str, str] = field(default_factory=dict)                 # file -> message

    def replaced(self, file: str) -> dict[str, str]:
        return self.superseded.get(file, {})


def plan(files: list[tuple[str, str, list[str]]]) -> Plan:
    """``files``: (lineage name, receipt time, senders) in read order. Returns which senders of which
    files are superseded (and by which file), and the files that are faults."""
    out = Plan()
    holders: dict[str, list[tuple[str, str]]] = {}
    for name, received, senders in files:
        for s in senders:
            holders.setdefault(s, []).append((submission_time(received), name))
    for sender, held in holders.items():
        latest = max(t for t, _ in held)
        newest = [n for t, n in held if t == latest]
        for t, n in held:
            if t != latest:
                out.superseded.setdefault(n, {})[sender] = newest[-1]
        marked = [n for n in newest if CORRECTION.search(n)]
        if marked and len(newest) > 1:
            for n in newest:
                others = [o for o in newest if o != n]
                out.faults.setdefault(n, (
                    f"received at the same time ({latest}) as {', '.join(others)}, which also holds {sender}'s "
                    "rows, and one of them is named as a correction: cannot tell which replaces which; keep only "
                    "the corrected file, or save it after the first"))
    return out


def message(replaced: dict[str, str]) -> str:
    """The load_audit message of a file whose rows (of the senders named) were superseded."""
    by: dict[str, list[str]] = {}
    for sender, f in replaced.items():
        by.setdefault(f, []).append(sender)
    return "; ".join(f"superseded by {f} (received later) for {', '.join(sorted(s))}" for f, s in by.items())
