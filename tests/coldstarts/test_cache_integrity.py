"""Caches are checked by content: a damaged parquet cache file or cached synthetic trace is
detected, rebuilt with one line on stderr (never a traceback), and never trusted."""

import json
import os
import shutil

import polars as pl
import pytest

from paperkit.coldstarts import cachefiles, generate, load


def _one_line(err: str, *words: str) -> None:
    assert err.count("\n") == 1 and err.startswith("paperkit: "), err
    assert "Traceback" not in err and all(w in err for w in words), err


@pytest.fixture
def small(tiny_trace, tmp_path):
    """Two cold-start files of the tiny trace, converted once."""
    root = tmp_path / "t"
    (root / "cold_start" / "R5").mkdir(parents=True)
    for d in ("day_00.csv", "day_01.csv"):
        shutil.copy(tiny_trace / "cold_start" / "R5" / d, root / "cold_start" / "R5" / d)
    want = load.scan_cold_starts(root).collect()
    return root, load.cache_file(root, root / "cold_start" / "R5" / "day_01.csv"), want


@pytest.mark.parametrize("damage,why", [
    (lambda b: b[: len(b) // 2], "truncated"),
    (lambda b: b[:100] + bytes(len(b) - 100), "checksum mismatch"),   # same size, zeroed
    (lambda b: b"garbage", "truncated"),
    (None, "is missing"),
])
def test_damaged_parquet_is_rebuilt(small, capsys, damage, why):
    root, pq, want = small
    capsys.readouterr()
    if damage is None:
        pq.unlink()
    else:
        pq.write_bytes(damage(pq.read_bytes()))
    got = load.scan_cold_starts(root).collect()
    _one_line(capsys.readouterr().err, str(pq), why, "rebuilding it from", "day_01.csv")
    assert got.equals(want)
    load.scan_cold_starts(root).collect()  # rebuilt once: silent now
    assert capsys.readouterr().err == ""


def test_unreadable_cache_record_is_rebuilt(small, capsys):
    root, pq, want = small
    side = pq.with_name(pq.name + ".src.json")
    side.write_bytes(b"\x00\xffnot json")
    capsys.readouterr()
    assert load.scan_cold_starts(root).collect().equals(want)
    _one_line(capsys.readouterr().err, str(side), "unreadable")
    assert json.loads(side.read_text())["parquet"]["size"] == pq.stat().st_size


def test_parquet_temp_names_are_unique(small):
    root, pq, want = small
    other = pq.with_name(f".{pq.name}.tmp{os.getpid()}")  # the old fixed name, another writer's
    other.write_bytes(b"theirs")
    os.utime(root / "cold_start" / "R5" / "day_01.csv")  # forces a reconversion
    assert load.scan_cold_starts(root).collect().equals(want)
    assert other.read_bytes() == b"theirs"
    a, b = cachefiles.temp_sibling(pq), cachefiles.temp_sibling(pq)
    assert a != b and f"tmp{os.getpid()}." in a.name
    a.unlink(), b.unlink(), other.unlink()


@pytest.fixture
def cached(cs_cache):
    """A cached synthetic trace (scale 0.001, 1 day) and the digests of its files."""
    p = generate.synthetic_trace(0.001, 5, n_days=1, progress=False, functions=0.001)
    return p, cachefiles.tree_record(p)


def _damage_csv(p):
    f = p / "cold_start" / "R2" / "day_00.csv"
    f.write_bytes(f.read_bytes()[:-50])


def _garble_csv(p):
    f = p / "cold_start" / "R1" / "day_00.csv"
    b = f.read_bytes()
    f.write_bytes(b[:200] + b"9" * 20 + b[220:])  # same size, other numbers


@pytest.mark.parametrize("damage,why", [
    (_damage_csv, "is corrupt: cold_start/R2/day_00.csv has"),
    (_garble_csv, "is corrupt: cold_start/R1/day_00.csv does not have the content"),
    (lambda p: (p / "quantiles" / "R3" / "requests" / "day_00.csv").unlink(),
     "is incomplete: 1 file(s) missing, e.g. quantiles/R3/requests/day_00.csv"),
    (lambda p: (p / "cold_start" / "R1" / "day_05.csv").write_text("x"),
     "has 1 file(s) the generator did not write, e.g. cold_start/R1/day_05.csv"),
    (lambda p: (p / generate.MANIFEST).write_text("{not json"), "has an unreadable SYNTHETIC.json"),
    (lambda p: (p / generate.MANIFEST).unlink(), "has no SYNTHETIC.json (incomplete)"),
    (lambda p: (p.parent / f".{p.name}.files.json").unlink(), "has no valid content record"),
])
def test_damaged_synthetic_trace_is_regenerated(cached, capsys, damage, why):
    p, record = cached
    damage(p)
    capsys.readouterr()
    assert generate.synthetic_trace(0.001, 5, n_days=1, progress=False, functions=0.001) == p
    _one_line(capsys.readouterr().err, f"cached synthetic trace {p} {why}", "regenerating it")
    assert cachefiles.tree_record(p) == record  # the same bytes again
    generate.synthetic_trace(0.001, 5, n_days=1, progress=False, functions=0.001)
    assert capsys.readouterr().err == ""


def test_foreign_folder_in_trace_cache_is_not_deleted(cs_cache):
    p = cs_cache / "coldstarts" / "synthetic-scale0.001-seed6-days1-functions0.001"
    for name in (p.name, p.name + "-synthmeta"):
        (p.parent / name).mkdir(parents=True, exist_ok=True)
        (p.parent / name / "mine.txt").write_text("keep")
    with pytest.raises(ValueError, match="not written by the generator .*move or delete it"):
        generate.synthetic_trace(0.001, 6, n_days=1, progress=False, functions=0.001)
    assert (p / "mine.txt").read_text() == "keep"


def test_corrupt_manifest_of_a_data_dir_is_a_clear_error(tmp_path):
    (tmp_path / "SYNTHETIC.json").write_text("{oops")
    with pytest.raises(ValueError, match=r"SYNTHETIC\.json: not valid JSON .*generate it again"):
        load.trace_tier(tmp_path)
