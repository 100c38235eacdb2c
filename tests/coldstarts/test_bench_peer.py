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


def test_peer_steps_without_duckdb_stop_first_with_the_fix(monkeypatch, exit_2, tmp_path):
    """No half-run benchmark: without DuckDB the peer steps are refused before anything runs."""
    real = bench.importlib.util.find_spec
    monkeypatch.setattr(bench.importlib.util, "find_spec",
                        lambda name, *a: None if name == "duckdb" else real(name, *a))
    monkeypatch.setattr(bench, "_run_step_child", lambda *a, **k: pytest.fail("ran a step"))
    err = exit_2(bench.main, ["--steps", "peer", "--data-dir", str(tmp_path / "t")])
    assert "pip install -e .[bench]" in err and not (tmp_path / "t").exists()
