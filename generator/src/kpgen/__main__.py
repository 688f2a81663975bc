"""python -m kpgen --inbox DIR --from 2021Q1 --to 2022Q4 [--seed 7] [--rows 2000] [--fault-rate 0.05]
[--resends DIR] [--months]"""

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
    ap.add_argument("--resends", type=Path,
                    help="write each quarter's corrected resends into RESENDS/<quarter>/<list>/ instead of the "
                         "inbox (the demo moves them in between two runs of the quarter)")
    ap.add_argument("--months", action="store_true",
                    help="also write the monthly 13710 progress exports of every month of the quarters")
    args = ap.parse_args(argv)
    try:
        quarters = quarter_range(args.first, args.last or args.first)
    except ValueError as exc:
        ap.error(str(exc))
    if not quarters:
        ap.error("--from is after --to")
    t0 = time.perf_counter()
    truth = generate(args.inbox, quarters, seed=args.seed, rows_per_quarter=args.rows, fault_rate=args.fault_rate,
                     resends=args.resends)
    for q, doc in truth.items():
        lists = doc["lists"].values()
        files = sum(len(t["files"]) for t in lists)
        read = sum(t["rows_read"] for t in lists)
        loaded = sum(t["rows_loaded"] for t in lists)
        rejected = sum(sum(t["rows_rejected"].values()) for t in lists)
        skipped = sum(sum(t["rows_skipped"].values()) for t in lists)
        print(f"{q}: {files} files, {doc['data_rows']} data rows ({read} read: {loaded} loaded, "
              f"{rejected} rejected, {skipped} skipped) -> {args.inbox / q}")
    if args.months:
        from keyprojects.quarters import month_range

        from . import generate_months

        y1, n1 = quarters[0][:4], int(quarters[0][-1])
        y2, n2 = quarters[-1][:4], int(quarters[-1][-1])
        months = month_range(f"{y1}-{3 * n1 - 2:02d}", f"{y2}-{3 * n2:02d}")
        doc = generate_months(args.inbox, months, quarters, seed=args.seed, rows_per_quarter=args.rows,
                              fault_rate=args.fault_rate)
        for m, t in doc["loads"].items():
            print(f"{m}: {t['rows_loaded']} progress rows loaded, rejected {t['rows_rejected']}, "
                  f"units not reporting {doc['missing_units'][m]} -> {args.inbox / m / 'progress'}")
    print(f"truth in {args.inbox / '_truth'} ({time.perf_counter() - t0:.1f}s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
