"""How a run was made: commit, parameters, data inputs, package versions.

Design: a notebook runs in its own kernel, so one process-wide record is one notebook's run.
Data loaders call :func:`note_input` for every input they open (the registry for public files
with their sha256, the cold-start generator for a synthetic trace with its version, seed and
scale, a loader for a user's ``DATA_DIR``, measurement readers for committed measurements).
:func:`run_record` gathers those inputs with the git commit (and whether the tree was dirty),
the notebook's parameter values and the versions of the main packages. It holds no
timestamps, so the same run gives the same bytes. :class:`paperkit.claims.ClaimsTable` writes
it into every claims file; :mod:`paperkit.report` checks that a build's files agree.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import platform
import subprocess
from pathlib import Path
from typing import Any

from paperkit import paths
from paperkit.params import defaults

INPUT_KINDS = ("public", "measured", "synthetic", "user")
PACKAGES = ("paperkit", "numpy", "pandas", "polars", "pyarrow", "scipy", "matplotlib",
            "seaborn", "papermill", "torch")

_inputs: dict[str, dict[str, Any]] = {}


def note_input(kind: str, **fields: Any) -> None:
    """Record one data input of this process's run (idempotent).

    ``kind`` is ``public`` (``name``, ``sha256``), ``measured`` (``name``, ``sha256``),
    ``synthetic`` (``generator``, ``version``, ``seed``, ``scale``, ...) or ``user``
    (``path``)."""
    if kind not in INPUT_KINDS:
        raise ValueError(f"input kind {kind!r} must be one of {INPUT_KINDS}")
    doc = {"kind": kind} | {k: _plain(v) for k, v in sorted(fields.items())}
    _inputs[json.dumps(doc, sort_keys=True)] = doc


def note_file(kind: str, path: Path) -> None:
    """Record a file input by its path (repository-relative where possible) and sha256."""
    path = Path(path)
    name = str(path.relative_to(paths.ROOT)) if path.is_relative_to(paths.ROOT) else str(path)
    note_input(kind, name=name, sha256=hashlib.sha256(path.read_bytes()).hexdigest())


def inputs() -> list[dict[str, Any]]:
    """The inputs noted so far, in a stable order."""
    return [_inputs[k] for k in sorted(_inputs)]


def reset() -> None:
    """Forget the noted inputs (tests; a new run in the same process)."""
    _inputs.clear()


def _plain(v: Any) -> Any:
    if isinstance(v, Path):
        return str(v)
    if isinstance(v, bool | int | str) or v is None:
        return v
    if isinstance(v, float):
        return float(f"{v:.12g}")
    return str(v)


@functools.cache
def git_state(root: Path = paths.ROOT) -> dict[str, Any]:
    """``{"commit": sha or None, "dirty": bool or None}`` of the repository at ``root``."""
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], check=True,
                                capture_output=True, text=True, timeout=20).stdout.strip()
        status = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                                 "--untracked-files=no"], check=True, capture_output=True,
                                text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": bool(status.strip())}


@functools.cache
def package_versions() -> dict[str, str]:
    """Versions of Python and the main packages (read from metadata; nothing is imported)."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def notebook_file(paper: str, notebook: str) -> Path:
    """The source notebook ``notebooks/<paper>/<notebook>.ipynb``."""
    return paths.notebooks_dir() / paper / f"{notebook}.ipynb"


def parameter_values(paper: str, notebook: str,
                     namespace: dict[str, Any] | None = None) -> dict[str, Any]:
    """The values of the notebook's declared parameters: from ``namespace`` (the kernel's
    variables, so papermill's injected values and edits in Lab count), else the defaults."""
    nb = notebook_file(paper, notebook)
    if not nb.is_file():
        return {}
    values = defaults(nb)
    if namespace is not None:
        values = {k: namespace.get(k, v) for k, v in values.items()}
    return {k: _plain(values[k]) for k in sorted(values)}


def kernel_namespace() -> dict[str, Any] | None:
    """The IPython user namespace when running in a kernel, else None."""
    try:
        from IPython import get_ipython  # optional: absent outside Jupyter installs
    except ImportError:
        return None
    shell = get_ipython()
    return None if shell is None else shell.user_ns


def overrides(paper: str, notebook: str, values: dict[str, Any]) -> dict[str, Any]:
    """The parameters whose value differs from the notebook's default."""
    nb = notebook_file(paper, notebook)
    base = {k: _plain(v) for k, v in defaults(nb).items()} if nb.is_file() else {}
    return {k: v for k, v in values.items() if k in base and v != base[k]}


def run_record(paper: str, notebook: str) -> dict[str, Any]:
    """Everything that says how this notebook's run was made (no timestamps)."""
    values = parameter_values(paper, notebook, kernel_namespace())
    return {"git": git_state(), "parameters": values,
            "overrides": overrides(paper, notebook, values),
            "inputs": inputs(), "packages": package_versions()}
