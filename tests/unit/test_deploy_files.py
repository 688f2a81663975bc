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
           "AIRFLOW_API_SECRET_KEY", "KP_OFFICE_PASSWORD", "AIRFLOW_ADMIN_PASSWORD", "FLOWER_PASSWORD"}
FAB = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"


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


def test_output_is_writable_by_airflow_uid():
    """The official pattern: every Airflow container runs as AIRFLOW_UID in group 0; airflow-init,
    as root, gives the output folder and the logs to that uid, then drops to it."""
    services = compose()["services"]
    for name in AIRFLOW_SERVICES:
        assert services[name]["user"] == "${AIRFLOW_UID:-50000}:0", name
    init = services["airflow-init"]
    assert init["user"] == "0:0" and init["environment"]["AIRFLOW_UID"] == "${AIRFLOW_UID:-50000}"
    [script] = [c for c in init["command"] if c.endswith("init-airflow.sh")]
    text = (ROOT / script.replace("/opt/keyprojects/", "")).read_text(encoding="utf-8")
    assert 'chown -R "${AIRFLOW_UID}:0" "$d"' in text and "${KP_OUTPUT:-/data/output}" in text
    assert 'exec setpriv --reuid="${AIRFLOW_UID}" --regid=0' in text
    assert subprocess.run(["bash", "-n", str(ROOT / script.replace("/opt/keyprojects/", ""))]).returncode == 0
    assert init["environment"]["KP_OUTPUT"] == "/data/output"
    assert any(v.endswith(":/data/output") for v in init["volumes"])
    assert re.search(r"^AIRFLOW_UID=", (ROOT / ".env.example").read_text(encoding="utf-8"), re.M)
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--gid 0 airflow" in dockerfile and "g+rwX /opt/airflow" in dockerfile


def test_init_sets_up_roles_in_one_python_process():
    """airflow-init's role and admin set-up is include/docker/init_office_role.py, next to the script
    (both in the image: `COPY include ./include`), run with the image's python, not `airflow` commands."""
    [script] = [c for c in compose()["services"]["airflow-init"]["command"] if c.endswith("init-airflow.sh")]
    text = (ROOT / script.replace("/opt/keyprojects/", "")).read_text(encoding="utf-8")
    assert 'python "$(dirname "$0")/init_office_role.py"' in text
    assert not re.search(r"^\s*airflow (roles|users)\b", text, re.M)
    assert "COPY include ./include" in (ROOT / "Dockerfile").read_text()
    role_script = ROOT / "include" / "docker" / "init_office_role.py"
    compile(role_script.read_text(encoding="utf-8"), str(role_script), "exec")  # a SyntaxError fails the test


def test_configuration_is_mounted_not_baked():
    services = compose()["services"]
    for name in ("airflow-init", *AIRFLOW_SERVICES):
        assert services[name]["environment"]["KP_CONFIG_DIR"] == "/data/config", name
        assert "${KP_CONFIG_HOST:-./src/keyprojects/config}:/data/config:ro" in services[name]["volumes"], name
    assert (ROOT / "src" / "keyprojects" / "config" / "units.toml").is_file()


def test_alert_and_delivery_settings_are_in_env_example():
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for var in ("KP_ALERT_TO", "KP_ALERT_FROM", "AIRFLOW_CONN_KP_SMTP"):
        assert re.search(rf"^#?\s*{var}=", example, re.M), var
        assert compose()["services"]["scheduler"]["environment"][var] == f"${{{var}:-}}"


def test_ports_bind_to_localhost_unless_env_says_otherwise():
    services = compose()["services"]
    published = {n: s["ports"] for n, s in services.items() if "ports" in s}
    assert set(published) == {"api-server", "flower"}
    assert published["api-server"] == ["${KP_BIND_ADDRESS:-127.0.0.1}:${KP_API_PORT:-8080}:8080"]
    assert published["flower"] == ["127.0.0.1:5555:5555"]      # never opened, whatever .env says
    assert services["flower"]["environment"]["AIRFLOW__CELERY__FLOWER_BASIC_AUTH"].startswith(
        "flower:${FLOWER_PASSWORD:?")


def test_fab_auth_manager_in_compose_and_image_simple_for_the_local_demo():
    services = compose()["services"]
    for name in ("airflow-init", *AIRFLOW_SERVICES):
        assert services[name]["environment"]["AIRFLOW__CORE__AUTH_MANAGER"] == FAB, name
    assert f"AIRFLOW__CORE__AUTH_MANAGER={FAB}" in (ROOT / "Dockerfile").read_text()
    assert "apache-airflow-providers-fab==" in (ROOT / "requirements.lock").read_text()
    local = (ROOT / "bin" / "airflow-env.sh").read_text()
    assert "simple_auth_manager.SimpleAuthManager" in local
    init = services["airflow-init"]["environment"]
    assert init["AIRFLOW_ADMIN_PASSWORD"].startswith("${AIRFLOW_ADMIN_PASSWORD:?")


def test_warehouse_roles_least_privilege():
    services = compose()["services"]
    env = services["api-server"]["environment"]
    assert env["KP_WAREHOUSE_URL"].startswith("postgresql+psycopg://keyprojects:")
    assert env["KP_OFFICE_WAREHOUSE_URL"].startswith("postgresql+psycopg://keyprojects_office:${KP_OFFICE_PASSWORD:?")
    text = (ROOT / "include" / "docker" / "init-warehouse.sh").read_text(encoding="utf-8")
    assert "CREATE USER keyprojects WITH PASSWORD :'kp_password' NOSUPERUSER" in text
    assert "CREATE USER keyprojects_office WITH PASSWORD :'office_password' NOSUPERUSER" in text
    assert "ALTER SCHEMA public OWNER TO keyprojects;" in text
    office_grants = [line for line in text.splitlines() if "GRANT" in line and "keyprojects_office" in line]
    assert office_grants and all(re.search(r"GRANT (CONNECT|USAGE|SELECT) ON", g) for g in office_grants)
    assert "SUPERUSER" not in text.replace("NOSUPERUSER", "")
