"""Benchmark of the platform simulator on a release-sized population (``bench --steps simulate``).

Design: the population stands in for the release's ``requests`` and ``totalCost_avg`` series
(tier synthetic; only its size matters here): the release's 14,108 functions split over the
regions as in Fig. 1 (R1 2,600, R2 2,418, R3 240, R4 8,300, R5 550), 31 days of minutes. Each
function's mean daily requests are LogNormal with the region's median from Fig. 3a (R1 30, R2 3,
R3 75, R4 2, R5 2 per day) and a spread that gives the region's 31-day total of Fig. 1 (3.9e10,
1.3e10, 2.9e10, 4.3e9, 1.3e8) as the mean; half of the functions under one request a minute are
timers (a fixed period); functions at one a minute or more get a daily cycle. Execution times are
LogNormal per function (sigma 1.5) around the region's median of Fig. 3b (R1 0.1 s, R2/R3 35 ms,
R4 5 ms, R5 4 ms). The step times :func:`replay.simulate` under the fixed 60 s policy (the
population is built first and not timed) and records its peak RSS.
"""
from __future__ import annotations

import os
import time

import numpy as np
import polars as pl

from paperkit.coldstarts import replay
from paperkit.coldstarts.policies import Fixed

N_MINUTES = 31 * 1440
REGIONS = {  # functions, median requests/day, 31-day requests, median execution time (s)
    "R1": (2600, 30.0, 3.9e10, 0.1), "R2": (2418, 3.0, 1.3e10, 0.035),
    "R3": (240, 75.0, 2.9e10, 0.035), "R4": (8300, 2.0, 4.3e9, 0.005),
    "R5": (550, 2.0, 1.3e8, 0.004),
}


def _function_cells(rng, lam: float, timer: bool) -> tuple[np.ndarray, np.ndarray]:
    """(minutes, counts) of one function at ``lam`` requests a minute."""
    if timer:
        period = max(1, int(round(1.0 / lam)))
        m = np.arange(int(rng.integers(period)), N_MINUTES, period)
        return m, np.ones(m.size, np.int64)
    if lam >= 0.5:
        t = np.arange(N_MINUTES)
        cyc = 1.0 + 0.5 * np.sin(2 * np.pi * (t / 1440.0 + rng.random()))
        r = rng.poisson(lam * cyc)
        keep = r > 0
        return t[keep], r[keep]
    m, r = np.unique(rng.integers(0, N_MINUTES, rng.poisson(lam * N_MINUTES)), return_counts=True)
    return m, r


def population(seed: int = 0) -> replay.Cells:
    """The release-sized synthetic population (module doc) as replay cells."""
    rng = np.random.default_rng(seed)
    rows, ms, rs, counts, exs = [], [], [], [], []
    for region, (n, med, total, exec_med) in REGIONS.items():
        sigma = float(np.sqrt(2 * np.log(total / (n * 31 * med))))
        lam = med * np.exp(sigma * rng.standard_normal(n)) / 1440.0
        exs.append(exec_med * np.exp(1.5 * rng.standard_normal(n)))
        timer = (lam < 1.0) & (rng.random(n) < 0.5)
        for i in range(n):
            m, r = _function_cells(rng, float(lam[i]), bool(timer[i]))
            rows.append((region, f"{len(rows)}---0---pool22-300-128"))
            ms.append(m.astype(np.int32))
            rs.append(r.astype(np.int32))
            counts.append(m.size)
    fn = pl.DataFrame(rows, schema={"region": pl.String, "funcID": pl.String}, orient="row")
    fn = fn.with_columns(trigger=pl.lit(None, pl.String), memory_mb=pl.lit(128.0))
    counts = np.asarray(counts)
    minute, r = np.concatenate(ms), np.concatenate(rs)
    del ms, rs
    return replay.make_cells(fn, np.repeat(np.arange(counts.size), counts), minute, r,
                             np.repeat(np.concatenate(exs), counts), N_MINUTES)


def step_simulate(ctx) -> dict:
    """Bench step: build the population, then time the fixed-60-s replay."""
    t0 = time.perf_counter()
    cells = population(ctx.seed)
    t1 = time.perf_counter()
    c0 = time.process_time()
    res = replay.simulate(cells, Fixed(60.0), ctx.seed)
    t2, c1 = time.perf_counter(), time.process_time()
    pr = res.per_region()
    return {"population_s": round(t1 - t0, 2), "simulate_s": round(t2 - t1, 2),
            "simulate_cpu_s": round(c1 - c0, 2), "load_avg_1min": round(os.getloadavg()[0], 1),
            "functions": cells.functions.height, "minutes_with_requests": int(cells.r.size),
            "requests": int(pr["requests"].sum()), "cold_starts": int(pr["cold_starts"].sum())}
