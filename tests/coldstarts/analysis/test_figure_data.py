"""End-to-end: every figure's data and every plot from a tiny generated trace in the release layout,
and agreement of the polars pipeline with the pandas baseline."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import polars as pl  # noqa: E402
import pytest  # noqa: E402

from paperkit.coldstarts import data as cs_data, generate  # noqa: E402
from paperkit.coldstarts.analysis import (  # noqa: E402
    claimvalues, composition, distributions, figure_data, pandas_baseline, runtimes)
from paperkit.coldstarts.plots import correlation, distributions as dplots, load as lplots, region2, regions, utility  # noqa: E402


@pytest.fixture(scope="module")
def trace(tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    import os
    old = os.environ.get("PAPERKIT_DATA_DIR")
    os.environ["PAPERKIT_DATA_DIR"] = str(cache)
    try:
        yield generate.generate_trace(tmp_path_factory.mktemp("t") / "trace", 0.002, seed=3, n_days=26, meta="synthetic")
    finally:
        if old is None:
            os.environ.pop("PAPERKIT_DATA_DIR", None)
        else:
            os.environ["PAPERKIT_DATA_DIR"] = old


@pytest.fixture(scope="module")
def data(trace):
    return figure_data.all_figure_data(trace)


def test_all_keys_present_and_sorted(data):
    for k in ("fig01_sizes", "fig03a_median_requests", "fig05_peaks", "fig06_ratios", "fig07a_pods", "fig08_shares_trigger",
              "fig09_crosstab", "fig10a_cs_cdf", "fig11_hourly", "fig12_spearman", "fig13_quartiles",
              "fig14_per_function", "fig15_cdf", "fig16_quartiles", "fig17_summary_runtime"):
        assert k in data and data[k].height > 0, k
    assert data["fig01_sizes"]["region"].to_list() == ["R1", "R2", "R3", "R4", "R5"]
    for kind in composition.GROUP_KINDS:
        s = data[f"fig08_shares_{kind}"]
        for m in ("pods", "cold starts", "functions"):
            assert s.filter(pl.col("measure") == m)["share"].sum() == pytest.approx(1.0)
    cdf = data["fig10a_cs_cdf"]
    assert (cdf.group_by("region").agg(pl.col("cdf").diff().min())["cdf"] >= 0).all()


def test_every_plot_renders(data):
    figs = [
        regions.fig02_lifecycle(),
        regions.fig03_region_stats(data["fig03a_median_requests"], data["fig03b_exec_cdf"], data["fig03c_cpu_cdf"]),
        regions.fig04_users(data["fig04_users"]),
        lplots.fig05_diurnal(data["fig05_series"], data["fig05_peaks"]),
        lplots.fig06_peak_to_trough(data["fig06_ratios"]),
        lplots.fig07_holiday(data["fig07a_pods"], data["fig07b_cpu"]),
        region2.fig08_composition({k: data[f"fig08_pods_{k}"] for k in composition.GROUP_KINDS},
                                  {k: data[f"fig08_shares_{k}"] for k in composition.GROUP_KINDS}),
        region2.fig09_triggers_by_runtime(data["fig09_crosstab"]),
        dplots.fig10_distributions(data["fig10a_cs_cdf"], data["fig10c_iat_cdf"], data["fig10b_lognormal"].row(0, named=True),
                                   data["fig10d_weibull"].row(0, named=True)),
        dplots.fig11_hourly_components(data["fig11_hourly"]),
        correlation.fig12_spearman(data["fig12_spearman"]),
        dplots.fig13_pool_size(distributions.quantile_samples(data["fig13_cdf"], ["region", "pool_size", "component"], 50)),
        region2.fig14_requests_vs_cold_starts(data["fig14_per_function"], "synthetic trace, scale 0.01"),
        dplots.fig15_16_group_cdfs(data["fig15_cdf"], "runtime", sorted([*runtimes.PLOTTED_RUNTIMES, "all"])),
        utility.fig17_utility(data["fig17_cdf_runtime"], data["fig17_cdf_trigger"]),
    ]
    assert all(len(f.axes) >= 1 for f in figs)
    plt.close("all")


def test_claim_values_cover_ids(data):
    vals = claimvalues.fig03_04_claims(data) + claimvalues.fig05_07_claims(data) + claimvalues.fig10_11_claims(data) \
        + claimvalues.fig17_claims(data)
    assert len({v.id for v in vals}) == len(vals) > 60
    assert "popular_share" in claimvalues.calibrated_keys() and "cold_start_median_s" in claimvalues.calibrated_keys()


def test_pandas_baseline_agrees(trace, data):
    p = pandas_baseline.all_figure_data(trace)
    a = data["fig06_ratios"].to_pandas().merge(p["fig06"], on=["region", "funcID"])
    assert len(a) == data["fig06_ratios"].height and np.allclose(a["ratio_x"], a["ratio_y"])
    c = data["fig10a_cs_cdf"].to_pandas().merge(p["fig10a"], on=["region", "x"])
    assert len(c) == data["fig10a_cs_cdf"].height and np.allclose(c["cdf_x"], c["cdf_y"])
    i = data["fig10c_iat_cdf"].to_pandas().merge(p["fig10c"], on=["region", "x"])
    assert len(i) == data["fig10c_iat_cdf"].height and np.allclose(i["cdf_x"], i["cdf_y"])
    h = data["fig07a_pods"].to_pandas().merge(p["fig07a"], on=["region", "day"])
    assert np.allclose(h["proportion_x"], h["proportion_y"])
    ln = data["fig10b_lognormal"].row(0, named=True)
    assert p["fig10_fits"]["mu"][0] == pytest.approx(ln["mu"]) and p["fig10_fits"]["sigma"][0] == pytest.approx(ln["sigma"])


def test_open_trace_rejects_missing_folder(tmp_path):
    with pytest.raises(ValueError, match="is not a folder"):
        cs_data.open_trace(str(tmp_path / "nope"))


def test_per_function_counts_are_never_divided(tmp_path, trace):
    """A trace keeps a share of the functions, each at its full rate: Figs 3a, 4, 6 and 14 take
    per-function counts as they are (per-function scale 1, as for the release)."""
    kw = dict(n_days=2, regions=("R2",), parts=("cold_start", "quantiles"), meta="synthetic")
    t = generate.generate_trace(tmp_path / "t", 0.01, 1, **kw)
    inp = figure_data.TraceInputs(t)
    assert inp.per_function_scale() == 1.0
    assert figure_data.TraceInputs(trace).per_function_scale() == 1.0
    opened = cs_data.open_trace(str(t))
    assert opened.scale == opened.functions == 0.01 and opened.per_function_scale == 1.0
    raw = figure_data.load.scan_cold_starts(t).select(pl.len()).collect().item()
    f14 = figure_data.region2_requests_cold_starts(inp)["fig14_per_function"]
    assert f14["cold_starts"].sum() == raw
    users = figure_data.region_statistics(inp)["fig04_users"]
    req = figure_data.load.scan_series(t, "requests").select(pl.col("value").sum()).collect().item()
    assert users["requests"].sum() == pytest.approx(req)
