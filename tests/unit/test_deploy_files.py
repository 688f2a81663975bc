"""docker-compose.yaml cannot run here (no Docker engine): check it statically."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_file_is_consistent():
    doc = yaml.safe_load((ROOT / "docker-compose.yaml").read_text(encoding="utf-8"))
    services = doc["services"]
    assert {"postgres", "airflow-init", "api-server", "scheduler", "dag-processor", "triggerer"} <= set(services)
    for name in ("api-server", "scheduler", "dag-processor", "triggerer"):
        env = services[name]["environment"]
        assert {"KP_INBOX", "KP_OUTPUT", "KP_WAREHOUSE_URL"} <= set(env), name
        assert env["KP_WAREHOUSE_URL"].startswith("postgresql+psycopg://")
        assert services[name]["build"] == "."
    for vol in services["postgres"]["volumes"]:
        src = vol.split(":")[0]
        if src.startswith("./"):
            assert (ROOT / src).exists(), f"compose mounts missing file {src}"
    assert (ROOT / "Dockerfile").exists()
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "requirements.lock" in dockerfile and "python:3.11" in dockerfile
