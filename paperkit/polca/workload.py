"""Per-server LLM request load -> per-second GPU activity, aggregated per priority class.

Each server (a DGX-A100, 8 GPUs running one BLOOM-176B TP8 instance, phase model from
:mod:`phase`) receives Poisson arrivals at rate ``lam(t)`` (req/s, common to all servers; it
follows the synthetic row trace through the inverse of the expected server power
:func:`rate_lookup`). Request sizes are drawn from the Azure LLM 2023 code+conversation mix
(public). Per server and second:

- ``n`` arrivals, prefill tokens ``~ n mu_p + sqrt(n) sd_p z`` (normal approximation of the sum),
  prefill busy fraction ``phi = min(1, t_p(tokens) / 1 s)``;
- decode batch ``b`` = arrivals filtered by the mean decode time (exponential survival,
  ``b_t = rho b_{t-1} + n_t``: the expected number of requests in flight), decode busy
  ``delta = (1 - phi) (1 - exp(-b))`` (:func:`decode_occupancy`);
- GPU level (x TDP) ``idle + phi (kappa peak(tokens) - idle) + delta (d(b) - idle)``.

Server power (W) = ``static + (1 + gamma) * 8 * TDP * dyn``: ``static`` = non-GPU base + 8 GPU
idle; ``gamma`` = non-GPU power that follows GPU activity (fans, CPU, NICs; assumption).
Per class (LP/HP) and second, :func:`generate` sums the prefill and decode dynamic powers
(W), the dynamic power clamped at each power-cap level, and the arrivals; it also keeps a
uniform sample of requests for latency metrics. Work is done in chunks (``chunk_s``),
vectorised over servers; nothing loops per second in Python. Arrival counts are drawn by
inverse CDF from per-server uniform streams (:func:`poisson_icdf`), the decode filter is a
log-depth scan (:func:`decay_filter`), and prefill quantities are computed only on seconds
with arrivals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from paperkit.polca.phase import PhaseModel


@dataclass(frozen=True)
class TokenMix:
    """Request-size distribution: bootstrapped (prompt, output) pairs from the Azure traces."""

    prompt: np.ndarray
    output: np.ndarray

    @property
    def mu_p(self) -> float:
        return float(self.prompt.mean())

    @property
    def sd_p(self) -> float:
        return float(self.prompt.std())

    @property
    def mu_o(self) -> float:
        return float(self.output.mean())

    @classmethod
    def from_requests(cls, req) -> "TokenMix":
        """From :func:`paperkit.polca.data.azure_requests` (sorted, so deterministic)."""
        if req.height == 0:
            raise ValueError("TokenMix.from_requests: empty request frame")
        return cls(req["prompt"].to_numpy().astype(np.float64), req["output"].to_numpy().astype(np.float64))


@dataclass(frozen=True)
class ServerConfig:
    """DGX-A100 server: GPUs, TDP, non-GPU power (W)."""

    gpus: int = 8
    tdp_w: float = 400.0
    nongpu_base_w: float = 1500.0   # splitwise-sim dgx-a100 server idle
    gamma: float = 0.25             # non-GPU power following GPU dynamic power (assumption)
    decode_batch_ref: float = 8.0   # batch at which the decode time per token is taken

    def static_w(self, pm: PhaseModel) -> float:
        """Power of an idle server (W)."""
        return self.nongpu_base_w + self.gpus * self.tdp_w * pm.idle

    def dyn_scale(self) -> float:
        """W per unit of GPU dynamic level (x TDP summed over one GPU)."""
        return (1.0 + self.gamma) * self.gpus * self.tdp_w


@dataclass
class Aggregates:
    """Per-group per-second sums (W) over a run. After :func:`combine`: index 0 = LP, 1 = HP.

    ``pre``/``dec``: dynamic power of prefill/decode (uncapped), shape (2, T);
    ``clamp``: dynamic power with each GPU's level clamped at ``cap_levels[k]``, shape (2, K, T);
    ``static``: static W per class; ``arrivals``: arrivals per class, shape (2, T);
    ``samples``: sampled requests (dict of arrays: cls, t, prompt, output, pre_level, dec_level, batch).
    """

    pre: np.ndarray
    dec: np.ndarray
    clamp: np.ndarray
    static: np.ndarray
    arrivals: np.ndarray
    cap_levels: tuple[float, ...]
    samples: dict[str, np.ndarray] = field(default_factory=dict)
    servers: np.ndarray | None = None   # servers per group / class
    cache: dict = field(default_factory=dict, repr=False, compare=False)  # derived, per aggregate

    @property
    def seconds(self) -> int:
        return int(self.pre.shape[1])

    def uncapped_row_w(self) -> np.ndarray:
        """Row power (W) without any control."""
        return self.static.sum() + self.pre.sum(axis=0) + self.dec.sum(axis=0)


def combine(agg: Aggregates, groups: list[int], hp_groups: set[int]) -> Aggregates:
    """Sum the selected ``groups`` of a per-group run into two classes (0 = LP, 1 = HP);
    samples are filtered to those groups and relabelled (``cls`` 0/1)."""
    G = agg.pre.shape[0]
    bad = [g for g in groups if not 0 <= g < G]
    if bad:
        raise ValueError(f"combine: groups {bad} not in 0..{G - 1}")
    sel = [[g for g in groups if g not in hp_groups], [g for g in groups if g in hp_groups]]

    def s(x):
        return np.stack([x[idx].sum(axis=0) if idx else np.zeros_like(x[0]) for idx in sel])

    keep = np.isin(agg.samples["cls"], groups)
    smp = {k: v[keep] for k, v in agg.samples.items()}
    smp["cls"] = np.isin(smp["cls"], list(hp_groups)).astype(np.int64)
    static = np.array([agg.static[idx].sum() if idx else 0.0 for idx in sel])
    servers = None if agg.servers is None else np.array([agg.servers[idx].sum() if idx else 0.0 for idx in sel])
    return Aggregates(s(agg.pre), s(agg.dec), s(agg.clamp), static, s(agg.arrivals), agg.cap_levels, smp, servers)


def decode_rho(pm: PhaseModel, mix: TokenMix, srv: ServerConfig) -> float:
    """Per-second survival factor of a decoding request (mean decode time from tbt at ref batch)."""
    d_s = mix.mu_o * float(pm.tbt_ms(srv.decode_batch_ref)) / 1000.0
    return float(np.exp(-1.0 / max(d_s, 1e-3)))


def decode_occupancy(b: np.ndarray) -> np.ndarray:
    """Fraction of a second a server is decoding, given ``b`` = expected requests in flight.

    ``b`` is an expectation (the exponential-survival filter of the arrivals), so the number in
    flight is Poisson with mean ``b`` and the server decodes with probability ``1 - exp(-b)``.
    (The first version switched decode fully on at ``b >= 0.5`` and off below: a thresholded
    expectation, biased and with spurious 0.47 x TDP on/off swings at low load.)"""
    return (np.float32(1.0) - np.exp(-np.asarray(b, np.float32))).astype(np.float32)


def _activity(n: np.ndarray, idx: np.ndarray, z: np.ndarray, b: np.ndarray, pm: PhaseModel, mix: TokenMix):
    """GPU dynamic levels (x TDP) for prefill and decode, and the prefill/decode levels, per
    element of ``n`` (S, L). Prefill quantities are computed only on the seconds with arrivals
    (flat indices ``idx``, one normal draw ``z`` each)."""
    shape = n.shape
    nf = n.ravel()[idx].astype(np.float32)
    tok = np.maximum(nf * np.float32(mix.mu_p) + np.sqrt(nf) * np.float32(mix.sd_p) * z, np.float32(0.0))
    a, bb, c = pm.tp_coef
    tp_ms = np.float32(a) + tok * (np.float32(bb) + np.float32(c) * tok)
    phi = np.zeros(n.size, np.float32)
    phi[idx] = np.minimum(tp_ms * np.float32(1e-3), np.float32(1.0))
    pre_lvl = np.zeros(n.size, np.float32)
    pre_lvl[idx] = np.float32(pm.kappa) * (np.float32(pm.p_sat) - np.float32(pm.p_sat - pm.p_0)
                                           * np.exp(-tok / np.float32(pm.n_0)))
    phi, pre_lvl = phi.reshape(shape), pre_lvl.reshape(shape)
    dec_lvl = np.float32(pm.d_0) + np.float32(pm.d_1) * np.log2(np.maximum(b, np.float32(1.0)))
    idle = np.float32(pm.idle)
    delta = decode_occupancy(b) * (np.float32(1.0) - phi)
    pre_dyn = phi * np.maximum(pre_lvl - idle, np.float32(0.0))
    dec_dyn = delta * np.maximum(dec_lvl - idle, np.float32(0.0))
    return pre_dyn, dec_dyn, pre_lvl, dec_lvl


def poisson_icdf(u: np.ndarray, lam: np.ndarray, tail: float = 1e-13, full_passes: int = 4) -> np.ndarray:
    """Poisson counts by inverse CDF: ``u`` (S, L) uniforms, ``lam`` (L,) rates common to the S
    rows. Exact up to a CDF tail below ``tail``. The first ``full_passes`` count values are
    vectorised passes over all elements; larger counts (rare at these rates) continue on the
    few elements still above the CDF. Much faster than ``Generator.poisson`` on small rates."""
    lam = np.asarray(lam, dtype=np.float64)
    p = np.exp(-lam)
    F = p.copy()
    n = (u > F).astype(np.int32)
    for k in range(1, full_passes + 1):
        p = p * lam / k
        F = F + p
        n += u > F
    rows, cols = np.nonzero(u > F)
    k, ur, lc, pc, Fc = full_passes, u[rows, cols], lam[cols], p[cols], F[cols]
    while ur.size and float(np.max(1.0 - Fc)) > tail:
        k += 1
        pc = pc * lc / k
        Fc = Fc + pc
        n[rows, cols] += ur > Fc
        if k > 1000:
            raise ValueError(f"rate {float(lam.max()):g} req/s is too large for the inverse-CDF draw")
    return n


def decay_filter(n: np.ndarray, rho: float, b0: np.ndarray) -> np.ndarray:
    """``b_t = rho b_{t-1} + n_t`` along axis 1 with ``b_{-1} = b0`` (float32), by a log-depth
    scan (Hillis-Steele: numpy copies overlapping operands, so each pass reads the last one)."""
    b = n.astype(np.float32)
    L = b.shape[1]
    shift, r = 1, np.float32(rho)
    while shift < L:
        b[:, shift:] += r * b[:, :-shift]
        shift, r = 2 * shift, r * r
    decay = np.float32(rho) ** np.arange(1, L + 1, dtype=np.float32)
    return b + np.asarray(b0, np.float32)[:, None] * decay[None, :]


@dataclass
class _Chunk:
    """One chunk's per-server arrays (servers ordered by group)."""

    n: np.ndarray
    b: np.ndarray
    pre_dyn: np.ndarray
    dec_dyn: np.ndarray
    pre_lvl: np.ndarray
    dec_lvl: np.ndarray


def _draw_chunk(rngs: list, lam: np.ndarray, b_state: np.ndarray, rho: float, pm: PhaseModel,
                mix: TokenMix) -> _Chunk:
    S, L = len(rngs), lam.size
    u = np.empty((S, L), np.float64)
    for i, rng in enumerate(rngs):
        u[i] = rng.random(L)
    n = poisson_icdf(u, lam)
    b = decay_filter(n, rho, b_state)
    idx = np.flatnonzero(n)  # row-major: server by server, so each server's draws stay its own
    per_row = np.count_nonzero(n, axis=1)
    z = np.concatenate([rng.standard_normal(int(k), dtype=np.float32) for rng, k in zip(rngs, per_row)])
    return _Chunk(n, b, *_activity(n, idx, z, b, pm, mix))


def _sample(samp_rng, ch: _Chunk, cls_of_row: np.ndarray, t0: int, k: int, out: dict) -> None:
    """Uniform sample of ``k`` arrivals (weighted by count) for the latency metrics."""
    flat = ch.n.ravel()
    tot = int(flat.sum())
    if tot == 0 or k == 0:
        return
    cum = np.cumsum(flat, dtype=np.int64)
    pick = np.searchsorted(cum, samp_rng.integers(0, tot, size=k), side="right")
    s_i, t_i = np.divmod(pick, ch.n.shape[1])
    out["cls"].append(cls_of_row[s_i])
    out["t"].append(t_i + t0)
    out["pre_level"].append(ch.pre_lvl.ravel()[pick])
    out["dec_level"].append(ch.dec_lvl.ravel()[pick])
    out["batch"].append(np.maximum(ch.b.ravel()[pick], 1.0))


def generate(lam: np.ndarray, n_servers: int, group: np.ndarray, pm: PhaseModel, mix: TokenMix,
             srv: ServerConfig = ServerConfig(), cap_levels: tuple[float, ...] = (0.60, 0.55),
             seed: int = 0, chunk_s: int = 3600, sample_per_chunk: int = 64) -> Aggregates:
    """Simulate ``n_servers`` servers under common arrival rate ``lam`` (req/s per server, 1 s
    steps) and aggregate per group: ``group[s]`` in 0..G-1 (e.g. ``2 * tranche + is_hp``);
    arrays come back with a leading axis of length G (see :func:`combine`).
    Server ``s`` uses its own random stream, so the first N servers of a larger run are the
    same servers (servers added by oversubscription do not change the existing ones).
    Servers are processed in group order, so each group sum is one ``np.add.reduceat`` slice."""
    lam = np.asarray(lam, dtype=np.float64)
    group = np.asarray(group, dtype=np.int64)
    if lam.ndim != 1 or lam.size == 0 or np.any(lam < 0):
        raise ValueError("lam must be a non-empty 1-D array of non-negative rates (req/s)")
    if group.shape != (n_servers,) or (n_servers and group.min() < 0):
        raise ValueError(f"group must be ({n_servers},) non-negative ints, got shape {group.shape}")
    G = int(group.max()) + 1 if n_servers else 0
    T, K = lam.size, len(cap_levels)
    rho = decode_rho(pm, mix, srv)
    scale, idle = np.float32(srv.dyn_scale()), np.float32(pm.idle)
    order = np.argsort(group, kind="stable")
    counts = np.bincount(group, minlength=G)
    present = np.flatnonzero(counts)
    rngs = [np.random.default_rng([seed, int(s)]) for s in order]
    samp_rng = np.random.default_rng([seed, 10_000_019])
    pre, dec, arr = (np.zeros((G, T), np.float32) for _ in range(3))
    clamp = np.zeros((G, K, T), np.float32)
    b_state = np.full(n_servers, lam[0] / (1.0 - rho))  # start in steady state (no warm-up dip)
    samples: dict[str, list] = {k: [] for k in ("cls", "t", "pre_level", "dec_level", "batch")}

    bounds = np.r_[0, np.cumsum(counts[present])]

    def gsum(x):  # contiguous row blocks, one per present group
        return np.stack([x[a:b].sum(axis=0, dtype=np.float32) for a, b in zip(bounds[:-1], bounds[1:])])

    for t0 in range(0, T, chunk_s):
        t1 = min(T, t0 + chunk_s)
        ch = _draw_chunk(rngs, lam[t0:t1], b_state, rho, pm, mix)
        b_state = ch.b[:, -1]
        pre[present, t0:t1] = gsum(ch.pre_dyn) * scale
        dec[present, t0:t1] = gsum(ch.dec_dyn) * scale
        arr[present, t0:t1] = gsum(ch.n)
        level = idle + ch.pre_dyn + ch.dec_dyn
        for k, cap in enumerate(cap_levels):
            clamp[present, k, t0:t1] = gsum(np.minimum(level, np.float32(cap)) - idle) * scale
        _sample(samp_rng, ch, group[order], t0, sample_per_chunk, samples)
    out = {k: (np.concatenate(v) if v else np.zeros(0)) for k, v in samples.items()}
    j = samp_rng.integers(0, mix.prompt.size, size=out["cls"].size)
    out["prompt"], out["output"] = mix.prompt[j], mix.output[j]
    static = counts.astype(float) * srv.static_w(pm)
    return Aggregates(pre, dec, clamp, static, arr, tuple(cap_levels), out, counts.astype(float))


def rate_lookup(pm: PhaseModel, mix: TokenMix, srv: ServerConfig = ServerConfig(),
                lam_max: float = 3.0, points: int = 31, seconds: int = 2400, servers: int = 8,
                seed: int = 123) -> tuple[np.ndarray, np.ndarray]:
    """Expected server power (W) vs arrival rate (req/s), from stationary runs of
    :func:`generate`; returns (rates, power_w), power increasing. Warm-up (first 300 s) dropped."""
    rates = np.linspace(0.0, lam_max, points)
    lam = np.repeat(rates, seconds)
    agg = generate(lam, servers, np.zeros(servers, np.int64), pm, mix, srv, cap_levels=(), seed=seed,
                   chunk_s=seconds, sample_per_chunk=0)
    w = agg.uncapped_row_w().reshape(points, seconds)[:, 300:].mean(axis=1) / servers
    return rates, np.maximum.accumulate(w)


def rate_for_power(target_w: np.ndarray, rates: np.ndarray, power_w: np.ndarray) -> np.ndarray:
    """Invert :func:`rate_lookup`: per-server arrival rate giving mean power ``target_w`` (clipped)."""
    if np.any(np.asarray(target_w) > power_w[-1] * 1.0001):
        raise ValueError(f"target power {float(np.max(target_w)):.0f} W exceeds the lookup range "
                         f"({power_w[-1]:.0f} W); raise lam_max")
    return np.interp(target_w, power_w, rates)
