"""The package's wings import one way (README, "The code"; docs/decisions.md):

    runtime_monthly | runtime_office  ->  runtime, cli  ->  documents | monthly | operations
    ->  warehouse  ->  ingest  ->  top modules

Read with ``ast`` from the source files: every import of a ``keyprojects`` module, at any depth of
the file (imports inside functions count), is checked against the layer of the importing file. No
module takes another module's private (``_``) name."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "src" / "keyprojects"

# layer of each wing or top module; a module may import its own wing and any lower layer
LAYER = {
    "": 0, "settings": 0, "config": 0, "quarters": 0, "db": 0,
    "ingest": 1,
    "warehouse": 2,
    "documents": 3, "monthly": 3, "operations": 3,
    "runtime": 4, "cli": 4,
    "runtime_monthly": 5, "runtime_office": 5,
}
WINGS = ("ingest", "warehouse", "documents", "monthly", "operations")


def _module(path: Path) -> str:
    parts = list(path.relative_to(PKG).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _wing(module: str) -> str:
    return module.split(".")[0] if module else ""


def _imports(path: Path):
    """(line, imported keyprojects-relative module, names) of every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = _module(path).split(".") if _module(path) else []
    pkg = here if path.name == "__init__.py" else here[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "keyprojects" or a.name.startswith("keyprojects."):
                    yield node.lineno, a.name.removeprefix("keyprojects").lstrip("."), []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg[: len(pkg) - (node.level - 1)] if node.level > 1 else pkg
                mod = ".".join(base + ([node.module] if node.module else []))
            elif node.module and (node.module == "keyprojects" or node.module.startswith("keyprojects.")):
                mod = node.module.removeprefix("keyprojects").lstrip(".")
            else:
                continue
            names = [a.name for a in node.names]
            if mod == "":  # from keyprojects import ingest, config, LISTS: each name is the module
                for n in names:
                    yield node.lineno, n if (PKG / n).exists() or (PKG / f"{n}.py").exists() else "", [n]
            else:
                yield node.lineno, mod, names


FILES = sorted(p for p in PKG.rglob("*.py") if "migrations/versions" not in p.as_posix())


def test_every_module_has_a_layer():
    missing = sorted({_wing(_module(p)) for p in FILES} - set(LAYER))
    assert not missing, f"modules of no layer (add them to LAYER and to the README's map): {missing}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(PKG).as_posix())
def test_imports_run_one_way(path):
    here = _module(path)
    wing = _wing(here)
    bad = []
    for line, mod, _names in _imports(path):
        target = _wing(mod)
        if target == wing:
            continue
        if LAYER[target] >= LAYER[wing] and not (LAYER[wing] == 0 and LAYER[target] == 0):
            bad.append(f"line {line}: {here or 'keyprojects'} ({wing or 'top'}) imports {mod} ({target})")
    assert not bad, "imports running back up or sideways:\n" + "\n".join(bad)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(PKG).as_posix())
def test_no_private_names_taken_from_another_module(path):
    here = _module(path)
    bad = [f"line {line}: {n} from {mod}" for line, mod, names in _imports(path) if mod != here
           for n in names if n.startswith("_") and n != "__future__"]
    assert not bad, "private names imported:\n" + "\n".join(bad)


def _module_aliases(path: Path) -> dict[str, str]:
    """The names under which the file binds a keyprojects module (``from keyprojects import config``,
    ``from keyprojects.documents import look``, ``import keyprojects.db as db``)."""
    aliases = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("keyprojects"):
            for a in node.names:
                dotted = f"{node.module}.{a.name}"
                rel = dotted.removeprefix("keyprojects.").replace(".", "/")
                if (PKG / f"{rel}.py").exists() or (PKG / rel / "__init__.py").exists():
                    aliases[a.asname or a.name] = dotted
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("keyprojects.") and a.asname:
                    aliases[a.asname] = a.name
    return aliases


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(PKG).as_posix())
def test_no_private_names_used_through_another_module(path):
    """``config._load(...)`` is as private as ``from keyprojects.config import _load``."""
    aliases = _module_aliases(path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = [f"line {n.lineno}: {n.value.id}.{n.attr}" for n in ast.walk(tree)
           if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in aliases
           and n.attr.startswith("_") and not n.attr.startswith("__")]
    assert not bad, "private names of another module used:\n" + "\n".join(bad)


def test_the_wings_are_packages_that_say_what_they_own():
    for wing in WINGS:
        init = PKG / wing / "__init__.py"
        assert init.exists(), f"{wing} is not a package"
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and "May import" in doc, f"{wing}/__init__.py must say what it owns and what it may import"
