"""A load or a mart build in its own process, for the fault tests (test_faults.py).

``python -m tests.integration.fault_worker '<json>'`` with keys: url, action ("load" | "marts"),
inbox, quarter, list, and optionally ``stop_after`` (after that many partition writes) or
``pause_before_commit`` (marts: after the whole build) with ``signal``: at that point, inside the
still-open transaction, the worker writes its pid to the ``signal`` file and sleeps, so that the test
can SIGKILL it at a known point. The pause is made here, in test code, by wrapping
``warehouse.replace_partition``; the product has no test-only branch.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    args = json.loads(sys.argv[1])
    from keyprojects import db
    from keyprojects.ingest import loader
    from keyprojects.warehouse import models

    if args.get("stop_after"):
        real, calls = db.replace_partition, [0]

        def paused(*a, **k):
            n = real(*a, **k)
            calls[0] += 1
            if calls[0] == args["stop_after"]:
                Path(args["signal"]).write_text(str(os.getpid()))
                time.sleep(3600)
            return n

        db.replace_partition = paused

    engine = db.make_engine(args["url"])
    if args["action"] == "load":
        res = loader.load_list(engine, Path(args["inbox"]), args["quarter"], args["list"],
                                 expectations_dir=ROOT / "expectations", run_id="r", loaded_at="t")
        print(json.dumps({"status": res.status, "rows_loaded": res.rows_loaded}))
    else:
        with engine.begin() as conn:
            out = models.build_marts(conn, args["quarter"], ROOT / "include" / "sql", run_id="r")
            if args.get("pause_before_commit"):
                # every mart deleted and rebuilt, the transaction not yet committed
                Path(args["signal"]).write_text(str(os.getpid()))
                time.sleep(3600)
            print(json.dumps(out, default=str))
    engine.dispose()


if __name__ == "__main__":
    main()
