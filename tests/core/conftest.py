"""The browser the report and Lab tests drive: Debian's Chromium. Under CI (``CI=true``, set
by ``.ci/run``, which installs it) a missing browser FAILS those tests; elsewhere they skip."""

from __future__ import annotations

import os
import shutil

import pytest

NAMES = ("chromium", "chromium-browser", "google-chrome")


def find_chromium() -> str | None:
    """The browser's path, or None."""
    return next((shutil.which(b) for b in NAMES if shutil.which(b)), None)


@pytest.fixture
def chromium() -> str:
    """Chromium's path; a failure under CI=true, a skip elsewhere, when it is missing."""
    return require_chromium()


def require_chromium() -> str:
    """See :func:`chromium`."""
    path = find_chromium()
    if path is None:
        if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
            pytest.fail("CI=true but Chromium is missing: .ci/run installs it "
                        "(apt-get install -y chromium); the browser tests must run in CI")
        pytest.skip("no Chromium on this machine (apt-get install chromium runs the browser "
                    "tests)")
    return path
