"""Loader on a tiny generated trace: lazy scans, partial releases, parquet cache reuse/atomicity."""

import json
import os
from pathlib import Path

import polars as pl
import pytest

from paperkit import registry

from paperkit.coldstarts import REGIONS, load, schema


def _manifest(root: Path) -> dict:
    return json.loads((root / "SYNTHETIC.json").read_text())


def test_regions_and_parts(tiny_trace):
    assert load.regions(tiny_trace) == list(REGIONS)
    assert load.parts_present(tiny_trace) == {"cold_start": True, "quantiles": True,
                                              "per_request": True, "runtime_triggerType": True}
    assert load.available_series(tiny_trace) == sorted(
        ["requests", "num_cold_starts", "num_pods", "totalCost_avg", "cpu_usage_avg"])
    assert load.trace_tier(tiny_trace) == "synthetic"


def test_scan_cold_starts(tiny_trace):
    lf = load.scan_cold_starts(tiny_trace)
    assert isinstance(lf, pl.LazyFrame)
    sch = lf.collect_schema()
    assert list(sch) == [*schema.COLD_START, "region"]
    assert sch["region"] == pl.String and sch["day"] == pl.Int64
    counts = lf.group_by("region").len().sort("region").collect()
    man = _manifest(tiny_trace)
    assert dict(zip(counts["region"], counts["len"])) == {
        r: v["n_cold_starts"] for r, v in man["regions"].items()}
    days = lf.select(pl.col("day").min().alias("lo"), pl.col("day").max().alias("hi"),
                     ((pl.col("time") // 86400).cast(pl.Int64) == pl.col("day")).all().alias("ok")
                     ).collect().row(0)
    assert days == (0, 30, True)


def test_scan_series_long_form_and_consistency(tiny_trace):
    req = load.scan_series(tiny_trace, "requests")
    assert dict(req.collect_schema()) == schema.SERIES_LONG
    tot = req.group_by("region").agg(pl.col("value").sum()).sort("region").collect()
    man = _manifest(tiny_trace)
    assert dict(zip(tot["region"], tot["value"].round(0).cast(pl.Int64))) == {
        r: v["n_requests"] for r, v in man["regions"].items()}
    # the per-minute cold-start counts are exactly the cold-start events
    ncs = (load.scan_series(tiny_trace, "num_cold_starts").group_by("region")
           .agg(pl.col("value").sum()).sort("region").collect())
    assert dict(zip(ncs["region"], ncs["value"].cast(pl.Int64))) == {
        r: v["n_cold_starts"] for r, v in man["regions"].items()}
    t = req.select(pl.col("time").min().alias("lo"), pl.col("time").max().alias("hi")).collect().row(0)
    assert t == (0, 30 * 86400 + 1439 * 60)
    fn = load.series_functions(tiny_trace, "requests")
    assert fn.group_by("region").len().sort("region")["len"].to_list() == [
        man["regions"][r]["n_functions"] for r in REGIONS]


def test_scan_requests(tiny_trace):
    lf = load.scan_requests(tiny_trace)
    df = lf.select("region", "time_worker").collect()
    assert set(df["region"]) == set(REGIONS)
    assert df["time_worker"].min() >= 30 * 86400


def test_function_meta_from_trace_and_registry(tiny_trace, public_data):
    meta, tier = load.load_function_meta_tier(tiny_trace)
    assert tier == "synthetic"
    assert meta.height == _manifest(tiny_trace)["regions"]["R2"]["n_functions"]
    real, tier = load.load_function_meta_tier()
    assert tier == "public" and real.height == 2418
    assert dict(real.schema) == schema.FUNCTION_META
    assert set(meta["funcID"]) <= set(real["funcID"])  # the generator used the real rows
    assert load.load_function_meta().height == 2418


def test_function_meta_is_synthetic_only_when_asked(monkeypatch, tmp_path):
    monkeypatch.setenv("PAPERKIT_DATA_DIR", str(tmp_path))
    meta, tier = load.load_function_meta_tier(None, "synthetic")
    assert tier == "synthetic" and meta.height == 2418
    with pytest.raises(ValueError, match="R2_TABLE='real'"):
        load.load_function_meta_tier(None, "real")


@pytest.fixture
def moved_public(tmp_path, monkeypatch):
    """The registry's committed files looked up in an empty copy of data/public."""
    reg = registry.Registry(public=tmp_path / "public", cache=tmp_path / "cache", mirror=False)
    monkeypatch.setattr(registry, "_default", reg)
    return reg.public


def test_missing_public_table_stops_with_the_fix(moved_public):
    with pytest.raises(registry.DataUnavailable, match=r"df_funcID_runtime_triggerType\.csv.*git checkout"):
        load.load_function_meta_tier(None)


def test_altered_public_table_stops_with_the_fix(moved_public):
    f = moved_public / schema.REGISTRY_META_NAME
    f.parent.mkdir(parents=True)
    f.write_text("funcID,cpu_request,runtime,triggerType-invocationType\n1---2---p,1,Go,x\n")
    with pytest.raises(registry.DataCorrupt, match=r"git checkout -- .*df_funcID"):
        load.load_function_meta_tier(None)


def test_cold_start_only_release(cs_only_trace):
    assert load.regions(cs_only_trace) == list(REGIONS)
    assert load.available_series(cs_only_trace) == []
    assert load.scan_cold_starts(cs_only_trace).select(pl.len()).collect().item() > 0
    with pytest.raises(ValueError, match=r"no quantiles/R\*/requests/day_\*\.csv under .*cs_only"):
        load.scan_series(cs_only_trace, "requests")
    with pytest.raises(ValueError, match="no per_request"):
        load.scan_requests(cs_only_trace)


def test_bad_data_dir(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load.scan_cold_starts(tmp_path / "nope")
    with pytest.raises(ValueError, match=r"no cold_start/R\*/day_\*\.csv under .*make data.*generate"):
        load.scan_cold_starts(tmp_path)
    with pytest.raises(ValueError, match="data_dir is empty"):
        load.scan_cold_starts("")


def _all_files(d: Path) -> list[Path]:
    return sorted(p for p in d.rglob("*") if p.is_file())


def test_parquet_cache_reuse_and_refresh(tiny_trace, tmp_path):
    import shutil
    root = tmp_path / "t"
    shutil.copytree(tiny_trace / "cold_start", root / "cold_start")
    load.scan_cold_starts(root).select(pl.len()).collect()
    cache = load.cache_root(root)
    pq = load.cache_file(root, root / "cold_start" / "R2" / "day_04.csv")
    assert pq.is_file() and pq.with_name(pq.name + ".src.json").is_file()
    before = {p: p.stat().st_mtime_ns for p in _all_files(cache)}
    load.scan_cold_starts(root)
    assert {p: p.stat().st_mtime_ns for p in _all_files(cache)} == before  # re-used, not rewritten
    csv = root / "cold_start" / "R2" / "day_04.csv"
    df = pl.read_csv(csv, schema=schema.COLD_START).head(5)
    df.write_csv(csv)  # size and mtime change -> reconverted
    lf = load.scan_cold_starts(root)
    assert pq.stat().st_mtime_ns != before[pq]
    n = lf.filter((pl.col("region") == "R2") & (pl.col("day") == 4)).select(pl.len()).collect()
    assert n.item() == 5
    assert not [p for p in _all_files(cache) if ".tmp" in p.name]


def test_parquet_cache_is_atomic(tiny_trace, tmp_path):
    csv = next((tiny_trace / "cold_start" / "R5").glob("*.csv"))

    def broken(_csv):
        raise RuntimeError("conversion failed half-way")

    cache = load.cache_root(tiny_trace)
    out = load.cache_file(tiny_trace, csv)
    if out.exists():
        out.unlink()
    with pytest.raises(RuntimeError):
        load.cached_parquet(csv, tiny_trace, broken)
    assert not out.exists()
    assert not [p for p in _all_files(cache) if ".tmp" in p.name]

    def bad_write(_csv):  # a frame whose parquet write fails mid-way
        return pl.DataFrame({"x": [object()]}, schema={"x": pl.Object})

    with pytest.raises(Exception):
        load.cached_parquet(csv, tiny_trace, bad_write)
    assert not out.exists()
    assert not [p for p in _all_files(cache) if ".tmp" in p.name]


def test_add_func_id(tiny_trace):
    df = load.add_func_id(load.scan_cold_starts(tiny_trace)).filter(
        pl.col("region") == "R2").select("funcID", "poolName").unique().collect()
    meta = load.load_function_meta(tiny_trace)
    assert set(df["funcID"]) <= set(meta["funcID"])
    assert df["poolName"].str.count_matches("-").eq(2).all()
