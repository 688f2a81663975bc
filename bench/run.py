"""Benchmarks, reported as ratios measured in one run (never as timed tests).

    python bench/run.py [--rows 100000] [--seed 7]

1. Reader speed: the project's reader (python-calamine) against openpyxl reading the same sheet's
   values, on the largest generated workbook: the ratio openpyxl / ours.
2. A 100k-row quarter end to end: generate, then read -> validate -> load per list, match and build
   the marts, write the bulletin; rows per second per stage and each stage's share of the total.
Results print as a table and are written to bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(fn, *a, **kw):
    t = time.perf_counter()
    out = fn(*a, **kw)
    return out, time.perf_counter() - t


def openpyxl_values(path: Path) -> int:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    n = 0
    for ws in wb.worksheets:
        for _ in ws.iter_rows(values_only=True):
            n += 1
    wb.close()
    return n


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args()

    from keyprojects import LISTS, bulletin, metrics, pipeline, readers, warehouse
    from kpgen import generate

    quarter = "2022Q4"
    work = Path(tempfile.mkdtemp(prefix="kp-bench-"))
    inbox = work / "inbox"
    _, t_gen = timed(generate, inbox, [quarter], seed=args.seed, rows_per_quarter=args.rows)

    xlsx = sorted((inbox / quarter).rglob("*.xlsx"), key=lambda f: f.stat().st_size)[-1]
    read, t_ours = timed(readers.read_file, xlsx, xlsx.parent.name, display_name=xlsx.name)
    n_rows, t_openpyxl = timed(openpyxl_values, xlsx)

    eng = warehouse.make_engine(f"sqlite:///{work / 'warehouse.db'}")
    warehouse.ensure_schema(eng, ROOT / "include" / "sql")
    stages, total_read = {}, 0
    for name in LISTS:
        res, t = timed(pipeline.load_list, eng, inbox, quarter, name, expectations_dir=ROOT / "expectations")
        stages[f"load {name}"] = (res.rows_read, t)
        total_read += res.rows_read

    def marts():
        with eng.begin() as conn:
            return metrics.build_marts(conn, quarter, ROOT / "include" / "sql")

    _, t_marts = timed(marts)
    stages["match + marts"] = (total_read, t_marts)
    _, t_bulletin = timed(bulletin.write_bulletin, eng, quarter, work / "output")
    stages["bulletin"] = (16, t_bulletin)
    total = sum(t for _, t in stages.values())

    result = {
        "rows_requested": args.rows, "rows_read": total_read, "generate_s": round(t_gen, 2),
        "reader": {"file": xlsx.name, "rows": read.rows_read, "ours_s": round(t_ours, 3),
                   "openpyxl_s": round(t_openpyxl, 3), "openpyxl_over_ours": round(t_openpyxl / t_ours, 2)},
        "stages": {k: {"rows": n, "s": round(t, 2), "rows_per_s": round(n / t) if t else None,
                       "share": round(t / total, 3)} for k, (n, t) in stages.items()},
        "pipeline_rows_per_s": round(total_read / total),
    }
    print(f"generated {total_read} rows read in {t_gen:.1f}s")
    r = result["reader"]
    print(f"reader on {r['file']} ({r['rows']} rows): ours {r['ours_s']}s, openpyxl values only "
          f"{r['openpyxl_s']}s -> openpyxl/ours = {r['openpyxl_over_ours']}x")
    print(f"{'stage':22} {'rows':>8} {'seconds':>8} {'rows/s':>8} {'share':>6}")
    for k, v in result["stages"].items():
        print(f"{k:22} {v['rows']:>8} {v['s']:>8} {v['rows_per_s'] or '':>8} {v['share']:>6.1%}")
    print(f"whole quarter: {result['pipeline_rows_per_s']} rows/s")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
