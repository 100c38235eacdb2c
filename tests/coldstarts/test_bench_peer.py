"""The benchmark's peer report: step selection and the closing ratio line."""
import re

import pytest

from paperkit.coldstarts import bench


def test_peer_steps_are_generate_then_the_three_engines():
    assert bench._selected_steps("peer") == ["generate", "peer_paperkit_cold", "peer_paperkit",
                                             "peer_duckdb", "peer_pandas"]
    with pytest.raises(ValueError, match="unknown step"):
        bench._selected_steps("generate,nope")


def test_the_report_ends_with_the_paperkit_duckdb_line():
    res = {"peer_paperkit_cold": {"wall_s": 30.0, "peak_rss_mb": 500.0},
           "peer_paperkit": {"wall_s": 6.0, "peak_rss_mb": 500.0},
           "peer_duckdb": {"wall_s": 60.0, "peak_rss_mb": 1000.0},
           "peer_pandas": {"wall_s": 50.0, "peak_rss_mb": 2000.0}}
    lines = bench.peer_lines(res)
    assert lines[0] == "paperkit/pandas time ratio: 0.12, memory ratio: 0.25"
    assert re.fullmatch(r"paperkit/duckdb time ratio: 0\.10, memory ratio: 0\.50", lines[-1])
