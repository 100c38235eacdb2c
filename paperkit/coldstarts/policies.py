"""Keep-alive policies of the platform simulator (:mod:`.platform`): the ``KeepAlivePolicy`` seam.

Design: the simulator first works out, from the arrivals and execution times alone, when each of
a function's pods falls idle and for how long (the idle *gaps*; they do not depend on the policy,
see :mod:`.platform`). A policy then decides, per function and per day, two windows that the
platform applies to every idle gap that starts on that day:

- ``keep_alive_s``: how long an idle pod is kept before it is deleted;
- ``prewarm_s``: 0 = keep the pod from the moment it falls idle (the platform's behaviour); > 0 =
  release the pod at once and start a fresh one ``prewarm_s`` seconds later, kept ``keep_alive_s``
  (Shahrad et al., ATC'20, Section 4.2). A request that comes before the pre-warm, or after the
  window, finds no pod: a cold start.

A policy sees only a :class:`History`: the function's region, funcID, trigger (the Region 2
table's aggregated category, ``None`` where the release has no table, i.e. Regions 1, 3, 4, 5),
its non-empty minutes and request counts, and its idle gaps at one pod (between the end of one
request and the next arrival: Shahrad's "idle time"). It must decide day ``d`` from what happened
before day ``d`` (the built-in policies do; a test checks it); the platform cannot check that.

A user's policy in a few lines (``--policy-file my_policy.py:HalfMinute``)::

    from paperkit.coldstarts.policies import Decision, History

    class HalfMinute:
        name = "half-minute"

        def decide(self, history: History) -> Decision:
            return Decision(keep_alive_s=30.0)

Built in: :class:`Fixed` (the platform's 60 s), :class:`HybridHistogram` (Shahrad et al.),
:class:`TimerPrewarm` (the paper's implication for timers, p.11 and p.13). Times in seconds.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from paperkit import cli

DAY_S = 86_400.0

PLATFORM_KEEP_ALIVE_S = 60.0
"""The platform's default keep-alive: "this time is set to one minute by default ... reset back to
one minute with each new request" (the paper, Section 2.2, p.3)."""


@dataclass(frozen=True)
class History:
    """What a policy sees of one function (times in s since the trace start).

    ``minutes``/``requests``: its non-empty minutes (ascending) and their request counts;
    ``idle_start_s``/``idle_s``: its idle gaps at one pod (no request in flight) that separate
    busy stretches, ascending in start time; ``short_idle_per_day``: per day, how many further
    idle gaps it had between evenly spaced requests inside one minute (each shorter than 30 s:
    bin 0 of a histogram of minutes; listing them would cost one number per request)."""

    region: str
    func_id: str
    trigger: str | None
    n_days: int
    minutes: np.ndarray
    requests: np.ndarray
    idle_start_s: np.ndarray
    idle_s: np.ndarray
    short_idle_per_day: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


@dataclass(frozen=True)
class Decision:
    """Windows per day (a number = every day, or one value per day of the trace), in s."""

    keep_alive_s: float | np.ndarray = PLATFORM_KEEP_ALIVE_S
    prewarm_s: float | np.ndarray = 0.0

    def per_day(self, n_days: int, where: str = "policy") -> tuple[np.ndarray, np.ndarray]:
        """(prewarm_s, keep_alive_s) as float arrays of length ``n_days``; ValueError naming
        ``where`` for a value that is negative, NaN, infinite or of the wrong length."""
        out = []
        for name, v in (("prewarm_s", self.prewarm_s), ("keep_alive_s", self.keep_alive_s)):
            a = np.asarray(v, dtype=float)
            if a.ndim == 0:
                a = np.full(n_days, float(a))
            if a.shape != (n_days,):
                raise ValueError(f"{where}: {name} has shape {a.shape}; give one number or "
                                 f"{n_days} (one per day)")
            if not np.all(np.isfinite(a)) or np.any(a < 0):
                raise ValueError(f"{where}: {name} must be finite and >= 0 seconds, got "
                                 f"{a[~np.isfinite(a) | (a < 0)][0]!r}")
            out.append(a)
        return out[0], out[1]


@runtime_checkable
class KeepAlivePolicy(Protocol):
    """Decide, for one function, how long to keep an idle pod and when to pre-warm one."""

    name: str

    def decide(self, history: History) -> Decision: ...


@dataclass(frozen=True)
class Fixed:
    """The platform's policy: keep an idle pod ``keep_alive_s`` seconds (default 60 s, the
    paper's Section 2.2), never pre-warm."""

    keep_alive_s: float = PLATFORM_KEEP_ALIVE_S
    name: str = "fixed"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.keep_alive_s) and self.keep_alive_s >= 0):
            raise ValueError(f"--keep-alive-s must be a finite number >= 0, got {self.keep_alive_s}")

    def decide(self, history: History) -> Decision:
        return Decision(keep_alive_s=self.keep_alive_s)


def _day_of(t_s: np.ndarray, n_days: int) -> np.ndarray:
    return np.clip((np.asarray(t_s) // DAY_S).astype(np.int64), 0, max(n_days - 1, 0))


@dataclass(frozen=True)
class HybridHistogram:
    """Shahrad et al., "Serverless in the Wild" (USENIX ATC'20), Section 4.2: a per-function
    histogram of idle times, 1-minute bins over a 4-hour range; pre-warm at the 5th percentile
    (head) less a 10 % margin; keep the pod until the 99th percentile (tail, the bin's upper edge)
    plus 10 %. Not representative (coefficient of variation of the bin counts below 2, or fewer
    than ``min_samples`` idle times) -> no pre-warm, keep-alive = the range. Mostly out of range
    (>= 50 % of idle times beyond 4 h; the paper forecasts those with ARIMA) -> here a naive
    forecast (the last idle time) with the paper's 15 % ARIMA margin.

    The histogram for day d holds the idle times that started before day d (updated daily, not
    per invocation); the short idle gaps inside busy minutes count in bin 0. Day 0 (no history)
    uses the platform's 60 s."""

    range_s: float = 4 * 3600.0   # ATC'20 4.2: 4-hour range
    bin_s: float = 60.0           # 1-minute bins
    head: float = 0.05            # 5th percentile
    tail: float = 0.99            # 99th percentile
    margin: float = 0.10          # 10 % margin
    cv_threshold: float = 2.0     # representative iff CV >= 2
    oob_threshold: float = 0.5    # out-of-bounds share -> time-series forecast
    arima_margin: float = 0.15    # the forecast's 15 % margin
    min_samples: int = 1
    name: str = "hybrid-histogram"

    def decide(self, history: History) -> Decision:
        n_days, n_bins = history.n_days, int(round(self.range_s / self.bin_s))
        b = np.floor(history.idle_s / self.bin_s).astype(np.int64)
        day = _day_of(history.idle_start_s, n_days)
        counts = np.zeros((n_days + 1, n_bins + 1), np.int64)       # last column: out of range
        np.add.at(counts, (day + 1, np.minimum(b, n_bins)), 1)
        short = np.asarray(history.short_idle_per_day, np.int64)
        if short.size:
            counts[1: short.size + 1, 0] += short[:n_days]
        cum = np.cumsum(counts, axis=0)[:n_days]                     # before day d
        inb, oob = cum[:, :n_bins], cum[:, n_bins]
        total = inb.sum(axis=1)
        mean = total / n_bins
        std = np.sqrt(((inb - mean[:, None]) ** 2).sum(axis=1) / (n_bins - 1))
        cv = np.where(mean > 0, std / np.where(mean > 0, mean, 1), 0.0)
        frac = np.cumsum(inb, axis=1) / np.maximum(total, 1)[:, None]
        head_bin = np.argmax(frac >= self.head, axis=1)
        tail_bin = np.argmax(frac >= self.tail, axis=1)
        prewarm = head_bin * self.bin_s * (1 - self.margin)
        keep = (tail_bin + 1) * self.bin_s * (1 + self.margin) - prewarm
        last = _last_before_day(history.idle_start_s, history.idle_s, n_days)
        oob_rate = oob / np.maximum(oob + total, 1)
        use_oob = (oob_rate >= self.oob_threshold) & (oob > 0)
        certain = (total >= self.min_samples) & (cv >= self.cv_threshold) & ~use_oob
        pre = np.where(use_oob, last * (1 - self.arima_margin), np.where(certain, prewarm, 0.0))
        ka = np.where(use_oob, last * 2 * self.arima_margin,
                      np.where(certain, keep, self.range_s))
        nothing = (total + oob) == 0
        return Decision(keep_alive_s=np.where(nothing, PLATFORM_KEEP_ALIVE_S, ka),
                        prewarm_s=np.where(nothing, 0.0, pre))


def _last_before_day(start_s: np.ndarray, idle_s: np.ndarray, n_days: int) -> np.ndarray:
    """Per day d, the last idle time that started before day d (0 if none)."""
    if not len(start_s):
        return np.zeros(n_days)
    idx = np.searchsorted(start_s, np.arange(n_days) * DAY_S, side="left") - 1
    return np.where(idx >= 0, idle_s[np.maximum(idx, 0)], 0.0)


@dataclass(frozen=True)
class TimerPrewarm:
    """The paper's implication for timers (p.11 box, p.13): "functions running on timer triggers
    could be pre-warmed before their next invocation", and a 1-minute keep-alive is wasteful for
    timers less frequent than that. For a timer (the Region 2 table's TIMER-A; elsewhere, where the
    trigger is unknown, a function whose idle gaps repeat: the median of the previous day's gaps
    within ``margin`` of most of them) whose every idle gap of the previous day exceeded the
    fallback keep-alive (so that keep-alive served none of them warm): release the pod at once and
    pre-warm one ``h`` before the median idle gap of the previous day, kept for 2 h, with h the
    smaller of ``margin`` x that gap and half the fallback (so a pod never idles longer than the
    fallback would keep it). Everything else, and day 0, keeps ``fallback`` (the platform's 60 s)."""

    fallback_s: float = PLATFORM_KEEP_ALIVE_S
    margin: float = 0.10   # Shahrad et al.'s 10 % histogram margin
    regular_share: float = 0.9
    name: str = "timer-prewarm"

    def decide(self, history: History) -> Decision:
        n = history.n_days
        pre, ka = np.zeros(n), np.full(n, self.fallback_s)
        day = _day_of(history.idle_start_s, n)
        is_timer = history.trigger == "TIMER-A"
        for d in range(1, n):
            g = history.idle_s[day == d - 1]
            if g.size < 2:
                continue
            med = float(np.median(g))
            regular = np.mean(np.abs(g - med) <= self.margin * med) >= self.regular_share
            slow = g.min() > self.fallback_s           # the fallback kept none of them warm
            if slow and (is_timer or (history.trigger in (None, "unknown") and regular)):
                half = min(self.margin * med, self.fallback_s / 2)   # never idle longer
                pre[d], ka[d] = med - half, 2 * half
        return Decision(keep_alive_s=ka, prewarm_s=pre)


BUILT_IN: dict[str, type] = {"fixed": Fixed, "hybrid-histogram": HybridHistogram,
                             "timer-prewarm": TimerPrewarm}


def builtin(name: str, keep_alive_s: float | None = None) -> KeepAlivePolicy:
    """A built-in policy by its CLI name; ``keep_alive_s`` sets Fixed's keep-alive and the
    fallback of the others."""
    if name not in BUILT_IN:
        raise ValueError(f"--policy {name!r}: choose one of {', '.join(BUILT_IN)}")
    if keep_alive_s is None:
        return BUILT_IN[name]()
    if name == "fixed":
        return Fixed(keep_alive_s=keep_alive_s)
    if name == "timer-prewarm":
        return TimerPrewarm(fallback_s=keep_alive_s)
    raise ValueError("--keep-alive-s applies to --policy fixed and timer-prewarm; the hybrid "
                     "histogram sets its own windows")


def load_policy_file(spec: str) -> KeepAlivePolicy:
    """``PATH.py:Class`` -> an instance of ``Class`` from that file (read by
    :func:`paperkit.cli.load_user_class`: a ``.py`` path that does not climb; the class has
    ``name`` and ``decide``). Every failure is one ValueError naming the input and the fix."""
    cls_name = spec.rpartition(":")[2]
    cls = cli.load_user_class(spec, "--policy-file")
    try:
        policy = cls()
    except Exception as exc:  # noqa: BLE001
        raise ValueError(f"--policy-file {spec!r}: {cls_name}() raised {type(exc).__name__}: "
                         f"{exc}; the class must build without arguments") from None
    if not isinstance(policy, KeepAlivePolicy) or not isinstance(getattr(policy, "name", None), str):
        raise ValueError(f"--policy-file {spec!r}: {cls_name} is not a keep-alive policy; it needs "
                         "a str attribute 'name' and a method decide(history) -> Decision")
    return policy
