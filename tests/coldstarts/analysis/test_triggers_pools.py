"""Trigger aggregation, pool parsing and grouping (hand-built frames + the real R2 table if present)."""
from pathlib import Path

import polars as pl
import pytest

from paperkit import paths

from paperkit.coldstarts.analysis import pools, runtimes, triggers

CASES = {
    "TIMER-A": "TIMER-A", "APIG-S TIMER-A": "TIMER-A", "APIG-S TIMER-A workflow-S": "TIMER-A",
    "SMN-A TIMER-A": "TIMER-A", "DIS-A OBS-A SMN-A TIMER-A": "TIMER-A",
    "APIG-S": "APIG-S", "OBS-A": "OBS-A", "workflow-S": "workflow-S",
    "unknown": "unknown", "unknown-unknown": "unknown", "unknown-A unknown-S": "unknown",
    "unknown-S": "other S", "KAFKA-S": "other S", "APIG-A APIG-S": "other S", "APIG-S OBS-A": "other S",
    "APIG-S workflow-S": "other S", "DIS-A workflow-S": "other S",
    "unknown-A": "other A", "LTS-A": "other A", "CTS-A": "other A", "SMN-A": "other A", "DIS-A": "other A",
    "APIG-A": "other A", "DIS-A SMN-A": "other A", "APIG-A OBS-A": "other A",
}


@pytest.mark.parametrize("combo,expected", sorted(CASES.items()))
def test_aggregate_trigger_rule(combo, expected):
    assert triggers.aggregate_trigger(combo) == expected


def test_expression_matches_scalar_rule_and_null_is_unknown():
    df = pl.DataFrame({triggers.TRIGGER_COL: [*CASES, None]})
    got = df.with_columns(triggers.trigger_category_expr())["trigger"].to_list()
    assert got == [*CASES.values(), "unknown"]
    assert triggers.aggregate_trigger(None) == "unknown"
    with pytest.raises(ValueError, match="string"):
        triggers.aggregate_trigger(3)


def test_invocation_class():
    df = pl.DataFrame({triggers.TRIGGER_COL: ["TIMER-A", "APIG-S TIMER-A", "unknown-A unknown-S", "unknown",
                                               "unknown-unknown", "DIS-A SMN-A"]})
    got = df.with_columns(triggers.invocation_class_expr())["invocation"].to_list()
    assert got == ["async", "sync", "sync", "unknown", "unknown", "async"]


@pytest.mark.parametrize("name,cpu,mem,size", [
    ("pool22-300-128", 300, 128, "small"), ("pool23-400-256", 400, 256, "small"),
    ("custom-400-256", 400, 256, "small"), ("pool24-600-512", 600, 512, "large"),
    ("custom.image.gpu-25800-32768", 25800, 32768, "large"), ("custom.runtime.gpu-3400-4096", 3400, 4096, "large"),
])
def test_parse_pool(name, cpu, mem, size):
    p = pools.parse_pool(name)
    assert (p.cpu_m, p.mem_mb, p.size) == (cpu, mem, size)
    df = pl.DataFrame({"poolName": [name]}).with_columns(
        pools.cpu_m_expr(), pools.mem_mb_expr(), pools.pool_size_expr())
    assert df.row(0)[1:] == (cpu, mem, size)


def test_parse_pool_rejects_garbage():
    with pytest.raises(ValueError, match="cannot parse pool name 'pool22'"):
        pools.parse_pool("pool22")


def test_pod_and_funcid_parsing():
    df = pl.DataFrame({"funcName": [88, 5], "userID": [337, 2],
                       "podID": ["pool26-1000-1024-0006319574", "custom.image.gpu-6600-8192-0000000001"]})
    out = df.with_columns(pools.funcid_expr())
    assert out["funcID"].to_list() == ["88---337---pool26-1000-1024", "5---2---custom.image.gpu-6600-8192"]
    g = out.with_columns(pools.pool_from_funcid_expr()).with_columns(pools.config_group_expr())
    assert g["config"].to_list() == ["1000/1024", "other"]
    assert out.with_columns(pools.user_from_funcid_expr())["userID"].to_list() == ["337", "2"]


def test_runtime_groups():
    df = pl.DataFrame({"runtime": ["Python3", "C#", "Go1.x", "PHP7.3", "unknown", "http", None]})
    assert df.with_columns(runtimes.runtime_group_expr())["runtime_group"].to_list() == [
        "Python3", "other", "other", "other", "other", "http", "other"]


META = paths.public_dir() / "huawei2025" / "df_funcID_runtime_triggerType.csv"


def test_real_meta_function_counts():
    """[meta] counts of coldstarts.md §1 Fig 8d/f and the sync/async split."""
    a = runtimes.annotate_meta(pl.read_csv(META))
    trig = dict(a.group_by("trigger").len().iter_rows())
    assert trig == {"TIMER-A": 1355, "APIG-S": 551, "unknown": 202, "other S": 131, "other A": 65,
                    "OBS-A": 60, "workflow-S": 54}
    cfg = dict(a.group_by("config").len().iter_rows())
    assert cfg == {"300/128": 2075, "400/256": 75, "600/512": 130, "1000/1024": 34, "other": 104}
    inv = dict(a.with_columns(triggers.invocation_class_expr()).group_by("invocation").len().iter_rows())
    assert inv == {"async": 1150, "sync": 1126, "unknown": 142}
