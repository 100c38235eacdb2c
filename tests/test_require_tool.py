"""A test whose tool is missing skips on a developer's machine and fails in CI (issue 24: the
DuckDB and browser checks may not skip in CI)."""
import pytest


@pytest.mark.parametrize("ci,outcome", [("true", pytest.fail.Exception), ("1", pytest.fail.Exception),
                                        ("TRUE", pytest.fail.Exception), ("", pytest.skip.Exception),
                                        ("false", pytest.skip.Exception)])
def test_missing_tool_fails_in_ci_and_skips_elsewhere(require_tool, monkeypatch, ci, outcome):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="duckdb is missing") as info:
        require_tool(False, "duckdb", "pip install duckdb")
    assert "pip install duckdb" in str(info.value)
    require_tool(True, "duckdb", "pip install duckdb")   # present: nothing happens
