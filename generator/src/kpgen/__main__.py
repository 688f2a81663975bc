"""python -m kpgen --inbox DIR --from 2021Q1 --to 2022Q4 [--seed 7] [--rows 2000] [--fault-rate 0.05]"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import generate
from .world import quarter_range


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m kpgen",
                                 description="Write sample quarterly lists and their truth into an inbox.")
    ap.add_argument("--inbox", required=True, type=Path)
    ap.add_argument("--from", dest="first", required=True, help="first quarter, e.g. 2021Q1")
    ap.add_argument("--to", dest="last", help="last quarter (default: --from)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--rows", type=int, default=2000, help="data rows per quarter over the six lists")
    ap.add_argument("--fault-rate", type=float, default=0.05)
    args = ap.parse_args(argv)
    try:
        quarters = quarter_range(args.first, args.last or args.first)
    except ValueError as exc:
        ap.error(str(exc))
    if not quarters:
        ap.error("--from is after --to")
    t0 = time.perf_counter()
    truth = generate(args.inbox, quarters, seed=args.seed, rows_per_quarter=args.rows, fault_rate=args.fault_rate)
    for q, doc in truth.items():
        lists = doc["lists"].values()
        files = sum(len(t["files"]) for t in lists)
        read = sum(t["rows_read"] for t in lists)
        loaded = sum(t["rows_loaded"] for t in lists)
        rejected = sum(sum(t["rows_rejected"].values()) for t in lists)
        skipped = sum(sum(t["rows_skipped"].values()) for t in lists)
        print(f"{q}: {files} files, {doc['data_rows']} data rows ({read} read: {loaded} loaded, "
              f"{rejected} rejected, {skipped} skipped) -> {args.inbox / q}")
    print(f"truth in {args.inbox / '_truth'} ({time.perf_counter() - t0:.1f}s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
