"""The platform simulator: requests -> pods -> cold starts, as the paper describes the platform.

The platform (the paper, Section 2.1-2.2, p.2-3): a request that finds no idle pod of its function
starts one (a cold start: a pod from the function's CPU-memory pool, or from scratch where the
runtime has no reserved pool; then code, dependencies, scheduling). A pod serves **one request at a
time**: the paper says each function has a user-set concurrency (p.13, "concurrency adjustment"),
the release does not publish it, and FunctionGraph's per-instance default is one request. After
its request a pod waits for the keep-alive ("one minute by default ... reset back to one minute
with each new request", p.3) and is deleted if no request comes. A request occupies its pod for
its execution time (the function's per-minute mean execution time); the cold-start latency is
added to the request's latency (``added_latency_s``) but not to the pod's occupancy. Of the idle
pods, a request takes the one that became idle last (a stack: surplus pods expire).

**The level view (why the simulator is exact and fast).** Let n(t) be the function's number of
requests in flight (departures before arrivals at equal times). With the stack dispatch, the idle
pod that became idle when n fell from L to L-1 keeps "level" L: it is the one taken when n next
rises to L (pushes and pops above it leave n + depth unchanged). So level L is served by one pod
while n(t) >= L, and between two such stretches that pod idles for the gap g. Cold starts, idle
pod-seconds and pods then follow from the gaps alone, and the gaps depend only on arrivals and
execution times, never on the policy: :func:`prepare` finds them once, :func:`evaluate` applies a
policy's windows (:mod:`.policies`; pre-warm p, keep-alive w, per day of the gap's start): a gap is
served warm iff p <= g <= p + w, and costs min(g - p, w) idle pod-seconds (0 if g < p). With
windows fixed per function and no pre-warm this *is* the stack dispatch (a deleted top pod means
every deeper pod, idle for longer, is deleted too). With pre-warm or windows that change from day
to day each idle pod keeps the windows of the moment it became idle (a per-pod timer) and a request
is offered the last-idled pod only; a deeper pod still alive under a longer older window is not
used (the one difference from a dispatcher that searches all idle pods).

Two kinds of input (built by :mod:`.replay`; times are integer microseconds):

- **explicit** requests (arrival, execution): the level of every arrival and departure comes from
  two ``searchsorted`` over the sorted arrivals and departures; one ``lexsort`` pairs them into
  per-level busy spans;
- **regular** minutes: r arrivals evenly spaced, t_i = a + i D (D >= 0; D = 0 is a burst), all of
  one execution time e, every request ending inside its minute. Then, exactly: q = min(r,
  ceil(e / D)) pods, level L busy from a + (L-1) D to a + (r-L) D + e, the top level idling r - q
  times for q D - e each; between two adjacent regular minutes level L idles c0 + L S (S = D + D').
  A run of regular minutes is therefore summarised by its per-level starts and ends (one record per
  rise of the per-minute pod count) plus closed-form sums over levels, so a function at 10^5
  requests a minute costs what a function at one request a minute costs.

The two paths give identical cold starts and idle times (tests compare them with a plain
per-request simulator on random inputs, Hypothesis). Output: :class:`SimResult`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import polars as pl

from paperkit.coldstarts.levels import CellTable, Gaps, Spans, cell_structure, free_spans, ranges

Regular = CellTable
from paperkit.coldstarts.policies import Decision, Fixed, History, KeepAlivePolicy

US = 1_000_000
MINUTE_US = 60 * US
DAY_US = 86_400 * US
MINUTES_PER_DAY = 1440


# ------------------------------------------------------------------------------------------------
# inputs
@dataclass(frozen=True)
class Explicit:
    """Explicit requests sorted by (func, t_us): arrival ``t_us``, execution ``e_us`` >= 1 (requests
    that may run past their minute; replayed request by request)."""

    func: np.ndarray
    t_us: np.ndarray
    e_us: np.ndarray

    @staticmethod
    def empty() -> "Explicit":
        z = np.zeros(0, np.int64)
        return Explicit(z, z, z)


@dataclass(frozen=True)
class Workload:
    """What the platform replays. ``functions``: one row per function (row i = function i) with
    region, funcID, trigger (aggregated category or null), memory_mb. ``regular``: minutes
    whose requests end inside them (:class:`levels.CellTable`: evenly spaced, or random);
    ``explicit``: the requests of the other functions (which may run past their minute). ``cell_*``: every function's per-minute request counts (CSR by function:
    ``cell_offsets``), what a policy's History shows."""

    functions: pl.DataFrame
    n_minutes: int
    regular: CellTable
    explicit: Explicit
    cell_offsets: np.ndarray
    cell_minute: np.ndarray
    cell_requests: np.ndarray

    @property
    def n_days(self) -> int:
        return max(1, -(-self.n_minutes // MINUTES_PER_DAY))


def workload_from_arrivals(functions: pl.DataFrame, offsets: np.ndarray, t_s: np.ndarray,
                           exec_s: np.ndarray, n_minutes: int | None = None) -> Workload:
    """A workload of explicit requests: per function (CSR ``offsets``, len n+1) sorted arrival
    times ``t_s`` and execution times ``exec_s`` (s; rounded to microseconds, at least 1 us)."""
    offsets = np.asarray(offsets, np.int64)
    t_us = np.round(np.asarray(t_s, float) * US).astype(np.int64)
    e_us = np.maximum(np.round(np.asarray(exec_s, float) * US).astype(np.int64), 1)
    func = np.repeat(np.arange(offsets.size - 1, dtype=np.int64), np.diff(offsets))
    if t_us.size and (np.any(t_us < 0) or np.any((np.diff(t_us) < 0) & (np.diff(func) == 0))):
        raise ValueError("arrival times must be >= 0 and sorted within each function")
    if n_minutes is None:
        n_minutes = int((t_us.max() // MINUTE_US) + 1) if t_us.size else 1
    minute = t_us // MINUTE_US
    key = func * (n_minutes + 1) + minute
    uk, cnt = np.unique(key, return_counts=True)
    cf = uk // (n_minutes + 1)
    return Workload(functions, int(n_minutes), CellTable.empty(), Explicit(func, t_us, e_us),
                    np.searchsorted(cf, np.arange(offsets.size)).astype(np.int64),
                    uk - cf * (n_minutes + 1), cnt.astype(np.int64))


def as_explicit(w: Workload) -> Workload:
    """The same workload with every minute spelled out request by request (regular: t = a + i d):
    what the closed form stands for; for tests and small traces."""
    c, fr = w.regular, w.explicit
    reg = np.flatnonzero(~c.random)
    owner = np.repeat(reg, c.r[reg])
    i = np.arange(owner.size, dtype=np.int64) - np.repeat(np.cumsum(c.r[reg]) - c.r[reg], c.r[reg])
    rnd = np.flatnonzero(c.random)
    f = np.concatenate([fr.func, c.func[owner], np.repeat(c.func[rnd], c.r[rnd])])
    t = np.concatenate([fr.t_us, c.a_us[owner] + i * c.d_us[owner], c.t_us])
    e = np.concatenate([fr.e_us, c.e_us[owner], np.repeat(c.e_us[rnd], c.r[rnd])])
    o = np.lexsort((t, f))
    return Workload(w.functions, w.n_minutes, CellTable.empty(), Explicit(f[o], t[o], e[o]),
                    w.cell_offsets, w.cell_minute, w.cell_requests)


# ------------------------------------------------------------------------------------------------
# the level structure (policy independent)
@dataclass(frozen=True)
class Structure:
    """Idle gaps of a workload, found once (:mod:`.levels`): listed gaps (between runs of a level,
    and those next to a random minute), first spans (the first cold start of each level) and
    last spans (the tail), both sorted by (func, level) and the closed-form groups of regular minutes (``bnd``: adjacent-minute
    boundaries; ``inner``: in-minute top-level gaps)."""

    workload: Workload
    gaps: Gaps
    first_func: np.ndarray
    first_t: np.ndarray
    last_func: np.ndarray
    last_end: np.ndarray
    bnd: dict
    inner: dict
    busy_us: np.ndarray
    requests: np.ndarray
    first_level: np.ndarray

    # the listed gaps as flat arrays (the names of the first version)
    @property
    def gap_func(self) -> np.ndarray:
        return self.gaps.func

    @property
    def gap_level(self) -> np.ndarray:
        return self.gaps.level

    @property
    def gap_start(self) -> np.ndarray:
        return self.gaps.start

    @property
    def gap_len(self) -> np.ndarray:
        return self.gaps.length


def _between(sp: Spans) -> tuple[Gaps, np.ndarray, np.ndarray]:
    """Gaps between consecutive spans of one (func, level) group; masks of first and last."""
    same = np.zeros(sp.func.size, bool)
    if sp.func.size > 1:
        same[1:] = (sp.func[1:] == sp.func[:-1]) & (sp.level[1:] == sp.level[:-1])
    nxt = np.flatnonzero(same)
    last = np.ones(sp.func.size, bool)
    last[nxt - 1] = False
    return (Gaps(sp.func[nxt], sp.level[nxt], sp.end[nxt - 1], sp.start[nxt] - sp.end[nxt - 1]),
            ~same, last)


def prepare(w: Workload) -> Structure:
    """The policy-independent level structure of a workload (see the module docstring)."""
    c, fr = w.regular, w.explicit
    n_f = w.functions.height
    cs = cell_structure(c)
    span = (w.n_minutes + 2) * MINUTE_US + int(fr.e_us.max(initial=0))
    blocks = [cs["runs"], free_spans(fr.func, fr.t_us, fr.e_us, span)]
    between = [_between(b) for b in blocks]
    gaps = Gaps.cat([g for g, _, _ in between] + [cs["gaps"]])
    ff, fl, ft, lf, le = (np.concatenate(x) for x in zip(*[
        (b.func[f], b.level[f], b.start[f], b.func[x], b.end[x])
        for b, (_, f, x) in zip(blocks, between)]))
    o = np.lexsort((fl, ff))                   # groups by (func, level); first and last align
    busy = (np.bincount(fr.func, fr.e_us.astype(float), n_f)
            + np.bincount(c.func, (c.r * c.e_us).astype(float), n_f))
    req = np.bincount(fr.func, minlength=n_f) + np.bincount(c.func, c.r.astype(float), n_f)
    return Structure(w, gaps, ff[o], ft[o], lf[o], le[o], cs["bnd"], cs["inner"], busy,
                     req.astype(np.int64), fl[o])


# ------------------------------------------------------------------------------------------------
# policies -> windows
def history(st: Structure, i: int, _cache: dict | None = None) -> History:
    """Function ``i``'s :class:`History` (level-1 gaps, per-minute counts, short gaps per day)."""
    w = st.workload
    c = _cache if _cache is not None else _history_index(st)
    lo, hi = c["g_off"][i], c["g_off"][i + 1]
    co, cf = w.cell_offsets[i], w.cell_offsets[i + 1]
    row = w.functions.row(i, named=True)
    return History(region=row["region"], func_id=row["funcID"], trigger=row.get("trigger"),
                   n_days=w.n_days, minutes=w.cell_minute[co:cf], requests=w.cell_requests[co:cf],
                   idle_start_s=c["g_start"][lo:hi] / US, idle_s=c["g_len"][lo:hi] / US,
                   short_idle_per_day=c["short"][i])


def _history_index(st: Structure) -> dict:
    w = st.workload
    one = st.gaps.level == 1
    b = st.bnd                       # level 1 of each regular boundary: a_next - f(k, 1)
    g1 = b["c0"] + b["S"]
    gf = np.concatenate([st.gaps.func[one], b["func"]])
    gs = np.concatenate([st.gaps.start[one], b["a_next"] - g1])
    gl = np.concatenate([st.gaps.length[one], g1])
    o = np.lexsort((gs, gf))
    gf, gs, gl = gf[o], gs[o], gl[o]
    short = np.zeros((w.functions.height, w.n_days), np.int64)
    nd = w.n_days - 1
    np.add.at(short, (st.bnd["func"], np.minimum(st.bnd["day"], nd)), 1)
    q1 = st.inner["q1"]
    np.add.at(short, (st.inner["func"][q1], np.minimum(st.inner["day"][q1], nd)),
              st.inner["count"][q1])
    return {"g_off": np.searchsorted(gf, np.arange(w.functions.height + 1)), "g_start": gs,
            "g_len": gl, "short": short}


def windows(st: Structure, policy: KeepAlivePolicy) -> tuple[np.ndarray, np.ndarray]:
    """(prewarm, keep-alive) in us per function and day, from the policy."""
    w = st.workload
    n_f, n_d = w.functions.height, w.n_days
    if isinstance(policy, Fixed):
        p, k = Decision(keep_alive_s=policy.keep_alive_s).per_day(n_d, policy.name)
        return (np.tile(np.round(p * US).astype(np.int64), (n_f, 1)),
                np.tile(np.round(k * US).astype(np.int64), (n_f, 1)))
    pre, ka = np.zeros((n_f, n_d), np.int64), np.zeros((n_f, n_d), np.int64)
    cache = _history_index(st)
    for i in range(n_f):
        dec = policy.decide(history(st, i, cache))
        if not isinstance(dec, Decision):
            raise ValueError(f"policy {policy.name!r}: decide() returned {type(dec).__name__}, "
                             "expected paperkit.coldstarts.policies.Decision")
        p, k = dec.per_day(n_d, f"policy {policy.name!r}")
        pre[i], ka[i] = np.round(p * US), np.round(np.minimum(k, 1e9) * US)
    return pre, ka


# ------------------------------------------------------------------------------------------------
# evaluation
def _at(M: np.ndarray, f: np.ndarray, day: np.ndarray):
    """Windows of (func, day) pairs: a scalar when the policy's windows are all equal."""
    flat = M.reshape(-1)
    if flat.size and np.all(flat == flat[0]):
        return flat[0]
    return M[f, day]


def _apply(g: np.ndarray, p, k) -> tuple[np.ndarray, ...]:
    """Per idle gap: (cold, idle us, pre-warm started)."""
    cold = (g < p) | (g > p + k)
    idle = np.where(g < p, 0, np.minimum(g - p, k)).astype(float)
    return cold, idle, (p > 0) & (g >= p)


def _boundaries(b: dict, P: np.ndarray, K: np.ndarray, nd: int) -> tuple[np.ndarray, ...]:
    """Closed form over levels L = 1..M of gaps c0 + L S: (n_below, n_le, cold, idle, prewarm)."""
    day = np.minimum(b["day"], nd - 1)
    p, k = _at(P, b["func"], day), _at(K, b["func"], day)
    c0, S, M = b["c0"], b["S"], b["M"]
    Ss = np.maximum(S, 1)
    below = np.where(S > 0, np.clip((p - c0 - 1) // Ss, 0, M), np.where(c0 < p, M, 0))
    le = np.where(S > 0, np.clip((p + k - c0) // Ss, 0, M), np.where(c0 <= p + k, M, 0))
    warm = le - below
    tri = (le * (le + 1) - below * (below + 1)) / 2.0
    idle = warm * (c0 - p).astype(float) + S * tri + (M - le) * k.astype(float)
    return below, le, M - warm, idle, np.where(p > 0, M - below, 0)


def _tails(st: Structure, P: np.ndarray, K: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Idle us and pre-warms after each level's last span, up to the trace end."""
    w = st.workload
    day = np.minimum(st.last_end // DAY_US, w.n_days - 1)
    p, k = _at(P, st.last_func, day), _at(K, st.last_func, day)
    rest = np.maximum(w.n_minutes * MINUTE_US - st.last_end, 0)
    idle = np.where(rest < p, 0, np.minimum(rest - p, k)).astype(float)
    return idle, ((p > 0) & (rest >= p)).astype(np.int64)


@dataclass(frozen=True)
class SimResult:
    """Per-function metrics (``per_function``: region, funcID, trigger, [model: the replay's arrival
    model], requests, cold_starts,
    prewarms, pods (= pods started: cold starts + pre-warms), idle_pod_s, idle_gb_s, busy_pod_s,
    added_latency_s; sorted by region, funcID) and, when asked for, the cold-start events
    (``cold_starts``: region, funcID, t_s, pod; sorted by region, funcID, t_s)."""

    policy: str
    per_function: pl.DataFrame
    cold_starts: pl.DataFrame | None = None

    def per_region(self) -> pl.DataFrame:
        """Sums per region (sorted), with the cold-start rate (cold starts per request)."""
        return (self.per_function.group_by("region").agg(
            pl.col("requests", "cold_starts", "prewarms", "pods").sum(),
            pl.col("idle_pod_s", "idle_gb_s", "busy_pod_s", "added_latency_s").sum())
            .with_columns(cold_start_rate=pl.col("cold_starts") / pl.col("requests"))
            .sort("region"))

    def summary(self) -> dict:
        """The CLI's JSON: {"policy", "regions": {R: {requests, cold_starts, idle_pod_s}}}."""
        return {"policy": self.policy, "regions": {
            r["region"]: {"requests": int(r["requests"]), "cold_starts": int(r["cold_starts"]),
                          "idle_pod_s": round(float(r["idle_pod_s"]), 3)}
            for r in self.per_region().iter_rows(named=True)}}


class ColdStartLatency(Protocol):
    """Expected cold-start latency (s) per function (rows of ``Workload.functions``)."""

    def mean_s(self, functions: pl.DataFrame) -> np.ndarray: ...


@dataclass(frozen=True)
class PooledLogNormal:
    """Every function's cold start takes the mean of the paper's pooled LogNormal fit of cold-start
    times, exp(mu + sigma^2 / 2) = 3.24 s (mu = 0.2965, sigma = 1.326; the paper, p.8). A default
    to be replaced by a calibrated per-runtime/per-pool model."""

    mu: float = 0.2965
    sigma: float = 1.326

    def mean_s(self, functions: pl.DataFrame) -> np.ndarray:
        return np.full(functions.height, float(np.exp(self.mu + self.sigma ** 2 / 2)))


def evaluate(st: Structure, policy: KeepAlivePolicy, *, latency: ColdStartLatency | None = None,
             events: bool = False) -> SimResult:
    """Apply a policy's windows to a prepared structure (cheap: run it per policy)."""
    w = st.workload
    n_f, nd = w.functions.height, w.n_days
    P, K = windows(st, policy)
    g = st.gaps
    day = np.minimum(g.start // DAY_US, nd - 1)
    cold, idle, pre = _apply(g.length, _at(P, g.func, day), _at(K, g.func, day))
    bel, le, bcold, bidle, bpre = _boundaries(st.bnd, P, K, nd)
    inn = st.inner
    iday = np.minimum(inn["day"], nd - 1)
    icold, iidle, ipre = _apply(inn["g"], _at(P, inn["func"], iday), _at(K, inn["func"], iday))
    tidle, tpre = _tails(st, P, K)
    cnt = inn["count"]

    def per_f(f: np.ndarray, v) -> np.ndarray:
        return np.bincount(f, np.asarray(v, float), n_f)

    cold_n = (np.bincount(st.first_func, minlength=n_f) + per_f(g.func, cold)
              + per_f(st.bnd["func"], bcold) + per_f(inn["func"], cnt * icold))
    pre_n = (per_f(g.func, pre) + per_f(st.bnd["func"], bpre) + per_f(inn["func"], cnt * ipre)
             + per_f(st.last_func, tpre))
    idle_us = (per_f(g.func, idle) + per_f(st.bnd["func"], bidle)
               + per_f(inn["func"], cnt * iidle) + per_f(st.last_func, tidle))
    lat = (latency or PooledLogNormal()).mean_s(w.functions)
    mem_gb = w.functions["memory_mb"].to_numpy().astype(float) / 1024.0
    idle_s = idle_us / US
    keep = ["region", "funcID", "trigger"] + (["model"] if "model" in w.functions.columns else [])
    pf = w.functions.select(keep).with_columns(
        requests=pl.Series(st.requests, dtype=pl.Int64),
        cold_starts=pl.Series(np.round(cold_n).astype(np.int64)),
        prewarms=pl.Series(np.round(pre_n).astype(np.int64)),
        idle_pod_s=pl.Series(idle_s), idle_gb_s=pl.Series(idle_s * mem_gb),
        busy_pod_s=pl.Series(st.busy_us / US),
        added_latency_s=pl.Series(np.round(cold_n) * lat),
    ).with_columns(pods=pl.col("cold_starts") + pl.col("prewarms")).sort("region", "funcID")
    ev = _events(st, cold, (bel, le), icold) if events else None
    return SimResult(policy.name, pf, ev)


def _events(st: Structure, cold: np.ndarray, bl: tuple, icold: np.ndarray) -> pl.DataFrame:
    """Cold-start events (region, funcID, t_s, pod) of an evaluation."""
    b, inn = st.bnd, st.inner
    below, le = bl
    ob, lb = ranges(np.ones_like(below), below)                 # levels 1..below
    oa, la = ranges(le + 1, b["M"] - le)                         # levels le+1..M
    bo, bl_ = np.concatenate([ob, oa]), np.concatenate([lb, la])
    ci = np.flatnonzero(icold)
    oi, ii = ranges(inn["q"][ci], inn["count"][ci])
    g = st.gaps
    func = np.concatenate([st.first_func, g.func[cold], b["func"][bo], inn["func"][ci][oi]])
    t = np.concatenate([st.first_t, (g.start + g.length)[cold],
                        b["a_next"][bo] + (bl_ - 1) * b["d_next"][bo],
                        inn["a"][ci][oi] + ii * inn["d"][ci][oi]])
    o = np.lexsort((t, func))
    fn = st.workload.functions.select("region", "funcID")
    ev = fn[func[o]].with_columns(t_s=pl.Series(t[o] / US))
    return ev.with_row_index("pod").select("region", "funcID", "t_s", pl.col("pod").cast(pl.Int64)
                                           ).sort("region", "funcID", "t_s", "pod")


def simulate(w: Workload, policy: KeepAlivePolicy, *, latency: ColdStartLatency | None = None,
             events: bool = False) -> SimResult:
    """Replay a workload under a policy: :func:`prepare` then :func:`evaluate`."""
    return evaluate(prepare(w), policy, latency=latency, events=events)
