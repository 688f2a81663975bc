"""The warehouse URL: the Airflow connection ``kp_warehouse`` when defined, else KP_WAREHOUSE_URL.

``use_kp_warehouse`` (plugins/keyprojects_connections.py, every DAG's on_execute_callback) is called
here the way a task process calls it; the Celery integration test runs it for real with the
connection in the workers' environment."""

import importlib.util
import os
import runpy
from pathlib import Path

import pytest

from keyprojects import settings
from keyprojects.db import url_from_parts

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def use_kp_warehouse():
    spec = importlib.util.spec_from_file_location("kp_conn", ROOT / "plugins" / "keyprojects_connections.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.use_kp_warehouse


@pytest.mark.parametrize("dag_file", sorted((ROOT / "dags").glob("*.py")), ids=lambda p: p.name)
def test_every_dag_resolves_the_connection_before_each_task(dag_file):
    from airflow.sdk import DAG

    for d in [v for v in runpy.run_path(str(dag_file)).values() if isinstance(v, DAG)]:
        for t in d.tasks:
            cbs = t.on_execute_callback
            cbs = cbs if isinstance(cbs, list) else [cbs]
            assert any(getattr(cb, "__name__", "") == "use_kp_warehouse" for cb in cbs), (d.dag_id, t.task_id)


def test_connection_wins_over_the_setting(monkeypatch, use_kp_warehouse, tmp_path):
    monkeypatch.setenv("KP_WAREHOUSE_URL", f"sqlite:///{tmp_path / 'fallback.db'}")
    monkeypatch.setenv("AIRFLOW_CONN_KP_WAREHOUSE",
                       "postgresql://kp:s%40cret@db.example:5433/warehouse?options=-csearch_path%3Dkp")
    use_kp_warehouse({})
    assert os.environ["KP_WAREHOUSE_URL"] == (
        "postgresql+psycopg://kp:s%40cret@db.example:5433/warehouse?options=-csearch_path%3Dkp")
    assert settings.load().warehouse_url == os.environ["KP_WAREHOUSE_URL"]


def test_json_connection_and_sqlite(monkeypatch, use_kp_warehouse, tmp_path):
    monkeypatch.setenv("KP_WAREHOUSE_URL", "sqlite:///unused.db")
    monkeypatch.setenv("AIRFLOW_CONN_KP_WAREHOUSE", f'{{"conn_type": "sqlite", "host": "{tmp_path / "wh.db"}"}}')
    use_kp_warehouse({})
    assert settings.load().warehouse_url == f"sqlite:///{tmp_path / 'wh.db'}"


def test_without_connection_the_setting_stays(monkeypatch, use_kp_warehouse, tmp_path):
    monkeypatch.delenv("AIRFLOW_CONN_KP_WAREHOUSE", raising=False)
    monkeypatch.setenv("KP_WAREHOUSE_URL", f"sqlite:///{tmp_path / 'fallback.db'}")
    use_kp_warehouse({})
    assert settings.load().warehouse_url == f"sqlite:///{tmp_path / 'fallback.db'}"


def test_url_from_parts():
    assert url_from_parts("postgres", "h", "u", None, None, "db") == "postgresql+psycopg://u@h/db"
    assert url_from_parts("sqlite", database="/x/wh.db") == "sqlite:////x/wh.db"
    with pytest.raises(ValueError, match="no type"):
        url_from_parts("", "h")
