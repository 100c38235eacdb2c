"""Small frame builders and plots for the POLCA notebooks (keeps notebook cells short)."""

from __future__ import annotations

import numpy as np
import polars as pl
import matplotlib.pyplot as plt
import seaborn as sns

from paperkit import paths
from paperkit.polca import phase, rowtrace, sim


def measured_runs() -> pl.DataFrame | None:
    """Committed GPU campaign results (``data/measured/polca/*/runs.parquet``), or None."""
    files = sorted((paths.measured_dir() / "polca").glob("*/runs.parquet"))
    if not files:
        return None
    return pl.concat([pl.read_parquet(f).with_columns(pl.lit(f.parent.name).alias("card")) for f in files])


def fit_curves(pm: phase.PhaseModel) -> pl.DataFrame:
    """Fitted peak and mean (x TDP) over prompt (bs 1) and batch (prompt 512) sweeps."""
    P = np.array([128, 256, 512, 1024, 2048, 4096, 8192], float)
    B = np.array([1, 2, 4, 8, 16], float)
    a = pl.DataFrame({"sweep": "prompt", "x": P, "peak": pm.peak(P), "mean": pm.mean_power(P, 1.0)})
    b = pl.DataFrame({"sweep": "batch", "x": B, "peak": pm.peak(512 * B), "mean": pm.mean_power(512.0, B)})
    return pl.concat([a, b]).sort(["sweep", "x"])


def request_timeline(pm: phase.PhaseModel, prompt: int = 2048, batch: int = 1, out_tokens: int = 128,
                     dt_ms: float = 10.0) -> pl.DataFrame:
    """Modelled power (x TDP) of one request over time: idle, prefill spike, decode plateau, idle."""
    tp = float(pm.prefill_ms(prompt * batch))
    td = out_tokens * float(pm.tbt_ms(batch, prompt))
    t = np.arange(-500.0, tp + td + 500.0, dt_ms)
    p = np.where(t < 0, pm.idle, np.where(t < tp, float(pm.peak(prompt * batch)),
                                           np.where(t < tp + td, float(pm.decode_level(batch)), pm.idle)))
    return pl.DataFrame({"t_s": t / 1000.0, "power_tdp": p})


def daily_envelope(u: np.ndarray) -> pl.DataFrame:
    """Per day: min, mean, max of a 1 s normalised trace."""
    d = u[: u.size // rowtrace.DAY_S * rowtrace.DAY_S].reshape(-1, rowtrace.DAY_S)
    return pl.DataFrame({"day": np.arange(d.shape[0]), "min": d.min(1), "mean": d.mean(1), "max": d.max(1)})


def gpu_share_at_peak(row) -> float:
    """GPU share of server power at the baseline row's peak second (no control)."""
    agg = row.classes(0.0)
    w = agg.uncapped_row_w()
    i = int(np.argmax(w))
    n = 40
    gpu_idle = n * 8 * 400.0 * row.pm.idle
    dyn_gpu = (agg.pre[:, i].sum() + agg.dec[:, i].sum()) / 1.25
    return float((gpu_idle + dyn_gpu) / w[i])


def policy_power(row, x: float, policies: dict[str, sim.Policy]) -> pl.DataFrame:
    """Row power (fraction of provisioned, 10 s means) per policy at oversubscription ``x``."""
    agg = row.classes(x)
    out = []
    for name, pol in sorted(policies.items()):
        res = sim.run(agg, row.p_prov_w, pol, row.cm, row.pm, keep_power=True)
        p = res.power[: res.power.size // 10 * 10].reshape(-1, 10).mean(1)
        out.append(pl.DataFrame({"policy": name, "hour": np.arange(p.size) / 360.0, "power": p}))
    return pl.concat(out)


def plot_power(df: pl.DataFrame, pol: sim.Policy, title: str):
    fig, ax = plt.subplots(figsize=(8, 3.2))
    sns.lineplot(df.to_pandas(), x="hour", y="power", hue="policy", ax=ax, lw=0.7)
    for y, lab in ((pol.t1, "T1"), (pol.t2, "T2"), (1.0, "brake")):
        ax.axhline(y, ls="--", lw=0.8, color="grey")
        ax.text(0.0, y + 0.005, lab, fontsize=7, color="grey")
    ax.set(xlabel="hour of window", ylabel="row power / provisioned", title=title)
    ax.legend(loc="lower center", fontsize=7, ncol=2)
    fig.tight_layout()
    return fig
