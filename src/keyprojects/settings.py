"""Every ``KP_*`` setting of the package, read from the environment here and nowhere else.

Defaults work in a fresh checkout: everything lives under the checkout's ``data/`` and ``output/``.
The README's "Settings" table documents each variable; ``VARIABLES`` below is the same list, and a
test keeps the two in step.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_CONFIG_DIR = Path(__file__).with_name("config")
DEFAULT_MAX_UNCOMPRESSED_MB = 512.0

# variable -> Settings field
VARIABLES = {
    "KP_HOME": "home",
    "KP_INBOX": "inbox",
    "KP_WAREHOUSE_URL": "warehouse_url",
    "KP_OUTPUT": "output",
    "KP_EXPECTATIONS": "expectations",
    "KP_SQL": "sql",
    "KP_CONFIG_DIR": "config_dir",
    "KP_MAX_UNCOMPRESSED_MB": "max_uncompressed_mb",
    "KP_LIST_DEADLINE_DAYS": "deadline_days",
    "KP_SENSOR_POKE_SECONDS": "poke_seconds",
    "KP_ALERT_TO": "alert_to",
    "KP_ALERT_FROM": "alert_from",
    "KP_OFFICE_WAREHOUSE_URL": "office_warehouse_url",
}
DEFAULT_DEADLINE_DAYS = 15
DEFAULT_POKE_SECONDS = 1800


@dataclass(frozen=True)
class Settings:
    home: Path                  # KP_HOME: the checkout the other defaults are relative to
    inbox: Path                 # KP_INBOX: where the lists arrive
    warehouse_url: str          # KP_WAREHOUSE_URL: SQLAlchemy URL of the warehouse
    output: Path                # KP_OUTPUT: bulletins and reports
    expectations: Path          # KP_EXPECTATIONS: the Great Expectations suites, one JSON per list
    sql: Path                   # KP_SQL: the DDL and models (include/sql)
    config_dir: Path            # KP_CONFIG_DIR: the TOML configuration files
    max_uncompressed_mb: float  # KP_MAX_UNCOMPRESSED_MB: the largest a workbook may expand to
    deadline_days: int = DEFAULT_DEADLINE_DAYS  # KP_LIST_DEADLINE_DAYS: days a run waits after the quarter
    poke_seconds: int = DEFAULT_POKE_SECONDS    # KP_SENSOR_POKE_SECONDS: between looks at the inbox
    alert_to: tuple[str, ...] = ()              # KP_ALERT_TO: comma-separated alert email recipients
    alert_from: str | None = None               # KP_ALERT_FROM: alert email sender
    office_warehouse_url: str | None = None     # KP_OFFICE_WAREHOUSE_URL: the office page's (read-only) URL


def _env(name: str, env: Mapping[str, str] | None = None) -> str | None:
    return (os.environ if env is None else env).get(name) or None


def project_root(env: Mapping[str, str] | None = None) -> Path:
    """The checkout: ``KP_HOME`` if set, else the folder holding ``src/keyprojects`` (editable install)."""
    home = _env("KP_HOME", env)
    if home:
        return Path(home).resolve()
    here = Path(__file__).resolve().parent
    if here.parent.name == "src":
        return here.parent.parent
    return Path.cwd()


def config_dir_key(env: Mapping[str, str] | None = None) -> str:
    """``KP_CONFIG_DIR`` as set ('' when unset): what the configuration caches are keyed on (read on
    every call like ``config_dir``, without building a Path)."""
    return _env("KP_CONFIG_DIR", env) or ""


def config_dir(env: Mapping[str, str] | None = None) -> Path:
    """``KP_CONFIG_DIR``, else the configuration shipped in the package (read on every call, so a
    changed variable is followed)."""
    return Path(_env("KP_CONFIG_DIR", env) or DEFAULT_CONFIG_DIR)


def max_uncompressed_mb(env: Mapping[str, str] | None = None) -> float:
    """``KP_MAX_UNCOMPRESSED_MB`` (a number of MiB); the default when unset or not a number."""
    raw = _env("KP_MAX_UNCOMPRESSED_MB", env)
    try:
        return float(raw) if raw else DEFAULT_MAX_UNCOMPRESSED_MB
    except ValueError:
        return DEFAULT_MAX_UNCOMPRESSED_MB


def _whole(name: str, default: int, minimum: int, env: Mapping[str, str] | None) -> int:
    raw = _env(name, env)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def load(env: Mapping[str, str] | None = None) -> Settings:
    """The settings from ``env`` (default: the process environment)."""
    root = project_root(env)
    return Settings(
        home=root,
        inbox=Path(_env("KP_INBOX", env) or root / "data" / "inbox").resolve(),
        warehouse_url=_env("KP_WAREHOUSE_URL", env) or f"sqlite:///{root / 'data' / 'warehouse.db'}",
        output=Path(_env("KP_OUTPUT", env) or root / "output").resolve(),
        expectations=Path(_env("KP_EXPECTATIONS", env) or root / "expectations"),
        sql=Path(_env("KP_SQL", env) or root / "include" / "sql"),
        config_dir=config_dir(env),
        max_uncompressed_mb=max_uncompressed_mb(env),
        deadline_days=_whole("KP_LIST_DEADLINE_DAYS", DEFAULT_DEADLINE_DAYS, 0, env),
        poke_seconds=_whole("KP_SENSOR_POKE_SECONDS", DEFAULT_POKE_SECONDS, 1, env),
        alert_to=tuple(a.strip() for a in (_env("KP_ALERT_TO", env) or "").split(",") if a.strip()),
        alert_from=_env("KP_ALERT_FROM", env),
        office_warehouse_url=_env("KP_OFFICE_WAREHOUSE_URL", env),
    )
