"""One Settings object for every KP_* variable; configuration caches follow a changed KP_CONFIG_DIR."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from keyprojects import config, settings
from keyprojects.ingest import normalize
from keyprojects.ingest.readers import read_file

ROOT = Path(__file__).resolve().parents[2]


def test_every_variable_is_a_setting_and_documented():
    fields = set(settings.Settings.__dataclass_fields__)
    assert set(settings.VARIABLES.values()) == fields
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Settings", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `(KP_\w+)` \|", table, re.M))
    assert set(settings.VARIABLES) <= documented


def test_no_module_reads_kp_variables_but_settings():
    for path in (ROOT / "src" / "keyprojects").rglob("*.py"):
        if path.name != "settings.py":
            assert "os.environ" not in path.read_text(encoding="utf-8").replace(
                'os.environ.setdefault("GX_ANALYTICS_ENABLED"', ""), path


def test_settings_from_a_mapping(tmp_path):
    s = settings.load({"KP_HOME": str(tmp_path), "KP_SQL": "/x/sql", "KP_MAX_UNCOMPRESSED_MB": "2.5"})
    assert s.home == tmp_path.resolve()
    assert s.inbox == tmp_path.resolve() / "data" / "inbox"
    assert s.warehouse_url == f"sqlite:///{tmp_path.resolve() / 'data' / 'warehouse.db'}"
    assert s.expectations == tmp_path.resolve() / "expectations"
    assert (s.sql, s.max_uncompressed_mb, s.config_dir) == (Path("/x/sql"), 2.5, settings.DEFAULT_CONFIG_DIR)
    assert settings.load({"KP_MAX_UNCOMPRESSED_MB": "lots"}).max_uncompressed_mb == 512.0


def test_config_caches_follow_a_changed_config_dir(tmp_path, monkeypatch):
    other = tmp_path / "config"
    shutil.copytree(settings.DEFAULT_CONFIG_DIR, other)
    units = (other / "units.toml").read_text(encoding="utf-8")
    (other / "units.toml").write_text(units.replace('aliases = ["忻府", ', 'aliases = ["忻城", "忻府", ', 1),
                                      encoding="utf-8")
    headers = (other / "headers.toml").read_text(encoding="utf-8")
    (other / "headers.toml").write_text(
        headers.replace('words = ["项目名称", ', 'words = ["工程名称", "项目名称", ', 1), encoding="utf-8"
    )
    csv = tmp_path / "a.csv"
    csv.write_text("工程名称,县区,总投资\n甲,忻城,600\n", encoding="utf-8")

    assert normalize.resolve_unit("忻城") is None
    monkeypatch.setenv("KP_CONFIG_DIR", str(other))
    assert config.config_dir() == other
    assert normalize.resolve_unit("忻城") == "忻府区"
    frame = read_file(csv, "reserve").frame
    assert frame["project_name"].tolist() == ["甲"] and frame["unit"].tolist() == ["忻府区"]

    monkeypatch.delenv("KP_CONFIG_DIR")
    assert normalize.resolve_unit("忻城") is None
    assert "工程名称" not in {w for f in config.header_fields() for w in f.words}
