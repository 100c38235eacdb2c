"""paperkit (polars), DuckDB and pandas give the same peer-benchmark frames."""
import importlib.util

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from paperkit.coldstarts import generate
from paperkit.coldstarts.analysis import peer


@pytest.fixture(scope="module")
def trace(tmp_path_factory):
    return generate.generate_trace(tmp_path_factory.mktemp("peer") / "t", 0.001, 3, n_days=2,
                                   regions=("R2", "R3"), parts=("cold_start", "quantiles"))


def _same(a: dict[str, pl.DataFrame], b: dict[str, pl.DataFrame]) -> None:
    assert sorted(a) == sorted(b) == sorted(peer.KEYS)
    for k in a:
        assert a[k].height > 0, k
        assert_frame_equal(a[k], b[k], check_exact=False, rel_tol=1e-9, abs_tol=1e-9)


def test_polars_and_pandas_agree(trace):
    _same(peer.polars_queries(trace), peer.pandas_queries(trace))


def test_polars_and_duckdb_agree(trace, require_tool):
    require_tool(importlib.util.find_spec("duckdb") is not None, "duckdb",
                 "it is a test dependency: make venv (pip install -e .)")
    _same(peer.polars_queries(trace), peer.duckdb_queries(trace))


def test_funcids_use_the_one_pool_rule(trace):
    f = peer.polars_queries(trace)["cs_func"]
    assert f["funcID"].str.contains(r"^\d+---\d+---[A-Za-z0-9_.]+-\d+-\d+$").all()
