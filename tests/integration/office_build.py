"""The generated 2021Q4 and 2022Q4 (seed 13, 900 rows a quarter) loaded, built and ranked: what
test_office_documents.py and test_print_clean.py read. Built once per test run (conftest.shared_build)."""

from __future__ import annotations

import pickle
from pathlib import Path

from keyprojects import LISTS, db
from keyprojects.ingest import loader
from keyprojects.warehouse import models, ranking, schema
from kpgen import generate

from ..conftest import ROOT, shared_build

QUARTERS = ["2021Q4", "2022Q4"]
SQL = ROOT / "include" / "sql"


def _build(folder: Path) -> None:
    truth = generate(folder / "inbox", QUARTERS, seed=13, rows_per_quarter=900)
    (folder / "truth.pickle").write_bytes(pickle.dumps(truth))
    eng = db.make_engine(f"sqlite:///{folder / 'wh.db'}")
    schema.ensure_schema(eng, SQL)
    for q in QUARTERS:
        for name in LISTS:
            loader.load_list(eng, folder / "inbox", q, name, expectations_dir=ROOT / "expectations", run_id="r",
                             loaded_at="2023-01-01T00:00:00+00:00")
        with eng.begin() as conn:
            models.build_marts(conn, q, SQL, run_id="r")
            ranking.rank_year(conn, q, SQL, run_id="r")
    eng.dispose()


def office_quarters(tmp_path_factory) -> dict:
    """A copy of the built quarters: {"base", "engine", "truth", "inbox", "out"} (output still empty)."""
    base = shared_build(tmp_path_factory, "office-quarters", _build)
    return {"base": base, "engine": db.make_engine(f"sqlite:///{base / 'wh.db'}"),
            "truth": pickle.loads((base / "truth.pickle").read_bytes()), "inbox": base / "inbox",
            "out": base / "output"}
