"""Per-phase GPU power and latency model of LLM inference, fitted to public A100-80GB data.

Units: power as a fraction of the 400 W A100 TDP (``x TDP``), times in ms, ``tokens`` =
prompt length x batch (prefill tokens of one batch). Model, per (model, TP) group:

- prefill spike (``peak_power``):  ``peak(n) = p_sat - (p_sat - p_0) exp(-n / n_0)``
- prefill time:                    ``t_p(n) = a + b n + c n^2``                  (ms)
- decode time per token:           ``tbt(B, P) = e_0 + e_1 B + e_2 P / 1000``    (ms/token)
- run-mean power (``average_power``) decomposed into phases by linear least squares:
  ``mean * (t_p + t_d) = kappa * peak(n) * t_p + (d_0 + d_1 log2 B) * t_d`` with
  ``t_d = tokens_out * tbt``: ``kappa * peak`` is the prefill-phase mean level and
  ``d_0 + d_1 log2 B`` the decode plateau.

:func:`fit_quality` reports R^2, RMSE and MAPE of every fitted quantity (tier public+modelled).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.optimize import curve_fit

A100_TDP_W = 400.0
A100_IDLE_FRAC = 63.0 / 400.0  # splitwise-sim constant power model, per GPU


def _peak_curve(n: np.ndarray, p_sat: float, p_0: float, n_0: float) -> np.ndarray:
    return p_sat - (p_sat - p_0) * np.exp(-np.asarray(n, dtype=float) / n_0)


@dataclass(frozen=True)
class PhaseModel:
    """Fitted phase model of one (model, TP) configuration. Power in x TDP, time in ms."""

    name: str
    p_sat: float
    p_0: float
    n_0: float
    tp_coef: tuple[float, float, float]
    tbt_coef: tuple[float, float, float]
    kappa: float
    d_0: float
    d_1: float
    idle: float = A100_IDLE_FRAC
    tdp_w: float = A100_TDP_W

    def peak(self, tokens: np.ndarray | float) -> np.ndarray:
        """Prefill spike level (x TDP) for ``tokens`` prefill tokens."""
        return _peak_curve(tokens, self.p_sat, self.p_0, self.n_0)

    def prefill_ms(self, tokens: np.ndarray | float) -> np.ndarray:
        """Prefill time (ms) of a batch with ``tokens`` prompt tokens in total."""
        n = np.asarray(tokens, dtype=float)
        a, b, c = self.tp_coef
        return a + b * n + c * n * n

    def tbt_ms(self, batch: np.ndarray | float, prompt: np.ndarray | float = 512.0) -> np.ndarray:
        """Decode time per output token (ms) at decode batch ``batch``."""
        e0, e1, e2 = self.tbt_coef
        return e0 + e1 * np.asarray(batch, dtype=float) + e2 * np.asarray(prompt, dtype=float) / 1000.0

    def prefill_level(self, tokens: np.ndarray | float) -> np.ndarray:
        """Prefill-phase mean power (x TDP)."""
        return self.kappa * self.peak(tokens)

    def decode_level(self, batch: np.ndarray | float) -> np.ndarray:
        """Decode plateau power (x TDP) at decode batch ``batch`` (>= 1)."""
        b = np.maximum(np.asarray(batch, dtype=float), 1.0)
        return self.d_0 + self.d_1 * np.log2(b)

    def mean_power(self, prompt, batch, out_tokens=128):
        """Run-mean power (x TDP) predicted for one (prompt, batch, output) run."""
        n = np.asarray(prompt, dtype=float) * np.asarray(batch, dtype=float)
        tp = self.prefill_ms(n)
        td = out_tokens * self.tbt_ms(batch, prompt)
        return (tp * self.prefill_level(n) + td * self.decode_level(batch)) / (tp + td)


def fit_phase_model(df: pl.DataFrame, name: str | None = None, out_tokens: int = 128) -> PhaseModel:
    """Fit :class:`PhaseModel` to aggregated perf rows of ONE (model, TP) group
    (from :func:`paperkit.polca.data.perf_model`). Rows flagged ``mean_artefact`` are left out
    of the mean-power decomposition."""
    need = {"tokens", "peak_power", "average_power", "prompt_ms", "token_ms", "batch_size", "prompt_size"}
    if not need <= set(df.columns):
        raise ValueError(f"fit_phase_model needs columns {sorted(need)}; got {df.columns}")
    if df.height < 5:
        raise ValueError(f"fit_phase_model needs >= 5 configurations, got {df.height}")
    if "model" in df.columns and df["model"].n_unique() > 1:
        raise ValueError("fit_phase_model: filter to one (model, tensor_parallel) group first")
    n = df["tokens"].to_numpy().astype(float)
    pk = df["peak_power"].to_numpy()
    popt, _ = curve_fit(_peak_curve, n, pk, p0=[float(pk.max()), float(pk.min()) * 0.8, 400.0],
                        bounds=([0.0, 0.0, 1.0], [3.0, 3.0, 1e5]), maxfev=20000)
    tp = df["prompt_ms"].to_numpy()
    tp_coef, *_ = np.linalg.lstsq(np.c_[np.ones_like(n), n, n * n], tp, rcond=None)
    B = df["batch_size"].to_numpy().astype(float)
    P = df["prompt_size"].to_numpy().astype(float)
    tbt = df["token_ms"].to_numpy()
    tbt_coef, *_ = np.linalg.lstsq(np.c_[np.ones_like(B), B, P / 1000.0], tbt, rcond=None)
    ok = ~df["mean_artefact"].to_numpy() if "mean_artefact" in df.columns else np.ones(df.height, bool)
    td = out_tokens * tbt
    X = np.c_[tp * _peak_curve(n, *popt), td, td * np.log2(B)]
    y = df["average_power"].to_numpy() * (tp + td)
    k, *_ = np.linalg.lstsq(X[ok], y[ok], rcond=None)
    label = name or (f"{df['model'][0]} TP{df['tensor_parallel'][0]}" if "model" in df.columns else "model")
    return PhaseModel(label, *map(float, popt), tuple(map(float, tp_coef)), tuple(map(float, tbt_coef)),
                      float(k[0]), float(k[1]), float(k[2]))


class UnknownModelKey(KeyError, ValueError):
    """An unknown (model, TP) key: a KeyError for dict users, a ValueError for bad input."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown model key"


class PhaseModels(dict):
    """``{(model, TP) key: PhaseModel}``; an unknown key names itself and lists the valid ones."""

    def __missing__(self, key):
        raise UnknownModelKey(f"unknown model_key {key!r}; choose one of {sorted(self)}")


def fit_all(perf: pl.DataFrame) -> PhaseModels:
    """Fit one model per (model, TP) group with power data; keys like ``'bloom-176b TP8'``."""
    out = PhaseModels()
    for (m, tp), g in sorted(perf.group_by(["model", "tensor_parallel"]), key=lambda kv: kv[0]):
        out[f"{m} TP{tp}"] = fit_phase_model(g.sort(["batch_size", "prompt_size"]))
    return out


def predict(model: PhaseModel, perf: pl.DataFrame, out_tokens: int = 128) -> pl.DataFrame:
    """Add predicted columns ``peak_fit, mean_fit, prompt_ms_fit, token_ms_fit`` to perf rows."""
    P = perf["prompt_size"].to_numpy().astype(float)
    B = perf["batch_size"].to_numpy().astype(float)
    return perf.with_columns(
        pl.Series("peak_fit", model.peak(P * B)),
        pl.Series("mean_fit", model.mean_power(P, B, out_tokens)),
        pl.Series("prompt_ms_fit", model.prefill_ms(P * B)),
        pl.Series("token_ms_fit", model.tbt_ms(B, P)),
    )


def _scores(y: np.ndarray, yhat: np.ndarray) -> tuple[float, float, float]:
    ss_res = float(np.sum((y - yhat) ** 2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan")
    return r2, float(np.sqrt(np.mean((y - yhat) ** 2))), float(np.mean(np.abs(yhat / y - 1.0)))


def fit_quality(models: dict[str, PhaseModel], perf: pl.DataFrame) -> pl.DataFrame:
    """R^2, RMSE, MAPE per (group, quantity); rows sorted. Artefact rows excluded from mean."""
    rows = []
    for key, mdl in sorted(models.items()):
        m, tp = key.split(" TP")
        g = predict(mdl, perf.filter((pl.col("model") == m) & (pl.col("tensor_parallel") == int(tp))))
        g_ok = g.filter(~pl.col("mean_artefact"))
        for qty, obs, fit, frame in [("peak_power", "peak_power", "peak_fit", g),
                                     ("average_power", "average_power", "mean_fit", g_ok),
                                     ("prompt_ms", "prompt_ms", "prompt_ms_fit", g),
                                     ("token_ms", "token_ms", "token_ms_fit", g)]:
            r2, rmse, mape = _scores(frame[obs].to_numpy(), frame[fit].to_numpy())
            rows.append({"group": key, "quantity": qty, "n": frame.height,
                         "r2": round(r2, 4), "rmse": round(rmse, 4), "mape": round(mape, 4)})
    return pl.DataFrame(rows).sort(["group", "quantity"])


def fit_measured_phases(levels: pl.DataFrame, results: dict, tdp_w: float, name: str,
                        context_tokens: int = 2048) -> PhaseModel:
    """Fit :class:`PhaseModel` to a single-GPU phase measurement (the H200 data set).

    ``levels``: one row per phase (``phase``, ``median_tdp``, ``max_tdp``) with phases named
    ``..._prefill_b<B>_t<P>``, ``..._decode_b<B>_ctx<P>`` and ``idle``; ``results``: throughput
    (``prefill_b<B>_tokens_per_s``/``prefill_tokens_per_s`` (batch 8), ``decode_b<B>_steps_per_s``/
    ``decode_steps_per_s`` (batch 16)). Fitted: the spike level ``p_sat`` (mean prefill max; the
    prefill curve is flat, ``p_0 = p_sat``, since every measured prefill has >= 2048 tokens),
    ``kappa`` = prefill plateau / spike, prefill time proportional to tokens (least squares through the origin), decode time per step
    linear in batch, and the decode plateau ``d_0 + d_1 log2 B`` by least squares."""
    def kind_rows(kind: str) -> list[tuple[int, float, float]]:
        out = []
        for r in levels.iter_rows(named=True):
            parts = r["phase"].split("_")
            if kind in parts:
                b = int(parts[parts.index(kind) + 1][1:])
                out.append((b, float(r["median_tdp"]), float(r["max_tdp"])))
        return sorted(out)

    pre, dec = kind_rows("prefill"), kind_rows("decode")
    if len(pre) < 2 or len(dec) < 2:
        raise ValueError(f"{name}: need >= 2 prefill and >= 2 decode phases, got {len(pre)} and {len(dec)}")
    idle = float(levels.filter(pl.col("phase") == "idle")["median_tdp"][0])
    tok_s = {b: results.get(f"prefill_b{b}_tokens_per_s", results["prefill_tokens_per_s"]) for b, *_ in pre}
    n = np.array([b * context_tokens for b, *_ in pre], float)
    tp_ms = np.array([b * context_tokens / tok_s[b] * 1000.0 for b, *_ in pre])
    a1, a0 = float(np.sum(n * tp_ms) / np.sum(n * n)), 0.0  # through the origin: time per token
    steps = {b: results.get(f"decode_b{b}_steps_per_s", results["decode_steps_per_s"]) for b, *_ in dec}
    B = np.array([b for b, *_ in dec], float)
    (e1, e0) = np.polyfit(B, np.array([1000.0 / steps[b] for b, *_ in dec]), 1)
    (d1, d0) = np.polyfit(np.log2(B), np.array([m for _, m, _ in dec]), 1)
    p_sat = float(np.mean([mx for *_, mx in pre]))
    kappa = float(np.mean([m for _, m, _ in pre])) / p_sat
    return PhaseModel(name, p_sat, p_sat, 1.0, (float(a0), float(a1), 0.0), (float(e0), float(e1), 0.0),
                      kappa, float(d0), float(d1), idle, tdp_w)
