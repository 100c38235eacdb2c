"""Shared test settings: the read-only data mirror and a private build folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (ROOT.parent / "shared" / "data").resolve()

if not os.environ.get("PAPERKIT_DATA_MIRROR") and SHARED_DATA.is_dir():
    os.environ["PAPERKIT_DATA_MIRROR"] = str(SHARED_DATA)
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def build_dir(tmp_path, monkeypatch) -> Path:
    """A private PAPERKIT_BUILD_DIR for one test."""
    d = tmp_path / "build"
    monkeypatch.setenv("PAPERKIT_BUILD_DIR", str(d))
    return d


@pytest.fixture
def mirror() -> Path:
    """The shared public-data mirror (skips when absent)."""
    path = os.environ.get("PAPERKIT_DATA_MIRROR", "")
    if not path or not Path(path).is_dir():
        pytest.skip("no public-data mirror (set PAPERKIT_DATA_MIRROR to ../shared/data)")
    return Path(path)
