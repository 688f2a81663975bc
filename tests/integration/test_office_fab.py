"""The FAB auth manager of the compose deployment, for real: include/docker/init-airflow.sh (the
airflow-init service's script) migrates a metadata database, creates the read-only role Office and
the first admin; an office user (added as the README says) can read 报送情况 and is refused
(403) on trigger, clear and unpause; the admin is not refused; nobody anonymous gets in. The script
runs twice (as airflow-init does on every `docker compose up`): the second run changes no role,
permission or user. Each Airflow process costs seconds, so the module fixture runs them all once
(init, the office user, init again, the roles listing) and the tests assert on what they left."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
INIT = ROOT / "include" / "docker" / "init-airflow.sh"
# the role Office, exactly (README, "Who may log in"): read and menu rights, and its own password and profile
OFFICE_PERMISSIONS = {
    *((r, "can_read") for r in ("Website", "DAGs", "DAG Runs", "Task Instances", "Task Logs", "Assets",
                                "DAG Dependencies", "DAG Versions", "DAG Warnings", "XComs", "My Profile",
                                "My Password")),
    ("My Password", "can_edit"), ("My Profile", "can_edit"),
    *((r, "menu_access") for r in ("DAGs", "DAG Runs", "Assets", "Task Instances", "Browse")),
}


@pytest.fixture(scope="module")
def fab_env(tmp_path_factory):
    pytest.importorskip("airflow.providers.fab", reason="apache-airflow-providers-fab is not installed")
    home = tmp_path_factory.mktemp("fab-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "KP_"))}
    env.update({
        "PATH": f"{BIN}:{env.get('PATH', '')}",
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__AUTH_MANAGER": "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__API_AUTH__JWT_SECRET": "fab-test-" + "j" * 64,
        "AIRFLOW__API__SECRET_KEY": "fab-test-secret-key",
        "AIRFLOW__CORE__FERNET_KEY": "",
        "AIRFLOW_ADMIN_USER": "admin",
        "AIRFLOW_ADMIN_PASSWORD": "admin-pw-1",
        "KP_HOME": str(ROOT),
        "KP_WAREHOUSE_URL": f"sqlite:///{home / 'warehouse.db'}",
        "KP_OUTPUT": str(home / "output"),
        "KP_INBOX": str(home / "inbox"),
        "GX_ANALYTICS_ENABLED": "False",
    })
    init = subprocess.run(["bash", str(INIT)], env=env, capture_output=True, text=True, timeout=600)
    assert init.returncode == 0, f"init-airflow.sh failed:\n{init.stdout[-3000:]}\n{init.stderr[-3000:]}"
    # adding an office user, as the README says
    add = subprocess.run(["airflow", "users", "create", "--role", "Office", "--username", "clerk", "--password",
                          "clerk-pw-1", "--email", "clerk@example.org", "--firstname", "办公室", "--lastname", "文员"],
                         env=env, capture_output=True, text=True, timeout=300)
    assert add.returncode == 0, add.stderr[-2000:]
    before = auth_tables(home / "airflow.db")
    # the second run (test_init_is_idempotent), before anyone logs in (a login writes ab_user)
    again = subprocess.run(["bash", str(INIT)], env=env, capture_output=True, text=True, timeout=600)
    after = auth_tables(home / "airflow.db")
    roles = subprocess.run(["airflow", "roles", "list", "-p", "-o", "json"], env=env, capture_output=True,
                           text=True, timeout=300)
    return {"env": env, "init": init, "before": before, "again": again, "after": after, "roles": roles}


def auth_tables(db: Path) -> dict[str, list[tuple]]:
    """Every row of FAB's role, permission and user tables, and each user's roles by name."""
    con = sqlite3.connect(db)
    try:
        got = {t: con.execute(f"select * from {t} order by 1").fetchall()
               for t in ("ab_role", "ab_permission", "ab_view_menu", "ab_permission_view",
                         "ab_permission_view_role", "ab_user", "ab_user_role")}
        got["users"] = con.execute("select u.username, r.name from ab_user u join ab_user_role ur on ur.user_id = u.id"
                                   " join ab_role r on r.id = ur.role_id order by 1, 2").fetchall()
        return got
    finally:
        con.close()


def summary(proc: subprocess.CompletedProcess) -> str:
    [line] = [line for line in proc.stdout.splitlines() if line.startswith("init_office_role: ")]
    return line


def test_office_role_reads_the_page_and_cannot_trigger(fab_env):
    proc = subprocess.run([sys.executable, str(ROOT / "tests" / "integration" / "office_fab_client.py"),
                           "clerk-pw-1", "admin-pw-1"], env=fab_env["env"], capture_output=True, text=True,
                          timeout=600)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    got = json.loads(lines[-1][len("RESULT "):])
    assert got["clerk_page"] == 200 and got["clerk_page_has_title"]
    assert got["clerk_read_runs"] == 200
    assert (got["clerk_trigger"], got["clerk_clear"], got["clerk_pause"]) == (403, 403, 403)
    assert got["admin_page"] == 200
    assert 403 not in (got["admin_trigger"], got["admin_clear"], got["admin_pause"])
    assert got["anonymous_page"] == 401


def test_init_is_idempotent(fab_env):
    again = fab_env["again"]
    assert again.returncode == 0, again.stderr[-3000:]
    assert summary(fab_env["init"]) == ("init_office_role: role Office created, 19 of 19 permission(s) added; "
                                        "admin admin created")
    assert summary(again) == "init_office_role: role Office existed, 0 of 19 permission(s) added; admin admin existed"
    assert fab_env["after"] == fab_env["before"]  # not a row of a role, permission or user changed
    assert fab_env["after"]["users"] == [("admin", "Admin"), ("clerk", "Office")]
    roles = fab_env["roles"]
    assert roles.returncode == 0, roles.stderr[-3000:]
    [listing] = [line for line in roles.stdout.splitlines() if line.startswith("[")]
    office = {(r["resource"], a.strip()) for r in json.loads(listing) if r["name"] == "Office"
              for a in r["action"].split(",")}
    assert ("DAG Runs", "can_read") in office and ("Website", "can_read") in office
    assert {a for _, a in office} <= {"can_read", "can_edit", "menu_access"}
    assert {r for r, a in office if a == "can_edit"} == {"My Password", "My Profile"}
    assert office == OFFICE_PERMISSIONS
