"""The measurement script runs on the CPU at toy size and writes data with provenance."""
import json

import polars as pl
import pytest

from paperkit import measured
from paperkit.fuyou import measure
from paperkit.fuyou.hardware import load_profiles
from paperkit.fuyou.measure import (campaign, disk_bandwidth, load_campaign, main,
                                     write_cpu_profile)


def test_campaign_toy_writes_parquet_and_provenance(tmp_path):
    df = campaign(tmp_path, "cputest", "cpu", ["toy"], budget_s=60, command="test")
    assert sorted(df["schedule"].to_list()) == ["fuyou", "serial"]
    back = pl.read_parquet(tmp_path / "cputest.parquet")
    for col in ("iteration_s", "tflops", "model_iteration_s", "ssd_read_bytes_per_step"):
        assert col in back.columns and (back[col] > 0).all()
    prov = measured.read_provenance(tmp_path / "cputest.provenance.json")  # schema-validated
    assert prov["command"] == "test" and prov["software"]["torch"]
    for k in ("host", "loadavg_1min", "disk_read_bps", "h2d_bps"):
        assert k in prov["extra"]
    assert not list(tmp_path.glob("*.tmp"))
    runs, rates = load_campaign("cputest", tmp_path)
    assert runs.height == 2 and "err" in runs.columns
    assert rates.height == 7 and (rates["value"] >= 0).all()


def test_cpu_profile_is_loadable(tmp_path):
    path = write_cpu_profile(tmp_path, name="box", mb=16)
    prof = load_profiles(tmp_path)["box"]
    assert prof.tier == "measured" and prof.ssd_read_bps > 0 and prof.adam_params_per_s > 0
    assert "profile" in json.loads(path.read_text())
    assert measured.read_provenance(tmp_path / "box_profile.provenance.json")["machine"] == "box"
    path.write_text(path.read_text().replace("1", "2"))  # altered after recording: refused
    with pytest.raises(measured.MeasurementError, match="sha256"):
        load_profiles(tmp_path)


def test_disk_bandwidth_positive(tmp_path):
    r, w = disk_bandwidth(tmp_path, mb=8)
    assert r > 0 and w > 0 and not list(tmp_path.iterdir())


def test_cli_rejects_unknown_size(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--machine", "x", "--device", "cpu", "--sizes", "huge"])
    assert e.value.code == 2 and "huge" in capsys.readouterr().err


def test_timeline_round_trip(tmp_path):
    """record_timelines writes both schedules with provenance; load_timelines reads them back."""
    path = measure.record_timelines(tmp_path, machine="toycpu", steps=1, disk_mbps=0)
    assert path.name == "toycpu_timeline.parquet"
    frames, prov = measure.load_timelines("toycpu", tmp_path)
    assert list(frames) == ["serial", "fuyou"]
    for tl in frames.values():
        assert {"resource", "kind", "start_s", "end_s"} <= set(tl.columns)
        assert tl.height > 0 and (tl["end_s"] >= tl["start_s"]).all()
    assert prov["steps"] == 1 and prov["shape"] == measure.TIMELINE_SHAPE
    with pytest.raises(FileNotFoundError, match="--timeline"):
        measure.load_timelines("nosuch", tmp_path)
