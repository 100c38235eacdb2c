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
  uniform order statistics. For r >= :data:`REGULAR_FROM` the order statistics are replaced by
  their expectations (even spacing): with 30 or more arrivals in a minute the largest Poisson
  spacing is below 10 s (the shortest keep-alive studied) with probability about 0.9, so a pod
  rarely idles long enough inside the minute to matter, and the minute costs O(1) to simulate;
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

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from paperkit.coldstarts import load, rules
from paperkit.coldstarts.platform import MINUTE_US, US, Explicit, Regular, Workload

REGULAR_FROM = 30
"""Poisson minutes with at least this many requests are evenly spaced (see the module doc)."""

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
    """Per function: at least 3 non-empty minutes, one count in all, >= 90 % equal minute gaps."""
    df = pl.DataFrame({"f": func, "m": minute, "r": r})
    gaps = df.with_columns(g=pl.col("m").diff().over("f")).drop_nulls("g")
    mode = gaps.group_by("f", "g").len().group_by("f").agg(top=pl.col("len").max(),
                                                           n_g=pl.col("len").sum())
    per = df.group_by("f").agg(n=pl.len(), same=pl.col("r").n_unique() == 1).join(
        mode, on="f", how="left").filter(
        (pl.col("n") >= 3) & pl.col("same") & (pl.col("top") >= PERIODIC_SHARE * pl.col("n_g")))
    out = np.zeros(n_f, bool)
    out[per["f"].to_numpy()] = True
    return out


def make_cells(functions: pl.DataFrame, func: np.ndarray, minute: np.ndarray, r: np.ndarray,
               exec_s: np.ndarray, n_minutes: int) -> Cells:
    """Cells from flat arrays (any order; zero-request cells dropped; exec_s NaN = missing) and a
    function table (region, funcID, trigger, memory_mb). Adds the ``model`` column."""
    func, minute = np.asarray(func, np.int64), np.asarray(minute, np.int64)
    r, exec_s = np.asarray(r, float), np.asarray(exec_s, float)
    if np.any(~np.isfinite(r)) or np.any(r < 0) or np.any(r != np.round(r)):
        raise ValueError("request counts must be whole numbers >= 0")
    if np.any((minute < 0) | (minute >= n_minutes)):
        raise ValueError(f"minutes must lie in [0, {n_minutes})")
    keep = r > 0
    func, minute, r, exec_s = func[keep], minute[keep], r[keep].astype(np.int64), exec_s[keep]
    o = np.lexsort((minute, func))
    func, minute, r, exec_s = func[o], minute[o], r[o], _fill_exec(functions, func[o], exec_s[o])
    per = periodic_functions(func, minute, r, functions.height)
    trig = functions["trigger"].to_list()
    fn = functions.with_columns(model=pl.Series([arrival_model(t, p) for t, p in zip(trig, per)],
                                                dtype=pl.String))
    e_us = np.maximum(np.round(exec_s * US).astype(np.int64), 1)
    return Cells(fn, int(n_minutes), func, minute, r, e_us)


def _fill_exec(functions: pl.DataFrame, func: np.ndarray, e: np.ndarray) -> np.ndarray:
    df = pl.DataFrame({"f": func, "e": e}).with_columns(
        region=functions["region"].gather(func), e=pl.col("e").fill_nan(None))
    df = df.with_columns(pl.col("e").fill_null(pl.col("e").median().over("f")))
    df = df.with_columns(pl.col("e").fill_null(pl.col("e").median().over("region")))
    out = df["e"].fill_null(FALLBACK_EXEC_S).to_numpy()
    if np.any(out < 0) or not np.all(np.isfinite(out)):
        raise ValueError("execution times must be finite and >= 0 seconds")
    return out


def plan(cells: Cells, seed: int = 0) -> Workload:
    """Arrival times of every cell (module doc) -> the platform's workload."""
    rng = np.random.default_rng(seed)
    n_f = cells.functions.height
    u_f = rng.random(n_f)                             # each timer's offset in its minute
    model = np.array([MODELS.index(m) for m in cells.functions["model"].to_list()], np.int64)
    mod = model[cells.func] if cells.func.size else np.zeros(0, np.int64)
    long = cells.e_us >= MINUTE_US
    win = np.where(long, MINUTE_US, MINUTE_US - cells.e_us)
    u_c = rng.random(cells.func.size)                 # each burst's instant
    d = np.where(mod == 1, 0, win // cells.r)
    a = cells.minute * MINUTE_US + np.where(
        mod == 0, np.floor(u_f[cells.func] * d), np.where(mod == 1, np.floor(u_c * win), d // 2)
    ).astype(np.int64)
    random = (mod == 2) & (cells.r < REGULAR_FROM)
    explicit = random | long
    ex_parts = [_random_arrivals(cells, np.flatnonzero(random), win, rng),
                _even_arrivals(cells, np.flatnonzero(long & ~random), a, d)]
    reg = np.flatnonzero(~explicit)
    reach = _reached(cells, ex_parts, reg, a)
    ex_parts.append(_even_arrivals(cells, reg[reach], a, d))
    reg = reg[~reach]
    f, t, e = (np.concatenate([p[i] for p in ex_parts]) for i in range(3))
    o = np.lexsort((t, f))
    co = np.searchsorted(cells.func, np.arange(n_f + 1)).astype(np.int64)
    return Workload(cells.functions, cells.n_minutes,
                    Regular(cells.func[reg], cells.minute[reg], a[reg], d[reg], cells.r[reg],
                            cells.e_us[reg]),
                    Explicit(f[o], t[o], e[o]), co, cells.minute, cells.r)


def _random_arrivals(c: Cells, idx: np.ndarray, win: np.ndarray, rng) -> tuple[np.ndarray, ...]:
    owner = np.repeat(idx, c.r[idx])
    t = c.minute[owner] * MINUTE_US + np.floor(rng.random(owner.size) * win[owner]).astype(np.int64)
    return c.func[owner], t, c.e_us[owner]


def _even_arrivals(c: Cells, idx: np.ndarray, a: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, ...]:
    owner = np.repeat(idx, c.r[idx])
    base = np.cumsum(c.r[idx]) - c.r[idx]
    i = np.arange(owner.size, dtype=np.int64) - np.repeat(base, c.r[idx])
    return c.func[owner], a[owner] + i * d[owner], c.e_us[owner]


def _reached(c: Cells, parts: list, reg: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Which regular cells (indices ``reg``) start before an earlier explicit request has ended
    (only a request of 60 s or more can reach into a later minute)."""
    f, t, e = (np.concatenate([p[i] for p in parts]) for i in range(3))
    if not f.size or not reg.size:
        return np.zeros(reg.size, bool)
    span = (c.n_minutes + 2) * MINUTE_US + int(e.max())
    o = np.lexsort((t, f))
    start = f[o] * span + t[o]
    reach = np.maximum.accumulate(start + e[o])
    s = c.func[reg] * span + a[reg]
    pos = np.searchsorted(start, s, side="left")
    return np.where(pos > 0, reach[np.maximum(pos - 1, 0)], -1) > s


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


def trace_cells(data_dir: str | Path) -> Cells:
    """The ``requests`` and ``totalCost_avg`` series of a trace as :class:`Cells`."""
    fn = function_table(data_dir)
    idx = fn.select("region", "funcID").with_row_index("f")
    req = (load.scan_series(data_dir, "requests").select("region", "funcID", "time", "value")
           .collect(engine="in-memory"))
    have_exec = "totalCost_avg" in load.available_series(data_dir)
    if have_exec:
        ex = (load.scan_series(data_dir, "totalCost_avg").select(
            "region", "funcID", "time", e=pl.col("value")).collect(engine="in-memory"))
        req = req.join(ex, on=["region", "funcID", "time"], how="left")
    else:
        req = req.with_columns(e=pl.lit(None, pl.Float64))
    req = req.join(idx, on=["region", "funcID"], how="inner")
    n_minutes = int(req["time"].max() // 60 + 1) if req.height else 1
    n_minutes = max(n_minutes, -(-n_minutes // 1440) * 1440)
    return make_cells(fn, req["f"].to_numpy(), (req["time"] // 60).to_numpy(),
                      req["value"].to_numpy(), req["e"].cast(pl.Float64).to_numpy(), n_minutes)
