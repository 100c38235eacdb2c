"""Synthetic cold-start trace in the release's own layout (the release README), tier ``synthetic``.

Model (per region, vectorised with numpy per day; fingerprints in :mod:`.fingerprints`):

- **Functions.** The release's population at any ``scale`` (Fig. 1: 2,600 / 2,418 / 240 / 8,300 /
  550 functions; ``scale`` shrinks the events per function, so CDFs over functions keep their
  shape); ``functions`` < 1 keeps that share (``max(round(N * functions), 3)``). Region 2 uses the
  real runtime/trigger table committed in ``data/public`` (a random subset of its rows when
  ``functions`` < 1), or, only when asked for (``meta="synthetic"``), a synthetic table with the
  exact [meta] runtime/trigger/pool counts. Other regions get synthetic funcIDs
  (``funcName---userID---poolName``) with pools drawn from the Region 2 pool mix and users with the
  region's share of single-function users.
- **Cold-start counts.** ``round(N_region * scale)`` over 31 days, split over days by a weekly +
  holiday volume profile (Fig. 7a, Fig. 8a-c), then over functions by heavy-tailed LogNormal weights
  raked (iterative proportional fitting) to the Region 2 runtime / trigger / config cold-start
  shares (Fig. 8d-f), and to each region's large-pool share elsewhere.
- **Arrival times.** Within a day, a Weibull renewal process (shape k from the region's median/mean
  IAT ratio, §4.1) in "operational time", warped through the region's diurnal intensity (peaks of
  Fig. 5); times have ms resolution like the release.
- **Cold-start time.** A LogNormal mixture per pool-size class (Fig. 13a quartiles; the Region 2
  Custom/http runtimes get a ~10.5 s pod-creation mode, Fig. 10a), split into the four components
  by Dirichlet shares whose means are the region's component shares (Fig. 11, energy2 R1 stats);
  ``deployDependencyCost`` is 0 for a share of cold starts (no layers); the components add up to
  ``totalCost_cold_start`` (6 decimals; code/dependency at ms resolution).
- **Per-minute series** (``requests``, ``num_cold_starts``, ``num_pods``, ``totalCost_avg``,
  ``cpu_usage_avg`` by default), generated as sparse cells and written by filling a buffer of
  commas (work grows with the non-empty cells, the file size with minutes x functions as in the
  release): cold starts counted from the events; requests = cold starts plus,
  for the region's "popular" functions (>= 1 request/min in Fig. 3a), Poisson traffic following the
  same day and diurnal profile so the region's 31-day requests match Fig. 1; pods, execution time
  and CPU are simple per-function models (approximate, documented in the notebook).
- **Per-request table** (day 30 only, like the release): by default a few requests per day-30 pod.
  With ``request_rows=N`` (release size: R1 alone has 364 M rows), exactly N rows split over the
  regions by their requests that day; each pod first gets a lifetime independent of N (a share
  serve only their cold-start request; the others live a LogNormal time, popular functions' pods
  longer, censored at the end of the day), then its rows: the cold-start request at ``ready``, the
  last one ending the lifetime, the rest uniform in between, their number multinomial by function
  request weight x lifetime. Written in part files of at most ``chunk_rows`` rows, each built,
  written and freed (memory flat in N); Fig. 17's utility ratios do not depend on N.

Not modelled: timer bursts at minute boundaries, the pod-allocation multimodality, per-function
periodicity (peak-to-trough ratios), the R3 data gap. ``SYNTHETIC.json`` at the top of the output
records the generator, its version, scale, seed and the parameters a summary should recover.

Safety: ``overwrite`` replaces only an empty folder or one holding this generator's manifest (a
user's folder is refused), and only when every file in it is one the manifest lists (``files``: a
file a user added inside a generated trace is refused, named); temporary folders have unique names (pid + random token). The cached
trace of :func:`synthetic_trace` has a content record (size + SHA-256 of every file, next to it,
outside the trace) and is regenerated, with one line on stderr, when a file is missing, extra,
truncated or changed.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import shutil
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from scipy import special
from tqdm import tqdm

from paperkit import paths, provenance, registry
from paperkit.coldstarts import DAY_S, N_DAYS, REGIONS, cachefiles, fit, schema
from paperkit.coldstarts.rules import MANIFEST, config_category, pool_size_class
from paperkit.coldstarts.rules import aggregate_trigger as trigger_category
from paperkit.coldstarts.rules import pool_cpu_mem as _pool_cpu_mem
from paperkit.coldstarts.fingerprints import (
    CPU_REQUEST, CREATION_MIXTURE, CREATION_RUNTIMES, FINGERPRINTS, R2_CONFIG_CS_SHARE,
    R2_N_FUNCNAMES, R2_N_USERS, R2_POOL_COUNTS, R2_RUNTIME_COUNTS, R2_RUNTIME_CS_SHARE,
    R2_TRIGGER_COUNTS, R2_TRIGGER_CS_SHARE, REGION_TARGETS, Fingerprints, Mixture, RegionTarget)

__all__ = ["FINGERPRINTS", "Fingerprints", "GENERATOR_VERSION", "DEFAULT_SERIES", "MANIFEST",
           "generate_trace", "synthetic_trace", "synthetic_function_table", "day_multipliers",
           "diurnal_intensity", "trigger_category", "config_category", "pool_size_class"]

GENERATOR_VERSION = 5  # 5: the release's function population at any scale
DEFAULT_SERIES: tuple[str, ...] = ("requests", "num_cold_starts", "num_pods", "totalCost_avg",
                                   "cpu_usage_avg")
ALL_PARTS: tuple[str, ...] = ("cold_start", "quantiles", "per_request", "runtime_triggerType")
MIN_FUNCTIONS = 3
SHARE_CONCENTRATION = 3.0     # Dirichlet concentration of the component shares
POPULAR_SIGMA = 2.0           # LogNormal sigma of request volume among popular functions
CS_WEIGHT_SIGMA = 1.5         # LogNormal sigma of per-function cold-start weights
MINUTES = 1440
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


# ---------------------------------------------------------------------------------------------
# time profiles
def day_multipliers(target: RegionTarget) -> np.ndarray:
    """Relative volume of each of the 31 days: Fig. 7a readings on days 10-25, else the region's
    working-day / weekend level (low days of §4.5)."""
    low = set(FINGERPRINTS.low_days)
    mult = np.array([target.weekend if d in low else target.workday for d in range(N_DAYS)])
    mult[10:26] = target.fig7a
    return mult


def diurnal_intensity(target: RegionTarget) -> np.ndarray:
    """Relative intensity of each minute of the day (1440 values, mean 1)."""
    x = (np.arange(MINUTES) + 0.5) / MINUTES
    lam = np.full(MINUTES, target.diurnal_base)
    for phase, width, amp in target.diurnal:
        d = np.abs(x - phase)
        d = np.minimum(d, 1.0 - d)
        lam += amp * np.exp(-0.5 * (d / width) ** 2)
    return lam / lam.mean()


def _largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    raw = total * weights / weights.sum()
    out = np.floor(raw).astype(np.int64)
    rest = total - out.sum()
    if rest > 0:
        out[np.argsort(-(raw - out), kind="stable")[:rest]] += 1
    return out


# ---------------------------------------------------------------------------------------------
# function tables
def synthetic_function_table(seed: int = 0) -> pl.DataFrame:
    """A Region 2 runtime/trigger table with the real table's exact runtime, trigger and pool
    counts but random funcNames/users and random pairing: tier synthetic."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 77, 2]))
    n = sum(R2_RUNTIME_COUNTS.values())

    def column(counts: dict[str, int]) -> np.ndarray:
        vals = np.repeat(np.array(list(counts), dtype=object), list(counts.values()))
        if len(vals) < n:  # pad with the most common value
            vals = np.concatenate([vals, np.repeat(vals[0], n - len(vals))])
        return rng.permutation(vals[:n])

    runtime, trigger, pool = column(R2_RUNTIME_COUNTS), column(R2_TRIGGER_COUNTS), column(R2_POOL_COUNTS)
    names = rng.choice(np.arange(1, 4 * R2_N_FUNCNAMES), R2_N_FUNCNAMES, replace=False)
    users = rng.choice(np.arange(1, 4 * R2_N_USERS), R2_N_USERS, replace=False)
    func_name = rng.permutation(np.concatenate([names, rng.choice(names, n - len(names))]))
    user = rng.permutation(np.concatenate([users, rng.choice(users, n - len(users))]))
    ids = [f"{a}---{b}---{p}" for a, b, p in zip(func_name, user, pool)]
    # make funcIDs unique (a funcName/user pair may repeat only across pools)
    seen: set[str] = set()
    for i, fid in enumerate(ids):
        while fid in seen:
            func_name[i] = rng.integers(4 * R2_N_FUNCNAMES, 8 * R2_N_FUNCNAMES)
            fid = f"{func_name[i]}---{user[i]}---{pool[i]}"
        ids[i] = fid
        seen.add(fid)
    cpu_req = [CPU_REQUEST.get(_pool_cpu_mem(p)[0], _pool_cpu_mem(p)[0] // 2) for p in pool]
    return pl.DataFrame({"funcID": ids, "cpu_request": cpu_req, "runtime": runtime.tolist(),
                         "triggerType-invocationType": trigger.tolist()},
                        schema=schema.FUNCTION_META)


def _public_function_table() -> pl.DataFrame:
    """The real Region 2 table, committed under ``data/public`` (verified; never a fallback:
    a missing or altered file stops with the fix)."""
    return pl.read_csv(registry.public_path(schema.REGISTRY_META_NAME), schema=schema.FUNCTION_META)


@dataclass
class _Functions:
    func_id: np.ndarray       # str
    func_name: np.ndarray     # int64
    user: np.ndarray          # int64
    pool: np.ndarray          # str
    cpu_cores: np.ndarray     # cpu limit, cores
    mem_mb: np.ndarray
    klass: np.ndarray         # 0 small, 1 large, 2 creation (R2 Custom/http)
    weight: np.ndarray        # cold-start probability per event
    popular: np.ndarray       # bool
    req_weight: np.ndarray    # share of the region's extra (warm) requests
    exec_s: np.ndarray
    cpu_use: np.ndarray
    home_cluster: np.ndarray

    @property
    def n(self) -> int:
        return len(self.func_id)


def _rake(w: np.ndarray, margins: list[tuple[np.ndarray, dict[str, float]]],
          iters: int = 60) -> np.ndarray:
    """Iterative proportional fitting of weights ``w`` to category shares (renormalised over the
    categories present)."""
    w = w.copy()
    for _ in range(iters):
        for labels, target in margins:
            cats = sorted(set(labels.tolist()) & set(target))
            tot = sum(target[c] for c in cats)
            for c in cats:
                m = labels == c
                cur = w[m].sum() / w.sum()
                if cur > 0:
                    w[m] *= (target[c] / tot) / cur
    return w / w.sum()


def _r2_identities(rng: np.random.Generator, r2_table: pl.DataFrame, n: int) -> tuple:
    """``n`` rows of the Region 2 table (all of them at ``n`` = its height): (rows, funcName,
    userID, pool, runtime, aggregated trigger) arrays."""
    rows = np.sort(rng.choice(r2_table.height, n, replace=False))
    meta = r2_table[rows.tolist()]
    parts = [s.split("---") for s in meta["funcID"].to_list()]
    func_name = np.array([int(p[0]) for p in parts])
    user = np.array([int(p[1]) for p in parts])
    pool = np.array([p[2] for p in parts], dtype=object)
    runtime = np.array(meta["runtime"].to_list(), dtype=object)
    trig = np.array([trigger_category(t) for t in meta["triggerType-invocationType"]], dtype=object)
    return meta, func_name, user, pool, runtime, trig


def _synthetic_identities(rng: np.random.Generator, target: RegionTarget,
                          n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(funcName, userID, pool) of ``n`` synthetic functions: users with the region's share of
    single-function users, pools drawn from the Region 2 pool mix (both size classes present)."""
    sizes: list[int] = []
    while sum(sizes) < n:
        sizes.append(1 if rng.random() < target.single_function_users
                     else 2 + int(rng.geometric(0.3)) - 1)
    user_ids = rng.choice(np.arange(1, 20 * len(sizes) + 10), len(sizes), replace=False)
    user = np.repeat(user_ids, sizes)[:n]
    func_name = rng.choice(np.arange(1, 20 * n + 10), n, replace=False)
    pools = list(R2_POOL_COUNTS)
    p = np.array(list(R2_POOL_COUNTS.values()), dtype=float)
    pool = np.array(pools, dtype=object)[rng.choice(len(pools), n, p=p / p.sum())]
    size0 = [pool_size_class(x) for x in pool]
    if "large" not in size0:   # keep both pool-size classes, so the large share is reachable
        pool[-1] = "pool24-600-512"
    elif "small" not in size0:
        pool[-1] = "pool22-300-128"
    return func_name, user, pool


def _region_functions(region: str, functions: float, seed: int,
                      r2_table: pl.DataFrame) -> tuple[_Functions, pl.DataFrame | None]:
    """The region's functions: ``functions`` x the release's population (at least 3)."""
    target = REGION_TARGETS[region]
    ri = REGIONS.index(region)
    rng = np.random.default_rng(np.random.SeedSequence([seed, ri, 10_000]))
    n = max(int(round(target.n_functions * functions)), MIN_FUNCTIONS)
    if region == "R2":
        n = min(n, r2_table.height)
        meta, func_name, user, pool, runtime, trig = _r2_identities(rng, r2_table, n)
    else:
        meta = None
        func_name, user, pool = _synthetic_identities(rng, target, n)
        runtime = trig = np.array([""] * n, dtype=object)
    cpu_mem = np.array([_pool_cpu_mem(s) for s in pool])
    cpu_cores, mem_mb = cpu_mem[:, 0] / 1000.0, cpu_mem[:, 1].astype(float)
    size = np.array([pool_size_class(s) for s in pool], dtype=object)
    klass = np.where(size == "large", 1, 0)
    klass = np.where(np.isin(runtime, CREATION_RUNTIMES), 2, klass)
    w = rng.lognormal(0.0, CS_WEIGHT_SIGMA, n)
    if region == "R2":
        config = np.array([config_category(s) for s in pool], dtype=object)
        w = _rake(w, [(runtime, R2_RUNTIME_CS_SHARE), (trig, R2_TRIGGER_CS_SHARE),
                      (config, R2_CONFIG_CS_SHARE)])
    else:
        w = _rake(w, [(size, {"large": target.large_share, "small": 1 - target.large_share})])
    n_pop = max(1, int(round(target.popular_share * n)))
    rank = np.argsort(-(w * rng.lognormal(0.0, 0.5, n)), kind="stable")
    popular = np.zeros(n, dtype=bool)
    popular[rank[:n_pop]] = True
    req_w = np.where(popular, rng.lognormal(0.0, POPULAR_SIGMA, n), 0.0)
    req_w = req_w / req_w.sum()
    exec_s = rng.lognormal(math.log(target.exec_median_s), 1.2, n)
    cpu_use = np.clip(rng.lognormal(math.log(target.cpu_median_cores), 0.5, n), 0.01, cpu_cores)
    func_id = np.array([f"{a}---{b}---{c}" for a, b, c in zip(func_name, user, pool)], dtype=object)
    order = np.argsort(func_id, kind="stable")
    fn = _Functions(func_id[order], func_name[order].astype(np.int64), user[order].astype(np.int64),
                    pool[order], cpu_cores[order], mem_mb[order], klass[order], w[order],
                    popular[order], req_w[order], exec_s[order], cpu_use[order],
                    rng.integers(1, 5, n)[order])
    return fn, meta


# ---------------------------------------------------------------------------------------------
# events
def _mixture_table(target: RegionTarget, region: str) -> list[Mixture]:
    return [target.small, target.large, CREATION_MIXTURE if region == "R2" else target.large]


def _log_moments(mixtures: list[Mixture], class_counts: np.ndarray) -> tuple[float, float]:
    """mean and sd of ln(total) of the mixture with the realised class counts (= LogNormal MLE)."""
    m1 = m2 = 0.0
    tot = class_counts.sum()
    for c, mix in enumerate(mixtures):
        wc = class_counts[c] / tot if tot else 0.0
        for w, med, sig in mix:
            mu = math.log(med)
            m1 += wc * w * mu
            m2 += wc * w * (sig ** 2 + mu ** 2)
    return m1, math.sqrt(max(m2 - m1 ** 2, 0.0))


def _share_means(target: RegionTarget) -> tuple[np.ndarray, np.ndarray]:
    """Dirichlet means (order: schema.COMPONENTS) with and without dependency layers, such that
    the overall mean shares equal target.shares."""
    m = np.array([target.shares[c] for c in schema.COMPONENTS], dtype=float)
    m = m / m.sum()
    dep = schema.COMPONENTS.index("deployDependencyCost")
    p0 = target.p_no_dependency
    if not 0 <= p0 < 1 - m[dep]:
        raise ValueError(f"{target.name}: p_no_dependency {p0} must be below 1 - dependency share")
    m_none = m.copy()
    m_none[dep] = 0.0
    m_none /= m_none.sum()
    m_layers = (m - p0 * m_none) / (1 - p0)
    return m_layers, m_none


def _event_times(rng: np.random.Generator, shape: float, n: int, day: int,
                 intensity: np.ndarray, round_ms: bool = True) -> np.ndarray:
    """``n`` sorted cold-start times (s since trace start) in day ``day``: a Weibull(shape)
    renewal process in operational time, stretched to the day and warped by ``intensity``."""
    iat = rng.weibull(shape, n + 1)
    cum = np.cumsum(iat)
    op = cum[:-1] / cum[-1]                       # operational time in (0, 1)
    lam = np.concatenate([[0.0], np.cumsum(intensity)])
    lam /= lam[-1]
    sec = np.interp(op, lam, np.arange(MINUTES + 1) * 60.0)
    t = day * DAY_S + sec
    return np.round(t, 3) if round_ms else t


IAT_SIM_EVENTS = 600_000


def expected_iat_fit(region: str, per_day: np.ndarray) -> tuple[float, float]:
    """Weibull MLE (shape, scale s) that a summary of this region's IATs should recover.

    The generator's IATs are Weibull only in operational time; the diurnal warp and the day
    volumes lower the fitted shape. This simulates the same arrival model (fixed seed, independent
    of the trace's) with the same per-day counts (scaled up to >= IAT_SIM_EVENTS events, whose
    IATs then scale back by the count ratio; ms rounding and dropped zeros as in the release when
    the real count is that large) and fits it.
    """

    target = REGION_TARGETS[region]
    intensity = diurnal_intensity(target)
    n = int(per_day.sum())
    if n < 2:
        return float("nan"), float("nan")
    factor = max(1.0, IAT_SIM_EVENTS / n)
    counts = np.round(per_day * factor).astype(np.int64)
    rng = np.random.default_rng(np.random.SeedSequence([12345, REGIONS.index(region), 30_000]))
    times = np.concatenate([_event_times(rng, target.iat_shape, int(c), d, intensity,
                                         round_ms=factor == 1.0)
                            for d, c in enumerate(counts)])
    iat = np.diff(times)
    k, lam = fit.fit_weibull(iat[iat > 0])
    return k, lam * counts.sum() / n


def _hex_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    return _HEX[rng.integers(0, 16, (n, 64), dtype=np.uint8)].view("S64").ravel()


def _day_events(region: str, day: int, n: int, fn: _Functions, seed: int, pod_offset: int,
                pod_base: int, intensity: np.ndarray) -> tuple[pl.DataFrame, np.ndarray]:
    """Cold-start rows of one region-day (release column order) and each row's function index."""
    target = REGION_TARGETS[region]
    ri = REGIONS.index(region)
    rng = np.random.default_rng(np.random.SeedSequence([seed, ri, day, 1]))
    t = _event_times(rng, target.iat_shape, n, day, intensity)
    f = rng.choice(fn.n, n, p=fn.weight)
    klass = fn.klass[f]
    total = np.empty(n)
    for c, mix in enumerate(_mixture_table(target, region)):
        idx = np.flatnonzero(klass == c)
        if idx.size == 0:
            continue
        w = np.array([m[0] for m in mix])
        comp = rng.choice(len(mix), idx.size, p=w / w.sum())
        med = np.array([m[1] for m in mix])[comp]
        sig = np.array([m[2] for m in mix])[comp]
        total[idx] = med * np.exp(sig * rng.standard_normal(idx.size))
    m_layers, m_none = _share_means(target)
    no_dep = rng.random(n) < target.p_no_dependency
    shape = np.where(no_dep[:, None], m_none, m_layers) * SHARE_CONCENTRATION
    g = rng.standard_gamma(np.maximum(shape, 1e-12))
    g[no_dep, schema.COMPONENTS.index("deployDependencyCost")] = 0.0
    parts = g / g.sum(axis=1, keepdims=True) * total[:, None]
    pod = np.round(parts[:, 0], 6)
    code = np.round(parts[:, 1], 3)
    dep = np.round(parts[:, 2], 3)
    sched = np.maximum(np.round(total - pod - code - dep, 6), 0.0)
    total = np.round(pod + code + dep + sched, 6)
    cluster = np.where(rng.random(n) < 0.3, rng.integers(1, 5, n), fn.home_cluster[f])
    req = _hex_ids(rng, n)
    same = np.flatnonzero((f[1:] == f[:-1]) & (rng.random(n - 1) < 0.3)) + 1 if n > 1 else []
    req[same] = req[np.asarray(same, dtype=np.int64) - 1]
    pod_num = pod_base + pod_offset + np.arange(n, dtype=np.int64)
    df = pl.DataFrame({
        "day": np.full(n, day, dtype=np.int64), "time": t,
        "clusterName": cluster.astype(np.int64), "funcName": fn.func_name[f],
        "userID": fn.user[f], "requestID": pl.Series(req).cast(pl.String),
        "totalCost_cold_start": total, "podAllocationCost": pod, "deployCodeCost": code,
        "deployDependencyCost": dep, "schedulingCost": sched,
        "_pool": pl.Series(fn.pool[f].tolist(), dtype=pl.String), "_pod": pod_num,
    }).with_columns(
        podID=pl.concat_str([pl.col("_pool"), pl.lit("-"),
                             pl.col("_pod").cast(pl.String).str.zfill(10)])
    ).select(list(schema.COLD_START))
    return df, f


Cells = tuple[np.ndarray, np.ndarray]
"""Sparse per-minute cells of one region-day: (key = minute * n_functions + function, value),
keys ascending (row-major: minute, then function)."""


def _merge(keys: list[np.ndarray], vals: list[np.ndarray]) -> Cells:
    """Sum the values of equal keys over several sparse cell sets."""
    k = np.concatenate(keys)
    u, inv = np.unique(k, return_inverse=True)
    return u, np.bincount(inv, weights=np.concatenate(vals).astype(np.float64), minlength=u.size)


def _day_series(region: str, day: int, fn: _Functions, f: np.ndarray, t: np.ndarray,
                n_extra_day: float, intensity: np.ndarray, seed: int,
                prev_cs_last: np.ndarray) -> tuple[dict[str, Cells], np.ndarray]:
    """Sparse per-minute cells of one region-day, per series, and the cold starts of its last
    minute per function (the next day's "previous minute"). Work is proportional to the
    non-empty cells and the popular functions, not to minutes x functions."""
    ri = REGIONS.index(region)
    rng = np.random.default_rng(np.random.SeedSequence([seed, ri, day, 2]))
    n = fn.n
    minute = np.minimum(((t - day * DAY_S) // 60).astype(np.int64), MINUTES - 1)
    cs_k, cs_v = np.unique(minute * n + f, return_counts=True)
    pop = np.flatnonzero(fn.popular)
    ex_k, ex_v = np.zeros(0, np.int64), np.zeros(0)
    if pop.size and n_extra_day > 0:
        rate = n_extra_day * (intensity / MINUTES)[:, None] * fn.req_weight[pop][None, :]
        extra = rng.poisson(rate)
        r, c = np.nonzero(extra)
        ex_k, ex_v = r * n + pop[c], extra[r, c].astype(np.float64)
    req_k, req_v = _merge([cs_k, ex_k], [cs_v, ex_v])
    # pods: warm pods ceil(extra * exec / 60) + this minute's cold starts + the previous minute's
    warm = np.ceil(ex_v * fn.exec_s[ex_k % n] / 60.0)
    nxt = cs_k < (MINUTES - 1) * n
    carry = np.flatnonzero(prev_cs_last)
    pod_k, pod_v = _merge([ex_k, cs_k, cs_k[nxt] + n, carry],
                          [warm, cs_v, cs_v[nxt], prev_cs_last[carry]])
    col = req_k % n
    exec_avg = np.round(fn.exec_s[col] * np.exp(0.25 * rng.standard_normal(col.size)), 6)
    cpu = np.round(np.minimum(fn.cpu_use[col] * np.exp(0.15 * rng.standard_normal(col.size)),
                              fn.cpu_cores[col]), 4)
    last = np.zeros(n)
    tail = cs_k >= (MINUTES - 1) * n
    last[cs_k[tail] - (MINUTES - 1) * n] = cs_v[tail]
    return {
        "requests": (req_k, req_v),
        "num_cold_starts": (cs_k, cs_v.astype(np.float64)),
        "num_pods": (pod_k[pod_v > 0], pod_v[pod_v > 0]),
        "totalCost_avg": (req_k, exec_avg),
        "cpu_usage_avg": (req_k, cpu),
    }, last


def _place(buf: np.ndarray, starts: np.ndarray, lens: np.ndarray, src: np.ndarray) -> None:
    """Copy the concatenated pieces ``src`` (lengths ``lens``) to ``buf`` at ``starts``."""
    offsets = np.cumsum(lens) - lens
    buf[np.repeat(starts - offsets, lens) + np.arange(int(lens.sum()))] = src


def _texts(values: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """(byte length of each value's text, all texts concatenated as bytes)."""
    txt = values.cast(pl.String)
    joined = txt.str.join("").item() if txt.len() else ""
    return (txt.str.len_bytes().to_numpy().astype(np.int64),
            np.frombuffer(joined.encode(), dtype=np.uint8))


def _write_series(path: Path, day: int, cells: Cells, cols: list[str], integer: bool) -> None:
    """Write one wide per-minute file (``day,time,<funcID>...``; absent cell = empty).

    Sparse writer: a buffer of commas the size of the file, into which the row prefixes, the
    non-empty cells and the newlines are copied at computed offsets (numpy, no per-cell Python).
    """
    nf = len(cols)
    key, val = cells
    r, c = np.divmod(key, nf)
    lens, text = _texts(pl.Series(val.astype(np.int64) if integer else val))
    plens, ptext = _texts(pl.Series([f"{day},{day * DAY_S + 60 * i}" for i in range(MINUTES)]))
    row_cells = np.bincount(r, weights=lens, minlength=MINUTES).astype(np.int64)
    row_len = plens + nf + row_cells + 1
    row_start = np.cumsum(row_len) - row_len
    buf = np.full(int(row_len.sum()), ord(","), dtype=np.uint8)
    _place(buf, row_start, plens, ptext)
    within = (np.cumsum(lens) - lens) - (np.cumsum(row_cells) - row_cells)[r]
    _place(buf, row_start[r] + plens[r] + c + 1 + within, lens, text)
    buf[row_start + row_len - 1] = ord("\n")
    with open(path, "wb") as fh:
        fh.write((",".join(["day", "time", *cols]) + "\n").encode())
        fh.write(buf.tobytes())


def _request_columns(rng: np.random.Generator, time_worker: np.ndarray, exe: np.ndarray,
                     fn: _Functions, fr: np.ndarray) -> dict[str, np.ndarray]:
    """The per-request columns that follow from a row's start (s), execution time (s) and
    function: frontend time, the cost split, CPU (cores), memory (MB), body size (bytes). One
    model for the default table and the tables at a given size (same draws, same order)."""
    n = len(time_worker)
    return {
        "time_worker": time_worker,
        "time_frontend": np.round(time_worker - rng.uniform(0.001, 0.02, n), 3),
        "totalCost_worker": np.round(exe, 6), "workerCost": np.round(0.95 * exe, 6),
        "runtimeCost": np.round(0.9 * exe, 6), "totalCost_frontend": np.round(exe + 0.01, 6),
        "frontendCost": np.round(rng.uniform(0.001, 0.005, n), 6),
        "busCost": np.round(rng.uniform(0.0005, 0.002, n), 6),
        "readBodyCost": np.round(rng.uniform(0.0, 0.001, n), 6),
        "writeRspCost": np.round(rng.uniform(0.0, 0.001, n), 6),
        "cpu_usage": np.round(np.minimum(fn.cpu_use[fr] * np.exp(0.2 * rng.standard_normal(n)),
                                         fn.cpu_cores[fr]), 4),
        "memory_usage": np.round(rng.uniform(0.2, 0.8, n) * fn.mem_mb[fr], 3),
        "requestBodySize": np.round(rng.lognormal(6.0, 1.5, n)),
    }


def _day_requests(region: str, day: int, events: pl.DataFrame, fn: _Functions, f: np.ndarray,
                  seed: int) -> pl.DataFrame:
    """Per-request rows of day-30 pods: the cold-start request plus a few warm ones."""
    ri = REGIONS.index(region)
    rng = np.random.default_rng(np.random.SeedSequence([seed, ri, day, 3]))
    k = 1 + np.where(fn.popular[f], np.minimum(rng.poisson(4.0, len(f)), 20), 0)
    row_ev = np.repeat(np.arange(len(f)), k)
    first = np.concatenate([[0], np.cumsum(k)[:-1]])
    pos = np.arange(len(row_ev)) - first[row_ev]
    gaps = rng.exponential(8.0, len(row_ev)) * (pos > 0)
    start = (events["time"].to_numpy() + events["totalCost_cold_start"].to_numpy())[row_ev]
    grp_cum = np.cumsum(gaps)
    base = grp_cum[first][row_ev]
    time_worker = np.round(start + (grp_cum - base), 3)
    fr = f[row_ev]
    n = len(row_ev)
    exe = fn.exec_s[fr] * np.exp(0.3 * rng.standard_normal(n))
    req_ids = _hex_ids(rng, n)
    ev_ids = events["requestID"].to_numpy()
    ids = np.where(pos == 0, ev_ids[row_ev], pl.Series(req_ids).cast(pl.String).to_numpy())
    df = pl.DataFrame({
        **_request_columns(rng, time_worker, exe, fn, fr),
        "requestID": ids.astype(str),
        "clusterName": events["clusterName"].to_numpy()[row_ev],
        "funcName": events["funcName"].to_numpy()[row_ev],
        "podID": events["podID"].to_numpy()[row_ev].astype(str),
        "userID": events["userID"].to_numpy()[row_ev],
    }).select([pl.col(c).cast(t) for c, t in schema.REQUEST.items()])
    return df.sort("time_worker", maintain_order=True)


# ---------------------------------------------------------------------------------------------
# per-request tables at a given size (request_rows=N): pod lifetimes first, then N rows in chunks
REQUEST_CHUNK_ROWS = 4_000_000   # rows per part file (each built, written and freed in turn)
P_SINGLE = 0.35                  # share of a non-popular function's pods that serve one request
P_SINGLE_POPULAR = 0.10          # ... of a popular function's pods
LIFE_MEDIAN_S = 90.0             # LogNormal median lifetime (s) of a multi-request pod
LIFE_MEDIAN_POPULAR_S = 600.0    # ... of a popular function's pod
LIFE_SIGMA = 1.6
WEIGHT_FLOOR = 0.1               # request weight of a non-popular pod, relative to a mean pod
_BYTE_HEX = np.array([f"{i:02x}".encode() for i in range(256)], dtype="S2")


def request_split(request_rows: int, regions: tuple[str, ...], day: int,
                  min_rows: dict[str, int]) -> dict[str, int]:
    """Rows of each region's request table: ``request_rows`` split in proportion to the regions'
    requests on ``day`` (``n_requests`` x day multiplier, largest remainder), except that a region
    gets at least ``min_rows[r]`` (fixed there, the rest split over the others again)."""
    w = {r: REGION_TARGETS[r].n_requests * day_multipliers(REGION_TARGETS[r])[day]
            / day_multipliers(REGION_TARGETS[r]).sum() for r in regions}
    need = sum(min_rows.values())
    if request_rows < need:
        raise ValueError(f"request_rows={request_rows} is too small: the last day's pods need at "
                         f"least {need} rows (2 per pod: {min_rows}); pass a larger request_rows "
                         "or a smaller scale")
    fixed: dict[str, int] = {r: 0 for r in regions if min_rows[r] == 0}  # no pods, no rows
    if len(fixed) == len(regions) and request_rows:
        raise ValueError(f"request_rows={request_rows}: no region has a cold start on day {day}")
    while True:
        free = [r for r in regions if r not in fixed]
        alloc = _largest_remainder(request_rows - sum(fixed.values()),
                                   np.array([w[r] for r in free], dtype=float))
        short = [r for r, a in zip(free, alloc) if a < min_rows[r]]
        if not short:
            return {**fixed, **dict(zip(free, (int(a) for a in alloc)))}
        fixed.update({r: min_rows[r] for r in short})


@dataclass
class _Pods:
    """Pods of one region-day (one per cold-start event), drawn independently of the row count."""
    f: np.ndarray            # function index
    ready: np.ndarray        # s: cold-start time + totalCost_cold_start (first request)
    last_start: np.ndarray   # s: start of the last request
    exec_first: np.ndarray   # s: execution time of the first request
    exec_last: np.ndarray    # s: of the last request (ends the pod's useful lifetime)
    k_min: np.ndarray        # 1 (single-request pod) or 2
    weight: np.ndarray       # share of the extra requests (0 for single-request pods)


def _day_pods(region: str, day: int, events: pl.DataFrame, fn: _Functions, f: np.ndarray,
              seed: int) -> _Pods:
    """Each pod's lifetime model: a share of pods serve only their cold-start request; the others
    live a LogNormal time (popular functions' pods longer), censored at the end of the day, and
    serve requests from ``ready`` to the end of their life. Independent of the number of rows."""
    ri = REGIONS.index(region)
    rng = np.random.default_rng(np.random.SeedSequence([seed, ri, day, 4]))
    n = len(f)
    pop = fn.popular[f]
    single = rng.random(n) < np.where(pop, P_SINGLE_POPULAR, P_SINGLE)
    if n and single.all():
        single[int(np.argmax(fn.req_weight[f] + fn.weight[f]))] = False
    life = rng.lognormal(np.log(np.where(pop, LIFE_MEDIAN_POPULAR_S, LIFE_MEDIAN_S)), LIFE_SIGMA)
    exec_first = fn.exec_s[f] * np.exp(0.3 * rng.standard_normal(n))
    exec_last = fn.exec_s[f] * np.exp(0.3 * rng.standard_normal(n))
    ready = events["time"].to_numpy() + events["totalCost_cold_start"].to_numpy()
    end = np.minimum(ready + np.maximum(life, exec_first + exec_last), (day + 1) * DAY_S)
    last_start = np.where(single, ready, np.maximum(end - exec_last, ready))
    exec_last = np.where(single, exec_first, exec_last)
    per_func = np.bincount(f, minlength=fn.n)[f]
    share = fn.req_weight[f] / per_func + WEIGHT_FLOOR / max(n, 1)
    weight = np.where(single, 0.0, share * (last_start + exec_last - ready))
    return _Pods(f, ready, last_start, exec_first, exec_last,
                 np.where(single, 1, 2).astype(np.int64), weight)


def _request_counts(region: str, day: int, pods: _Pods, n_rows: int, seed: int) -> np.ndarray:
    """Rows per pod: its minimum (1 or 2) plus a multinomial share of the rest by pod weight."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, REGIONS.index(region), day, 5]))
    extra = n_rows - int(pods.k_min.sum())
    if extra < 0:
        raise ValueError(f"{region}: {n_rows} request rows cannot cover {len(pods.f)} pods")
    w = pods.weight / pods.weight.sum()
    return pods.k_min + rng.multinomial(extra, w)


def _fast_hex_ids(rng: np.random.Generator, n: int) -> pl.Series:
    """``n`` random 64-hex request ids (32 random bytes each)."""
    b = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    return pl.Series(_BYTE_HEX[b].view("S64").ravel()).cast(pl.String)


def _chunk_requests(region: str, day: int, chunk: int, lo: int, hi: int, pods: _Pods,
                    pod_cols: pl.DataFrame, ends: np.ndarray, counts: np.ndarray, fn: _Functions,
                    seed: int) -> pl.DataFrame:
    """Rows ``lo``..``hi``-1 of a region's request table (pods laid out one after another): a pod's
    first row is its cold-start request at ``ready``, its last ends its lifetime, the rest fall
    uniformly in between."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, REGIONS.index(region), day, 3, chunk]))
    rows = np.arange(lo, hi, dtype=np.int64)
    n = len(rows)
    p = np.searchsorted(ends, rows, side="right")
    pos = rows - (ends - counts)[p]
    first = pos == 0
    last = (pos == counts[p] - 1) & ~first
    ready, last_start = pods.ready[p], pods.last_start[p]
    fr = pods.f[p]
    mid = ready + rng.random(n) * (last_start - ready)
    time_worker = np.round(np.where(first, ready, np.where(last, last_start, mid)), 3)
    exe = np.where(first, pods.exec_first[p], np.where(
        last, pods.exec_last[p], fn.exec_s[fr] * np.exp(0.3 * rng.standard_normal(n))))
    new_ids = _fast_hex_ids(rng, n)
    strings = pod_cols.select(pl.all().gather(p))
    df = pl.DataFrame({
        **_request_columns(rng, time_worker, exe, fn, fr),
        "_first": first,
    })
    return (pl.concat([df, strings], how="horizontal")
            .with_columns(requestID=pl.when(pl.col("_first")).then(pl.col("_event_id"))
                          .otherwise(new_ids))
            .select([pl.col(c).cast(t) for c, t in schema.REQUEST.items()]))


PARTS_PER_ZIP = 10               # request parts per zip with request_format="zip" (R1's release zips)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed member time: same arguments, same zip bytes


class _PartWriter:
    """Writes request parts as CSV files, or as CSV members of zips of ``PARTS_PER_ZIP`` parts
    named like the release's (``R1_00000_00009.zip``), deflated as they are written."""

    def __init__(self, rdir: Path, region: str, n_parts: int, fmt: str) -> None:
        self.rdir, self.region, self.n_parts, self.fmt = rdir, region, n_parts, fmt
        self._zip: zipfile.ZipFile | None = None

    def write(self, k: int, df: pl.DataFrame) -> None:
        name = f"{self.region}_part-{k:05d}.csv"
        if self.fmt == "csv":
            df.write_csv(self.rdir / name, float_scientific=False)
            return
        if k % PARTS_PER_ZIP == 0:
            self.close()
            last = min(k + PARTS_PER_ZIP, self.n_parts) - 1
            self._zip = zipfile.ZipFile(self.rdir / f"{self.region}_{k:05d}_{last:05d}.zip", "w",
                                        compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
        info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
        with self._zip.open(info, "w", force_zip64=True) as fh:
            df.write_csv(fh, float_scientific=False)

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None


def _write_requests(rdir: Path, region: str, day: int, events: pl.DataFrame, fn: _Functions,
                    f: np.ndarray, seed: int, n_rows: int, chunk_rows: int,
                    fmt: str = "csv") -> int:
    """Write ``n_rows`` request rows of ``day``'s pods as ``{region}_part-{k:05d}.csv`` files of at
    most ``chunk_rows`` rows (``fmt="zip"``: as members of zips, see :class:`_PartWriter`);
    return the rows written."""
    pods = _day_pods(region, day, events, fn, f, seed)
    counts = _request_counts(region, day, pods, n_rows, seed)
    ends = np.cumsum(counts)
    pod_cols = events.select("clusterName", "funcName", "podID", "userID",
                             pl.col("requestID").alias("_event_id"))
    written = 0
    starts = range(0, max(n_rows, 1), chunk_rows)
    out = _PartWriter(rdir, region, len(starts), fmt)
    try:
        for chunk, lo in enumerate(starts):
            hi = min(lo + chunk_rows, n_rows)
            df = _chunk_requests(region, day, chunk, lo, hi, pods, pod_cols, ends, counts, fn, seed)
            out.write(chunk, df)
            written += df.height
            del df
    finally:
        out.close()
    return written


# ---------------------------------------------------------------------------------------------
def _check_args(scale: float, n_days: int, regions: tuple[str, ...], parts: tuple[str, ...],
                series: tuple[str, ...], functions: float = 1.0) -> None:
    if not (isinstance(scale, (int, float)) and 0 < scale <= 10):
        raise ValueError(f"scale must be in (0, 10] (1.0 = the paper's 11.9 M cold starts), got {scale!r}")
    if not (isinstance(functions, (int, float)) and 0 < functions <= 1):
        raise ValueError(f"functions must be in (0, 1] (the share of the release's 14,108 functions "
                         f"kept; 1.0 = all of them), got {functions!r}")
    if not 1 <= n_days <= N_DAYS:
        raise ValueError(f"n_days must be in 1..{N_DAYS}, got {n_days!r}")
    bad = [r for r in regions if r not in REGIONS]
    if bad or not regions:
        raise ValueError(f"unknown region {bad[0] if bad else '(none)'}; choose from {', '.join(REGIONS)}")
    bad = [p for p in parts if p not in ALL_PARTS]
    if bad:
        raise ValueError(f"unknown part {bad[0]!r}; choose from {', '.join(ALL_PARTS)}")
    bad = [s for s in series if s not in DEFAULT_SERIES]
    if bad:
        raise ValueError(f"the generator cannot produce series {bad[0]!r}; it writes "
                         f"{', '.join(DEFAULT_SERIES)}")


def _check_request_args(request_rows: int | None, chunk_rows: int, parts: tuple[str, ...],
                        request_format: str = "csv") -> None:
    if request_format not in ("csv", "zip") or (request_format == "zip" and request_rows is None):
        raise ValueError(f"request_format must be 'csv' or 'zip' (zip: parts packed like the "
                         f"release's zips; needs request_rows), got {request_format!r}")
    for name, v in (("request_rows", request_rows), ("chunk_rows", chunk_rows)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1):
            raise ValueError(f"{name} must be an integer >= 1, got {v!r}")
    if request_rows is not None and "per_request" not in parts:
        raise ValueError("request_rows sizes the per_request tables; add per_request to parts")


def is_generated(path: Path) -> bool:
    """True if ``path`` holds this generator's manifest (``SYNTHETIC.json`` naming it)."""
    try:
        man = json.loads((Path(path) / MANIFEST).read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    return isinstance(man, dict) and man.get("generator") == "paperkit.coldstarts.generate"


def _check_out_dir(out_dir: Path, overwrite: bool) -> None:
    """Raise ``ValueError`` unless ``out_dir`` may be written: absent, or with ``overwrite`` an empty
    folder or a trace this generator wrote (never a user's folder)."""
    if not (out_dir.exists() or out_dir.is_symlink()):
        return
    if not overwrite:
        raise ValueError(f"{out_dir} already exists; pass overwrite=True (--overwrite) to replace "
                         "a trace written by this generator, or choose another folder")
    if out_dir.is_symlink() or not out_dir.is_dir():
        raise ValueError(f"{out_dir} exists and is not a folder; overwrite only replaces a trace "
                         "written by this generator: remove it yourself or choose another OUT_DIR")
    if any(out_dir.iterdir()) and not is_generated(out_dir):
        raise ValueError(f"refusing to overwrite {out_dir}: it is not empty and has no {MANIFEST} "
                         "of this generator, so it was not written by it and may hold your files; "
                         "choose another OUT_DIR, or move or delete that folder yourself")
    foreign = _unlisted_files(out_dir)
    if foreign:
        raise ValueError(f"refusing to overwrite {out_dir}: it holds {len(foreign)} file(s) its "
                         f"{MANIFEST} does not list, e.g. {foreign[0]} (added by you?); move them "
                         "out, or choose another OUT_DIR")


def _unlisted_files(out_dir: Path) -> list[str]:
    """Files under a generated trace that its manifest's ``files`` does not list (none for an
    older manifest without that list)."""
    try:
        listed = json.loads((out_dir / MANIFEST).read_text()).get("files")
    except (OSError, ValueError, UnicodeDecodeError, AttributeError):
        return []
    if not isinstance(listed, list):
        return []
    have = sorted(p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*")
                  if p.is_file() or p.is_symlink())
    return [f for f in have if f not in set(listed) | {MANIFEST}]


def generate_trace(out_dir: str | Path, scale: float, seed: int = 0, *, n_days: int = N_DAYS,
                   regions: tuple[str, ...] = REGIONS, parts: tuple[str, ...] = ALL_PARTS,
                   series: tuple[str, ...] = DEFAULT_SERIES, overwrite: bool = False,
                   progress: bool = False, meta: str = "auto", functions: float = 1.0,
                   request_rows: int | None = None, chunk_rows: int = REQUEST_CHUNK_ROWS,
                   request_format: str = "csv") -> Path:
    """Write a synthetic trace in the release layout (§2.2) to ``out_dir``; return its path.

    ``scale`` 1.0 = the paper's size (11.9 M cold starts over 5 regions, 31 days); cold starts and
    requests scale linearly, **per function**: the function and user population stays the
    release's (``functions`` = 1.0, 14,108 functions; a smaller share keeps that share of each
    region's functions, at least 3). ``n_days`` < 31 writes days
    0..n_days-1 only (tests). ``meta``: "public" (the real Region 2 table committed in
    ``data/public``; "auto" is the same) or "synthetic" (a stand-in with its exact counts, only
    when asked for). Written atomically: a uniquely named temporary sibling folder renamed into
    place. Same arguments -> byte-identical files. An existing ``out_dir`` is refused unless
    ``overwrite``, and even then unless it is empty or holds this generator's manifest
    (:func:`is_generated`): a user's folder is never deleted.

    ``request_rows``: None writes a small request table (a few requests per last-day pod); N writes
    exactly N rows (:func:`request_split` over regions, :func:`_day_pods` lifetimes independent of
    N) in parts of at most ``chunk_rows`` rows, each built, written and freed (memory flat in N),
    as CSV files or (``request_format="zip"``) packed in zips of 10 like the release's.
    """
    regions, parts, series = tuple(regions), tuple(parts), tuple(series)
    _check_args(scale, n_days, regions, parts, series, functions)
    _check_request_args(request_rows, chunk_rows, parts, request_format)
    out_dir = Path(out_dir)
    _check_out_dir(out_dir, overwrite)
    if meta not in ("auto", "public", "synthetic"):
        raise ValueError(f"meta must be 'auto', 'public' or 'synthetic', got {meta!r}")
    table = None if meta == "synthetic" else _public_function_table()
    meta_source = "public" if table is not None else "synthetic"
    if table is None:
        table = synthetic_function_table(seed)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = cachefiles.temp_sibling(out_dir, folder=True)
    try:
        manifest = _generate_into(tmp, scale, seed, n_days, regions, parts, series, table,
                                  meta_source, progress, functions, request_rows, chunk_rows,
                                  request_format)
        manifest["files"] = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*")
                                   if p.is_file())  # what --overwrite may replace
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        if out_dir.exists() and overwrite:
            _check_out_dir(out_dir, overwrite)  # still ours (or empty) after generating
            old = cachefiles.temp_sibling(out_dir, folder=True, tag="old")
            os.replace(out_dir, old)
            os.replace(tmp, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            try:
                os.rename(tmp, out_dir)  # fails if another process created out_dir meanwhile
            except OSError:
                raise ValueError(f"{out_dir} was created by another process while generating; "
                                 "pass overwrite=True to replace it") from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def _generate_into(root: Path, scale: float, seed: int, n_days: int, regions: tuple[str, ...],
                   parts: tuple[str, ...], series: tuple[str, ...], table: pl.DataFrame,
                   meta_source: str, progress: bool, functions: float = 1.0,
                   request_rows: int | None = None, chunk_rows: int = REQUEST_CHUNK_ROWS,
                   request_format: str = "csv") -> dict:
    """Write every region of the trace under ``root``; return the manifest (one region at a time:
    :func:`_write_region` writes the files, :func:`_region_manifest` records what it wrote)."""
    bar = tqdm(total=len(regions) * n_days, desc=f"synthetic trace scale={scale:g}",
               unit="region-day", disable=not progress, file=sys.stderr)
    manifest: dict = {
        "tier": "synthetic", "generator": "paperkit.coldstarts.generate",
        "generator_version": GENERATOR_VERSION, "scale": scale, "seed": seed, "n_days": n_days,
        "functions": functions,
        "parts": sorted(parts), "series": sorted(series) if "quantiles" in parts else [],
        "function_meta_source": meta_source, "regions": {},
        "note": "synthetic trace calibrated to numbers read from the paper; not the paper's data",
    }
    per_days = {r: _largest_remainder(int(round(REGION_TARGETS[r].n_cold_starts * scale)),
                                      day_multipliers(REGION_TARGETS[r]))[:n_days] for r in regions}
    split: dict[str, int | None] = {r: None for r in regions}
    if request_rows is not None:
        split = request_split(request_rows, regions, n_days - 1,
                              {r: 2 * int(per_days[r][-1]) for r in regions})
        manifest["request_rows"] = request_rows
        manifest["request_chunk_rows"] = chunk_rows
        manifest["request_format"] = request_format
    for region in regions:
        fn, r2meta = _region_functions(region, functions, seed, table)
        per_day = per_days[region]
        class_counts, n_requests, n_req_rows = _write_region(
            root, region, scale, seed, n_days, parts, series, fn, per_day, bar,
            request_rows=split[region], chunk_rows=chunk_rows, request_format=request_format)
        manifest["regions"][region] = _region_manifest(region, n_days, fn, per_day, class_counts,
                                                       n_requests if "quantiles" in parts else None)
        if request_rows is not None:
            manifest["regions"][region]["request_rows"] = n_req_rows
        if region == "R2" and "runtime_triggerType" in parts and r2meta is not None:
            mdir = root / "runtime_triggerType"
            mdir.mkdir(parents=True)
            r2meta.write_csv(mdir / "df_funcID_runtime_triggerType.csv")
    bar.close()
    return manifest


def _region_dirs(root: Path, region: str, parts: tuple[str, ...], series: tuple[str, ...]) -> tuple[Path, dict]:
    """Create (and return) a region's cold-start folder and its per-minute series folders."""
    cs_dir = root / "cold_start" / region
    if "cold_start" in parts:
        cs_dir.mkdir(parents=True)
    sdirs = {}
    if "quantiles" in parts:
        for s in series:
            sdirs[s] = root / "quantiles" / region / s
            sdirs[s].mkdir(parents=True)
    return cs_dir, sdirs


def _write_region(root: Path, region: str, scale: float, seed: int, n_days: int, parts: tuple[str, ...],
                  series: tuple[str, ...], fn: "_Functions", per_day: np.ndarray, bar, *,
                  request_rows: int | None = None, chunk_rows: int = REQUEST_CHUNK_ROWS,
                  request_format: str = "csv") -> tuple[np.ndarray, float, int]:
    """Write one region day by day (cold starts, series, the last day's request table); return the
    pool-class counts of its cold starts, its total requests (series) and its request-table rows
    (``request_rows`` of them in part files, or the small default table when None)."""
    target = REGION_TARGETS[region]
    mult = day_multipliers(target)
    intensity = diurnal_intensity(target)
    extra_day = max(target.n_requests - target.n_cold_starts, 0.0) * scale * mult / mult.sum()
    rng = np.random.default_rng(np.random.SeedSequence([seed, REGIONS.index(region), 20_000]))
    pod_base = int(rng.integers(10**8, 3 * 10**9))
    cs_dir, sdirs = _region_dirs(root, region, parts, series)
    cols = fn.func_id.tolist()
    class_counts = np.zeros(3, dtype=np.int64)
    n_requests = 0.0
    prev_last = np.zeros(fn.n)
    offset = 0
    n_req_rows = 0
    for day in range(n_days):
        n = int(per_day[day])
        events, f = _day_events(region, day, n, fn, seed, offset, pod_base, intensity)
        offset += n
        class_counts += np.bincount(fn.klass[f], minlength=3)
        if "cold_start" in parts:
            events.write_csv(cs_dir / f"day_{day:02d}.csv", float_scientific=False)
        if "quantiles" in parts:
            cells, prev_last = _day_series(region, day, fn, f, events["time"].to_numpy(),
                                           extra_day[day], intensity, seed, prev_last)
            n_requests += float(cells["requests"][1].sum())
            for s in series:
                _write_series(sdirs[s] / f"day_{day:02d}.csv", day, cells[s], cols,
                              integer=s in schema.COUNT_SERIES)
        if "per_request" in parts and day == n_days - 1:
            rdir = root / "per_request" / region
            rdir.mkdir(parents=True)
            if request_rows is None:
                req = _day_requests(region, day, events, fn, f, seed)
                req.write_csv(rdir / f"{region}_part-00000.csv", float_scientific=False)
                n_req_rows = req.height
                del req
            else:
                n_req_rows = _write_requests(rdir, region, day, events, fn, f, seed, request_rows,
                                             chunk_rows, request_format)
        bar.update(1)
    return class_counts, n_requests, n_req_rows


def _region_manifest(region: str, n_days: int, fn: "_Functions", per_day: np.ndarray,
                     class_counts: np.ndarray, n_requests: float | None) -> dict:
    """The manifest entry of one region: counts and the parameters a summary should recover."""
    target = REGION_TARGETS[region]
    mu, sigma = _log_moments(_mixture_table(target, region), class_counts)
    k = target.iat_shape
    n_cs = int(per_day.sum())
    mean_iat = n_days * DAY_S / max(n_cs, 1)
    k_exp, lam_exp = expected_iat_fit(region, per_day)
    return {
        "n_cold_starts": n_cs, "n_functions": fn.n,
        "n_requests": int(round(n_requests)) if n_requests is not None else None,
        "lognormal": {"mu": mu, "sigma": sigma},
        "weibull_iat": {"shape": k_exp, "scale": lam_exp},
        "weibull_iat_operational": {"shape": k, "scale": mean_iat / float(special.gamma(1 + 1 / k))},
        "component_share": {schema.COMPONENT_KEYS[c]: target.shares[c] / sum(target.shares.values())
                            for c in schema.COMPONENTS},
        "class_counts": {"small": int(class_counts[0]), "large": int(class_counts[1]),
                         "creation": int(class_counts[2])},
    }


def _scale_tag(scale: float) -> str:
    return f"{scale:g}"


def _record_path(path: Path) -> Path:
    """Content record of a cached trace: ``.<name>.files.json`` next to it (not inside: the trace's
    own files stay byte-identical to :func:`generate_trace`'s)."""
    return path.parent / f".{path.name}.files.json"


def _read_json(path: Path) -> object:
    """Parsed JSON of ``path``, or None if it is missing or unreadable."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def cached_trace_problem(path: Path) -> tuple[bool, str | None]:
    """(usable, why not) for a cached trace: ``why`` is None when it is absent or from another
    generator version (a silent rebuild), else what is damaged (a missing, extra, truncated or
    changed file, an unreadable manifest, no content record)."""
    if not path.exists():
        return False, None
    if not (path / MANIFEST).is_file():
        return False, f"has no {MANIFEST} (incomplete)"
    man = _read_json(path / MANIFEST)
    if not isinstance(man, dict):
        return False, f"has an unreadable {MANIFEST}"
    if man.get("generator_version") != GENERATOR_VERSION:
        return False, None
    rec = _read_json(_record_path(path))
    if not (isinstance(rec, dict) and rec.get("generator_version") == GENERATOR_VERSION):
        return False, f"has no valid content record ({_record_path(path).name})"
    why = cachefiles.tree_problem(path, rec.get("files"))
    return why is None, why


def _regenerate(path: Path, why: str | None, generate) -> None:
    """Replace the cached trace at ``path`` by ``generate(overwrite)``'s; record its content."""
    if why:
        cachefiles.note(f"cached synthetic trace {path} {why}; regenerating it")
    record = _record_path(path)
    if path.exists() and any(path.iterdir()) and (not is_generated(path) or _unlisted_files(path)):
        if not (record.is_file() or is_generated(path)):
            raise ValueError(f"{path} is in the synthetic-trace cache but was not written by the "
                             "generator (no SYNTHETIC.json, no content record); move or delete it")
        shutil.rmtree(path)  # our own cache entry (record or manifest): damaged or added to
    record.unlink(missing_ok=True)
    generate(path.exists())
    rec = {"generator_version": GENERATOR_VERSION, "files": cachefiles.tree_record(path)}
    cachefiles.write_text_atomic(record, json.dumps(rec, indent=1, sort_keys=True) + "\n")


def synthetic_trace(scale: float, seed: int = 0, *, n_days: int = N_DAYS,
                    progress: bool = True, meta: str = "public", functions: float = 1.0) -> Path:
    """The cached synthetic trace for (scale, seed): ``cache_dir()/coldstarts/
    synthetic-scale<scale>-seed<seed>[-days<n>][-functions<share>][-synthmeta]/``, generated (tqdm bar on stderr) if
    absent. ``meta="synthetic"`` (suffix ``-synthmeta``) builds Region 2 on a synthetic stand-in
    for the public runtime/trigger table; only when asked for. Used as the notebooks' default
    ``data_dir``; noted as the run's input in :mod:`paperkit.provenance`.

    Checked by content on each call (SHA-256 of every file against the record written after
    generation; hashed once per process per file version): a damaged trace is regenerated with one
    line on stderr."""


    if meta not in ("public", "synthetic"):
        raise ValueError(f"R2_TABLE={meta!r}: the Region 2 table is 'public' (committed in "
                         "data/public) or 'synthetic' (a stand-in)")
    public_meta = meta == "public"
    if public_meta:
        _public_function_table()  # stops here, naming the file and the fix, if it is unusable
    provenance.note_input("synthetic", generator="paperkit.coldstarts.generate",
                          version=GENERATOR_VERSION, seed=seed, scale=scale, n_days=n_days,
                          functions=functions, region2_table=meta)
    name = (f"synthetic-scale{_scale_tag(scale)}-seed{seed}"
            + (f"-days{n_days}" if n_days != N_DAYS else "")
            + (f"-functions{functions:g}" if functions != 1.0 else "")
            + ("" if public_meta else "-synthmeta"))  # the Region 2 table changes the trace
    path = paths.cache_dir() / "coldstarts" / name

    def generate(overwrite: bool) -> None:
        generate_trace(path, scale, seed, n_days=n_days, overwrite=overwrite, progress=progress,
                       meta="public" if public_meta else "synthetic", functions=functions)

    if cached_trace_problem(path)[0]:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second process waits for the first one's trace
        try:
            usable, why = cached_trace_problem(path)
            if not usable:
                _regenerate(path, why, generate)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return path
