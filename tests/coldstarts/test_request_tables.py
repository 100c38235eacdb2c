"""Per-request tables at a given size (issue 14 §2): generator, streamed conversion, Fig. 17 data,
the --request-rows option and the benchmark's request group."""
from __future__ import annotations

import json
import re

import numpy as np
import polars as pl
import pytest

from paperkit.coldstarts import __main__ as cli
from paperkit.coldstarts import bench, generate, load, schema
from paperkit.coldstarts.analysis import utility
from paperkit.coldstarts.fingerprints import REGION_TARGETS

SCALE = 0.005
REGIONS = ("R2", "R5")
PARTS = ("cold_start", "per_request")
LAST = 1  # n_days=2


def _gen(path, rows, chunk=3_000, seed=4):
    return generate.generate_trace(path, SCALE, seed, n_days=2, regions=REGIONS, parts=PARTS,
                                   request_rows=rows, chunk_rows=chunk)


@pytest.fixture(scope="module")
def req_trace(cs_cache, tmp_path_factory):
    return _gen(tmp_path_factory.mktemp("req") / "n20k", 20_000)


def _rows(path, region):
    return [pl.read_csv(f, schema=schema.REQUEST)
            for f in sorted((path / "per_request" / region).glob("*.csv"))]


def test_exact_rows_in_chunks_split_by_requests(req_trace):
    counts = {r: [df.height for df in _rows(req_trace, r)] for r in REGIONS}
    assert sum(sum(c) for c in counts.values()) == 20_000
    assert all(n <= 3_000 for c in counts.values() for n in c)
    assert len(counts["R2"]) == -(-sum(counts["R2"]) // 3_000) >= 6
    names = sorted(p.name for p in (req_trace / "per_request" / "R2").iterdir())
    assert names[0] == "R2_part-00000.csv" and all(re.fullmatch(r"R2_part-\d{5}\.csv", n) for n in names)
    # R5's proportional share (211 rows) is below its floor of 2 rows per last-day pod
    pods = load.scan_cold_starts(req_trace).filter(pl.col("day") == LAST).group_by("region").len().collect()
    assert sum(counts["R5"]) == 2 * pods.filter(pl.col("region") == "R5")["len"].item() > 211
    man = json.loads((req_trace / generate.MANIFEST).read_text())
    assert man["request_rows"] == 20_000 and man["request_chunk_rows"] == 3_000
    assert {r: man["regions"][r]["request_rows"] for r in REGIONS} == {r: sum(c) for r, c in counts.items()}


def test_rows_belong_to_last_day_pods_and_start_at_ready(req_trace):
    cs = load.scan_cold_starts(req_trace).filter(pl.col("day") == LAST).collect()
    req = pl.concat([df for r in REGIONS for df in _rows(req_trace, r)])
    first = req.group_by("podID").agg(pl.col("time_worker").min(), pl.len())
    j = cs.join(first, on="podID", how="full", coalesce=True)
    assert j["len"].null_count() == 0 and j["time"].null_count() == 0  # every pod, no stranger
    ready = j["time"] + j["totalCost_cold_start"]
    assert ((j["time_worker"] - ready).abs() <= 0.0006).all()
    ids = req.join(cs.select("podID", pl.col("requestID").alias("cs_id")), on="podID")
    assert ids.filter(pl.col("requestID") == pl.col("cs_id"))["podID"].n_unique() == cs.height


def test_same_arguments_same_bytes(req_trace, tmp_path):
    again = _gen(tmp_path / "again", 20_000)
    files = sorted(p.relative_to(req_trace) for p in req_trace.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert all((req_trace / f).read_bytes() == (again / f).read_bytes() for f in files)


def test_utility_ratios_do_not_depend_on_rows(req_trace, tmp_path):
    big = _gen(tmp_path / "n60k", 60_000, chunk=7_000)
    out = []
    for p in (req_trace, big):
        cs, req = load.scan_cold_starts(p), load.scan_requests(p)
        r = utility.utility_ratios(cs, req, day=LAST)
        life = utility.pod_lifetimes(cs, req, day=LAST)
        out.append((r.group_by("region").agg(pl.col("ratio").median(), (pl.col("ratio") <= 1).mean().alias("le1"),
                                             pl.len()).sort("region"),
                    utility.lifetime_summary(life)))
        assert life["n_requests"].sum() == req.select(pl.len()).collect().item()
    (r1, s1), (r2, s2) = out
    assert r1["len"].to_list() == r2["len"].to_list()
    assert np.allclose(r1["ratio"], r2["ratio"], rtol=0.15)
    assert np.allclose(r1["le1"], r2["le1"], atol=0.05)
    assert np.allclose(s1["lifetime_q50"], s2["lifetime_q50"], rtol=0.15)
    assert s1.filter(pl.col("region") == "all")["requests"].item() == 20_000
    assert s2.filter(pl.col("region") == "all")["requests"].item() == 60_000
    assert s1["region"].to_list() == ["R2", "R5", "all"]


def test_request_split_keeps_a_floor_and_refuses_too_few_rows():
    assert generate.request_split(1_000, ("R1", "R5"), 30, {"R1": 10, "R5": 400}) == {"R1": 600, "R5": 400}
    split = generate.request_split(10**6, ("R1", "R2", "R5"), 30, {"R1": 2, "R2": 2, "R5": 2})
    w = {r: REGION_TARGETS[r].n_requests * generate.day_multipliers(REGION_TARGETS[r])[30]
            / generate.day_multipliers(REGION_TARGETS[r]).sum() for r in split}
    assert sum(split.values()) == 10**6
    assert all(abs(split[r] - 10**6 * w[r] / sum(w.values())) < 1 for r in split)
    with pytest.raises(ValueError, match="request_rows=5 is too small"):
        generate.request_split(5, ("R1", "R5"), 30, {"R1": 4, "R5": 4})


@pytest.mark.parametrize("kw,msg", [({"request_rows": 0}, "request_rows must be an integer >= 1"),
                                    ({"request_rows": 1.5}, "request_rows must be an integer"),
                                    ({"chunk_rows": 0}, "chunk_rows must be"),
                                    ({"request_rows": 10, "parts": ("cold_start",)}, "add per_request")])
def test_bad_request_arguments(tmp_path, kw, msg):
    args = {"n_days": 2, "regions": ("R5",), "parts": PARTS, **kw}
    with pytest.raises(ValueError, match=msg):
        generate.generate_trace(tmp_path / "x", SCALE, 0, **args)
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("index", ["", "Unnamed: 0"])
def test_streamed_conversion_equals_an_eager_read(cs_cache, tmp_path, req_trace, index):
    src = sorted((req_trace / "per_request" / "R2").glob("*.csv"))[0]
    eager = pl.read_csv(src, schema=schema.REQUEST)
    d = tmp_path / "t"
    (d / "per_request" / "R2").mkdir(parents=True)
    eager.with_row_index(index).write_csv(d / "per_request" / "R2" / "x.csv")
    got = load.scan_requests(d).collect()
    assert got.drop("region").equals(eager) and got["region"].unique().to_list() == ["R2"]
    out = load.cache_file(d, d / "per_request" / "R2" / "x.csv")
    assert sorted(p.name for p in load.cache_root(d).iterdir()) == [out.name, out.name + ".src.json"]
    assert load.scan_requests(d).collect().equals(got)  # re-used from the cache


def test_streamed_conversion_names_a_bad_value(cs_cache, tmp_path, req_trace):
    src = sorted((req_trace / "per_request" / "R5").glob("*.csv"))[0]
    lines = src.read_text().splitlines()
    f = lines[2].split(",")
    f[3] = "x"
    lines[2] = ",".join(f)
    d = tmp_path / "t"
    (d / "per_request" / "R5").mkdir(parents=True)
    (d / "per_request" / "R5" / "y.csv").write_text("\n".join(lines[:4]) + "\n")
    with pytest.raises(ValueError, match=r"y\.csv: column 'clusterName' does not parse"):
        load.scan_requests(d)
    (d / "per_request" / "R5" / "y.csv").write_text("\n".join(lines[:2] + [lines[3] + ",1"]) + "\n")
    with pytest.raises(ValueError, match="a row has more fields than the header's 18"):
        load.scan_requests(d)
    assert not [p for p in load.cache_root(d).rglob("*") if p.is_file()]


@pytest.mark.parametrize("bad", ["1.5", "-3", "abc"])
def test_request_rows_option_is_strict(tmp_path, capsys, bad):
    with pytest.raises(SystemExit) as exc:
        cli.main(["generate", str(tmp_path / "x"), "--request-rows", bad])
    assert exc.value.code == 2
    assert "--request-rows" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_request_rows_option(cs_cache, tmp_path, capsys):
    assert cli.main(["generate", str(tmp_path / "x"), "--days", "2", "--regions", "R5",
                     "--parts", "cold_start,per_request", "--request-rows", "5000"]) == 0
    man = json.loads((tmp_path / "x" / generate.MANIFEST).read_text())
    assert man["request_rows"] == 5000 and man["regions"]["R5"]["request_rows"] == 5000


def test_bench_sizes_and_steps():
    assert bench.row_counts("10M,50K,20000") == (10_000_000, 50_000, 20_000)
    for bad in ("1.5M", "0", "-3", "10G", "abc", "10M,"):
        with pytest.raises(Exception, match="expected positive row counts"):
            bench.row_counts(bad)
    assert bench._selected_steps("peer,requests") == bench._selected_steps("peer") + ["requests"]
    assert bench._selected_steps("all")[-1] == "requests"
    assert "pandas_baseline" in bench._selected_steps("all")
    assert "pandas_baseline" not in bench._selected_steps("peer,requests")


def test_bench_request_group_runs_and_cleans_up(cs_cache, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PAPERKIT_BUILD_DIR", str(tmp_path / "build"))
    base = tmp_path / "bench"
    assert bench.main(["--steps", "requests", "--request-sizes", "20000,40000", "--scale", "0.002",
                       "--data-dir", str(base)]) == 0
    out = capsys.readouterr().out
    assert "peak RSS < 8 GB: yes" in out and "figures time grows ~linearly" in out
    rep = json.loads((tmp_path / "build" / "bench" / "coldstarts-requests.json").read_text())
    assert [s["rows"] for s in rep["sizes"]] == [20_000, 40_000]
    assert [s["requests_generate"]["rows"] for s in rep["sizes"]] == [20_000, 40_000]
    assert [s["requests_figures"]["requests"] for s in rep["sizes"]] == [20_000, 40_000]
    assert all(s["disk_bytes"] > s["requests_generate"]["csv_bytes"] for s in rep["sizes"])
    assert not list(tmp_path.glob("bench*"))
    assert not any(load.cache_root(tmp_path / f"bench-{n}").exists() for n in (20_000, 40_000))
    assert not (tmp_path / "build" / "bench" / "coldstarts.json").exists()


def test_bench_request_sizes_option_is_strict(capsys):
    with pytest.raises(SystemExit) as exc:
        bench.main(["--steps", "requests", "--request-sizes", "1.5M"])
    assert exc.value.code == 2 and "--request-sizes" in capsys.readouterr().err


# -- the release's zips, read without unzipping -----------------------------------------------
def _gen_zip(path, rows=20_000, chunk=1_500, seed=4):
    return generate.generate_trace(path, SCALE, seed, n_days=2, regions=REGIONS, parts=PARTS,
                                   request_rows=rows, chunk_rows=chunk, request_format="zip")


def test_zipped_parts_read_like_the_csv_parts(req_trace, tmp_path, cs_cache):
    """Parts packed in zips of 10 (the release's naming) give the same rows as the CSV parts."""
    z = _gen_zip(tmp_path / "z", chunk=3_000)
    names = sorted(p.name for p in (z / "per_request" / "R2").iterdir())
    assert names and all(re.fullmatch(r"R2_\d{5}_\d{5}\.zip", n) for n in names)
    assert not list((z / "per_request").rglob("*.csv"))          # nothing unzipped on disk
    key = ["region", "time_worker", "requestID"]
    a = load.scan_requests(req_trace).collect().sort(key)
    b = load.scan_requests(z).collect().sort(key)
    assert a.height == b.height == 20_000 and a.equals(b)
    members = load.request_files(z)
    assert {m for _, _, m in members} >= {"R2_part-00000.csv"} and len(members) == len(
        load.request_files(req_trace))


def test_zips_are_deterministic_and_split_by_ten(tmp_path, cs_cache):
    a, b = _gen_zip(tmp_path / "a"), _gen_zip(tmp_path / "b")
    za = sorted((a / "per_request").rglob("*.zip"))
    assert [p.read_bytes() for p in za] == [p.read_bytes() for p in sorted((b / "per_request").rglob("*.zip"))]
    import zipfile
    sizes = [len(zipfile.ZipFile(p).namelist()) for p in za if p.parent.name == "R2"]
    assert sizes[0] == 10 and sum(sizes) > 10    # 1,500-row parts: more than one zip


def test_a_bad_value_in_a_zip_member_names_zip_member_and_fix(tmp_path, cs_cache):
    import zipfile
    root = tmp_path / "t"
    (root / "per_request" / "R2").mkdir(parents=True)
    head = ",".join(schema.REQUEST)
    good = ["2592000.5", "2592000.4", "ab" * 32, "1", "7", "pool22-300-128-0000000001", "3",
            *["0.1"] * 8, "0.2", "100.5", "12.0"]
    bad = list(good)
    bad[3] = "x"                                            # clusterName must be an integer
    with zipfile.ZipFile(root / "per_request" / "R2" / "R2_00000_00000.zip", "w") as zf:
        zf.writestr("part-00000.csv", head + "\n" + ",".join(good) + "\n" + ",".join(bad) + "\n")
    with pytest.raises(ValueError) as e:
        load.scan_requests(root).collect()
    msg = str(e.value)
    assert "R2_00000_00000.zip!part-00000.csv" in msg and "fix the value or delete the row" in msg
    with zipfile.ZipFile(root / "per_request" / "R2" / "R2_00000_00000.zip", "w") as zf:
        zf.writestr("part-00000.csv", head.replace("podID", "pod") + "\n" + ",".join(good) + "\n")
    with pytest.raises(ValueError, match=r"R2_00000_00000\.zip!part-00000\.csv: missing column 'podID'"):
        load.scan_requests(root)


def test_request_format_zip_needs_request_rows(tmp_path):
    with pytest.raises(ValueError, match="request_format"):
        generate.generate_trace(tmp_path / "x", SCALE, 0, n_days=1, regions=REGIONS, parts=PARTS,
                                request_format="zip")
