"""Running Airflow's services for real in tests: each one a `bin/airflow` subprocess in its own
process group, stopped by that group's id (never by name), with its output in a log file."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN_AIRFLOW = str(ROOT / "bin" / "airflow")
FINAL = {"success", "failed"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_or_skip(host="127.0.0.1", port=6379) -> None:
    try:
        with socket.create_connection((host, port), timeout=3) as s:
            s.sendall(b"PING\r\n")
            reply = s.recv(64)
    except OSError as exc:
        pytest.skip(f"Redis not answering at {host}:{port} ({exc.__class__.__name__}): the Celery test needs it")
    if not reply.startswith(b"+PONG"):
        pytest.skip(f"Redis at {host}:{port} answered {reply!r} to PING: the Celery test needs it")


def base_env(home: Path, **extra: str) -> dict:
    """The environment of every service: the parent's minus its Airflow/keyprojects settings (the
    test session's throwaway home), plus one shared secret set and the caller's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "KP_", "_AIRFLOW"))}
    port = free_port()
    home.mkdir(parents=True, exist_ok=True)
    passwords = home.parent / "simple-auth-passwords.json"
    passwords.write_text(json.dumps({"admin": secrets.token_urlsafe(12)}), encoding="utf-8")
    env.update({
        "KP_AIRFLOW_HOME": str(home),
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
        "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        # only the runs the test asks for: no run of the latest quarter when the DAG is unpaused
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        # the scheduler's loop looks again after 0.25 s instead of 1 s when it had nothing to do: a
        # run's next task starts sooner after the last one ends (34 tasks in the backfill test)
        "AIRFLOW__SCHEDULER__SCHEDULER_IDLE_SLEEP_TIME": "0.25",
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
    })
    env.update(extra)
    return env


class Services:
    def __init__(self, env: dict, logs: Path):
        self.env, self.logs = env, logs
        self.procs: dict[str, subprocess.Popen] = {}
        logs.mkdir(parents=True, exist_ok=True)

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.env['AIRFLOW__API__PORT']}"

    def start(self, name: str, *args: str) -> None:
        out = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        self.procs[name] = subprocess.Popen([BIN_AIRFLOW, *args], env=self.env, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT)
        out.close()

    def cli(self, *args: str, check=True) -> subprocess.CompletedProcess:
        proc = subprocess.run([BIN_AIRFLOW, *args], env=self.env, capture_output=True, text=True, cwd=ROOT,
                              timeout=600)
        if check:
            assert proc.returncode == 0, f"bin/airflow {' '.join(args)}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        return proc

    def wait_for_api(self, limit=300) -> None:
        """Until the api-server answers its health check. A LocalExecutor scheduler started before
        then hands its first task to an execution API that is not there: the task is killed after
        the client's retries and waits out its retry delay (a minute) before it runs again."""
        import httpx

        def healthy():
            try:
                return httpx.get(self.api + "/api/v2/monitor/health", timeout=5).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(healthy, "the api-server to answer", self, limit=limit, every=0.5)

    def check_alive(self) -> None:
        for name, p in self.procs.items():
            if p.poll() is not None:
                raise AssertionError(f"{name} exited with {p.returncode}:\n{self.tail(name)}")

    def tail(self, name: str, n=4000) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-n:] if path.exists() else ""

    def stop(self) -> None:
        """SIGTERM to each service's process group, SIGKILL to what is left after a grace period.
        Task processes start their own sessions (Airflow's supervisor), so the services' descendants
        are collected first and killed by pid if they outlive their service."""
        started = {p.pid for p in self.procs.values()}
        offspring = _descendants(started)
        for p in self.procs.values():
            if p.poll() is None:
                _signal_group(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for p in self.procs.values():
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        offspring |= _descendants(started | offspring)
        for p in self.procs.values():
            _signal_group(p.pid, signal.SIGKILL)  # children left behind by a leader that exited
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        for pid in offspring:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def _descendants(roots: set[int]) -> set[int]:
    """Every living process below `roots` (from /proc's parent links)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), list(roots)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def wait_for(predicate, what: str, services: Services, limit=900, every=3.0):
    """Poll until predicate() returns a true value; fail (with the services' logs) past `limit`
    seconds. The limit only guards against a hang: the tests assert outcomes, not durations."""
    end = time.monotonic() + limit
    while True:
        services.check_alive()
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            logs = "\n".join(f"--- {n}\n{services.tail(n)}" for n in services.procs)
            raise AssertionError(f"gave up waiting for {what}\n{logs}")
        time.sleep(every)


def run_states(engine, dag_id: str) -> dict[str, str]:
    import sqlalchemy as sa

    try:
        with engine.connect() as c:
            rows = c.execute(sa.text("SELECT run_id, state FROM dag_run WHERE dag_id = :d"), {"d": dag_id}).all()
    except Exception:  # noqa: BLE001 - the tables may not exist yet while the services start
        return {}
    return {r[0]: str(r[1]) for r in rows}


def dag_registered(engine, dag_id: str) -> bool:
    import sqlalchemy as sa

    try:
        with engine.connect() as c:
            return c.execute(sa.text("SELECT COUNT(*) FROM serialized_dag WHERE dag_id = :d"),
                             {"d": dag_id}).scalar() > 0
    except Exception:  # noqa: BLE001
        return False


def task_states(engine, dag_id: str, run_id: str) -> dict[str, str]:
    import sqlalchemy as sa

    with engine.connect() as c:
        rows = c.execute(sa.text("SELECT task_id, map_index, state FROM task_instance WHERE dag_id = :d AND "
                                 "run_id = :r"), {"d": dag_id, "r": run_id}).all()
    return {f"{r[0]}[{r[1]}]" if r[1] >= 0 else r[0]: str(r[2]) for r in rows}


def api_get(services: Services, path: str, token: str | None = None):
    import httpx

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(services.api + path, headers=headers, timeout=30, follow_redirects=False)


def api_token(services: Services) -> str:
    """A bearer token for the simple auth manager's admin (password from base_env's file)."""
    import httpx

    pw = json.loads(Path(services.env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]).read_text())["admin"]
    r = httpx.post(services.api + "/auth/token", json={"username": "admin", "password": pw}, timeout=30)
    r.raise_for_status()
    return r.json()["access_token"]
