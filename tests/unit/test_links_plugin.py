"""The plugin ``keyprojects_links``: links per run, and only the quarter's own files are served.
(The Celery integration test follows the links through a running API server.)"""

import importlib.util
from collections import namedtuple
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
Key = namedtuple("Key", "dag_id task_id run_id try_number map_index")


@pytest.fixture(scope="module")
def plugin():
    spec = importlib.util.spec_from_file_location("keyprojects_links", ROOT / "plugins" / "keyprojects_links.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture
def output(tmp_path):
    q = tmp_path / "2022Q2"
    (q / "validation").mkdir(parents=True)
    (q / "validation" / "index.html").write_text("<html>report</html>", encoding="utf-8")
    (q / "validation" / "dispatch.html").write_text("<html>dispatch</html>", encoding="utf-8")
    (q / "退回清单").mkdir()
    (q / "退回清单" / "代县.xlsx").write_bytes(b"PK")
    (q / "忻州市工业重点项目2022年第二季度通报.xlsx").write_bytes(b"PK")
    (tmp_path / "2022Q1").mkdir()
    (tmp_path / "2022Q1" / "secret.txt").write_text("other quarter")
    (tmp_path / "outside.txt").write_text("not for the UI")
    return tmp_path


def test_links_point_at_the_runs_documents(plugin, monkeypatch):
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "https://airflow.example/")
    key = Key("keyprojects_quarterly", "publish_bulletin", "backfill__2022-04-01T00:00:00+00:00", 1, -1)
    links = {cls().name: cls().get_link(None, ti_key=key)
             for cls in (plugin.ValidationReportLink, plugin.BulletinLink, plugin.ReturnsLink)}
    run = "backfill__2022-04-01T00%3A00%3A00%2B00%3A00"
    assert links == {
        "Validation report": f"https://airflow.example/keyprojects/runs/keyprojects_quarterly/{run}/report/",
        "Bulletin": f"https://airflow.example/keyprojects/runs/keyprojects_quarterly/{run}/bulletin/",
        "退回清单": f"https://airflow.example/keyprojects/runs/keyprojects_quarterly/{run}/returns/",
    }
    assert plugin.BulletinLink().get_link(None, ti_key=key._replace(dag_id="other")) == ""


def test_the_plugin_registers_links_and_the_app(plugin):
    p = plugin.KeyprojectsLinksPlugin()
    assert {link.name for link in p.global_operator_extra_links} == {"Validation report", "Bulletin", "退回清单"}
    [app] = p.fastapi_apps
    assert app["url_prefix"] == "/keyprojects"
    [route] = [r for r in app["app"].routes if getattr(r, "path", "") == "/runs/{dag_id}/{run_id}/{kind}/{path:path}"]
    # every parameter resolved (a string annotation FastAPI cannot resolve would become a query parameter)
    assert route.dependant.query_params == []


def test_serves_the_quarters_documents(plugin, output):
    resolve = plugin.resolve_target
    assert resolve(output, "2022Q2", "report").name == "index.html"
    assert resolve(output, "2022Q2", "report", "dispatch.html").read_text() == "<html>dispatch</html>"
    assert resolve(output, "2022Q2", "bulletin").name.endswith("通报.xlsx")
    returns = resolve(output, "2022Q2", "returns")
    assert returns.is_dir() and "代县.xlsx" in plugin.listing(returns, "退回清单")
    assert resolve(output, "2022Q2", "returns", "代县.xlsx").name == "代县.xlsx"


@pytest.mark.parametrize("quarter,kind,path", [
    ("2022Q2", "report", "../../outside.txt"),
    ("2022Q2", "report", "../../2022Q1/secret.txt"),
    ("2022Q2", "returns", "/etc/passwd"),
    ("2022Q2", "returns", "..%2F..%2Foutside.txt"),
    ("2022Q2", "report", "link-out"),
    ("../2022Q1", "report", ""),
    (None, "report", ""),
    ("2022Q2", "secrets", ""),
    ("2022Q3", "report", ""),
])
def test_nothing_outside_the_quarters_folder(plugin, output, quarter, kind, path):
    (output / "2022Q2" / "validation" / "link-out").symlink_to(output / "outside.txt")
    with pytest.raises(plugin.NotServable):
        plugin.resolve_target(output, quarter, kind, path)


def test_bulletin_path_from_the_run_must_be_in_the_quarter(plugin, output):
    got = plugin.resolve_target(output, "2022Q2", "bulletin", "", bulletin=str(output / "outside.txt"))
    assert got.name.endswith("通报.xlsx")
    (output / "2022Q2" / "忻州市工业重点项目2022年第二季度通报.xlsx").unlink()
    with pytest.raises(plugin.NotServable, match="no bulletin"):
        plugin.resolve_target(output, "2022Q2", "bulletin", "", bulletin=str(output / "outside.txt"))
