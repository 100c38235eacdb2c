"""One region of the synthetic trace: functions, their requests, and what the platform makes of them.

Design (issue 20, items 2-3). The generator calibrates only the *request side*
(:mod:`.workload`) and the cold-start *component latencies*; everything the paper measures about
cold starts (counts, pods, pod lifetimes, inter-arrival times, the requests-vs-cold-starts relation)
comes out of the platform simulator (:mod:`.platform`, fixed 60 s keep-alive, the release's) run on
those requests. Per region:

1. **Functions** (:func:`region_functions`): Region 2 = rows of the public runtime/trigger table;
   other regions = synthetic funcIDs whose (runtime, trigger, pool) are rows of that table. A
   ``share`` < 1 keeps a *stratified* sample (proportional allocation over the aggregated trigger x
   config strata, systematic within each) at **full per-function rates**: only the number of
   functions shrinks, and the region's calibrated requests with it (``share`` x Fig. 1's).
2. **Requests**: :func:`paperkit.coldstarts.workload.day_requests` per day.
3. **Platform**: the simulator replays each minute's requests (arrival times inside the minute
   by trigger type, :mod:`.replay`) through pods with the release's 1-minute keep-alive; it returns
   the cold starts (time, function) and the pods.
4. **Cold-start time** of each cold start (:func:`cold_start_costs`): a LogNormal mixture per pool
   class (Fig. 13a quartiles; Region 2's Custom/http runtimes: a ~10.5 s pod-creation mode) split
   into the four components by Dirichlet shares whose means are the region's component shares
   (Fig. 11, energy2 R1 statistics) -- the calibrated latency inputs.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from paperkit.coldstarts import DAY_S, REGIONS, platform, policies, replay, schema
from paperkit.coldstarts.fingerprints import (CREATION_MIXTURE, CREATION_RUNTIMES, REGION_TARGETS,
                                              Mixture, RegionTarget)
from paperkit.coldstarts.rules import aggregate_trigger, config_category, pool_cpu_mem, pool_size_class
from paperkit.coldstarts.workload import (MINUTES, Cells, RequestSide, Workload, region_workload,
                                          timer_cells)

MIN_FUNCTIONS = 3
SHARE_CONCENTRATION = 3.0     # Dirichlet concentration of the component shares
EXEC_SIGMA = 1.2              # LogNormal sigma of per-function execution time around the median
CPU_SIGMA = 0.5               # ... of per-function CPU use


@dataclass(frozen=True)
class Functions:
    """The functions of one region (index = column of its per-minute series, sorted by funcID)."""

    func_id: np.ndarray       # str
    func_name: np.ndarray     # int64
    user: np.ndarray          # int64
    pool: np.ndarray          # str
    runtime: np.ndarray       # str ("" where unknown)
    trigger: np.ndarray       # str (the table's trigger string)
    cpu_cores: np.ndarray     # cpu limit, cores
    mem_mb: np.ndarray
    klass: np.ndarray         # 0 small pool, 1 large pool, 2 creation (R2 Custom/http)
    exec_s: np.ndarray        # median execution time (s)
    cpu_use: np.ndarray       # median CPU use (cores)
    home_cluster: np.ndarray

    @property
    def n(self) -> int:
        return len(self.func_id)


def stratified_rows(rng: np.random.Generator, strata: np.ndarray, n_keep: int) -> np.ndarray:
    """``n_keep`` row indices: a systematic sample (random start) of the rows ordered by stratum
    then at random, so every stratum keeps its share (proportional allocation); with replacement
    when ``n_keep`` exceeds the rows (each row about ``n_keep / rows`` times)."""
    n = len(strata)
    order = np.lexsort((rng.random(n), np.asarray(strata)))
    pos = np.floor((np.arange(n_keep) + rng.random()) * n / n_keep).astype(np.int64)
    return np.sort(order[np.minimum(pos, n - 1)])


def _strata(table: pl.DataFrame) -> np.ndarray:
    trig = [aggregate_trigger(t) for t in table["triggerType-invocationType"].to_list()]
    conf = [config_category(f.split("---")[2]) for f in table["funcID"].to_list()]
    return np.array([f"{a}|{b}" for a, b in zip(trig, conf)])


def _identities(rng: np.random.Generator, target: RegionTarget, rows: pl.DataFrame,
                region: str) -> tuple[np.ndarray, np.ndarray]:
    """(funcName, userID): Region 2's own; elsewhere synthetic users with the region's share of
    single-function users (Fig. 4a)."""
    if region == "R2":
        parts = [s.split("---") for s in rows["funcID"].to_list()]
        return (np.array([int(p[0]) for p in parts]), np.array([int(p[1]) for p in parts]))
    n = rows.height
    sizes: list[int] = []
    while sum(sizes) < n:
        sizes.append(1 if rng.random() < target.single_function_users
                     else 1 + int(rng.geometric(0.3)))
    user_ids = rng.choice(np.arange(1, 20 * len(sizes) + 10), len(sizes), replace=False)
    return (rng.choice(np.arange(1, 20 * n + 10), n, replace=False),
            rng.permutation(np.repeat(user_ids, sizes)[:n]))


def region_functions(region: str, share: float, seed: int, table: pl.DataFrame,
                     n_full: int | None = None) -> tuple[Functions, pl.DataFrame | None]:
    """The region's functions (``share`` x ``n_full``, default the release's; at least 3) and,
    for Region 2, its rows of the runtime/trigger table (at most all of them)."""
    target = REGION_TARGETS[region]
    rng = np.random.default_rng(np.random.SeedSequence([seed, REGIONS.index(region), 10_000]))
    n_full = n_full or (table.height if region == "R2" else target.n_functions)
    n = max(int(round(n_full * share)), MIN_FUNCTIONS)
    if region == "R2":
        n = min(n, table.height)
    rows = table[stratified_rows(rng, _strata(table), n).tolist()]
    func_name, user = _identities(rng, target, rows, region)
    pool = np.array([f.split("---")[2] for f in rows["funcID"].to_list()], dtype=object)
    runtime = np.array(rows["runtime"].to_list(), dtype=object)
    trigger = np.array(rows["triggerType-invocationType"].fill_null("unknown").to_list(), dtype=object)
    cpu_mem = np.array([pool_cpu_mem(s) for s in pool])
    cpu_cores, mem_mb = cpu_mem[:, 0] / 1000.0, cpu_mem[:, 1].astype(float)
    klass = np.where(np.array([pool_size_class(s) for s in pool]) == "large", 1, 0)
    klass = np.where(np.isin(runtime, CREATION_RUNTIMES) & (region == "R2"), 2, klass)
    exec_s = rng.lognormal(math.log(target.exec_median_s), EXEC_SIGMA, n)
    cpu_use = np.clip(rng.lognormal(math.log(target.cpu_median_cores), CPU_SIGMA, n), 0.01, cpu_cores)
    func_id = np.array([f"{a}---{b}---{c}" for a, b, c in zip(func_name, user, pool)], dtype=object)
    func_id, keep = np.unique(func_id, return_index=True)   # sorted, a repeated row kept once
    fn = Functions(func_id, func_name[keep].astype(np.int64), user[keep].astype(np.int64),
                   pool[keep], runtime[keep], trigger[keep], cpu_cores[keep], mem_mb[keep],
                   klass[keep], exec_s[keep], cpu_use[keep], rng.integers(1, 5, n)[keep])
    return fn, (rows[np.sort(keep).tolist()] if region == "R2" else None)


def scaled_side(side: RequestSide, n: int) -> RequestSide:
    """The request side of a sample of ``n`` functions: the same per-function volumes, so
    ``n / side.n_functions`` x the region's requests."""
    return RequestSide(n, side.n_requests * n / max(side.n_functions, 1), side.daily_median,
                       side.minute_timer_share, side.day_mult, side.intensity)


def region_requests(region: str, fn: Functions, side: RequestSide, seed: int) -> Workload:
    """The calibrated workload of the region's functions."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, REGIONS.index(region), 40_000]))
    return region_workload(region, scaled_side(side, fn.n), fn.trigger.tolist(), fn.user, rng)


# --------------------------------------------------------------------------- cold-start time
def mixture_table(region: str) -> list[Mixture]:
    """LogNormal mixtures of the total cold-start time per class (small, large, creation)."""
    t = REGION_TARGETS[region]
    return [t.small, t.large, CREATION_MIXTURE if region == "R2" else t.large]


def share_means(target: RegionTarget) -> tuple[np.ndarray, np.ndarray]:
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
    return (m - p0 * m_none) / (1 - p0), m_none


def cold_start_costs(rng: np.random.Generator, region: str, klass: np.ndarray) -> dict[str, np.ndarray]:
    """Total and component times (s) of cold starts of pool classes ``klass`` (release rounding:
    code/dependency ms, the rest 6 decimals; the components add up to the total)."""
    target = REGION_TARGETS[region]
    n = len(klass)
    total = np.empty(n)
    for c, mix in enumerate(mixture_table(region)):
        idx = np.flatnonzero(klass == c)
        if idx.size == 0:
            continue
        w = np.array([m[0] for m in mix])
        comp = rng.choice(len(mix), idx.size, p=w / w.sum())
        med = np.array([m[1] for m in mix])[comp]
        sig = np.array([m[2] for m in mix])[comp]
        total[idx] = med * np.exp(sig * rng.standard_normal(idx.size))
    m_layers, m_none = share_means(target)
    no_dep = rng.random(n) < target.p_no_dependency
    g = rng.standard_gamma(np.maximum(np.where(no_dep[:, None], m_none, m_layers)
                                      * SHARE_CONCENTRATION, 1e-12))
    g[no_dep, schema.COMPONENTS.index("deployDependencyCost")] = 0.0
    parts = g / g.sum(axis=1, keepdims=True) * total[:, None]
    pod = np.round(parts[:, 0], 6)
    code = np.round(parts[:, 1], 3)
    dep = np.round(parts[:, 2], 3)
    sched = np.maximum(np.round(total - pod - code - dep, 6), 0.0)
    return {"totalCost_cold_start": np.round(pod + code + dep + sched, 6),
            "podAllocationCost": pod, "deployCodeCost": code, "deployDependencyCost": dep,
            "schedulingCost": sched}


# --------------------------------------------------------------------------- rows of the trace
@dataclass(frozen=True)
class PlatformRun:
    """What the platform made of a region's requests: one row per pod (= per cold start), sorted
    by cold-start time."""

    t: np.ndarray          # s: the cold start (arrival of the request that found no idle pod)
    f: np.ndarray          # function index
    last_end: np.ndarray   # s: end of the pod's last request (it is deleted a keep-alive later)

    def day(self, day: int) -> np.ndarray:
        """Indices of the pods cold-started on ``day``."""
        return np.flatnonzero((self.t >= day * DAY_S) & (self.t < (day + 1) * DAY_S))


def day_events(region: str, day: int, run: PlatformRun, idx: np.ndarray, fn: Functions,
               seed: int, pod_ids: np.ndarray) -> pl.DataFrame:
    """Cold-start rows (release columns and order) of the pods ``idx`` of ``run`` on ``day``:
    their time (ms, like the release), function, cluster, request id, pod id and cold-start time."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, REGIONS.index(region), day, 1]))
    f = run.f[idx]
    n = idx.size
    costs = cold_start_costs(rng, region, fn.klass[f])
    cluster = np.where(rng.random(n) < 0.3, rng.integers(1, 5, n), fn.home_cluster[f])
    req = pl.Series(_HEX[rng.integers(0, 16, (n, 64), dtype=np.uint8)].view("S64").ravel()
                    ).cast(pl.String)
    return pl.DataFrame({
        "day": np.full(n, day, dtype=np.int64), "time": np.round(run.t[idx], 3),
        "clusterName": cluster.astype(np.int64), "funcName": fn.func_name[f],
        "userID": fn.user[f], "requestID": req, **costs,
        "_pool": pl.Series(fn.pool[f].tolist(), dtype=pl.String), "_pod": pod_ids,
    }).with_columns(
        podID=pl.concat_str([pl.col("_pool"), pl.lit("-"),
                             pl.col("_pod").cast(pl.String).str.zfill(10)])
    ).select(list(schema.COLD_START))


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def alive_cells(day: int, n: int, run: PlatformRun, keep_alive_s: float) -> Cells:
    """Pods alive in each minute of ``day`` per function: from the cold start's minute to the
    minute in which the pod is deleted (its last request's end + the keep-alive)."""
    lo, hi = day * MINUTES, (day + 1) * MINUTES
    first = (run.t // 60).astype(np.int64)
    last = ((run.last_end + keep_alive_s) // 60).astype(np.int64)
    on = (first < hi) & (last >= lo)
    a = np.maximum(first[on], lo) - lo
    b = np.minimum(last[on], hi - 1) - lo
    f = run.f[on]
    diff = np.zeros((MINUTES + 1) * n, dtype=np.int64)
    np.add.at(diff, a * n + f, 1)
    np.add.at(diff, (b + 1) * n + f, -1)
    alive = np.cumsum(diff.reshape(MINUTES + 1, n)[:MINUTES], axis=0).ravel()
    k = np.flatnonzero(alive)
    return k, alive[k].astype(np.float64)


def day_series(region: str, day: int, fn: Functions, requests: Cells, run: PlatformRun,
               seed: int, keep_alive_s: float) -> dict[str, Cells]:
    """The per-minute series of one region-day as sparse cells: requests (the workload's), cold
    starts and pods alive (the platform's), execution time and CPU (per-function medians with
    per-minute noise, where a minute has requests)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, REGIONS.index(region), day, 2]))
    n = fn.n
    idx = run.day(day)
    minute = ((run.t[idx] - day * DAY_S) // 60).astype(np.int64)
    cs_k, cs_v = np.unique(minute * n + run.f[idx], return_counts=True)
    req_k, req_v = requests
    col = req_k % n
    exec_avg = np.round(fn.exec_s[col] * np.exp(0.25 * rng.standard_normal(col.size)), 6)
    cpu = np.round(np.minimum(fn.cpu_use[col] * np.exp(0.15 * rng.standard_normal(col.size)),
                              fn.cpu_cores[col]), 4)
    return {"requests": (req_k, req_v), "num_cold_starts": (cs_k, cs_v.astype(np.float64)),
            "num_pods": alive_cells(day, n, run, keep_alive_s),
            "totalCost_avg": (req_k, exec_avg), "cpu_usage_avg": (req_k, cpu)}


# --------------------------------------------------------------------------- the platform
#: How late a timer fires after its clock instant: uniform in [0, TIMER_JITTER_S) (assumption: a
#: scheduler's dispatch delay of milliseconds; the release has only minutes). With a 60 s period
#: and a 60 s keep-alive a pod idles 60 s - e + (j' - j): the next firing finds it deleted
#: whenever the jitter grows by more than the execution time e (functions of a few ms).
TIMER_JITTER_S = 0.005


def platform_cells(region: str, fn: Functions, requests: list[Cells], n_days: int,
                   skip: np.ndarray):
    """The replay's cells of a region (every request's minute, count and execution time), without
    the functions ``skip`` (bool per function: their arrivals are given explicitly)."""
    n = fn.n
    key = np.concatenate([k + d * MINUTES * n for d, (k, _) in enumerate(requests)])
    val = np.concatenate([v for _, v in requests])
    minute, func = np.divmod(key, n)
    keep = ~skip[func]
    table = pl.DataFrame({"region": [region] * n, "funcID": fn.func_id.tolist(),
                          "trigger": [aggregate_trigger(t) for t in fn.trigger.tolist()],
                          "memory_mb": fn.mem_mb})
    return replay.make_cells(table, func[keep], minute[keep], val[keep], fn.exec_s[func[keep]],
                             n_days * MINUTES)


def _jitter_timers(w, rng: np.random.Generator):
    """Timer minutes fire at the minute's start (clock-aligned) plus a jitter per firing."""
    timer = np.array(w.functions["model"].to_list(), dtype=object) == "timer"
    rg = w.regular
    sel = timer[rg.func] if rg.func.size else np.zeros(0, bool)
    room = np.maximum(platform.MINUTE_US - (rg.r - 1) * rg.d_us - rg.e_us, 0)
    jit = np.minimum((rng.random(rg.func.size) * TIMER_JITTER_S * platform.US).astype(np.int64), room)
    a = np.where(sel, rg.minute * platform.MINUTE_US + jit, rg.a_us)
    return dataclasses.replace(w, regular=dataclasses.replace(rg, a_us=a))


def _burst_arrivals(fn: Functions, w: Workload, requests: list[Cells], bursts: list[Cells],
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Explicit (func, t_us, e_us) of the storage functions: each burst's requests at one instant
    (uniform in its minute), and their timer firings (the minute's start + jitter)."""
    n = fn.n
    fs, ts, es = [], [], []
    for d, ((bk, bs), (k, v)) in enumerate(zip(bursts, requests)):
        m, f = np.divmod(bk, n)
        e = np.round(fn.exec_s[f] * platform.US).astype(np.int64).clip(1)
        t0 = (d * MINUTES + m) * platform.MINUTE_US
        t = t0 + (rng.random(f.size) * np.maximum(platform.MINUTE_US - e, 1)).astype(np.int64)
        r = bs.astype(np.int64)
        fs.append(np.repeat(f, r)), ts.append(np.repeat(t, r)), es.append(np.repeat(e, r))
        tm, tf = np.divmod(k, n)                     # the storage functions' timer firings
        sel = (w.process[tf] == "storage") & (w.period_s[tf] > 0)
        firing = sel & np.isin(k, timer_cells(w, d)[0])
        tf, tm = tf[firing], tm[firing]
        fs.append(tf), es.append(np.round(fn.exec_s[tf] * platform.US).astype(np.int64).clip(1))
        ts.append((d * MINUTES + tm) * platform.MINUTE_US
                  + (rng.random(tf.size) * TIMER_JITTER_S * platform.US).astype(np.int64))
    return np.concatenate(fs), np.concatenate(ts), np.concatenate(es)


def run_platform(region: str, fn: Functions, w: Workload, requests: list[Cells],
                 bursts: list[Cells], n_days: int, seed: int = 0) -> PlatformRun:
    """Replay the region's requests through the platform (fixed 60 s keep-alive); one row per
    pod. Timers fire at the minute's start plus a jitter; storage bursts arrive at one instant
    each; the rest as the replay places them (:mod:`.replay`)."""
    storage = w.process == "storage"
    rng = np.random.default_rng(np.random.SeedSequence([seed, REGIONS.index(region), 50_000]))
    pw = _jitter_timers(replay.plan(platform_cells(region, fn, requests, n_days, storage),
                                    seed=int(rng.integers(2**31))), rng)
    bf, bt, be = _burst_arrivals(fn, w, requests, bursts, rng)
    ex = pw.explicit
    f, t, e = (np.concatenate([a, b]) for a, b in ((ex.func, bf), (ex.t_us, bt), (ex.e_us, be)))
    o = np.lexsort((t, f))
    pw = dataclasses.replace(pw, explicit=platform.Explicit(f[o], t[o], e[o]))
    st = platform.prepare(pw)
    ev = platform.evaluate(st, policies.Fixed(), events=True).cold_starts
    f = np.searchsorted(fn.func_id, np.array(ev["funcID"].to_list(), dtype=object))
    t_us = np.round(ev["t_s"].to_numpy() * platform.US).astype(np.int64)
    end_us = pod_ends(st, policies.PLATFORM_KEEP_ALIVE_S, f, t_us, fn)
    o = np.lexsort((f, t_us))
    return PlatformRun(t_us[o] / platform.US, f[o], end_us[o] / platform.US)


def pod_ends(st, keep_alive_s: float, f: np.ndarray, t_us: np.ndarray, fn: Functions) -> np.ndarray:
    """End (us) of the last request of the pod that each cold start (function ``f``, time ``t_us``)
    started, from the platform's level structure: on each level a pod lives from a cold start to
    the next idle gap longer than the keep-alive (or the level's last request). A cold start
    inside a closed-form run of busy minutes (none are expected at a 60 s keep-alive) gets its own
    request's end."""
    big = np.int64(1 << 20)
    fkey = st.first_func
    lvl = np.arange(fkey.size) - np.searchsorted(fkey, fkey, side="left") + 1
    gkey_first = fkey * big + lvl
    cold = st.gap_len > keep_alive_s * platform.US
    gk = st.gap_func[cold] * big + st.gap_level[cold]
    starts_k = np.concatenate([gkey_first, gk])
    starts_t = np.concatenate([st.first_t, (st.gap_start + st.gap_len)[cold]])
    ends_k = np.concatenate([gk, gkey_first])
    ends_t = np.concatenate([st.gap_start[cold], st.last_end])
    so, eo = np.lexsort((starts_t, starts_k)), np.lexsort((ends_t, ends_k))
    pod_f, pod_t, pod_end = starts_k[so] // big, starts_t[so], ends_t[eo]
    key = pod_f * (1 << 42) + pod_t
    order = np.argsort(key, kind="stable")
    want = f * (1 << 42) + t_us
    pos = np.minimum(np.searchsorted(key[order], want), max(key.size - 1, 0))
    hit = key.size > 0 and True
    found = (key[order][pos] == want) if hit else np.zeros(want.size, bool)
    own = t_us + np.round(fn.exec_s[f] * platform.US).astype(np.int64)
    return np.where(found, pod_end[order][pos] if hit else own, own)
