"""Figure data from the one mechanism model: polars frames, sorted, one row per (configuration,
system).

Every frame carries ``source="model"`` (tier *modelled*); TFLOPS use the factor-4 convention
(``shapes.ModelShape.iteration_flops``); ``tflops`` is null where the configuration does not fit.
"""
from __future__ import annotations

import math

import polars as pl

from .hardware import HardwareProfile, get_profile
from .mechanism import SYSTEMS, Schedule, busy_s, fuyou_terms, iteration_s, terms
from .memory import check_fit, max_trainable
from .prediction import predict
from .shapes import ModelShape
from .timeline import phase_frame


def _row(pred, **extra) -> dict:
    busy = pred.busy_s
    return dict(system=pred.system, hardware=pred.hardware, n_ssd=pred.n_ssd,
                params_b=pred.params / 1e9, batch=pred.batch, fits=pred.fits,
                reason=pred.reason, tflops=pred.tflops,
                tflops_no_recompute=pred.tflops_no_recompute, iteration_s=pred.makespan_s,
                executed_tflops=pred.executed_tflops, tokens_per_s=pred.tokens_per_s,
                credit_not_executed=pred.credit_not_executed,
                gpu_busy=pred.gpu_busy_fraction, swap_coeff=pred.swap_coeff,
                **{f"busy_{k}_s": v for k, v in busy.items()}, source="model", **extra)


def throughput(hardware: list[str], models: list[str], batches: list[int],
               systems: tuple[str, ...] = SYSTEMS, n_ssd: int | None = None) -> pl.DataFrame:
    """Throughput vs batch size (paper figures overall_tp_*); ``n_ssd`` overrides profiles."""
    rows = []
    for hw in hardware:
        prof = get_profile(hw) if n_ssd is None else get_profile(hw, n_ssd=n_ssd)
        for m in models:
            for b in batches:
                for s in systems:
                    rows.append(_row(predict(ModelShape.preset(m, b), prof, s), model=m))
    return pl.DataFrame(rows).sort(["hardware", "model", "batch", "system"])


def best_over_batches(frame: pl.DataFrame) -> pl.DataFrame:
    """Per (hardware, model, system): the best TFLOPS over the batches that fit."""
    return (frame.filter(pl.col("fits"))
            .sort(["hardware", "model", "system", "tflops", "batch"],
                  descending=[False, False, False, True, False])
            .group_by(["hardware", "model", "system"], maintain_order=True).first()
            .sort(["hardware", "model", "system"]))


def ssd_scaling(hardware: str, model: str, batch: int, n_ssds: list[int],
                systems: tuple[str, ...] = ("fuyou", "zero-infinity")) -> pl.DataFrame:
    """Throughput vs number of SSDs."""
    prof = get_profile(hardware)
    rows = [_row(predict(ModelShape.preset(model, batch), prof.with_(n_ssd=n), s), model=model)
            for n in n_ssds for s in systems]
    return pl.DataFrame(rows).sort(["system", "n_ssd"])


def ablations(hardware: str, model: str, batches: list[int]) -> pl.DataFrame:
    """Fuyou with each technique switched off, and ZeRO-Infinity (figures rearr, pipeline_*)."""
    variants = {
        "Fuyou (all)": Schedule(),
        "no overlap (Adam after backward)": Schedule(overlap_opt=False),
        "no read/write re-ordering": Schedule(rearrange=False),
        "synchronous activation swap": Schedule(pipelined_swap=False),
        "no activation swap (coeff 0)": Schedule(swap_coeff=0.0),
        "ZeRO-Infinity": Schedule.named("zero-infinity"),
    }
    prof = get_profile(hardware)
    rows = [_row(predict(ModelShape.preset(model, b), prof, sch), model=model, variant=v)
            for b in batches for v, sch in variants.items()]
    return pl.DataFrame(rows).sort(["variant", "batch"])


def swap_coefficient(hardware: str, model: str, batch: int, coeffs: list[float],
                     cpu_mem_gb: float | None = None) -> pl.DataFrame:
    """Iteration time and TFLOPS vs swap coefficient, with the automatic choice flagged."""
    prof = get_profile(hardware)
    if cpu_mem_gb is not None:
        prof = prof.with_(cpu_mem_gb=float(cpu_mem_gb))
    shape = ModelShape.preset(model, batch)
    auto = predict(shape, prof, "fuyou")
    rows = []
    for c in coeffs:
        T = iteration_s(fuyou_terms(shape, prof, c))
        rows.append(dict(swap_coeff=c, iteration_s=T, tflops=shape.iteration_flops() / T / 1e12,
                         auto=False))
    rows.append(dict(swap_coeff=auto.swap_coeff, iteration_s=auto.makespan_s,
                     tflops=auto.tflops, auto=True))
    return pl.DataFrame(rows).sort(["auto", "swap_coeff"])


def max_model_size(hardware: list[str], cpu_mems: list[float],
                   systems: tuple[str, ...] = SYSTEMS, batch: int = 1) -> pl.DataFrame:
    """Largest GPT-3-family preset that fits, vs CPU memory (figures max_model_size*)."""
    rows = []
    for hw in hardware:
        prof = get_profile(hw)
        for m in cpu_mems:
            for s in systems:
                name, p = max_trainable(prof, s, m, batch=batch)
                rows.append(dict(hardware=hw, cpu_mem_gb=float(m), system=s, model=name,
                                 params_b=p / 1e9, source="model"))
    return pl.DataFrame(rows).sort(["hardware", "system", "cpu_mem_gb"])


def gpus_for_pooling(params: float, gpu_mem_gb: float = 80.0, bytes_per_param: float = 16.0
                     ) -> int:
    """GPUs needed to hold fp16 params + grads and fp32 Adam states (16 B/param) in GPU memory."""
    return math.ceil(params * bytes_per_param / (gpu_mem_gb * 1e9))


def cost_effectiveness(model: str, batches: list[int]) -> pl.DataFrame:
    """TFLOPS per 1000 USD: Fuyou on the 4090 / A100 box vs a DGX-A100 cluster holding all
    model states in GPU memory (perfect scaling assumed for the cluster: favours it)."""
    rows = []
    for hw in ("fuyou-4090", "fuyou-a100"):
        prof = get_profile(hw)
        best = None
        for b in batches:
            p = predict(ModelShape.preset(model, b), prof, "fuyou")
            if p.fits and (best is None or p.tflops > best.tflops):
                best = p
        for full in (False, True):
            cost = prof.cost_usd(full=full)
            rows.append(dict(config=f"Fuyou, 1x {prof.gpu_name}", cost="whole server" if full
                             else "GPU only", tflops=best.tflops if best else None,
                             usd=cost, batch=best.batch if best else None))
    dgx = get_profile("dgx-a100")
    shape = ModelShape.preset(model, max(batches))
    n = gpus_for_pooling(shape.params, 80.0)
    nodes = math.ceil(n / 8)
    tflops = nodes * 8 * dgx.gpu_flops / 1e12  # every GPU at the achieved rate, recompute credited
    for full in (False, True):
        rows.append(dict(config=f"{nodes}x DGX-A100 ({nodes * 8} GPUs)",
                         cost="whole server" if full else "GPU only", tflops=tflops,
                         usd=nodes * dgx.price_server_usd, batch=shape.batch))
    return (pl.DataFrame(rows).with_columns(tflops_per_kusd=pl.col("tflops") / pl.col("usd") * 1e3,
                                            source=pl.lit("model"))
            .sort(["cost", "config"]))


def gantt(hardware: HardwareProfile, model: str, batch: int, sched: Schedule) -> pl.DataFrame:
    """Phase timeline of one iteration from the model's terms (figures origin_pipe / ratel_pipe /
    ratel_pipe_parallel); empty when the configuration does not fit."""
    t = terms(ModelShape.preset(model, batch), hardware, sched)
    if t is None:
        raise ValueError(f"{model} at batch {batch} does not fit on {hardware.name!r}")
    return phase_frame(t)


def fits_frame(hardware: str, model: str, batch: int, cpu_mem_gb: float) -> pl.DataFrame:
    """check_fit for every system: needs per tier (GB) and the reason."""
    prof = get_profile(hardware).with_(cpu_mem_gb=float(cpu_mem_gb))
    rows = []
    for s in SYSTEMS:
        f = check_fit(ModelShape.preset(model, batch), prof, s)
        rows.append(dict(system=s, fits=f.fits, gpu_gb=f.gpu_need_b / 1e9,
                         cpu_gb=f.cpu_need_b / 1e9, ssd_gb=f.ssd_need_b / 1e9, reason=f.reason))
    return pl.DataFrame(rows).sort("system")


def phase_shares(hardware: list[str], model: str, batches: list[int],
                 system: str = "zero-infinity") -> pl.DataFrame:
    """GPU utilisation and the share of the iteration spent after the last backward task
    (the optimizer stage) -- figures overall_gpu_util and opt_prop."""
    rows = []
    for hw in hardware:
        prof = get_profile(hw)
        for b in batches:
            shape = ModelShape.preset(model, b)
            p = predict(shape, prof, system)
            t = terms(shape, prof, Schedule.named(system))
            opt = sum(max(v.values()) for k, v in t["phases"].items() if k.startswith("opt"))
            rows.append(dict(hardware=hw, batch=b, system=system,
                             gpu_util=busy_s(t)["GPU"] / t["iteration_s"],
                             opt_share=opt / t["iteration_s"], iteration_s=t["iteration_s"],
                             fits=p.fits, source="model"))
    return pl.DataFrame(rows).sort(["hardware", "batch"])


def sensitivity(hardware: str, model: str, batches: list[int], field: str,
                values: list[float], systems: tuple[str, ...] = ("fuyou", "zero-infinity")
                ) -> pl.DataFrame:
    """Best TFLOPS over ``batches`` per system when one hardware assumption ``field`` (e.g.
    ``gpu_efficiency``, ``ssd_raid_efficiency``) takes each of ``values``."""
    base = get_profile(hardware)
    rows = []
    for v in values:
        prof = base.with_(**{field: v})
        for s in systems:
            preds = [predict(ModelShape.preset(model, b), prof, s) for b in batches]
            ok = [p for p in preds if p.fits]
            best = max(ok, key=lambda p: p.tflops) if ok else None
            rows.append(dict(field=field, value=float(v), system=s,
                             tflops=best.tflops if best else None,
                             batch=best.batch if best else None))
    return pl.DataFrame(rows).sort(["field", "value", "system"])


def best_feasible(shape_of, prof: HardwareProfile, batches: list[int], system: str,
                  sched: Schedule | None = None):
    """The prediction with the most credited TFLOPS over ``batches`` that fit (None if none);
    ``shape_of(batch)`` builds the shape."""
    sched = sched or Schedule.named(system)
    ok = [p for b in batches if (p := predict(shape_of(b), prof, sched)).fits]
    return max(ok, key=lambda p: p.tflops) if ok else None


def what_if(profiles: list[str], model: str, batches: list[int], knob: str, values: list,
            systems: tuple[str, ...] = ("fuyou", "zero-infinity")) -> pl.DataFrame:
    """Each system at its best feasible batch when one knob changes: ``n_ssd``, ``seq``
    (sequence length) or ``grad_accum`` (micro-batches per step), on each hardware profile;
    with tokens/s, credited and executed TFLOPS, SSD bytes written per step and the array's
    life (steps, tokens) at its rated endurance."""
    if knob not in ("n_ssd", "seq", "grad_accum"):
        raise ValueError(f"knob must be n_ssd, seq or grad_accum, got {knob!r}")
    rows = []
    for name in profiles:
        for v in values:
            prof = get_profile(name, n_ssd=int(v)) if knob == "n_ssd" else get_profile(name)
            seq = int(v) if knob == "seq" else 1024
            for s in systems:
                sched = Schedule.named(s, grad_accum=int(v) if knob == "grad_accum" else 1)
                p = best_feasible(lambda b: ModelShape.preset(model, b, seq=seq), prof,
                                  batches, s, sched)
                rows.append(dict(hardware=name, gpu=prof.gpu_name, knob=knob, value=v, system=s,
                                 fits=p is not None, batch=p.batch if p else None,
                                 tflops=p.tflops if p else None,
                                 executed_tflops=p.executed_tflops if p else None,
                                 tokens_per_s=p.tokens_per_s if p else None,
                                 ssd_write_tb=p.ssd_write_b / 1e12 if p and p.ssd_write_b else None,
                                 life_steps=p.ssd_life_iterations if p else None,
                                 life_tokens=p.ssd_life_tokens if p else None, source="model"))
    return pl.DataFrame(rows).sort(["hardware", "value", "system"])
