"""Shared test settings: no data mirror, offline, a private build folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from paperkit import paths

ROOT = Path(__file__).resolve().parents[1]

# The tests use only what the repository holds (data/public) and a local HTTP server: no
# mirror, and no download unless a test allows one explicitly.
os.environ.pop("PAPERKIT_DATA_MIRROR", None)
os.environ["PAPERKIT_OFFLINE"] = "1"
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def build_dir(tmp_path, monkeypatch) -> Path:
    """A private PAPERKIT_BUILD_DIR for one test."""
    d = tmp_path / "build"
    monkeypatch.setenv("PAPERKIT_BUILD_DIR", str(d))
    return d


@pytest.fixture
def public_data() -> Path:
    """The public files committed with the repository (``data/public``)."""
    return paths.public_dir()


@pytest.fixture
def exit_2(capsys):
    """Run a CLI ``main(argv)`` that must refuse its input: exit status 2, no traceback; return
    what it wrote on stderr."""
    def run(main, argv) -> str:
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err
        return err
    return run


def in_ci() -> bool:
    """True when the ``CI`` variable says so (CI services set ``CI=true``; so does .ci/run)."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


@pytest.fixture
def require_tool():
    """``require_tool(available, what, fix)``: skip a test whose tool is missing on a developer's
    machine, but fail it in CI, where a skip would hide that the check never ran."""
    def require(available: bool, what: str, fix: str) -> None:
        if available:
            return
        if in_ci():
            pytest.fail(f"{what} is missing in CI, so this check cannot run: {fix}")
        pytest.skip(f"{what} is missing ({fix}); in CI this fails")
    return require
