"""The demo's runs, in one process: Airflow parses the DAG files once and ``dag.test()`` runs each
period in order — every quarter of ``--quarters`` through ``keyprojects_quarterly``, then every
month of ``--months`` through ``keyprojects_monthly`` — with one progress line per period. It is
Airflow running our DAGs (the same tasks, the same metadata database as ``bin/airflow dags test``),
without paying Airflow's start-up once per period. Each period's log is ``data/demo-<period>.log``.

Run through ``bin/demo`` (which sets this checkout's Airflow environment)."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import runpy
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _dag(file: str, name: str):
    return runpy.run_path(str(ROOT / "dags" / file))[name]


@contextlib.contextmanager
def _output_to(log: Path):
    """Everything the process prints or logs (structlog writes to the file descriptors) goes to
    ``log`` while the block runs."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(log, "wb") as out:
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def _run(dag, conf: dict, log: Path) -> str:
    """One ``dag.test()`` run, its output in ``log``; returns the run's final state."""
    with _output_to(log):
        dr = dag.test(run_conf=conf)
    return str(dr.state).rsplit(".", 1)[-1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quarters", nargs="*", default=[])
    ap.add_argument("--months", nargs="*", default=[])
    ap.add_argument("--logs", default=str(ROOT / "data"))
    args = ap.parse_args(argv)
    logs = Path(args.logs)
    logs.mkdir(parents=True, exist_ok=True)
    # the runs' own output goes to each period's log; the terminal gets the progress lines
    logging.getLogger().setLevel(os.environ.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING"))
    periods = ([("keyprojects_quarterly.py", "quarterly", "quarter", q) for q in args.quarters]
               + [("keyprojects_monthly.py", "monthly", "month", m) for m in args.months])
    dags: dict[str, object] = {}
    started = time.monotonic()
    for n, (file, name, param, period) in enumerate(periods, 1):
        if file not in dags:
            with _output_to(logs / f"demo-parse-{name}.log"):
                dags[file] = _dag(file, name)
        dag = dags[file]
        log = logs / f"demo-{period}.log"
        t0 = time.monotonic()
        state = _run(dag, {param: period}, log)
        line = f"[{n:>2}/{len(periods)}] {dag.dag_id} {period}: {state} in {time.monotonic() - t0:.0f} s"
        print(f"{line} (log: {log})", flush=True)
        if state != "success":
            print(log.read_text(encoding="utf-8", errors="replace")[-4000:], file=sys.stderr)
            print(f"run for {period} failed; full log: {log}", file=sys.stderr)
            return 1
    print(f"{len(periods)} runs in {time.monotonic() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
