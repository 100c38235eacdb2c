"""Shared fixtures of the cold-start tests: tiny synthetic traces generated once per session.

- ``cs_cache``: a private PAPERKIT_DATA_DIR for the session (parquet cache, synthetic traces).
- ``tiny_trace``: all parts of the release layout, scale 0.002 (about 24 k cold starts), 31 days.
- ``cs_only_trace``: the same generator with only ``cold_start/`` (a partial download).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from paperkit.coldstarts import generate

TINY_SCALE = 0.002
TINY_SEED = 3


@pytest.fixture(scope="session")
def cs_cache(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("pkcache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PAPERKIT_DATA_DIR", str(d))
        yield d


@pytest.fixture(scope="session")
def tiny_trace(cs_cache, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("traces") / "tiny"
    return generate.generate_trace(out, TINY_SCALE, TINY_SEED)


@pytest.fixture(scope="session")
def cs_only_trace(cs_cache, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("traces") / "cs_only"
    return generate.generate_trace(out, TINY_SCALE, TINY_SEED, parts=("cold_start",))
