"""Synthetic generator: determinism, layout, internal consistency, atomic writes, bad arguments."""

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from paperkit.coldstarts import REGIONS, cachefiles, generate, load, schema
from paperkit.coldstarts.__main__ import main
from paperkit.coldstarts.fingerprints import (FINGERPRINTS, R2_POOL_COUNTS, R2_RUNTIME_COUNTS,
                                              R2_TRIGGER_COUNTS, REGION_TARGETS)


def _digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes(tmp_path, cs_cache):
    kw = dict(n_days=2, regions=("R2", "R5"))
    a = generate.generate_trace(tmp_path / "a", 0.002, 7, **kw, functions=0.002)
    b = generate.generate_trace(tmp_path / "b", 0.002, 7, **kw, functions=0.002)
    c = generate.generate_trace(tmp_path / "c", 0.002, 8, **kw, functions=0.002)
    da, db, dc = _digests(a), _digests(b), _digests(c)
    assert len(da) > 10 and da == db
    assert da["cold_start/R2/day_00.csv"] != dc["cold_start/R2/day_00.csv"]


def test_layout(tiny_trace):
    for r in REGIONS:
        assert sorted(p.name for p in (tiny_trace / "cold_start" / r).glob("*.csv")) == [
            f"day_{d:02d}.csv" for d in range(31)]
        for s in generate.DEFAULT_SERIES:
            assert len(list((tiny_trace / "quantiles" / r / s).glob("day_*.csv"))) == 31
        assert len(list((tiny_trace / "per_request" / r).glob("*.csv"))) == 1
    assert (tiny_trace / schema.META_RELPATH).is_file()
    man = json.loads((tiny_trace / generate.MANIFEST).read_text())
    assert man["tier"] == "synthetic" and man["scale"] == 0.002


def test_counts_follow_scale(tiny_trace):
    man = json.loads((tiny_trace / generate.MANIFEST).read_text())["regions"]
    for r, t in REGION_TARGETS.items():
        assert man[r]["n_cold_starts"] == round(t.n_cold_starts * 0.002)
        assert man[r]["n_functions"] == max(round(t.n_functions * 0.002), generate.MIN_FUNCTIONS)
        assert man[r]["n_requests"] == pytest.approx(t.n_requests * 0.002, rel=0.01)


def test_cold_start_rows_are_consistent(tiny_trace):
    df = pl.concat([pl.read_csv(f, schema=schema.COLD_START)
                    for f in sorted((tiny_trace / "cold_start" / "R1").glob("*.csv"))])
    comp = df.select(pl.sum_horizontal(list(schema.COMPONENTS))).to_series()
    assert (comp - df["totalCost_cold_start"]).abs().max() < 2e-6
    for c in ("deployCodeCost", "deployDependencyCost"):
        x = df[c].to_numpy()
        assert np.allclose(x, np.round(x, 3), atol=1e-9)
    assert (df["deployDependencyCost"] == 0).mean() > 0.4  # functions without layers (R1 median 0)
    assert (df[list(schema.COMPONENTS)].min_horizontal() >= 0).all()
    t = df["time"].to_numpy()
    assert np.all(np.diff(t) >= 0) and np.allclose(t, np.round(t, 3))
    assert ((df["time"] // 86400).cast(pl.Int64) == df["day"]).all()
    assert df["requestID"].str.len_chars().eq(64).all()
    assert df["podID"].n_unique() == df.height
    assert df["podID"].str.contains(r"^[a-z.0-9]+-\d+-\d+-\d{10}$").all()
    assert set(df["clusterName"].unique()) <= {1, 2, 3, 4}


def test_day_volume_follows_calendar(tmp_path, cs_cache):
    root = generate.generate_trace(tmp_path / "cal", 0.01, 0, regions=("R2",), parts=("cold_start",), functions=0.01)
    n = [pl.read_csv(f, columns=["day"]).height
         for f in sorted((root / "cold_start" / "R2").glob("*.csv"))]
    high = np.mean([n[d] for d in FINGERPRINTS.high_days])
    holiday = np.mean([n[d] for d in FINGERPRINTS.holiday_days])
    assert holiday / high < 0.75
    assert int(np.argmax(n)) == 13  # the last workday before the holiday (Fig. 7a)


def test_synthetic_function_table_has_exact_counts():
    t = generate.synthetic_function_table(0)
    assert t.height == 2418 and t["funcID"].n_unique() == 2418
    assert dict(t["runtime"].value_counts().iter_rows()) == R2_RUNTIME_COUNTS
    assert dict(t["triggerType-invocationType"].value_counts().iter_rows()) == R2_TRIGGER_COUNTS
    parts = t["funcID"].str.split("---")
    assert dict(parts.list.get(2).value_counts().iter_rows()) == R2_POOL_COUNTS
    assert parts.list.get(0).n_unique() == 2148 and parts.list.get(1).n_unique() == 1144


@pytest.mark.parametrize("s,cat", [
    ("APIG-S TIMER-A workflow-S", "TIMER-A"), ("OBS-A", "OBS-A"), ("unknown-A unknown-S", "unknown"),
    ("KAFKA-S", "other S"), ("APIG-S OBS-A", "other S"), ("DIS-A SMN-A", "other A"),
    ("unknown-A", "other A"), ("APIG-S workflow-S", "other S")])
def test_trigger_category(s, cat):
    assert generate.trigger_category(s) == cat


def test_generate_is_atomic(tmp_path, monkeypatch, cs_cache):
    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(generate, "_generate_into", boom)
    with pytest.raises(RuntimeError):
        generate.generate_trace(tmp_path / "x", 0.001, 0, functions=0.001)
    assert list(tmp_path.iterdir()) == []


def test_existing_out_dir_is_refused(tmp_path):
    (tmp_path / "x").mkdir()
    with pytest.raises(ValueError, match="already exists.*overwrite"):
        generate.generate_trace(tmp_path / "x", 0.001, 0, functions=0.001)


@pytest.mark.parametrize("kw,msg", [
    (dict(scale=0), "scale must be"), (dict(scale=0.01, n_days=0), "n_days"),
    (dict(scale=0.01, regions=("R9",)), "unknown region R9"),
    (dict(scale=0.01, parts=("zips",)), "unknown part 'zips'"),
    (dict(scale=0.01, series=("busCost_avg",)), "cannot produce series 'busCost_avg'")])
def test_bad_arguments(tmp_path, kw, msg):
    with pytest.raises(ValueError, match=msg):
        generate.generate_trace(tmp_path / "y", **kw)


def test_synthetic_trace_is_cached(cs_cache, public_data):
    p = generate.synthetic_trace(0.001, 1, n_days=2, progress=False, functions=0.001)
    assert p.parent == cs_cache / "coldstarts" and p.name == "synthetic-scale0.001-seed1-days2-functions0.001"
    assert json.loads((p / generate.MANIFEST).read_text())["function_meta_source"] == "public"
    stamp = (p / generate.MANIFEST).stat().st_mtime_ns
    assert generate.synthetic_trace(0.001, 1, n_days=2, progress=False, functions=0.001) == p
    assert (p / generate.MANIFEST).stat().st_mtime_ns == stamp


def test_synthetic_trace_on_a_synthetic_table_only_when_asked(cs_cache):
    p = generate.synthetic_trace(0.001, 1, n_days=1, progress=False, meta="synthetic", functions=0.001)
    assert p.name == "synthetic-scale0.001-seed1-days1-functions0.001-synthmeta"
    assert json.loads((p / generate.MANIFEST).read_text())["function_meta_source"] == "synthetic"


def test_overwrite_refuses_a_users_folder(tmp_path, cs_cache, capsys):
    mine = tmp_path / "mine"
    (mine / "sub").mkdir(parents=True)
    (mine / "thesis.tex").write_text("precious")
    (mine / "sub" / "data.csv").write_text("1,2\n")
    before = _digests(mine)
    with pytest.raises(ValueError, match=r"refusing to overwrite .*mine: it is not empty and has no "
                                         r"SYNTHETIC\.json .*choose another OUT_DIR"):
        generate.generate_trace(mine, 0.001, 0, n_days=1, regions=("R5",), overwrite=True, functions=0.001)
    with pytest.raises(SystemExit) as exc:
        main(["generate", str(mine), "--scale", "0.001", "--days", "1", "--regions", "R5",
              "--overwrite"])
    assert exc.value.code == 2 and "refusing to overwrite" in capsys.readouterr().err
    # a SYNTHETIC.json that is not this generator's does not make it ours either
    (mine / "SYNTHETIC.json").write_text('{"generator": "someone else"}')
    with pytest.raises(ValueError, match="refusing to overwrite"):
        generate.generate_trace(mine, 0.001, 0, n_days=1, regions=("R5",), overwrite=True, functions=0.001)
    (mine / "SYNTHETIC.json").unlink()
    assert _digests(mine) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]  # no temporary leftovers


def test_overwrite_replaces_a_generated_or_empty_folder(tmp_path, cs_cache):
    kw = dict(n_days=1, regions=("R5",), parts=("cold_start",))
    out = generate.generate_trace(tmp_path / "g", 0.001, 1, **kw, functions=0.001)
    (tmp_path / "g" / "cold_start" / "R5" / "day_07.csv").write_text("a user's file")
    with pytest.raises(ValueError, match="does not list, e.g. cold_start/R5/day_07.csv"):
        generate.generate_trace(out, 0.001, 2, overwrite=True, **kw, functions=0.001)
    (tmp_path / "g" / "cold_start" / "R5" / "day_07.csv").unlink()
    generate.generate_trace(out, 0.001, 2, overwrite=True, **kw, functions=0.001)
    assert json.loads((out / generate.MANIFEST).read_text())["seed"] == 2
    (tmp_path / "empty").mkdir()
    generate.generate_trace(tmp_path / "empty", 0.001, 1, overwrite=True, **kw, functions=0.001)
    assert generate.is_generated(tmp_path / "empty")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "g"]


def test_temporary_folders_have_unique_names(tmp_path, cs_cache):
    # another writer's temporary folder under the old fixed name must not be touched
    other = tmp_path / f".x.tmp{os.getpid()}"
    other.mkdir()
    (other / "partial.csv").write_text("theirs")
    generate.generate_trace(tmp_path / "x", 0.001, 0, n_days=1, regions=("R5",),
                            parts=("cold_start",), functions=0.001)
    assert (other / "partial.csv").read_text() == "theirs"
    a, b = (cachefiles.temp_sibling(tmp_path / "x", folder=True) for _ in range(2))
    assert a != b and a.is_dir() and b.is_dir() and f"tmp{os.getpid()}." in a.name


def test_release_function_population_at_any_scale(tmp_path, cs_cache):
    """Scale shrinks events per function, not the population (issue 14 §2b)."""
    kw = dict(n_days=1, regions=("R3", "R5"), parts=("cold_start", "quantiles"))
    full = generate.generate_trace(tmp_path / "full", 0.001, 0, **kw)
    part = generate.generate_trace(tmp_path / "part", 0.001, 0, functions=0.1, **kw)
    man_f, man_p = (json.loads((p / generate.MANIFEST).read_text()) for p in (full, part))
    assert {r: v["n_functions"] for r, v in man_f["regions"].items()} == {
        r: REGION_TARGETS[r].n_functions for r in ("R3", "R5")} == {"R3": 240, "R5": 550}
    assert {r: v["n_functions"] for r, v in man_p["regions"].items()} == {"R3": 24, "R5": 55}
    assert man_f["functions"] == 1.0 and man_p["functions"] == 0.1
    cols = load.series_functions(full, "requests")
    assert cols.group_by("region").len().sort("region")["len"].to_list() == [240, 550]
    # the same events over more functions: cold-start totals do not depend on the population
    assert (man_f["regions"]["R3"]["n_cold_starts"] == man_p["regions"]["R3"]["n_cold_starts"])


def test_series_cells_are_consistent(tmp_path, cs_cache):
    """requests >= cold starts and pods >= cold starts in every (function, minute) cell; the
    series' cold starts are the events counted per minute."""
    out = generate.generate_trace(tmp_path / "t", 0.01, 4, n_days=2, regions=("R2",),
                                  parts=("cold_start", "quantiles"))
    key = ["day", "time", "funcID"]
    s = {n: load.scan_series(out, n).collect().rename({"value": n}).drop("region")
         for n in ("requests", "num_cold_starts", "num_pods")}
    j = (s["num_cold_starts"].join(s["requests"], on=key, how="left")
         .join(s["num_pods"], on=key, how="left"))
    assert j.height > 100 and j["requests"].null_count() == 0 and j["num_pods"].null_count() == 0
    assert (j["requests"] >= j["num_cold_starts"]).all() and (j["num_pods"] >= j["num_cold_starts"]).all()
    ev = (load.add_func_id(load.scan_cold_starts(out)).with_columns(
        ((pl.col("time") // 60) * 60).cast(pl.Int64).alias("time"))
        .group_by("day", "time", "funcID").agg(pl.len().cast(pl.Float64).alias("n")).collect())
    both = ev.join(s["num_cold_starts"], on=key, how="full", coalesce=True)
    assert both.height == ev.height and (both["n"] == both["num_cold_starts"]).all()
