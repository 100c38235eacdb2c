"""Replay: a release-layout trace's per-minute ``requests`` (and ``totalCost_avg``) series ->
arrival times inside each minute -> a :class:`platform.Workload`.

The release gives, per function and minute, the number of requests r and the mean execution time
e (``totalCost_avg``, s). Where the arrivals fall inside the minute is modelled per trigger type
(deterministic for a given ``seed``):

- **timer** (Region 2 table: an aggregated TIMER-A): a timer fires at a fixed, clock-aligned
  offset; each function gets one offset u in [0, 1) of its minute, and r requests in a minute are
  r firings evenly spaced from that offset (a timer with an r-per-minute schedule);
- **storage events** (OBS-A): a burst, all r requests at one instant, uniform in the minute (an
  upload of r objects);
- **API gateway, HTTP, workflow and every other trigger**: Poisson arrivals, i.e. given r, r
  uniform order statistics. The first and last arrivals are drawn exactly (the minimum and the
  maximum of r uniforms), the r - 2 between them evenly spaced. Whether a pod survives from one
  minute to the next depends only on the last arrival of one minute and the first of the next,
  so the gaps across minutes have their Poisson distribution, and the minute costs O(1) to
  replay whatever its r. Inside the minute the even spacing misses the clumps of a Poisson
  stream: two requests closer than an execution time need two pods, and a second pod that then
  idles past the keep-alive is a cold start (the churn of moderately busy functions). So minutes
  with fewer than ``exact_poisson_below`` requests are replayed with all r order statistics; by
  default as many minutes, quietest first, as :data:`EXACT_BUDGET` requests allow (all of a
  small trace);
- **unknown trigger** (every function outside Region 2, where the release has no trigger table,
  and Region 2's ``unknown`` rows): treated as a timer if its series looks like one (at least 3
  non-empty minutes, the same count in each, and >= 90 % of the gaps between them equal), else as
  Poisson. A per-minute series cannot separate a 1-minute timer from a steady one-per-minute
  stream; the rule picks the timer, which is what most such functions are (the paper, Fig. 14).

Every request of a minute ends inside it: arrivals fall in [0, 60 s - e), so minutes never overlap
and the platform can treat regular minutes in closed form. A minute whose e is 60 s or more
cannot: its requests are placed in [0, 60 s) and simulated request by request, as is any regular
minute that such a long request reaches. Missing execution times take the function's median over
its minutes, else its region's median, else :data:`FALLBACK_EXEC_S`.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from paperkit.coldstarts import load, rules
from paperkit.coldstarts.levels import CellTable
from paperkit.coldstarts import platform
from paperkit.coldstarts.platform import (MINUTE_US, US, ColdStartLatency, Explicit, SimResult,
                                          Workload)
from paperkit.coldstarts.policies import Fixed, KeepAlivePolicy

EXACT_BUDGET = 5_000_000
"""Requests replayed with all their order statistics (``exact_poisson_below=None``): Poisson
minutes with 2 <= r < r_cut get explicit arrivals, r_cut the largest count whose minutes hold at
most this many requests in all. A small trace is then replayed exactly; the release (~10^10
requests) exactly in its quieter minutes. The per-request path costs about 1 s per million
requests on this machine, so the budget keeps the release's replay within a minute."""

CHUNK_CELLS = 4_000_000
"""Minutes per chunk of functions in :func:`simulate` (bounds the memory, ~1.5 GB a chunk)."""

FALLBACK_EXEC_S = 0.035
"""Execution time where a region has none: the R2/R3 median of Fig. 3b (the paper, p.4)."""

DEFAULT_MEMORY_MB = 128
"""Memory where the funcID's pool does not parse: the smallest pool (300-128, the paper p.2)."""

PERIODIC_SHARE = 0.9
MODELS = ("timer", "burst", "poisson")


@dataclass(frozen=True)
class Cells:
    """Per-minute cells sorted by (func, minute): requests r >= 1 and execution e_us >= 1, with
    the functions (row i = function i: region, funcID, trigger, memory_mb, model)."""

    functions: pl.DataFrame
    n_minutes: int
    func: np.ndarray
    minute: np.ndarray
    r: np.ndarray
    e_us: np.ndarray


def arrival_model(trigger: str | None, periodic: bool) -> str:
    """timer / burst / poisson for an aggregated trigger (None = unknown) and the periodic test."""
    if trigger == "TIMER-A":
        return "timer"
    if trigger == "OBS-A":
        return "burst"
    if trigger in (None, "unknown"):
        return "timer" if periodic else "poisson"
    return "poisson"


def periodic_functions(func: np.ndarray, minute: np.ndarray, r: np.ndarray, n_f: int) -> np.ndarray:
    """Per function (cells sorted by func, minute): at least 3 non-empty minutes, one count in
    all, and >= 90 % of the gaps between them equal (the most common gap)."""
    out = np.zeros(n_f, bool)
    co = np.searchsorted(func, np.arange(n_f + 1))
    n = np.diff(co)
    has = np.flatnonzero(n > 0)
    if not has.size:
        return out
    same = np.minimum.reduceat(r, co[has]) == np.maximum.reduceat(r, co[has])
    cand = np.zeros(n_f, bool)
    cand[has[same & (n[has] >= 3)]] = True
    sel = cand[func]
    f, m = func[sel], minute[sel]
    inner = np.flatnonzero(f[1:] == f[:-1])
    key = f[inner + 1] * (int(minute.max(initial=0)) + 2) + (m[inner + 1] - m[inner])
    uk, cnt = np.unique(key, return_counts=True)
    top = np.zeros(n_f, np.int64)
    np.maximum.at(top, uk // (int(minute.max(initial=0)) + 2), cnt)
    return cand & (top >= PERIODIC_SHARE * np.maximum(n - 1, 1))


def make_cells(functions: pl.DataFrame, func: np.ndarray, minute: np.ndarray, r: np.ndarray,
               exec_s: np.ndarray, n_minutes: int) -> Cells:
    """Cells from flat arrays (any order; zero-request cells dropped; exec_s NaN = missing) and a
    function table (region, funcID, trigger, memory_mb). Adds the ``model`` column."""
    func, minute = np.asarray(func, np.int64), np.asarray(minute, np.int64)
    r, exec_s = np.asarray(r), np.asarray(exec_s, float)
    if r.dtype.kind == "f" and (np.any(~np.isfinite(r)) or np.any(r != np.round(r))):
        raise ValueError("request counts must be whole numbers >= 0")
    if r.dtype.kind not in "fiu" or np.any(r < 0):
        raise ValueError("request counts must be whole numbers >= 0")
    if np.any((minute < 0) | (minute >= n_minutes)):
        raise ValueError(f"minutes must lie in [0, {n_minutes})")
    if np.any((func < 0) | (func >= functions.height)):
        raise ValueError(f"function indices must lie in [0, {functions.height})")
    r = r.astype(np.int64, copy=False)
    keep = r > 0
    if not keep.all():
        func, minute, r, exec_s = func[keep], minute[keep], r[keep], exec_s[keep]
    key = func * n_minutes + minute
    if np.any(np.diff(key) <= 0):
        o = np.argsort(key, kind="stable")
        if np.any(np.diff(key[o]) == 0):
            raise ValueError("one (function, minute) appears twice; give one count per minute")
        func, minute, r, exec_s = func[o], minute[o], r[o], exec_s[o]
    exec_s = _fill_exec(functions, func, exec_s)
    per = periodic_functions(func, minute, r, functions.height)
    trig = functions["trigger"].to_list()
    fn = functions.with_columns(model=pl.Series([arrival_model(t, p) for t, p in zip(trig, per)],
                                                dtype=pl.String))
    e_us = np.maximum(np.round(exec_s * US).astype(np.int64), 1)
    return Cells(fn, int(n_minutes), func, minute, r, e_us)


def _fill_exec(functions: pl.DataFrame, func: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Missing (NaN) execution times: the function's median, else its region's, else
    :data:`FALLBACK_EXEC_S`."""
    if np.any(e[np.isfinite(e)] < 0) or np.any(np.isinf(e)):
        raise ValueError("execution times must be finite and >= 0 seconds")
    miss = np.isnan(e)
    if not miss.any():
        return e
    df = pl.DataFrame({"f": func, "e": e}).with_columns(
        region=functions["region"].gather(func), e=pl.col("e").fill_nan(None))
    df = df.with_columns(pl.col("e").fill_null(pl.col("e").median().over("f")))
    df = df.with_columns(pl.col("e").fill_null(pl.col("e").median().over("region")))
    return df["e"].fill_null(FALLBACK_EXEC_S).to_numpy()


def uniform(seed: int, stream: int, *keys: np.ndarray) -> np.ndarray:
    """Uniform [0, 1) numbers from a counter-based hash (splitmix64) of (seed, stream, keys):
    the same function and minute get the same number however the functions are chunked."""
    x = np.full(np.broadcast_shapes(*(np.shape(k) for k in keys)),
                (seed * 0x9E3779B97F4A7C15 + stream * 0xD1B54A32D192ED03) % 2 ** 64, np.uint64)
    for k in keys:
        x = _mix(x ^ np.asarray(k).astype(np.uint64))
    return (x >> np.uint64(11)).astype(np.float64) * 2.0 ** -53


def _mix(z: np.ndarray) -> np.ndarray:
    z = z + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def exact_cut(cells: Cells, budget: int = EXACT_BUDGET) -> int:
    """The largest r_cut such that the Poisson minutes with 2 <= r < r_cut hold at most
    ``budget`` requests."""
    model = np.array([MODELS.index(m) for m in cells.functions["model"].to_list()], np.int64)
    r = cells.r[(model[cells.func] == 2) & (cells.r >= 2)] if cells.r.size else cells.r
    if not r.size:
        return 2
    cum = np.cumsum(np.bincount(np.minimum(r, budget + 1), weights=r))   # requests with r' <= r
    ok = np.flatnonzero(cum <= budget)
    return int(ok[-1]) + 1 if ok.size else 2


def plan(cells: Cells, seed: int = 0, *, exact_poisson_below: int | None = None,
         func_offset: int = 0) -> Workload:
    """Arrival times of every cell (module doc) -> the platform's workload. Functions with a
    minute of 60 s or more of execution become free requests (their requests outlast their
    minute); the other minutes are regular (closed form) or, for Poisson minutes with
    2 <= r < ``exact_poisson_below`` (default :func:`exact_cut`), random (explicit order
    statistics). ``func_offset``: the global index of ``cells``' first function (chunks draw the
    same numbers as the whole)."""
    c = cells
    if exact_poisson_below is None:
        exact_poisson_below = exact_cut(c)
    n_f = c.functions.height
    gf = c.func + func_offset
    model = np.array([MODELS.index(m) for m in c.functions["model"].to_list()], np.int64)
    mod = model[c.func] if c.func.size else np.zeros(0, np.int64)
    long_f = np.zeros(n_f, bool)
    long_f[c.func[c.e_us >= MINUTE_US]] = True
    win = np.maximum(np.where(c.e_us >= MINUTE_US, MINUTE_US, MINUTE_US - c.e_us), 1)
    a, d = _placement(c, mod, gf, win, seed)
    random = (mod == 2) & (c.r >= 2) & (c.r < exact_poisson_below)
    t = _sorted_uniform(c, random, win, seed, func_offset)
    keep = ~long_f[c.func]
    owner = np.repeat(np.arange(c.func.size), np.where(random, c.r, 0))
    table = CellTable(c.func[keep], c.minute[keep], a[keep], d[keep], c.r[keep], c.e_us[keep],
                      random[keep], t[keep[owner]])
    co = np.searchsorted(c.func, np.arange(n_f + 1)).astype(np.int64)
    return Workload(c.functions, c.n_minutes, table, _free(c, ~keep, random, a, d, t, owner),
                    co, c.minute, c.r)


def _placement(c: Cells, mod: np.ndarray, gf: np.ndarray, win: np.ndarray, seed: int
               ) -> tuple[np.ndarray, np.ndarray]:
    """First arrival ``a`` (absolute us) and spacing ``d`` of every cell. Timer: the function's
    offset u in [0, 1) of the spacing win // r. Burst: d = 0 at a uniform instant. Poisson: the
    first and last arrivals are the minimum and maximum of r uniforms (drawn exactly: the
    maximum is V^(1/r); given it, the minimum of the other r - 1 is max (1 - W^(1/(r-1)))), and
    the r - 2 between them evenly spaced."""
    r = c.r
    v, w2 = uniform(seed, 2, gf, c.minute), uniform(seed, 4, gf, c.minute)
    hi = v ** (1.0 / r)
    lo = np.where(r >= 2, hi * (1.0 - w2 ** (1.0 / np.maximum(r - 1, 1))), hi)
    lo_us = np.minimum(np.floor(lo * win), win - 1).astype(np.int64)
    hi_us = np.minimum(np.floor(hi * win), win - 1).astype(np.int64)
    d_poisson = np.where(r >= 2, (hi_us - lo_us) // np.maximum(r - 1, 1), win)
    d_timer = win // r
    u_t = uniform(seed, 1, gf)
    off = np.select([mod == 0, mod == 1], [np.floor(u_t * d_timer), np.floor(v * win)], lo_us)
    d = np.select([mod == 0, mod == 1], [d_timer, 0], d_poisson)
    return c.minute * MINUTE_US + off.astype(np.int64), d.astype(np.int64)


def _sorted_uniform(c: Cells, random: np.ndarray, win: np.ndarray, seed: int, off: int
                    ) -> np.ndarray:
    """The random cells' arrivals: r sorted uniform points in the cell's window (integer us),
    cells in order (one sort of cell index + uniform fraction)."""
    idx = np.flatnonzero(random)
    r = c.r[idx]
    n = int(r.sum())
    if not n:
        return np.zeros(0, np.int64)
    owner = np.repeat(np.arange(idx.size, dtype=np.int64), r)
    k = np.arange(n, dtype=np.int64) - np.repeat(np.cumsum(r) - r, r)
    cell = idx[owner]
    key = np.sort(owner + uniform(seed, 3, c.func[cell] + off, c.minute[cell], k) * 0.999999)
    w = win[cell]
    return c.minute[cell] * MINUTE_US + np.minimum(np.floor((key - owner) * w).astype(np.int64),
                                                   w - 1)


def _free(c: Cells, sel: np.ndarray, random: np.ndarray, a: np.ndarray, d: np.ndarray,
          t: np.ndarray, owner: np.ndarray) -> Explicit:
    """All requests of the cells ``sel`` (functions with a long minute), sorted by (func, t)."""
    reg = np.flatnonzero(sel & ~random)
    ro = np.repeat(reg, c.r[reg])
    i = np.arange(ro.size, dtype=np.int64) - np.repeat(np.cumsum(c.r[reg]) - c.r[reg], c.r[reg])
    rt = sel[owner] if owner.size else np.zeros(0, bool)
    f = np.concatenate([c.func[ro], c.func[owner[rt]]])
    tt = np.concatenate([a[ro] + i * d[ro], t[rt]])
    e = np.concatenate([c.e_us[ro], c.e_us[owner[rt]]])
    o = np.lexsort((tt, f))
    return Explicit(f[o], tt[o], e[o])


# ------------------------------------------------------------------------------------------------
# from a trace in the release layout
def function_table(data_dir: str | Path) -> pl.DataFrame:
    """Every funcID of the ``requests`` series (sorted by region, funcID) with its trigger
    category (Region 2's table; null elsewhere) and memory (MB, from the pool in the funcID)."""
    fn = load.series_functions(data_dir, "requests")
    meta, _ = load.load_function_meta_tier(data_dir)
    trig = meta.select("funcID", trigger=pl.col(rules.TRIGGER_COL).map_elements(
        rules.aggregate_trigger, return_dtype=pl.String), region=pl.lit("R2"))
    return (fn.join(trig, on=["region", "funcID"], how="left")
            .with_columns(rules.pool_from_funcid_expr())
            .with_columns(memory_mb=rules.mem_mb_expr("poolName").cast(pl.Float64)
                          .fill_null(float(DEFAULT_MEMORY_MB)))
            .select("region", "funcID", pl.col("trigger").cast(pl.String), "memory_mb")
            .sort("region", "funcID"))


def trace_cells(data_dir: str | Path, functions: float = 1.0) -> Cells:
    """The ``requests`` and ``totalCost_avg`` series of a trace as :class:`Cells` (read region by
    region, funcIDs turned into indices before the join, so the release's ~10^8 non-empty
    minutes fit in memory). ``functions`` < 1 keeps that share of each region's functions, drawn
    by a hash of the funcID (the same functions every run), at their full rates."""
    if not (functions > 0 and functions <= 1):
        raise ValueError(f"functions={functions!r}: give a share in (0, 1]")
    fn = function_table(data_dir)
    if functions < 1:
        h = np.array([zlib.crc32(f.encode()) for f in fn["funcID"].to_list()], np.uint64)
        fn = fn.filter(pl.Series(uniform(0, 9, h) < functions))
    idx = fn.select("region", "funcID").with_row_index("f")
    have_exec = "totalCost_avg" in load.available_series(data_dir)
    req_all = load.scan_series(data_dir, "requests")
    ex_all = load.scan_series(data_dir, "totalCost_avg") if have_exec else None
    parts, n_minutes = [], 1
    for region in fn["region"].unique(maintain_order=True).to_list():
        ids = idx.filter(pl.col("region") == region).lazy()
        req = (req_all.filter(pl.col("region") == region).join(ids, on=["region", "funcID"])
               .select("f", m=pl.col("time") // 60, r=pl.col("value")))
        if ex_all is not None:
            ex = (ex_all.filter(pl.col("region") == region).join(ids, on=["region", "funcID"])
                  .select("f", m=pl.col("time") // 60, e=pl.col("value")))
            req = req.join(ex, on=["f", "m"], how="left")
        else:
            req = req.with_columns(e=pl.lit(None, pl.Float64))
        part = req.collect(engine="in-memory")
        n_minutes = max(n_minutes, int(part["m"].max() or 0) + 1)
        parts.append(part)
    df = pl.concat(parts)
    n_minutes = -(-n_minutes // 1440) * 1440
    return make_cells(fn, df["f"].to_numpy(), df["m"].to_numpy(), df["r"].to_numpy(),
                      df["e"].cast(pl.Float64).fill_null(float("nan")).to_numpy(), n_minutes)


# ------------------------------------------------------------------------------------------------
# replay in chunks of functions
def chunks(cells: Cells, chunk_cells: int = CHUNK_CELLS) -> list[tuple[int, int]]:
    """[f0, f1) ranges of functions, each with at most ``chunk_cells`` minutes (a bigger function
    alone)."""
    co = np.searchsorted(cells.func, np.arange(cells.functions.height + 1))
    out, f0 = [], 0
    while f0 < cells.functions.height:
        f1 = int(np.searchsorted(co, co[f0] + chunk_cells, side="right")) - 1
        f1 = min(max(f1, f0 + 1), cells.functions.height)
        out.append((f0, f1))
        f0 = f1
    return out


def subset(cells: Cells, f0: int, f1: int) -> Cells:
    """The cells of functions [f0, f1), renumbered from 0."""
    lo, hi = np.searchsorted(cells.func, [f0, f1])
    return Cells(cells.functions.slice(f0, f1 - f0), cells.n_minutes, cells.func[lo:hi] - f0,
                 cells.minute[lo:hi], cells.r[lo:hi], cells.e_us[lo:hi])


def simulate(cells: Cells, policy: KeepAlivePolicy, seed: int = 0, *,
             exact_poisson_below: int | None = None, chunk_cells: int = CHUNK_CELLS,
             latency: ColdStartLatency | None = None, events: bool = False) -> SimResult:
    """Replay cells under a policy, chunk by chunk of functions (functions are independent, and
    the arrival times do not depend on the chunking): one :class:`platform.SimResult`."""
    pf, ev = [], []
    if exact_poisson_below is None:
        exact_poisson_below = exact_cut(cells)
    for f0, f1 in chunks(cells, chunk_cells):
        w = plan(subset(cells, f0, f1), seed, exact_poisson_below=exact_poisson_below,
                 func_offset=f0)
        res = platform.simulate(w, policy, latency=latency, events=events)
        pf.append(res.per_function)
        if events:
            ev.append(res.cold_starts)
    per_function = pl.concat(pf).sort("region", "funcID")
    cold = (pl.concat(ev).sort("region", "funcID", "t_s").with_columns(
        pod=pl.int_range(pl.len(), dtype=pl.Int64)) if events else None)
    return SimResult(policy.name, per_function, cold)


def release_check(data_dir: str | Path, seed: int = 0) -> pl.DataFrame:
    """The fixed 60 s replay of a trace beside what the trace itself records, per region:
    simulated cold starts vs the sum of its ``num_cold_starts`` series, and simulated pod-minutes
    (busy + idle pod-seconds / 60) vs the sum of its ``num_pods`` series (pods counted in each
    minute). Null where the trace lacks the series. The platform check for a user with the
    release (notebooks/coldstarts/README.md)."""
    res = simulate(trace_cells(data_dir), Fixed(), seed).per_function
    sim = res.group_by("region").agg(
        sim_cold_starts=pl.col("cold_starts").sum(),
        sim_pod_minutes=((pl.col("busy_pod_s") + pl.col("idle_pod_s")) / 60.0).sum())
    have = load.available_series(data_dir)
    for name, col in (("num_cold_starts", "obs_cold_starts"), ("num_pods", "obs_pod_minutes")):
        if name in have:
            obs = (load.scan_series(data_dir, name).group_by("region")
                   .agg(pl.col("value").sum().alias(col)).collect(engine="in-memory"))
            sim = sim.join(obs, on="region", how="left")
        else:
            sim = sim.with_columns(pl.lit(None, pl.Float64).alias(col))
    return sim.with_columns(
        cold_start_ratio=pl.col("sim_cold_starts") / pl.col("obs_cold_starts"),
        pod_minute_ratio=pl.col("sim_pod_minutes") / pl.col("obs_pod_minutes")).sort("region")
