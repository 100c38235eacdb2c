"""Summaries and projections on top of the model: geomean/max, byte reduction, end-to-end, comm share.

Frames are polars, sorted; fractions are 0..1; times in us unless a name says otherwise.
"""
from __future__ import annotations

import dataclasses
import math

import polars as pl

from paperkit.t3 import closed_form as cf
from paperkit.t3 import dram, llc
from paperkit.t3.des import mca_threshold
from paperkit.t3.hardware import HardwareProfile
from paperkit.t3.model import simulate, sweep
from paperkit.t3.params import FITTED_NAMES, ModelParams
from paperkit.t3.workloads import MODELS, SUBLAYERS, Workload, workload_set

# GEMM work per Transformer layer in units of 2*T*H*H/N FLOPs (Megatron TP; the k_mult of each GEMM)
AR_UNITS = {"op": 1, "fc2": 4, "fc1": 4, "ip": 3}                  # GEMMs followed by an all-reduce
NON_AR_UNITS = {"train": 3 + 4 + 1 + 4 + (3 + 1 + 4 + 4),         # QKV, FC-1 fwd; OP, FC-2 dgrad; 4 wgrads
                "infer": 3 + 4}                                    # QKV, FC-1 fwd
AR_SUBLAYERS = {"train": ("op", "fc2", "fc1", "ip"), "infer": ("op", "fc2")}


def geomean(xs) -> float:
    """Geometric mean of positive numbers."""
    xs = list(xs)
    if not xs or min(xs) <= 0:
        raise ValueError("geomean needs a non-empty sequence of positive numbers")
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def speedup_summary(sweep: pl.DataFrame) -> pl.DataFrame:
    """Per config: geomean, max and min speedup over the rows of ``sweep`` (a ``model.sweep`` frame)."""
    return (sweep.group_by("config")
            .agg(pl.col("speedup").log().mean().exp().alias("geomean"),
                 pl.col("speedup").max().alias("max"), pl.col("speedup").min().alias("min"),
                 pl.len().alias("n"))
            .sort("config"))


def byte_reduction(sweep: pl.DataFrame, config: str = "t3-mca") -> pl.DataFrame:
    """Per sublayer: total DRAM bytes of ``config`` vs Sequential and the reduction (1 - ratio)."""
    keys = ["model", "tp", "sublayer", "tokens"]
    seq = sweep.filter(pl.col("config") == "sequential").select(keys + [pl.col("dram_total_mb").alias("seq_mb")])
    cfg = sweep.filter(pl.col("config") == config).select(keys + [pl.col("dram_total_mb").alias("cfg_mb")])
    return (seq.join(cfg, on=keys).with_columns((1 - pl.col("cfg_mb") / pl.col("seq_mb")).alias("reduction"))
            .sort(keys))


def byte_breakdown(sweep: pl.DataFrame, configs: tuple[str, ...] = ("sequential", "t3-mca")) -> pl.DataFrame:
    """Long frame: DRAM MB per category, normalised to the Sequential total of the same sublayer."""
    keys = ["model", "tp", "sublayer", "tokens"]
    cats = [c for c in sweep.columns if c.endswith("_mb") and c != "dram_total_mb"]
    seq_tot = sweep.filter(pl.col("config") == "sequential").select(keys + [pl.col("dram_total_mb").alias("seq")])
    long = (sweep.filter(pl.col("config").is_in(configs)).select(keys + ["config"] + cats)
            .unpivot(index=keys + ["config"], on=cats, variable_name="category", value_name="mb")
            .with_columns(pl.col("category").str.replace("_mb$", "")))
    return (long.join(seq_tot, on=keys).with_columns((pl.col("mb") / pl.col("seq")).alias("normalised"))
            .drop("seq").sort(keys + ["config", "category"]))


def layer_breakdown(model: str, tp: int, tokens: int, hw: HardwareProfile, p: ModelParams, phase: str = "train",
                    other_frac: float = 0.4, gemm_speed: float = 1.0) -> dict[str, float]:
    """Sequential time per Transformer layer (us) split into AR-sublayer GEMMs, RS, AG, other GEMMs and the
    non-GEMM rest (attention core, norms: a fixed share ``other_frac`` of the iteration).

    ``gemm_speed`` > 1 makes every GEMM that much faster (the Fig. 4 "2x faster GEMM" what-if).
    """
    if phase not in AR_SUBLAYERS:
        raise ValueError(f"phase must be 'train' or 'infer', got {phase!r}")
    if not 0 <= other_frac < 1:
        raise ValueError(f"other_frac must be in [0, 1), got {other_frac}")
    ar_gemm = rs = ag = 0.0
    for s in AR_SUBLAYERS[phase]:
        w = Workload(model, tp, s, tokens)
        ar_gemm += cf.gemm_time(w, hw, p) / gemm_speed
        rs += cf.rs_time_baseline(w, hw, p)
        ag += cf.ag_time(w, hw, p)
    unit = 2.0 * tokens * MODELS[model]["hidden"] ** 2 / tp / hw.gemm_flops
    other_gemm = NON_AR_UNITS[phase] * unit / gemm_speed
    non_other = ar_gemm + rs + ag + other_gemm
    rest = non_other * other_frac / (1 - other_frac)
    us = 1e6
    return {"ar_gemm_us": ar_gemm * us, "rs_us": rs * us, "ag_us": ag * us, "other_gemm_us": other_gemm * us,
            "rest_us": rest * us, "total_us": (non_other + rest) * us}


def comm_share(models: list[str], tokens: int, hw: HardwareProfile, p: ModelParams, other_frac: float = 0.4,
               gemm_speed: float = 1.0) -> pl.DataFrame:
    """Fig. 4 analogue: shares of RS, AG and the AR-sublayer GEMMs in the Sequential iteration time
    (``comm_gemm_only``: the communication share when the non-GEMM rest is left out)."""
    rows = []
    for m in models:
        for tp in MODELS[m]["tp"]:
            for phase in ("train", "infer"):
                b = layer_breakdown(m, tp, tokens, hw, p, phase, other_frac, gemm_speed)
                rows.append({"model": m, "tp": tp, "phase": phase, "rs": b["rs_us"] / b["total_us"],
                             "ag": b["ag_us"] / b["total_us"], "ar_gemm": b["ar_gemm_us"] / b["total_us"],
                             "comm": (b["rs_us"] + b["ag_us"]) / b["total_us"],
                             "comm_gemm_only": (b["rs_us"] + b["ag_us"]) / (b["total_us"] - b["rest_us"])})
    return pl.DataFrame(rows).sort(["model", "tp", "phase"])


def comm_share_window(model: str, target: float, tol: float, tokens: int, hw: HardwareProfile, p: ModelParams,
                      fracs: tuple[float, ...] = tuple(round(0.30 + 0.005 * i, 3) for i in range(41))
                      ) -> tuple[float, float] | None:
    """The range of ``other_frac`` (scanned over ``fracs``) for which the model's largest communication share
    of ``model`` is within ``tol`` of ``target``; None when no value is."""
    ok = [f for f in fracs
          if abs(comm_share([model], tokens, hw, p, f)["comm"].max() - target) <= tol + 1e-12]
    return (min(ok), max(ok)) if ok else None


def end_to_end(sweep: pl.DataFrame, hw: HardwareProfile, p: ModelParams, configs: tuple[str, ...],
               other_frac: float = 0.4) -> pl.DataFrame:
    """Amdahl projection per (model, tp, phase, config): layer time with the AR sublayers replaced by their
    time under ``config``; speedup = Sequential layer time / projected layer time."""
    rows = []
    pairs = sweep.select("model", "tp", "tokens").unique().sort(["model", "tp", "tokens"]).iter_rows()
    for m, tp, tokens in pairs:
        for phase in ("train", "infer"):
            b = layer_breakdown(m, tp, tokens, hw, p, phase, other_frac)
            sub = sweep.filter((pl.col("model") == m) & (pl.col("tp") == tp) & (pl.col("tokens") == tokens)
                               & pl.col("sublayer").is_in(AR_SUBLAYERS[phase]))
            seq_sub = sub.filter(pl.col("config") == "sequential")["time_us"].sum()
            for c in configs:
                cfg_sub = sub.filter(pl.col("config") == c)["time_us"].sum()
                new_total = b["total_us"] - seq_sub + cfg_sub
                rows.append({"model": m, "tp": tp, "tokens": tokens, "phase": phase, "config": c,
                             "ar_fraction": seq_sub / b["total_us"], "speedup": b["total_us"] / new_total})
    return pl.DataFrame(rows).sort(["model", "tp", "phase", "config"])


def sublayer_label(sublayer: str) -> str:
    """'fc2' -> 'FC-2'."""
    return SUBLAYERS[sublayer]["label"]


def cu_split_frame(workloads: list[Workload], splits: tuple[int, ...], hw: HardwareProfile,
                   p: ModelParams) -> pl.DataFrame:
    """Fig. 6 analogue: speedup of the ideal overlap and of software GEMM||RS with the collective on k CUs."""
    rows = []
    for w in workloads:
        rows.append({"model": w.model, "tp": w.tp, "sublayer": w.sublayer, "series": "ideal overlap",
                     "speedup": simulate(w, "ideal", hw, p).speedup_vs_sequential})
        for k in splits:
            r = simulate(w, "sw-split", hw, p.replace(cu_split=k))
            rows.append({"model": w.model, "tp": w.tp, "sublayer": w.sublayer, "series": f"RS on {k} CUs",
                         "speedup": r.speedup_vs_sequential})
    return pl.DataFrame(rows).sort(["model", "tp", "sublayer", "series"])


def sensitivity(knob: str, values: list[float], hw: HardwareProfile, p: ModelParams, tokens: int,
                configs: tuple[str, ...] = ("ideal", "t3", "t3-mca")) -> pl.DataFrame:
    """Geomean/max speedup over the main set as one knob varies: 'link_gbps', 'n_cu' or 'tokens'."""
    if knob not in ("link_gbps", "n_cu", "tokens"):
        raise ValueError(f"unknown sensitivity knob {knob!r}; choose link_gbps, n_cu or tokens")
    rows = []
    for v in values:
        h = hw if knob == "tokens" else hw.replace(**{knob: type(getattr(hw, knob))(v)})
        t = int(v) if knob == "tokens" else tokens
        s = sweep(workload_set("main", t), ("sequential",) + tuple(configs), h, p)
        for r in speedup_summary(s).filter(pl.col("config") != "sequential").iter_rows(named=True):
            rows.append({"knob": knob, "value": float(v), "config": r["config"], "geomean": r["geomean"],
                         "max": r["max"]})
    return pl.DataFrame(rows).sort(["knob", "value", "config"])


def contention_shape_holds(sweep: pl.DataFrame, op_margin: float = 0.03,
                           min_fc_loss: float = 0.01) -> dict[str, float]:
    """C6 check on a sweep with 'ideal', 'ideal-nmc' and 't3': mean contention loss of T3 against the
    Ideal-RS+NMC bound per sublayer, and whether FC layers lose most (and at least ``min_fc_loss``) while
    every OP point of T3 is within ``op_margin`` of (or above) Ideal-GEMM-RS-Overlap."""
    wide = sweep.pivot(on="config", index=["model", "tp", "sublayer", "tokens"], values="speedup")
    wide = wide.with_columns((1 - pl.col("t3") / pl.col("ideal-nmc")).alias("loss"),
                             (pl.col("t3") / pl.col("ideal")).alias("t3_vs_ideal"))
    loss = {s: float(wide.filter(pl.col("sublayer") == s)["loss"].mean()) for s in SUBLAYERS}
    fc_worst = min(loss["fc1"], loss["fc2"]) >= max(loss["op"], loss["ip"], min_fc_loss)
    op_ok = bool((wide.filter(pl.col("sublayer") == "op")["t3_vs_ideal"] >= 1 - op_margin).all())
    return {**{f"loss_{k}": v for k, v in loss.items()}, "holds": float(fc_worst and op_ok)}


def breakdown_shape_holds(sweep: pl.DataFrame, config: str = "t3-mca") -> float:
    """C8 check: vs Sequential, RS reads and GEMM + RS writes and near-memory updates fall, GEMM reads do not
    grow, AG is unchanged (1.0 when it holds on every sublayer)."""
    keys = ["model", "tp", "sublayer", "tokens"]
    a = sweep.filter(pl.col("config") == "sequential").sort(keys)
    b = sweep.filter(pl.col("config") == config).sort(keys)
    ok = ((b["rs_read_mb"] < a["rs_read_mb"]).all()
          and ((b["gemm_write_mb"] + b["rs_write_mb"] + b["rs_update_mb"])
               < (a["gemm_write_mb"] + a["rs_write_mb"] + a["rs_update_mb"])).all()
          and (b["gemm_read_mb"] <= a["gemm_read_mb"]).all()
          and ((b["ag_read_mb"] - a["ag_read_mb"]).abs() < 1e-9).all()
          and ((b["ag_write_mb"] - a["ag_write_mb"]).abs() < 1e-9).all())
    return float(ok)


def parameter_table(hw: HardwareProfile, p: ModelParams) -> pl.DataFrame:
    """Every free parameter: name, value, and whether it is from Table 1, measured, assumed, or fitted
    (the measured-table fields are listed only when the profile has a measurement)."""
    table1 = ("n_cu", "clock_ghz", "dram_gbps", "llc_mb", "link_latency_ns", "tracker_entries")
    measured = {"gemm_table": bool(hw.gemm_table), "chunk_overhead_us": hw.chunk_overhead_us >= 0}
    rows = [{"parameter": f"hw.{f.name}", "value": str(getattr(hw, f.name)),
             "status": "measured" if f.name in measured else ("Table 1" if f.name in table1 else "assumed")}
            for f in dataclasses.fields(hw)
            if f.name not in ("name", "description", "source") and measured.get(f.name, True)]
    rows += [{"parameter": f.name, "value": str(getattr(p, f.name)),
              "status": "fitted (C1, C2 only)" if f.name in FITTED_NAMES else "assumed"}
             for f in dataclasses.fields(p)]
    return pl.DataFrame(rows).sort(["status", "parameter"])


def t3_vs_mca(sweep: pl.DataFrame) -> pl.DataFrame:
    """Per sublayer: T3 and T3-MCA speedups, their difference, and which phase bounds the sublayer
    (GEMM-bound when T_GEMM >= T_RS^NMC, else RS-bound), sorted."""
    keys = ["model", "tp", "sublayer", "tokens"]
    wide = sweep.pivot(on="config", index=keys, values="speedup")
    g = sweep.filter(pl.col("config") == "sequential").select(keys + ["gemm_us", "rs_us"])
    return (wide.join(g, on=keys).with_columns(
        (pl.col("t3-mca") - pl.col("t3")).alias("mca_minus_t3"),
        pl.when(pl.col("ideal-nmc") >= pl.col("ideal") + 1e-9).then(pl.lit("RS-bound"))
        .otherwise(pl.lit("GEMM-bound")).alias("bound"))
        .select(keys + ["t3", "t3-mca", "mca_minus_t3", "bound"]).sort(keys))


def dram_efficiency(workloads: list[Workload], hw: HardwareProfile, p: ModelParams) -> pl.DataFrame:
    """Per sublayer, in a T3 stage >= 1 with the RS at link speed (shares of DRAM time, 1 = all of it):
    the GEMM's need (reads after the LLC + near-memory updates), the RS's need batched (MCA) and
    interleaved (FR-FCFS), the time lost to interleaving, and the GEMM's progress fraction under FR-FCFS
    (T3) and under MCA (T3-MCA), with the RS's under MCA."""
    rows = []
    for w in workloads:
        t_g = cf.gemm_time(w, hw, p)
        g = cf.gemm_traffic(w, hw, p, t_g, bypass_output=True, output="updates")
        c = dram.Traffic(reads=hw.link_bw, updates=hw.link_bw)
        fr_g, _ = dram.FrFcfs(hw.dram_bw, p.interleave_run)(g, c)
        mca_g, mca_c = dram.Mca(hw.dram_bw, mca_threshold(w, hw, p), p.mca_floor, p.interleave_run)(g, c)
        rows.append({"model": w.model, "tp": w.tp, "sublayer": w.sublayer,
                     "inputs_fit_llc": llc.inputs_fit(w, hw, p, bypass_output=True),
                     "mca_threshold": mca_threshold(w, hw, p),
                     "gemm_read_gbps": g.reads / 1e9, "gemm_need": dram.cost(g, hw.dram_bw),
                     "rs_need_batched": dram.cost(c, hw.dram_bw, dram.HBM2.row_atoms),
                     "rs_need_interleaved": dram.cost(c, hw.dram_bw, p.interleave_run),
                     "interleave_loss": dram.interleave_loss(g, c, hw.dram_bw, p.interleave_run),
                     "gemm_rate_t3": fr_g, "gemm_rate_mca": mca_g, "rs_rate_mca": mca_c})
    return pl.DataFrame(rows).sort(["model", "tp", "sublayer"])
