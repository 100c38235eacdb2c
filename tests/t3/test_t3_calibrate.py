"""The GPU calibration script at toy size on the CPU, and the measured-profile builder."""
import json

import polars as pl
import pytest

from paperkit.t3.calibrate import main, run_campaign
from paperkit.t3.measured import profile_from_measurement
from paperkit.t3.model import simulate
from paperkit.t3.workloads import Workload


def test_toy_campaign_on_cpu(tmp_path):
    pq, pj = run_campaign(tmp_path, scale=1 / 64, reps=1, warmup=0, tokens=[1024], dtypes=("bf16",),
                          device="cpu")
    df = pl.read_parquet(pq)
    assert pq.name == "t3_cpu.parquet"
    assert set(df["kind"].unique().to_list()) == {"gemm", "chunked", "reduce", "copy"}  # no streams on CPU
    assert df.filter(pl.col("kind") == "gemm").height == 28       # every model x TP x sublayer shape
    assert (df["time_s"] > 0).all()
    prov = json.loads(pj.read_text())
    assert prov["tier"] == "measured" and prov["device"] == "cpu" and prov["rows"] == df.height
    # a profile from it (the SM count must be given on CPU) drives the model
    with pytest.raises(ValueError, match="SM count"):
        profile_from_measurement(pq, llc_mb=16, link_gbps=75)
    hw = profile_from_measurement(pq, llc_mb=16, link_gbps=75, n_cu=8)
    assert hw.name == "measured-cpu" and 0 < hw.gemm_efficiency <= 1
    assert simulate(Workload("t-nlg", 8, "op", 1024), "t3", hw).time_s > 0


def test_cli_rejects_bad_scale(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--scale", "2"])
    assert e.value.code == 2
    with pytest.raises(ValueError, match="no calibration file"):
        profile_from_measurement("/nonexistent/t3_x.parquet", llc_mb=16, link_gbps=75)
