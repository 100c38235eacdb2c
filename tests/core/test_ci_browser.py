"""The browser tests run where CI runs (issue 19 §4): CI=true without Chromium fails, and
.ci/run installs Debian's chromium before the tests."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from paperkit import paths

_spec = importlib.util.spec_from_file_location("core_conftest", Path(__file__).with_name(
    "conftest.py"))
_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_conftest)
require_chromium = _conftest.require_chromium


def test_missing_chromium_fails_under_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true but Chromium is missing"):
        require_chromium()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        require_chromium()


def test_ci_script_installs_chromium_and_sets_ci_before_the_tests():
    text = (paths.ROOT / ".ci" / "run").read_text()
    assert "export CI=true" in text
    install = text.index("apt-get install -y")
    assert "chromium" in text[install:install + 80]
    assert install < text.index("make test")
