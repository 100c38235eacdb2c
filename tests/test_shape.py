"""The shape written in paperkit/README.md, checked: layers, no imports inside functions,
functions that fit on a screen, role modules with the same names in every paper."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import pytest

from paperkit import paths

PKG = paths.ROOT / "paperkit"
CORE = sorted(p for p in PKG.glob("*.py"))
PAPERS = ("coldstarts", "polca", "fuyou", "t3")
MAX_LINES = 60
# third-party modules that may be imported lazily (optional or heavy, each with a reason)
LAZY_OK = {"torch": "optional on GPU-less tools", "IPython": "only inside a kernel",
           "duckdb": "benchmark-only dependency", "pynvml": "only on a GPU machine"}


def _functions(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _imports_inside(path: Path) -> list[str]:
    out = []
    for fn in _functions(path):
        for sub in ast.walk(fn):
            if isinstance(sub, ast.ImportFrom) and (sub.level or (sub.module or "").startswith(
                    "paperkit")):
                out.append(f"{path.relative_to(paths.ROOT)}:{sub.lineno} {fn.name} imports "
                           f"{'.' * sub.level}{sub.module or ''}")
            elif isinstance(sub, ast.Import):
                for alias in sub.names:
                    if alias.name.startswith("paperkit"):
                        out.append(f"{path.relative_to(paths.ROOT)}:{sub.lineno} {fn.name} "
                                   f"imports {alias.name}")
    return out


def _long_functions(path: Path) -> list[str]:
    return [f"{path.relative_to(paths.ROOT)}:{fn.lineno} {fn.name} has "
            f"{fn.end_lineno - fn.lineno + 1} lines" for fn in _functions(path)
            if fn.end_lineno - fn.lineno + 1 > MAX_LINES]


def test_core_has_no_imports_inside_functions():
    assert [x for p in CORE for x in _imports_inside(p)] == []


def test_every_function_fits_on_a_screen():
    """Core and paper packages alike: no function longer than MAX_LINES lines."""
    assert [x for p in sorted(PKG.rglob("*.py")) for x in _long_functions(p)] == []


def test_core_never_imports_a_paper():
    for path in CORE:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not any(node.module.startswith(f"paperkit.{p}") for p in PAPERS), path


@pytest.mark.parametrize("paper", PAPERS)
def test_papers_do_not_import_each_other(paper):
    others = [p for p in PAPERS if p != paper]
    for path in sorted((PKG / paper).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not any(node.module.startswith(f"paperkit.{o}") for o in others), path


@pytest.mark.parametrize("paper", PAPERS)
def test_papers_have_no_package_imports_inside_functions(paper):
    found = [x for p in sorted((PKG / paper).rglob("*.py")) for x in _imports_inside(p)]
    assert found == []


@pytest.mark.parametrize("paper", PAPERS)
def test_papers_have_the_role_modules(paper):
    for role in ("data", "compute", "plots", "claimvalues", "__main__"):
        assert (PKG / paper / f"{role}.py").is_file() or (PKG / paper / role).is_dir() or (
            role == "claimvalues" and (PKG / paper / "analysis" / "claimvalues.py").is_file()), \
            (paper, role)
    assert (PKG / paper / "figures.toml").is_file()


def test_nothing_in_the_repository_refers_outside_it():
    """A fresh clone must work with nothing beside it: no tracked file (this one included) names
    the reference folder that sits beside the checkout on the developers' machine."""
    outside = "/".join(["..", "shared"])   # built, so that this file does not name it either
    try:
        proc = subprocess.run(["git", "-C", str(paths.ROOT), "grep", "-n", "-I", "-F", "-e",
                               outside], capture_output=True, text=True)
    except FileNotFoundError:
        pytest.fail("git is not installed: this check needs it (apt-get install git)")
    # git grep: 0 = found, 1 = nothing found, anything else = it could not search (no repository)
    assert proc.returncode in (0, 1), f"git grep failed ({proc.returncode}): {proc.stderr.strip()}"
    assert (proc.returncode, proc.stdout) == (1, "")
