"""The request side of the synthetic platform: per-function arrivals typed by trigger.

Design (issue 20, item 2). Each function gets an arrival *process* from its trigger string (the
public Region 2 ``triggerType-invocationType`` column; other regions draw trigger strings from
that column's mix) and produces **per-minute request counts** (sparse cells, key = minute x
n_functions + function). How the requests of a minute are placed inside it (timers at the minute's
start plus jitter, the others spread) is the replay's job (:mod:`.replay`), so that a synthetic
trace and the real release go through the same path: per-minute ``requests`` -> arrival times ->
platform -> cold starts. Nothing here knows about pods, keep-alive or cold starts.

Processes (:func:`process_of`):

- ``timer`` (any ``TIMER-A`` token): fires every ``period_s`` seconds, aligned to the clock
  (``phase`` a whole minute for periods under an hour, a whole hour above), on every day: timers
  ignore the diurnal, weekly and holiday profiles (the paper: timer functions are almost
  unaffected by the holiday). The period mix (:data:`TIMER_PERIODS_S`) includes 60 s and 120 s,
  the periods at and just above the platform's 1-minute keep-alive.
- ``http`` (API gateway, HTTP, other synchronous and unknown triggers): an inhomogeneous Poisson
  process, rate = the function's daily volume x the region's day multiplier (weekly + holiday
  calendar) x the region's diurnal intensity. A function with ``APIG-S TIMER-A`` has both.
- ``storage`` (``OBS-A``): bursts (a batch of object events) arriving like ``http``; each burst
  brings 1 + Geometric requests, mean :data:`STORAGE_BURST_MEAN`, all in the burst's minute.
- ``workflow`` (``workflow-S``): a chain step; it runs when its parent function (a non-workflow
  function of the same user if there is one, else of the region) completes: in each minute, each
  of the parent's requests calls it with probability ``min(1, own volume / parent volume)``.
- ``event`` (other asynchronous triggers: SMN, LTS, CTS, DIS, KAFKA...): Poisson like ``http``.

Calibrated inputs (request side only; names in :class:`paperkit.coldstarts.fingerprints.RegionTarget`):
the region's 31-day requests (Fig. 1, ``n_requests``), the median over functions of the median
daily requests (Fig. 3a, ``daily_median``), the share of every-minute timers (Fig. 3a's step at
1,440/day, ``minute_timer_share``), the diurnal intensity (Fig. 5), the weekly + holiday day
multipliers (Figs. 7a, 8a-c). The daily volumes of the non-timer functions are a LogNormal on
stratified quantiles (deterministic given the seed) whose (mu, sigma) solve those two targets
exactly (:func:`fit_volumes`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from paperkit.coldstarts import DAY_S, N_DAYS
from paperkit.coldstarts.fingerprints import FINGERPRINTS, RegionTarget

MINUTES = 1440
PROCESSES: tuple[str, ...] = ("timer", "http", "storage", "workflow", "event")

#: Timer periods (s) and their weights among timer functions (the 60 s weight is set per region
#: from Fig. 3a's step at 1,440/day; the others are renormalised). A timer's daily requests are
#: 86,400 / period, so these weights are the timers' part of Fig. 3a's per-function daily requests:
#: its only visible steps are at 1, 2 and 1,440 requests/day [fig 3a, approx], so daily and
#: twice-daily timers carry most of the weight; hourly is the common cron interval after them, and
#: the sub-hour periods (2, 5, 10, 15, 30 min) share about a tenth, too little to step the CDF
#: (their split is an assumption: not published).
TIMER_PERIODS_S: dict[int, float] = {
    60: 0.0, 120: 0.02, 300: 0.04, 600: 0.02, 900: 0.01, 1800: 0.02, 3600: 0.12,
    7200: 0.03, 21600: 0.04, 43200: 0.15, 86400: 0.55}
#: Mean requests per storage-event burst (assumption: a batch of object uploads; not published).
STORAGE_BURST_MEAN = 8.0
#: Above this many expected requests per minute a function's minutes are drawn one by one
#: (dense); below it its day's count is drawn once and spread by the intensity (sparse).
DENSE_PER_MINUTE = 0.05


def process_of(trigger: str | None) -> tuple[bool, str]:
    """(has a timer, the non-timer process) of one trigger string; ``""`` = timer only."""
    tokens = (trigger or "unknown").split()
    timer = "TIMER-A" in tokens
    rest = [t for t in tokens if t != "TIMER-A"]
    if not rest:
        return timer, ""
    if "workflow-S" in rest:
        return timer, "workflow"
    if rest == ["OBS-A"]:
        return timer, "storage"
    if any(t.startswith(("APIG", "unknown")) or t.endswith("-S") for t in rest):
        return timer, "http"
    return timer, "event"


@dataclass(frozen=True)
class Workload:
    """The request side of one region: per function (index = column of the region's series)."""

    region: str
    user: np.ndarray        # int64, to pick workflow parents
    process: np.ndarray     # str: "" (timer only) or one of PROCESSES[1:]
    period_s: np.ndarray    # int64 timer period, 0 = no timer
    phase_s: np.ndarray     # int64 timer phase (s after midnight of day 0, modulo the period)
    daily: np.ndarray       # float expected non-timer requests per day (mean day)
    parent: np.ndarray      # int64 workflow parent, -1 = none
    day_mult: np.ndarray    # 31 relative day volumes (mean 1)
    intensity: np.ndarray   # 1440 relative minute intensities (mean 1)

    @property
    def n(self) -> int:
        return len(self.process)

    def expected_daily(self) -> np.ndarray:
        """Expected requests per (mean) day of each function: timer firings + the rest."""
        timer = np.where(self.period_s > 0, DAY_S / np.maximum(self.period_s, 1), 0.0)
        return timer + self.daily


# --------------------------------------------------------------------------- time profiles
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


@dataclass(frozen=True)
class RequestSide:
    """The calibrated request-side inputs of one region (what :func:`fit_request_side` refits
    from a release and ``generate --fingerprints`` takes)."""

    n_functions: int            # functions (series columns)
    n_requests: float           # requests over 31 days
    daily_median: float         # median over functions of the median requests/day
    minute_timer_share: float   # share of functions that are every-minute timers
    day_mult: tuple[float, ...]     # 31 relative day volumes
    intensity: tuple[float, ...]    # 1440 relative minute-of-day intensities

    def __post_init__(self) -> None:
        checks = [(self.n_functions >= 1, "n_functions must be >= 1"),
                  (math.isfinite(self.n_requests) and 0 < self.n_requests <= 1e14,
                   "n_requests must be in (0, 1e14]"),
                  (math.isfinite(self.daily_median) and 0 < self.daily_median <= 1e9,
                   "daily_median must be in (0, 1e9]"),
                  (0 <= self.minute_timer_share <= 1, "minute_timer_share must be in [0, 1]"),
                  (len(self.day_mult) == N_DAYS, f"day_mult needs {N_DAYS} values"),
                  (len(self.intensity) == MINUTES, f"intensity needs {MINUTES} values")]
        for arr, name in ((self.day_mult, "day_mult"), (self.intensity, "intensity")):
            a = np.asarray(arr, dtype=float)
            checks.append((bool(np.isfinite(a).all() and (a >= 0).all() and a.sum() > 0),
                           f"{name} must be finite, >= 0, not all 0"))
        for ok, why in checks:
            if not ok:
                raise ValueError(why)


def request_side(target: RegionTarget) -> RequestSide:
    """The generator's default request side of a region: the paper's readings in ``target``."""
    return RequestSide(target.n_functions, target.n_requests, target.daily_median,
                       target.minute_timer_share, tuple(day_multipliers(target).tolist()),
                       tuple(diurnal_intensity(target).tolist()))


# --------------------------------------------------------------------------- calibration
def timer_periods(rng: np.random.Generator, n: int, minute_share: float) -> np.ndarray:
    """``n`` timer periods (s) from :data:`TIMER_PERIODS_S` with the 60 s weight ``minute_share``
    (of the timers), the other weights renormalised to the rest."""
    if not 0.0 <= minute_share <= 1.0:
        raise ValueError(f"minute_share must be in [0, 1], got {minute_share}")
    periods = np.array(list(TIMER_PERIODS_S), dtype=np.int64)
    w = np.array([TIMER_PERIODS_S[p] for p in periods], dtype=float)
    w[periods == 60] = 0.0
    w = w / w.sum() * (1.0 - minute_share)
    w[periods == 60] = minute_share
    return periods[rng.choice(len(periods), n, p=w)]


def timer_phases(rng: np.random.Generator, period_s: np.ndarray) -> np.ndarray:
    """Clock-aligned phases: a whole minute below an hour's period, a whole hour from it."""
    grid = np.where(period_s >= 3600, 3600, 60)
    steps = np.maximum(period_s // grid, 1)
    return (rng.integers(0, np.iinfo(np.int64).max, len(period_s)) % steps) * grid


def fit_volumes(z: np.ndarray, timer_daily: np.ndarray, has_rest: np.ndarray,
                total_daily: float, median_daily: float) -> tuple[float, float]:
    """(mu, sigma) of the non-timer daily volumes ``exp(mu + sigma z)`` (functions ``has_rest``)
    such that every function's expected daily requests (timer + rest) sum to ``total_daily`` and
    their median over all functions is ``median_daily`` (or as close as it gets, when the timers fix
    the median of a handful of functions; fewer than 3 such functions split the total evenly).
    Raises ValueError without non-timer volume."""
    zr = z[has_rest]
    rest_total = total_daily - timer_daily.sum()
    if zr.size == 0 or rest_total <= 0 or median_daily <= 0:
        raise ValueError("no non-timer volume to calibrate (functions, total or median)")

    def sigma_for(mu: float) -> float:
        f = lambda s: special.logsumexp(mu + s * zr) - math.log(rest_total)  # noqa: E731
        lo = max(0.0, -zr.mean() / max(zr.var(), 1e-12))
        if f(lo) > 0:
            return lo
        return float(optimize.brentq(f, lo, 60.0, xtol=1e-10))

    def median_gap(mu: float) -> float:
        v = timer_daily.copy()
        v[has_rest] += np.exp(mu + sigma_for(mu) * zr)
        return math.log(np.median(v)) - math.log(median_daily)

    lo, hi = -40.0, math.log(rest_total / zr.size)
    if zr.size < 3 or np.ptp(zr) == 0:    # too few to shape: an even split of the total
        return hi, 0.0
    g_lo, g_hi = median_gap(lo), median_gap(hi)
    if g_lo * g_hi > 0:   # a few functions whose median the timers fix: the closest end
        mu = lo if abs(g_lo) < abs(g_hi) else hi
    else:
        mu = float(optimize.brentq(median_gap, lo, hi, xtol=1e-10))
    return mu, sigma_for(mu)


def stratified_normal(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` standard-normal quantiles at (i + 0.5) / n, in random order (no sampling noise)."""
    return rng.permutation(special.ndtri((np.arange(n) + 0.5) / n))


def _parents(rng: np.random.Generator, user: np.ndarray, process: np.ndarray) -> np.ndarray:
    """Workflow parent of each workflow function: a non-workflow function of the same user if
    there is one, else of the region; -1 for the others."""
    parent = np.full(len(process), -1, dtype=np.int64)
    roots = np.flatnonzero(process != "workflow")
    if roots.size == 0:
        return parent
    by_user: dict[int, list[int]] = {}
    for i in roots:
        by_user.setdefault(int(user[i]), []).append(int(i))
    for i in np.flatnonzero(process == "workflow"):
        pool = by_user.get(int(user[i]))
        parent[i] = pool[int(rng.integers(len(pool)))] if pool else roots[int(rng.integers(roots.size))]
    return parent


# --------------------------------------------------------------------------- building
def region_workload(region: str, side: RequestSide, triggers: list[str], user: np.ndarray,
                    rng: np.random.Generator) -> Workload:
    """The workload of one region's functions (``triggers``: one trigger string per function),
    calibrated to ``side``'s requests, median daily requests and every-minute timer share."""
    target = side
    n = len(triggers)
    kinds = [process_of(t) for t in triggers]
    timer = np.array([k[0] for k in kinds])
    process = np.array([k[1] for k in kinds], dtype=object)
    minute_share = min(target.minute_timer_share * n / max(int(timer.sum()), 1), 1.0)
    period = np.zeros(n, dtype=np.int64)
    period[timer] = timer_periods(rng, int(timer.sum()), minute_share)
    phase = timer_phases(rng, period)
    z = stratified_normal(rng, n)
    timer_daily = np.where(period > 0, DAY_S / np.maximum(period, 1), 0.0)
    has_rest = process != ""
    mu, sigma = fit_volumes(z, timer_daily, has_rest, target.n_requests / N_DAYS,
                            target.daily_median)
    daily = np.where(has_rest, np.exp(mu + sigma * z), 0.0)
    dm = np.asarray(side.day_mult, dtype=float)
    inten = np.asarray(side.intensity, dtype=float)
    return Workload(region, np.asarray(user, dtype=np.int64), process.astype(str), period,
                    phase, daily, _parents(rng, np.asarray(user), process), dm / dm.mean(),
                    inten / inten.mean())


Cells = tuple[np.ndarray, np.ndarray]
"""Sparse per-minute cells of one region-day: (key = minute * n + function, count), keys
ascending (row-major: minute, then function)."""


def merge_cells(keys: list[np.ndarray], vals: list[np.ndarray]) -> Cells:
    """Sum the values of equal keys over several sparse cell sets."""
    k = np.concatenate(keys) if keys else np.zeros(0, np.int64)
    u, inv = np.unique(k, return_inverse=True)
    v = np.concatenate(vals).astype(np.float64) if vals else np.zeros(0)
    return u, np.bincount(inv, weights=v, minlength=u.size)


def timer_cells(w: Workload, day: int) -> Cells:
    """Firing minutes of every timer on ``day`` (one request per firing)."""
    keys: list[np.ndarray] = []
    for p in np.unique(w.period_s[w.period_s > 0]):
        f = np.flatnonzero(w.period_s == p)
        step = int(p) // 60
        first = (w.phase_s[f] // 60 - day * MINUTES) % step
        m = first[:, None] + step * np.arange(-(-MINUTES // step))[None, :]
        ff = np.broadcast_to(f[:, None], m.shape)
        ok = m < MINUTES
        keys.append(m[ok] * w.n + ff[ok])
    k = np.concatenate(keys) if keys else np.zeros(0, np.int64)
    return merge_cells([k], [np.ones(k.size)])


def poisson_cells(w: Workload, day: int, idx: np.ndarray, mean_day: np.ndarray,
                  rng: np.random.Generator) -> Cells:
    """Inhomogeneous Poisson counts per minute of functions ``idx`` whose expected counts on
    ``day`` are ``mean_day`` (shaped by the diurnal intensity)."""
    prob = w.intensity / MINUTES
    dense = mean_day / MINUTES >= DENSE_PER_MINUTE
    di, si = idx[dense], idx[~dense]
    counts = rng.poisson(mean_day[dense][None, :] * prob[:, None])
    r, c = np.nonzero(counts)
    keys = [r * w.n + di[c]]
    vals = [counts[r, c].astype(np.float64)]
    n_day = rng.poisson(mean_day[~dense])
    minute = np.minimum(np.searchsorted(np.cumsum(prob), rng.random(int(n_day.sum())) * prob.sum(),
                                        side="right"), MINUTES - 1)
    keys.append(minute * w.n + np.repeat(si, n_day))
    vals.append(np.ones(minute.size))
    return merge_cells(keys, vals)


def _storage_cells(w: Workload, day: int, idx: np.ndarray,
                   rng: np.random.Generator) -> tuple[Cells, Cells]:
    """Bursts of 1 + Geometric requests (mean STORAGE_BURST_MEAN), each in one minute: (per-minute
    cells, the bursts themselves as (key, size) with a key repeated per burst)."""
    bursts = w.daily[idx] * w.day_mult[day] / STORAGE_BURST_MEAN
    k, nb = poisson_cells(w, day, idx, bursts, rng)
    nb = nb.astype(np.int64)
    size = rng.geometric(1.0 / STORAGE_BURST_MEAN, int(nb.sum()))
    key = np.repeat(k, nb)
    tot = np.bincount(np.repeat(np.arange(k.size), nb), weights=size, minlength=k.size)
    return (k, tot), (key, size.astype(np.float64))


def _workflow_cells(w: Workload, cells: Cells, rng: np.random.Generator) -> Cells:
    """Each workflow child's requests: a Binomial thinning of its parent's cells."""
    key, val = cells
    f = key % w.n
    order = np.argsort(f, kind="stable")
    fs = f[order]
    vol = w.expected_daily()
    keys, vals = [], []
    for c in np.flatnonzero(w.parent >= 0):
        par = w.parent[c]
        lo, hi = np.searchsorted(fs, [par, par + 1])
        sel = order[lo:hi]
        q = min(1.0, w.daily[c] / max(vol[par], 1e-12))
        got = rng.binomial(val[sel].astype(np.int64), q)
        keep = got > 0
        keys.append(key[sel][keep] - par + c)
        vals.append(got[keep].astype(np.float64))
    return merge_cells(keys, vals)


def day_arrivals(w: Workload, day: int, rng: np.random.Generator) -> tuple[Cells, Cells]:
    """Per-minute request counts of every function on ``day`` (sparse cells) and the storage
    bursts among them ((key, size) per burst: what the platform sees arrive at one instant)."""
    parts = [timer_cells(w, day)]
    for proc in ("http", "event"):
        idx = np.flatnonzero(w.process == proc)
        parts.append(poisson_cells(w, day, idx, w.daily[idx] * w.day_mult[day], rng))
    storage, bursts = _storage_cells(w, day, np.flatnonzero(w.process == "storage"), rng)
    parts.append(storage)
    roots = merge_cells([p[0] for p in parts], [p[1] for p in parts])
    chained = _workflow_cells(w, roots, rng)
    return merge_cells([roots[0], chained[0]], [roots[1], chained[1]]), bursts


def day_requests(w: Workload, day: int, rng: np.random.Generator) -> Cells:
    """Per-minute request counts of every function on ``day`` (sparse cells)."""
    return day_arrivals(w, day, rng)[0]
