"""Every location paperkit reads or writes, resolved from the repository root.

Nothing depends on the working directory, so notebooks behave the same under papermill
(``--cwd``), nbval (kernel in the notebook's folder) and JupyterLab.

Environment variables:

- ``PAPERKIT_BUILD_DIR``   -- where figures, executed notebooks, claims and the report go
  (default ``<root>/build``).
- ``PAPERKIT_DATA_DIR``    -- writable cache of downloaded and generated data
  (default ``<root>/data/cache``).
- ``PAPERKIT_NOTEBOOKS_DIR`` -- source notebooks, one folder per paper
  (default ``<root>/notebooks``).
- ``PAPERKIT_DATA_MIRROR`` -- optional read-only folder laid out like the registry names; files
  found there are used in place. Opt-in only: nothing sets it automatically.
- ``PAPERKIT_OFFLINE`` -- ``0`` allows notebooks to download missing public files; by default
  only ``make data`` downloads (see :mod:`paperkit.registry`).
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT: Path = Path(__file__).resolve().parents[1]
"""The repository root."""


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    path = Path(value).expanduser()
    return path if path.is_absolute() else (ROOT / path).resolve()


def build_dir() -> Path:
    """Root of everything generated: ``$PAPERKIT_BUILD_DIR`` or ``<root>/build``."""
    return _env_path("PAPERKIT_BUILD_DIR", ROOT / "build")


def figures_dir(paper: str) -> Path:
    """Folder of one paper's figure files (PNG + PDF)."""
    return build_dir() / "figures" / paper


def claims_dir() -> Path:
    """Folder of the claims JSON files, one per notebook."""
    return build_dir() / "claims"


def notebooks_out_dir() -> Path:
    """Folder of executed notebooks."""
    return build_dir() / "notebooks"


def cache_dir() -> Path:
    """Writable data cache: ``$PAPERKIT_DATA_DIR`` or ``<root>/data/cache``."""
    return _env_path("PAPERKIT_DATA_DIR", ROOT / "data" / "cache")


def mirror_dir() -> Path | None:
    """Read-only data mirror (``$PAPERKIT_DATA_MIRROR``), or None when unset."""
    value = os.environ.get("PAPERKIT_DATA_MIRROR", "").strip()
    if not value:
        return None
    path = Path(value).expanduser()
    return path if path.is_absolute() else (ROOT / path).resolve()


def public_dir() -> Path:
    """Small public files committed with their licence notices: ``<root>/data/public``."""
    return ROOT / "data" / "public"


def measured_dir() -> Path:
    """Committed measurements (with provenance): ``<root>/data/measured``."""
    return ROOT / "data" / "measured"


def claims_file(paper: str) -> Path:
    """The one data file holding a paper's claims: ``<root>/data/claims/<paper>.toml``."""
    return ROOT / "data" / "claims" / f"{paper}.toml"


def notebooks_dir() -> Path:
    """Source notebooks, one folder per paper (``$PAPERKIT_NOTEBOOKS_DIR`` overrides)."""
    return _env_path("PAPERKIT_NOTEBOOKS_DIR", ROOT / "notebooks")
