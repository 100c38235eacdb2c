"""The one pool/funcID/trigger rule shared by the generator, the loader and the analysis."""
import polars as pl
import pytest

from paperkit import registry
from paperkit.coldstarts import generate, load, rules, schema
from paperkit.coldstarts.analysis import pools, triggers


@pytest.fixture(scope="module")
def r2_pools() -> pl.Series:
    meta = load.read_function_meta(registry.public_path(schema.REGISTRY_META_NAME))
    return meta["funcID"].str.split("---").list.get(2)


def test_every_public_region2_pool_is_a_pool_name(r2_pools):
    # the release's pool names: <prefix without '-'>-<cpu millicores>-<memory MB>
    assert r2_pools.len() == 2418
    assert r2_pools.str.contains(r"^[A-Za-z0-9_.]+-\d+-\d+$").all()


def test_pool_rule_recovers_every_region2_pool_from_a_release_pod_id(r2_pools):
    pods = pl.DataFrame({"podID": r2_pools + "-0006319574", "pool": r2_pools})
    got = pods.with_columns(rules.pool_from_pod_expr())
    assert (got["poolName"] == got["pool"]).all()
    assert [rules.pool_from_pod(p) for p in pods["podID"]] == pods["pool"].to_list()


@pytest.mark.parametrize(("pod", "pool"), [
    ("pool22-300-128-0006319574", "pool22-300-128"),
    ("custom.image.gpu-1000-1024-0000000001", "custom.image.gpu-1000-1024"),
    # a further '-' suffix: the first-three-tokens rule keeps the pool, a trailing-strip would not
    ("pool22-300-128-0006319574-1", "pool22-300-128"),
    ("pool22-300-abc-1", None),
    ("", None),
])
def test_pool_rule_on_edge_cases(pod, pool):
    assert rules.pool_from_pod(pod) == pool
    got = pl.DataFrame({"podID": [pod]}).with_columns(rules.pool_from_pod_expr())["poolName"][0]
    assert got == pool


def test_loader_and_analysis_build_the_same_funcid():
    cs = pl.LazyFrame({"funcName": ["f"], "userID": ["u"], "podID": ["pool22-300-128-0006319574-1"]})
    a = load.add_func_id(cs).collect()["funcID"][0]
    b = pools.with_funcid(cs).collect()["funcID"][0]
    assert a == b == "f---u---pool22-300-128"


def test_generator_and_analysis_share_the_rules():
    assert generate.trigger_category is rules.aggregate_trigger is triggers.aggregate_trigger
    assert generate.config_category is rules.config_category
    assert generate.MANIFEST == rules.MANIFEST == load._MANIFEST


def test_python_and_polars_trigger_rules_agree():
    meta = load.read_function_meta(registry.public_path(schema.REGISTRY_META_NAME))
    got = meta.with_columns(rules.trigger_category_expr())["trigger"].to_list()
    assert got == [rules.aggregate_trigger(t) for t in meta[rules.TRIGGER_COL]]


def test_python_and_polars_config_rules_agree(r2_pools):
    got = pl.DataFrame({"poolName": r2_pools}).with_columns(rules.config_group_expr(), rules.pool_size_expr())
    assert got["config"].to_list() == [rules.config_category(p) for p in r2_pools]
    assert got["pool_size"].to_list() == [rules.pool_size_class(p) for p in r2_pools]
