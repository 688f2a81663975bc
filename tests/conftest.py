"""Shared fixtures. Airflow's environment is set here, before anything imports airflow, so that the
tests never touch a real AIRFLOW_HOME: a throwaway home with a SQLite metadata database."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_AF_HOME = Path(tempfile.mkdtemp(prefix="kp-airflow-"))
os.environ.update({
    "AIRFLOW_HOME": str(_AF_HOME),
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_AF_HOME / 'airflow.db'}",
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
    "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
    "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
    "GX_ANALYTICS_ENABLED": "False",
    "KP_HOME": str(ROOT),
})

PG_URL = os.environ.get("KP_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def validation_report_writer(folder):
    """The validation report's writer into ``folder``, as runtime.load_list hands it to the loader
    (None: no report)."""
    if folder is None:
        return None
    from keyprojects.documents import validation_report

    return lambda load, verdict, rejected, run_id: validation_report.write_validation_report(
        folder, load, verdict, rejected, run_id)


@pytest.fixture
def sqlite_engine(tmp_path):
    from keyprojects import db
    from keyprojects.warehouse import schema

    eng = db.make_engine(f"sqlite:///{tmp_path / 'wh.db'}")
    schema.ensure_schema(eng, ROOT / "include" / "sql")
    yield eng
    eng.dispose()


def _pg_admin_engine():
    import sqlalchemy as sa

    eng = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with eng.connect() as c:
            c.exec_driver_sql("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means: no server to test against
        eng.dispose()
        pytest.skip(f"PostgreSQL not reachable at {PG_URL.split('@')[-1]} ({exc.__class__.__name__}); "
                    "set KP_TEST_PG_URL to run the PostgreSQL tests")
    return eng


@pytest.fixture
def pg_engine(request):
    """A fresh schema in the test database, dropped afterwards; skips visibly without a server."""
    import uuid

    from keyprojects import db
    from keyprojects.warehouse import schema

    admin = _pg_admin_engine()
    schema_name = f"kp_test_{uuid.uuid4().hex[:10]}"
    with admin.begin() as c:
        c.exec_driver_sql(f'CREATE SCHEMA "{schema_name}"')
    sep = "&" if "?" in PG_URL else "?"
    eng = db.make_engine(f"{PG_URL}{sep}options=-csearch_path%3D{schema_name}")
    schema.ensure_schema(eng, ROOT / "include" / "sql")
    yield eng
    eng.dispose()
    with admin.begin() as c:
        c.exec_driver_sql(f'DROP SCHEMA "{schema_name}" CASCADE')
    admin.dispose()


@pytest.fixture(scope="session")
def expectations_dir():
    return ROOT / "expectations"


def shared_build(tmp_path_factory, name: str, build) -> Path:
    """A folder made by ``build(folder)`` once per test run and copied for the caller: under
    pytest-xdist the first worker that asks builds it under a lock, the others wait and copy it."""
    import fcntl
    import shutil

    base = tmp_path_factory.getbasetemp()
    # under pytest-xdist each worker's base is <run>/popen-gwN: the run's folder is shared by them all
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    done = shared / f"shared-{name}"
    with open(shared / f"shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            work = shared / f"shared-{name}.partial"
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
            build(work)
            work.rename(done)
    copy = tmp_path_factory.mktemp(name)
    shutil.copytree(done, copy, dirs_exist_ok=True)
    return copy


@pytest.fixture(scope="session")
def airflow_db(tmp_path_factory):
    """Airflow's metadata database in the throwaway AIRFLOW_HOME: migrated once per test run."""
    import shutil
    import subprocess
    import sys

    def migrate(folder: Path) -> None:
        airflow = Path(sys.executable).with_name("airflow")
        proc = subprocess.run([str(airflow), "db", "migrate"], capture_output=True, text=True,
                              env={**os.environ, "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN":
                                   f"sqlite:///{folder / 'airflow.db'}"})
        assert proc.returncode == 0, f"airflow db migrate failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"

    template = shared_build(tmp_path_factory, "airflow-db", migrate)
    shutil.copyfile(template / "airflow.db", _AF_HOME / "airflow.db")
    return _AF_HOME


def pytest_collection_modifyitems(config, items):
    """The longest tests first (those that start Airflow's services as subprocesses: minutes each),
    so that under pytest-xdist they run beside the rest instead of after it."""
    items.sort(key=lambda item: 0 if item.get_closest_marker("services") else 1)
