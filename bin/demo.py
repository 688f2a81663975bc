"""The demo's runs, in one process: Airflow parses the DAG files once and ``dag.test()`` runs each
period in order — every quarter of ``--quarters`` through ``keyprojects_quarterly``, then every
month of ``--months`` through ``keyprojects_monthly`` — with one progress line per period. It is
Airflow running our DAGs (the same tasks, the same metadata database as ``bin/airflow dags test``),
without paying Airflow's start-up once per period. Each period's log is ``data/demo-<period>.log``.

With ``--resends DIR`` (``make demo``: ``data/resends``, where ``python -m kpgen --resends`` put each
quarter's corrected resends), a quarter whose ``DIR/<quarter>/`` holds files runs twice: once as the
inbox first stood, then — the resends moved into ``<KP_INBOX>/<quarter>/`` with their later receipt
times — once again, as the office's rerun after a county's correction (its log
``data/demo-<quarter>-resend.log``). The history (``load_history``, ``bulletin_history``) then has two
runs of that quarter to compare.

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


def move_resends(resends: Path, inbox: Path, period: str) -> list[Path]:
    """Move the files of ``resends/<period>/`` into ``inbox/<period>/`` (same relative path, modification
    time kept: the receipt time); returns where they went."""
    src = resends / period
    moved = []
    for p in sorted(src.rglob("*")) if src.is_dir() else ():
        if p.is_file():
            dest = inbox / period / p.relative_to(src)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(p, dest)
            moved.append(dest)
    return moved


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quarters", nargs="*", default=[])
    ap.add_argument("--months", nargs="*", default=[])
    ap.add_argument("--logs", default=str(ROOT / "data"))
    ap.add_argument("--resends", type=Path, help="corrected resends held back per quarter (see the docstring)")
    args = ap.parse_args(argv)
    logs = Path(args.logs)
    logs.mkdir(parents=True, exist_ok=True)
    # the runs' own output goes to each period's log; the terminal gets the progress lines
    logging.getLogger().setLevel(os.environ.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING"))
    from keyprojects import settings

    inbox = settings.load().inbox
    periods = []
    for q in args.quarters:
        periods.append(("keyprojects_quarterly.py", "quarterly", "quarter", q, None))
        if args.resends and any(p.is_file() for p in (args.resends / q).rglob("*")):
            periods.append(("keyprojects_quarterly.py", "quarterly", "quarter", q, "resend"))
    periods += [("keyprojects_monthly.py", "monthly", "month", m, None) for m in args.months]
    dags: dict[str, object] = {}
    started = time.monotonic()
    for n, (file, name, param, period, again) in enumerate(periods, 1):
        if file not in dags:
            with _output_to(logs / f"demo-parse-{name}.log"):
                dags[file] = _dag(file, name)
        dag = dags[file]
        log = logs / f"demo-{period}{'-' + again if again else ''}.log"
        note = ""
        if again:
            moved = move_resends(args.resends, inbox, period)
            note = f" again, after the resend {', '.join(p.name for p in moved)}"
        t0 = time.monotonic()
        state = _run(dag, {param: period}, log)
        line = f"[{n:>2}/{len(periods)}] {dag.dag_id} {period}{note}: {state} in {time.monotonic() - t0:.0f} s"
        print(f"{line} (log: {log})", flush=True)
        if state != "success":
            print(log.read_text(encoding="utf-8", errors="replace")[-4000:], file=sys.stderr)
            print(f"run for {period} failed; full log: {log}", file=sys.stderr)
            return 1
    print(f"{len(periods)} runs in {time.monotonic() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
