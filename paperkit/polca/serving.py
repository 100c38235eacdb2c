"""A fluid serving loop per priority class: capped servers serve slower, requests queue, the
batch grows with the queue. MODELLED.

Design (per class, per server, 1 s steps; class sums divided by the class's server count):

- clock ratios per second from the controller's timeline (``r_pre``, ``r_dec``; a power cap
  gives the ratio it imposes on the prefill spike level and on the decode plateau);
- prefill has priority (as in continuous-batching servers): GPU time for the second's prefills
  ``w_t = n_t t_pre(mean prompt) s_pre(r_t)`` (s) against 1 s of capacity; the backlog is the
  Lindley recursion ``q_t = max(0, q_{t-1} + w_t - 1)``, solved in closed form
  (``S_t - min(0, min_{s<=t} S_s)``, ``S`` the cumulative sum), so no Python loop per second;
- requests in flight (decode batch plus queue) ``b_t = rho_t b_{t-1} + n_t`` (a log-depth scan) with
  ``rho_t = exp(-1 / (D s_dec(r_t)))``, ``D`` the mean decode time at the reference batch: a
  slower decode keeps requests longer, so the batch grows;
- per request arriving at ``t``: TTFT = ``q_t`` + its own prefill time x ``s_pre(r_t)``; TBT =
  ``tbt(b_t)`` x ``s_dec(r_t)``.

Impacts are P50/P99 ratios against the same arrivals uncapped (common random numbers).
Limits: one fluid queue per class (per-server imbalance and the KV-cache batch limit are not
modelled), the arrivals' prompt sizes enter the queue at their mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

from paperkit.polca.phase import PhaseModel


def lindley(work: np.ndarray, capacity: float = 1.0, q0: float = 0.0) -> np.ndarray:
    """Backlog ``q_t = max(0, q_{t-1} + work_t - capacity)`` with ``q_{-1} = q0 >= 0`` (closed
    form: ``S_t - min(-q0, min_{s<=t} S_s)``, ``S`` the cumulative sum of ``work - capacity``)."""
    s = np.cumsum(np.asarray(work, np.float64) - capacity)
    return s - np.minimum(np.minimum.accumulate(s), -q0)


def varying_filter(x: np.ndarray, rho: np.ndarray, b0: float) -> np.ndarray:
    """``b_t = rho_t b_{t-1} + x_t`` with ``b_{-1} = b0``, by a log-depth scan over the affine
    maps ``b -> rho_t b + x_t`` (no Python loop per second or per segment)."""
    a = np.asarray(rho, np.float64).copy()
    b = np.asarray(x, np.float64).copy()
    if a.size and (a == a[0]).all():  # constant rho (the uncapped row): one C filter
        return lfilter([1.0], [1.0, -float(a[0])], b, zi=[float(a[0]) * b0])[0]
    shift = 1
    while shift < b.size:  # each right-hand side is evaluated before its assignment
        b[shift:] = b[shift:] + a[shift:] * b[:-shift]
        a[shift:] = a[shift:] * a[:-shift]
        shift *= 2
    return b + a * b0


@dataclass(frozen=True)
class ClassLoad:
    """One class's per-server load: arrivals per second, prefill seconds per request at full
    clock, mean decode time ``d0`` (s) at the reference batch."""

    n: np.ndarray
    pre_s: float
    d0: float

    @classmethod
    def of(cls, arrivals: np.ndarray, servers: float, pm: PhaseModel, mu_prompt: float, mu_out: float,
           batch_ref: float = 8.0) -> "ClassLoad":
        return cls(np.asarray(arrivals, np.float64) / max(servers, 1e-9), float(pm.prefill_ms(mu_prompt)) / 1000.0,
                   mu_out * float(pm.tbt_ms(batch_ref)) / 1000.0)


def _series(ld: ClassLoad, s_pre: np.ndarray, s_dec: np.ndarray, sl: slice, q0: float, b0: float):
    n = ld.n[sl]
    rho = np.exp(-1.0 / (ld.d0 * s_dec))
    return lindley(n * ld.pre_s * s_pre, 1.0, q0), varying_filter(n, rho, b0)


def base_series(ld: ClassLoad) -> tuple[np.ndarray, np.ndarray]:
    """Prefill backlog (s) and requests in flight per server, uncapped."""
    one = np.ones(ld.n.size)
    b0 = float(ld.n[0]) / (1.0 - float(np.exp(-1.0 / ld.d0))) if ld.n.size else 0.0
    return _series(ld, one, one, slice(None), 0.0, b0)


def capped_series(ld: ClassLoad, base: tuple[np.ndarray, np.ndarray], s_pre: np.ndarray, s_dec: np.ndarray,
                  drain_s: int = 1800) -> tuple[np.ndarray, np.ndarray]:
    """Backlog and requests in flight under slowdowns ``s_pre``/``s_dec`` (>= 1 per second). Equal
    to ``base`` until the first slowed second; recomputed from there over each slowed interval
    plus ``drain_s``, extended until queue and batch are back on the base (within 1e-6)."""
    q, b = base[0].copy(), base[1].copy()
    slow = np.r_[False, (s_pre != 1.0) | (s_dec != 1.0), False]
    d = np.diff(slow.astype(np.int8))
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    T, i = ld.n.size, 0
    while i < starts.size:
        a, e = int(starts[i]), int(ends[i])
        while True:
            stop = min(T, e + drain_s)
            while i + 1 < starts.size and starts[i + 1] <= stop:  # merge intervals that overlap
                i += 1
                e = int(ends[i])
                stop = min(T, e + drain_s)
            q0, b0 = (q[a - 1], b[a - 1]) if a > 0 else (0.0, base[1][0])
            qq, bb = _series(ld, s_pre[a:stop], s_dec[a:stop], slice(a, stop), float(q0), float(b0))
            q[a:stop], b[a:stop] = qq, bb
            if stop == T or (abs(qq[-1] - base[0][stop - 1]) < 1e-6 and abs(bb[-1] - base[1][stop - 1]) < 1e-6):
                break
            e, drain_s = stop, drain_s * 2
        i += 1
    return q, b


def request_latency(smp: dict, cls: int, q: np.ndarray, b: np.ndarray, s_pre: np.ndarray,
                    s_dec: np.ndarray, pm: PhaseModel) -> tuple[np.ndarray, np.ndarray]:
    """TTFT (s) and TBT (ms) of the sampled requests of class ``cls`` (slowdowns per second)."""
    m = smp["cls"] == cls
    t = smp["t"][m]
    ttft = q[t] + pm.prefill_ms(smp["prompt"][m]) / 1000.0 * s_pre[t]
    tbt = pm.tbt_ms(np.maximum(b[t], 1.0), smp["prompt"][m]) * s_dec[t]
    return np.asarray(ttft, float), np.asarray(tbt, float)


def impacts(capped: np.ndarray, base: np.ndarray, prefix: str) -> dict[str, float]:
    """P50 and P99 of the capped run over the uncapped one, minus 1 (and the absolute values)."""
    out = {}
    for q, k in ((0.5, "p50"), (0.99, "p99")):
        if capped.size == 0:
            out[f"{prefix}_{k}"] = out[f"{prefix}_{k}_impact"] = float("nan")
            continue
        c, b = np.quantile(capped, q, method="linear"), np.quantile(base, q, method="linear")
        out[f"{prefix}_{k}"] = float(c)
        out[f"{prefix}_{k}_impact"] = float(c / b - 1.0)
    return out
