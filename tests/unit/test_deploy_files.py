"""docker-compose.yaml cannot run here (no Docker engine): check it statically. The same
configuration (CeleryExecutor, Redis, PostgreSQL through psycopg) runs for real in
tests/integration/test_celery_postgres.py."""

import re
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW_SERVICES = ("api-server", "scheduler", "dag-processor", "triggerer", "airflow-worker", "flower")
SECRETS = {"POSTGRES_PASSWORD", "KP_WAREHOUSE_PASSWORD", "AIRFLOW_JWT_SECRET", "AIRFLOW_FERNET_KEY",
           "AIRFLOW_API_SECRET_KEY"}


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yaml").read_text(encoding="utf-8"))


def test_compose_file_is_consistent():
    services = compose()["services"]
    assert {"postgres", "redis", "airflow-init", *AIRFLOW_SERVICES} == set(services)
    for name in ("airflow-init", *AIRFLOW_SERVICES):
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


def test_compose_is_the_official_celery_shape():
    services = compose()["services"]
    for name, svc in services.items():
        assert svc.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    assert services["flower"]["profiles"] == ["flower"]
    assert all("profiles" not in s for n, s in services.items() if n != "flower")
    assert services["airflow-worker"]["command"][-2:] == ["celery", "worker"]
    for name in ("airflow-init", *AIRFLOW_SERVICES):
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:6379"), name
        conn = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert conn.startswith("postgresql+psycopg://"), name
        # without it Airflow 3 derives an asyncpg URL, and asyncpg is not installed
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"] == conn, name
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"] == "db+" + conn, name
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://api-server:8080/execution/"
        deps = services[name]["depends_on"]
        assert deps["postgres"]["condition"] == "service_healthy", name
        assert deps["redis"]["condition"] == "service_healthy", name
        if name != "airflow-init":
            assert deps["airflow-init"]["condition"] == "service_completed_successfully", name
    assert services["airflow-worker"]["depends_on"]["api-server"]["condition"] == "service_healthy"


def test_every_secret_comes_from_env_example():
    text = (ROOT / "docker-compose.yaml").read_text(encoding="utf-8")
    used = set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)", text))  # $${X} is the container's own
    required = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*):\?", text))
    assert SECRETS <= required, "secrets must be required, never defaulted"
    assert not re.search(r"PASSWORD[A-Z_]*:-", text), "a password with a default value"
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    named = set(re.findall(r"^#?\s*([A-Z_][A-Z0-9_]*)=", example, re.M))
    assert used <= named, f".env.example does not name {sorted(used - named)}"
    assert all(re.search(rf"^{s}=$", example, re.M) for s in SECRETS), "secrets in .env.example must be blank"
    env = compose()["services"]["scheduler"]["environment"]
    assert "${AIRFLOW_JWT_SECRET" in env["AIRFLOW__API_AUTH__JWT_SECRET"]
    assert "${AIRFLOW_FERNET_KEY" in env["AIRFLOW__CORE__FERNET_KEY"]
    assert ".env" in (ROOT / ".gitignore").read_text().split()


def test_warehouse_password_is_one_variable():
    services = compose()["services"]
    url = services["scheduler"]["environment"]["KP_WAREHOUSE_URL"]
    assert "keyprojects:${KP_WAREHOUSE_PASSWORD:?" in url
    assert services["postgres"]["environment"]["KP_WAREHOUSE_PASSWORD"].startswith("${KP_WAREHOUSE_PASSWORD:?")
    [mount] = [v for v in services["postgres"]["volumes"] if "docker-entrypoint-initdb.d" in v]
    script = ROOT / mount.split(":")[0]
    text = script.read_text(encoding="utf-8")
    assert "'airflow'" not in text and "KP_WAREHOUSE_PASSWORD" in text
    assert "PASSWORD :'kp_password'" in text  # a psql variable: quoting in the password cannot break it
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
