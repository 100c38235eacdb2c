"""paperkit.fuyou.plots: each figure function returns a Figure with the expected axes and labels."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import polars as pl  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from paperkit.fuyou import data, fitting, plots, sweeps  # noqa: E402
from paperkit.fuyou.hardware import get_profile  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_overall_throughput_panels_and_reference_lines():
    tp = sweeps.throughput(["fuyou-4090"], ["13B", "175B"], [8, 16])
    panels = [("fuyou-4090", "13B"), ("fuyou-4090", "175B")]
    fig = plots.overall_throughput(tp, panels, list(sweeps.SYSTEMS), {"paper (H2a): 156": (156.0, "--")})
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2
    gpu = get_profile("fuyou-4090").gpu_name
    assert [a.get_title() for a in fig.axes] == [f"13B on {gpu}", f"175B on {gpu}"]
    assert fig.axes[0].get_legend() is not None and fig.axes[1].get_legend() is None
    assert [ln.get_label() for ln in fig.axes[0].lines] == ["paper (H2a): 156"]
    with pytest.raises(ValueError, match="panels"):
        plots.overall_throughput(tp, [], list(sweeps.SYSTEMS))


def test_bigger_model_and_ssds():
    sizes = ["13B", "30B", "65B", "175B", "276B"]
    big = sweeps.throughput(["fuyou-4090"], sizes, [8], ("fuyou", "zero-infinity"))
    ssd = sweeps.ssd_scaling("fuyou-4090", "13B", 16, [1, 2, 12]).with_columns(gpu=pl.lit("RTX 4090"))
    fig = plots.bigger_model_and_ssds(big, ssd, sizes)
    a1, a2 = fig.axes
    assert a1.get_xscale() == "log"
    assert [t.get_text() for t in a1.get_xticklabels()] == sizes
    assert len(a1.lines) == 2 and len(a2.lines) == ssd["system"].n_unique()
    assert a2.get_xlabel() == "number of SSDs (P5510, RAID-0)"
    with pytest.raises(ValueError, match="same length"):
        plots.bigger_model_and_ssds(big, ssd, sizes[:2])


def _timeline(kinds):
    return pl.DataFrame({"resource": ["GPU", "SSD"][: len(kinds)], "kind": kinds,
                         "start_s": [0.0, 0.5][: len(kinds)], "end_s": [1.0, 2.0][: len(kinds)]})


def test_engine_timelines_one_row_per_schedule():
    fig = plots.engine_timelines({"serial": _timeline(["forward", "opt read"]), "fuyou": _timeline(["forward"])})
    assert len(fig.axes) == 2
    assert [a.get_title() for a in fig.axes] == ["measured, CPU toy: serial", "measured, CPU toy: fuyou"]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["forward", "opt read"]
    with pytest.raises(ValueError, match="at least one"):
        plots.engine_timelines({})


def test_measured_vs_model():
    meas = pl.DataFrame({"schedule": ["fuyou", "serial", "fuyou", "serial"], "params": [1, 1, 2, 2],
                         "iteration_s": [0.1, 0.2, 0.4, 0.8], "model_iteration_s": [0.12, 0.18, 0.5, 0.7]})
    fig = plots.measured_vs_model(meas)
    (ax,) = fig.axes
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["fuyou", "serial"]
    assert ax.lines[0].get_xdata() == pytest.approx([0.06, 1.6])  # y = x line over min/2 .. max*2
    with pytest.raises(ValueError, match="lacks columns"):
        plots.measured_vs_model(meas.drop("params"))


def test_ssd_scaling_fit_draws_points_lines_and_errors():
    pts = data.artifact_sweep()
    f = fitting.Fitted(0.75, 0.95, 0.2)
    frame = fitting.predict_points(pts, f).with_columns(
        role=pl.when(pl.col("batch") == 48).then(pl.lit("fit")).otherwise(pl.lit("held out")))
    errs = pl.DataFrame([dict(subset=s, points=1, mean_abs_err=0.05)
                         for s in ("fit", "held out", "leave one SSD count out")])
    fig = plots.ssd_scaling_fit(frame, fitting.curve(f, [32, 48, 64], [1, 2, 3, 6, 12]), errs)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert len(fig.axes[0].lines) == 3  # one model line per batch
    assert len(fig.axes[1].patches) == pts.height  # one error bar per measured point
    assert "held out 5.0%" in fig.axes[1].get_title()


def test_notebook_figure_functions_return_figures():
    mx = sweeps.max_model_size(["fuyou-4090"], [256.0, 768.0])
    cost = sweeps.cost_effectiveness("175B", [1, 2])
    ps = sweeps.phase_shares(["fuyou-4090"], "13B", [8, 16])
    ab = sweeps.ablations("fuyou-4090", "13B", [8]).with_columns(gpu=pl.lit("RTX 4090"))
    sw = sweeps.swap_coefficient("fuyou-4090", "13B", 8, [0.0, 0.5, 1.0])
    gt = sweeps.gantt(get_profile("fuyou-4090"), "13B", 8, sweeps.Schedule())
    figs = [plots.max_model_size(mx), plots.throughput_dollars(cost), plots.gpu_util_opt_prop(ps),
            plots.ablations(ab), plots.swap_coefficient({"768 GB": sw}, "t"),
            plots.pipelines([("a", gt), ("b", gt)])]
    assert all(isinstance(f, Figure) for f in figs)
    assert len(figs[-1].axes) == 2 and figs[-1].legends  # one shared legend of task kinds
