"""Configuration that changes by year or city, read from TOML data files.

The files ship inside the package (``keyprojects/config``); set ``KP_CONFIG_DIR`` to use another folder
holding files of the same names (for another city or a later year). Every cached value is cached per
configuration folder, so a changed ``KP_CONFIG_DIR`` is followed without a restart.
"""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from keyprojects import settings

DEFAULT_DIR = settings.DEFAULT_CONFIG_DIR


def config_dir() -> Path:
    """The configuration folder now (``KP_CONFIG_DIR``, see ``keyprojects.settings``)."""
    return settings.config_dir()


def cache_key() -> str:
    """The key of every configuration cache: a changed ``KP_CONFIG_DIR`` is a new key."""
    return settings.config_dir_key()


def per_config_dir(fn):
    """Cache ``fn``'s results per configuration folder: a changed ``KP_CONFIG_DIR`` is followed."""
    @functools.lru_cache(maxsize=None)
    def cached(cfg_dir: str, *args):
        return fn(*args)

    @functools.wraps(fn)
    def wrapper(*args):
        return cached(cache_key(), *args)

    wrapper.cache_clear = cached.cache_clear
    return wrapper


def load_toml(name: str) -> dict:
    """The TOML file ``name`` of the configuration folder, parsed (each call reads it: callers cache
    what they derive from it with ``per_config_dir``)."""
    path = config_dir() / name
    with path.open("rb") as fh:
        return tomllib.load(fh)


def squash(text: str) -> str:
    """NFKC-normalise and remove every whitespace character (the form all lookups use)."""
    # str.split() splits on exactly the characters re's \s matches (str.isspace), and is ~4x faster
    return "".join(unicodedata.normalize("NFKC", str(text)).split())


@dataclass(frozen=True)
class Unit:
    name: str
    code: str
    zone_group: str
    ranked: bool
    aliases: tuple[str, ...]
    order: int


@dataclass(frozen=True)
class ListSpec:
    name: str
    title: str
    source: str
    required: tuple[str, ...]
    threshold: float
    threshold_field: str


@dataclass(frozen=True)
class HeaderField:
    name: str
    words: frozenset[str]
    patterns: tuple[re.Pattern, ...] = field(default=())

    def matches(self, cell: str) -> bool:
        return cell in self.words or any(p.fullmatch(cell) for p in self.patterns)


@per_config_dir
def units() -> tuple[Unit, ...]:
    raw = load_toml("units.toml")["unit"]
    return tuple(
        Unit(
            name=u["name"],
            code=u.get("code", ""),
            zone_group=u.get("zone_group", ""),
            ranked=u.get("ranked", True),
            aliases=tuple(u.get("aliases", ())),
            order=i,
        )
        for i, u in enumerate(raw)
    )


@per_config_dir
def unit_lookup() -> dict[str, str]:
    """Every accepted spelling (squashed) -> the unit's canonical name."""
    table: dict[str, str] = {}
    for u in units():
        for spelling in (u.name, u.code, *u.aliases):
            if spelling:
                table[squash(spelling)] = u.name
    return table


@per_config_dir
def list_specs() -> dict[str, ListSpec]:
    raw = load_toml("lists.toml")["lists"]
    return {
        name: ListSpec(
            name=name,
            title=spec["title"],
            source=spec["source"],
            required=tuple(spec["required"]),
            threshold=float(spec["threshold"]),
            threshold_field=spec["threshold_field"],
        )
        for name, spec in raw.items()
    }


@per_config_dir
def vocab() -> dict[str, dict[str, str]]:
    """vocabulary name -> {squashed spelling: canonical value}."""
    raw = load_toml("lists.toml")["vocab"]
    out: dict[str, dict[str, str]] = {}
    for voc, entries in raw.items():
        table = {}
        for canonical, spellings in entries.items():
            table[squash(canonical)] = canonical
            for s in spellings:
                table[squash(s)] = canonical
        out[voc] = table
    return out


@per_config_dir
def groups() -> dict[str, dict[str, tuple[str, ...]]]:
    raw = load_toml("lists.toml")
    return {
        "nature": {k: tuple(v) for k, v in raw["nature_groups"].items()},
        "status": {k: tuple(v) for k, v in raw["status_groups"].items()},
    }


@per_config_dir
def header_fields() -> tuple[HeaderField, ...]:
    raw = load_toml("headers.toml")["fields"]
    return tuple(
        HeaderField(
            name=name,
            words=frozenset(squash(w) for w in spec.get("words", ())),
            patterns=tuple(re.compile(p) for p in spec.get("patterns", ())),
        )
        for name, spec in raw.items()
    )


@per_config_dir
def clusters() -> dict[str, str]:
    """squashed spelling -> cluster name."""
    table = {}
    for c in load_toml("clusters.toml")["cluster"]:
        table[squash(c["name"])] = c["name"]
        for a in c.get("aliases", ()):
            table[squash(a)] = c["name"]
    return table


NO_PROBLEM_WORDS = ("无", "暂无", "无问题", "暂无问题", "没有", "没有问题", "/", "—", "——", "-", "--")


@per_config_dir
def no_problem_words() -> frozenset[str]:
    """Squashed 存在问题 texts that mean "no problem" (``[problems] none`` in lists.toml)."""
    words = load_toml("lists.toml").get("problems", {}).get("none", NO_PROBLEM_WORDS)
    return frozenset(squash(w) for w in words)


@per_config_dir
def targets(year: int) -> dict:
    """The year's targets; a year without its own file raises FileNotFoundError naming the file."""
    return load_toml(f"targets/{year}.toml")


@per_config_dir
def matching() -> dict:
    return {"near_miss_threshold": 0.9, **load_toml("lists.toml").get("matching", {})}


@per_config_dir
def ranking_weights() -> dict:
    return load_toml("ranking.toml")


DEFAULT_ISSUER = "忻州市工业项目建设领导组办公室"


def bulletin() -> dict:
    """The bulletin's fixed texts (``bulletin.toml``; the issuing body defaults to the office)."""
    try:
        raw = load_toml("bulletin.toml")
    except FileNotFoundError:
        raw = {}
    return {"issuer": raw.get("issuer") or DEFAULT_ISSUER}


@per_config_dir
def unknown_sender() -> str:
    """The sender of rows no unit can be found for (rules.toml ``[returns] unknown_sender``)."""
    return load_toml("rules.toml")["returns"]["unknown_sender"]
