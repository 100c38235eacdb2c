"""A fluid serving loop per priority class: capped servers serve slower, requests queue, the
batch grows with the queue. MODELLED.

Design (per class, per server, 1 s steps; class sums divided by the class's server count):

- clock ratios per second from the controller's timeline (``r_pre``, ``r_dec``; a power cap
  gives the ratio it imposes on the prefill spike level and on the decode plateau);
- prefill has priority (as in continuous-batching servers): GPU time for the second's prefills
  ``w_t = n_t t_pre(mean prompt) s_pre(r_t)`` (s) against 1 s of capacity; the backlog is the
  Lindley recursion ``q_t = max(0, q_{t-1} + w_t - 1)``, solved in closed form
  (``S_t - min(0, min_{s<=t} S_s)``, ``S`` the cumulative sum), so no Python loop per second;
- requests in flight (decode batch plus queue) ``b_t = rho_t b_{t-1} + n_t`` with
  ``rho_t = exp(-1 / (D s_dec(r_t)))``, ``D`` the mean decode time at the reference batch: a
  slower decode keeps requests longer, so the batch grows;
- per request arriving at ``t``: TTFT = ``q_t`` + its own prefill time x ``s_pre(r_t)``; TBT =
  ``tbt(b_t)`` x ``s_dec(r_t)``.

Impacts are P50/P99 ratios against the same arrivals uncapped (common random numbers).
Limits: one fluid queue per class (per-server imbalance and the KV-cache batch limit are not
modelled), the arrivals' prompt sizes enter the queue at their mean.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from paperkit.polca.capping import CapModel
from paperkit.polca.phase import PhaseModel


def lindley(work: np.ndarray, capacity: float = 1.0) -> np.ndarray:
    """Backlog ``q_t = max(0, q_{t-1} + work_t - capacity)`` with ``q_{-1} = 0`` (closed form)."""
    s = np.cumsum(np.asarray(work, np.float64) - capacity)
    return s - np.minimum(np.minimum.accumulate(s), 0.0)


def varying_filter(x: np.ndarray, rho: np.ndarray, b0: float) -> np.ndarray:
    """``b_t = rho_t b_{t-1} + x_t`` for piecewise-constant ``rho`` (one lfilter per run)."""
    x = np.asarray(x, np.float64)
    out = np.empty_like(x)
    cuts = np.r_[0, np.flatnonzero(np.diff(rho)) + 1, x.size]
    prev = b0
    for a, e in zip(cuts[:-1], cuts[1:]):
        r = float(rho[a])
        out[a:e], _ = lfilter([1.0], [1.0, -r], x[a:e], zi=[r * prev])
        prev = out[e - 1]
    return out


def class_series(arrivals: np.ndarray, servers: float, r_pre: np.ndarray, r_dec: np.ndarray,
                 pm: PhaseModel, cm: CapModel, mu_prompt: float, mu_out: float,
                 batch_ref: float = 8.0) -> tuple[np.ndarray, np.ndarray]:
    """Per second: prefill backlog (s) and requests in flight per server of one class."""
    n = arrivals / max(servers, 1e-9)
    w = n * float(pm.prefill_ms(mu_prompt)) / 1000.0 * cm.slowdown(r_pre, "prefill")
    d0 = mu_out * float(pm.tbt_ms(batch_ref)) / 1000.0
    rho = np.exp(-1.0 / (d0 * cm.slowdown(r_dec, "decode")))
    b0 = float(n[0]) / (1.0 - float(rho[0])) if n.size else 0.0
    return lindley(w), varying_filter(n, rho, b0)


def request_latency(smp: dict, cls: int, q: np.ndarray, b: np.ndarray, r_pre: np.ndarray,
                    r_dec: np.ndarray, pm: PhaseModel, cm: CapModel) -> tuple[np.ndarray, np.ndarray]:
    """TTFT (s) and TBT (ms) of the sampled requests of class ``cls``."""
    m = smp["cls"] == cls
    t = smp["t"][m]
    ttft = q[t] + pm.prefill_ms(smp["prompt"][m]) / 1000.0 * cm.slowdown(r_pre[t], "prefill")
    tbt = pm.tbt_ms(np.maximum(b[t], 1.0), smp["prompt"][m]) * cm.slowdown(r_dec[t], "decode")
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
