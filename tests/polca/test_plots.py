"""paperkit.polca.plots: each figure function returns a Figure with the expected axes and labels."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import polars as pl  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from paperkit.polca import plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _perf() -> pl.DataFrame:
    rows = [{"batch_size": 1, "prompt_size": p, "peak_power": 0.5 + p / 1e4, "average_power": 0.4 + p / 2e4}
            for p in (128, 512, 2048)]
    rows += [{"batch_size": b, "prompt_size": 512, "peak_power": 0.6 + b / 100, "average_power": 0.45}
             for b in (2, 4)]
    return pl.DataFrame(rows)


def test_power_sweep_points_long_and_sorted():
    obs = plots.power_sweep_points(_perf())
    assert obs.columns == ["sweep", "x", "metric", "tdp"]
    # prompt sweep: 3 points at batch 1; batch sweep: batch 1, 2, 4 at prompt 512; two metrics each
    assert obs.filter(pl.col("sweep") == "prompt").height == 6
    assert obs.filter(pl.col("sweep") == "batch")["x"].unique().sort().to_list() == [1.0, 2.0, 4.0]
    assert obs.equals(obs.sort(["sweep", "metric", "x"]))


def test_power_sweeps_two_panels():
    obs = plots.power_sweep_points(_perf())
    fit = pl.DataFrame({"sweep": ["prompt"] * 2 + ["batch"] * 2, "x": [128.0, 2048.0, 1.0, 4.0],
                        "peak": [0.6, 0.9, 0.6, 0.7], "mean": [0.4, 0.5, 0.4, 0.45]})
    fig = plots.power_sweeps(obs, fit, "E3 test")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2
    assert [a.get_xlabel() for a in fig.axes] == ["prompt length (tokens, batch 1)", "batch size (prompt 512)"]
    assert all(a.get_xscale() == "log" and a.get_ylabel() == "GPU power (x 400 W TDP)" for a in fig.axes)
    assert fig._suptitle.get_text() == "E3 test"
    assert [ln.get_label() for ln in fig.axes[0].lines][-2:] == ["fit peak", "fit mean"]
    with pytest.raises(ValueError, match="lacks columns"):
        plots.power_sweeps(obs.drop("tdp"), fit, "x")


def test_request_timeline():
    tl = pl.DataFrame({"t_s": [0.0, 1.0, 2.0], "power_tdp": [0.2, 1.0, 0.5]})
    fig = plots.request_timeline(tl, "E2 test")
    (ax,) = fig.axes
    assert ax.get_title() == "E2 test" and ax.get_xlabel() == "time (s)"
    assert len(ax.lines) == 2  # trace + TDP line


def test_synthetic_traces():
    env = pl.DataFrame({"day": [0, 1, 2], "min": [0.3, 0.3, 0.4], "mean": [0.5, 0.6, 0.6], "max": [0.7, 0.8, 0.75]})
    train = np.linspace(0, 1, 1000)
    fig = plots.synthetic_traces(env, train, dt_s=0.1, window_s=60.0)
    assert len(fig.axes) == 2
    assert fig.axes[0].get_ylabel() == "row power / provisioned"
    assert fig.axes[1].get_title() == "training row, 60 s (synthetic)"
    assert fig.axes[1].lines[0].get_xdata().size == 600
    with pytest.raises(ValueError, match="must be > 0"):
        plots.synthetic_traces(env, train, dt_s=0.0)


def test_replica_vs_input():
    u = np.full(7200, 0.5)
    fig = plots.replica_vs_input(u * 1.01, u)
    (ax,) = fig.axes
    assert [ln.get_label() for ln in ax.lines] == ["simulated row (40 servers, no control)", "synthetic input"]
    assert ax.lines[0].get_xdata()[-1] == pytest.approx(7199 / 3600)
    with pytest.raises(ValueError, match="same shape"):
        plots.replica_vs_input(u[:10], u)


def test_oversubscription():
    df = pl.DataFrame({"policy": ["POLCA"] * 2 + ["brake only"] * 2, "oversub": [0.0, 0.3] * 2,
                       "brake_events": [0, 1, 0, 20], "hp_p50_impact": [0.0, 0.005, 0.0, 0.02]})
    fig = plots.oversubscription(df, 2.0)
    assert len(fig.axes) == 2
    assert fig.axes[0].get_yscale() == "log" and fig.axes[0].get_title() == "power-brake events (2 days)"
    assert fig.axes[1].get_title() == "HP P50 impact, serving loop (criterion < 1 %)"
    assert fig.axes[1].get_xlabel() == "added servers (fraction of 40)"


def test_capping_model():
    ks = pl.DataFrame([{"workload": wl, "knob": k, "peak_norm": p, "latency_norm": 1 / p}
                       for wl in ("bloom", "neox", "train") for k in ("freq", "power") for p in (0.8, 1.0)])
    fig = plots.capping_model(ks, "E7 test")
    assert [a.get_title() for a in fig.axes] == ["BLOOM-176B inference", "GPT-NeoX-20B inference", "training"]
    assert fig._suptitle.get_text() == "E7 test"


def _line_colours(ax):
    from matplotlib.colors import to_rgb

    return {ln.get_label(): tuple(round(c, 4) for c in to_rgb(ln.get_color())) for ln in ax.get_legend().get_lines()}


def test_one_colour_per_policy_across_figures():
    """'brake only' has the same colour in the sweep and the row-power figures, whatever the
    other policies in each (issue 19: it was gold in one and green in the other)."""
    from matplotlib.colors import to_rgb

    df = pl.DataFrame({"policy": ["POLCA", "brake only", "reactive power cap", "uniform freq cap"] * 2,
                       "oversub": [0.0] * 4 + [0.3] * 4, "brake_events": [0] * 8, "hp_p50_impact": [0.0] * 8})
    sweep_fig = plots.oversubscription(df, 2.0)
    pw = pl.DataFrame({"policy": ["brake only"] * 3 + ["POLCA"] * 3, "hour": [0.0, 1.0, 2.0] * 2, "power": [0.8] * 6})
    row_fig = plots.row_power(pw, 0.8, 0.89, "t")
    a, b = _line_colours(sweep_fig.axes[0]), _line_colours(row_fig.axes[0])
    want = tuple(round(c, 4) for c in to_rgb(plots.POLICY_COLORS["brake only"]))
    assert a["brake only"] == b["brake only"] == want and a["POLCA"] == b["POLCA"] != want
    assert len(set(plots.policy_palette(["x", "y", "POLCA"]).values())) == 3
    from paperkit import figures

    assert plots.POLICY_COLORS == figures.palette("polca") and "brake only" in plots.POLICY_COLORS


def test_threshold_labels_sit_outside_the_data():
    pw = pl.DataFrame({"policy": ["POLCA"] * 3, "hour": [0.0, 1.0, 2.0], "power": [0.85, 0.95, 0.9]})
    fig = plots.row_power(pw, 0.8, 0.89, "t")
    fig.canvas.draw()
    ax = fig.axes[0]
    box = ax.get_window_extent()
    labels = [t for t in ax.texts if t.get_text() in ("T1", "T2", "brake")]
    assert sorted(t.get_text() for t in labels) == ["T1", "T2", "brake"]
    for t in labels:  # to the right of the plotting area: never over a line
        assert t.get_window_extent().x0 >= box.x1
