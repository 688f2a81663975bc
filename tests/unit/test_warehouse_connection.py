"""The warehouse URL: the Airflow connection ``kp_warehouse`` when defined, else KP_WAREHOUSE_URL.

The DAG's ``use_kp_warehouse`` (run before every task) is called here the way a task process calls
it; the Celery integration test runs it for real with the connection in the workers' environment."""

import os
import runpy
from pathlib import Path

import pytest

from keyprojects import settings
from keyprojects.warehouse import url_from_parts

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def use_kp_warehouse():
    return runpy.run_path(str(ROOT / "dags" / "keyprojects_quarterly.py"))["use_kp_warehouse"]


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
