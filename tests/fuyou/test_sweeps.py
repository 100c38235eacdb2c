"""Figure-data helpers and claim rules (small, fast configurations)."""
import threading
import time

import polars as pl
import pytest
import torch

from paperkit.fuyou import claimvalues, plots, sweeps
from paperkit.fuyou.engine import DiskStore


def test_best_over_batches_picks_max_fitting_row():
    tp = sweeps.throughput(["fuyou-4090"], ["13B"], [8, 64], ("fuyou", "zero-offload"))
    best = sweeps.best_over_batches(tp)
    assert best["system"].to_list() == ["fuyou"]  # zero-offload never fits a 4090 at 13B
    fy = tp.filter(system="fuyou", fits=True)
    assert best["tflops"][0] == fy["tflops"].max()
    assert claimvalues.best_tflops(tp, "fuyou-4090", "13B", "zero-offload") is None


def test_ssd_override_in_throughput():
    a = sweeps.throughput(["fuyou-4090"], ["13B"], [8], ("fuyou",), n_ssd=2)
    b = sweeps.throughput(["fuyou-4090"], ["13B"], [8], ("fuyou",))
    assert a["n_ssd"][0] == 2 and a["tflops"][0] < b["tflops"][0]


def test_pooling_gpus_and_fits_rules():
    assert claimvalues.pooling_gpus(100e9) == 20  # 1.6 TB / 80 GB
    assert claimvalues.fits("fuyou-4090", "175B", "fuyou") == 1.0
    assert claimvalues.fits("fuyou-4090", "175B", "zero-infinity") == 0.0


def test_fmt_table_rounds_and_is_stable():
    df = pl.DataFrame({"a": ["x", "y"], "v": [1.234567, float("nan")], "n": [None, 2]})
    txt = plots.fmt_table(df)
    assert "1.235" in txt and "1.234567" not in txt and txt == plots.fmt_table(df)


def test_throttle_serializes_one_device(tmp_path):
    st = DiskStore(tmp_path, read_bps=None, write_bps=20e6)
    t = torch.zeros(250_000)  # 1 MB -> 0.05 s each at 20 MB/s
    t0 = time.perf_counter()
    th = [threading.Thread(target=st.write, args=(f"x{i}", t)) for i in range(4)]
    for x in th:
        x.start()
    for x in th:
        x.join()
    assert time.perf_counter() - t0 >= 0.19  # 4 x 0.05 s, not 0.05 s in parallel
    assert st.bytes_written == 4 * 1_000_000
