"""GPU calibration campaign for the T3 model (one script, < 10 min on an H100/H200; toy size on CPU).

Measures, with torch (fp16/bf16, median of ``reps`` timed runs after warm-up, CUDA events on a GPU):

1. ``gemm``:      GEMM time for every sublayer shape ([T, K] x [K, H], all models/TPs/sublayers, tokens list);
2. ``chunked``:   the same GEMM split into N row-chunks (N = TP): eager launches from Python and, on CUDA,
                  the chunk loop captured in one CUDA graph (so launch overhead is reported separately:
                  ``launch_overhead_s`` = eager - graph);
3. ``membound``:  bandwidth of the chunk-sized reduction c = a + b (the CU-based RS step) and of ``copy_``;
4. ``contention``: slowdown of a GEMM while a copy loop runs on another stream, and of the copy while the GEMM
                  runs (CUDA only: CPU has no concurrent streams).

Writes ``<out>/t3_<gpu>.parquet`` (one row per measurement) and ``<out>/t3_<gpu>.provenance.json``
(device, torch/CUDA versions, git commit, command, UTC time). The default ``out`` is ``data/measured``.
The GPU's clocks, power limits and modes are never changed. ``--scale`` shrinks every dimension for toy
runs (the unit test runs it on CPU at scale 1/64).

Usage: ``python -m paperkit.t3.calibrate [--out DIR] [--scale 1.0] [--reps 20] [--tokens 2048 8192]``
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import torch

from paperkit import paths
from paperkit.cli import exit_on_bad_input, non_negative_int, positive_int, real, torch_device
from paperkit.t3.workloads import MODELS, SUBLAYERS

DTYPES = {"fp16": torch.float16, "bf16": torch.bfloat16}


def device_slug(dev: torch.device) -> str:
    """A short file-name-safe name of the device (e.g. 'nvidia_h100_80gb_hbm3', 'cpu')."""
    if dev.type == "cuda":
        return re.sub(r"[^a-z0-9]+", "_", torch.cuda.get_device_name(dev).lower()).strip("_")
    return "cpu"


def _timer(dev: torch.device, fn, reps: int, warmup: int) -> float:
    """Median seconds of ``fn()`` over ``reps`` runs."""
    for _ in range(warmup):
        fn()
    times = []
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
        for _ in range(reps):
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            fn()
            b.record()
            b.synchronize()
            times.append(a.elapsed_time(b) * 1e-3)
    else:
        for _ in range(reps):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _shapes(scale: float, tokens: list[int]) -> list[dict]:
    out = []
    for m, spec in MODELS.items():
        for tp in spec["tp"]:
            for s, sl in SUBLAYERS.items():
                for t in tokens:
                    h = max(8, int(spec["hidden"] * scale))
                    k = max(8, int(sl["k_mult"] * spec["hidden"] // tp * scale))
                    out.append({"model": m, "tp": tp, "sublayer": s, "tokens": max(8, int(t * scale)),
                                "k": k, "n": h})
    return out


def measure_gemm(dev, dtype_name, shapes, reps, warmup) -> list[dict]:
    rows = []
    dt = DTYPES[dtype_name]
    for sh in shapes:
        a = torch.randn(sh["tokens"], sh["k"], device=dev, dtype=dt)
        b = torch.randn(sh["k"], sh["n"], device=dev, dtype=dt)
        t = _timer(dev, lambda: torch.matmul(a, b), reps, warmup)
        flops = 2.0 * sh["tokens"] * sh["k"] * sh["n"]
        rows.append({**sh, "kind": "gemm", "dtype": dtype_name, "n_chunks": 1, "time_s": t,
                     "tflops": flops / t / 1e12, "bytes": float(2 * sh["tokens"] * sh["n"])})
    return rows


def _chunk_fn(a, b, outs, n):
    parts = a.chunk(n, dim=0)

    def run():
        for i in range(n):
            torch.matmul(parts[i], b, out=outs[i])
    return run


def measure_chunked(dev, dtype_name, shapes, reps, warmup) -> list[dict]:
    """Split each GEMM into N = TP row-chunks; eager and (CUDA) graph-captured."""
    rows = []
    dt = DTYPES[dtype_name]
    for sh in shapes:
        n = sh["tp"]
        if sh["tokens"] < n:
            continue
        a = torch.randn(sh["tokens"], sh["k"], device=dev, dtype=dt)
        b = torch.randn(sh["k"], sh["n"], device=dev, dtype=dt)
        outs = [torch.empty(p.shape[0], sh["n"], device=dev, dtype=dt) for p in a.chunk(n, dim=0)]
        fn = _chunk_fn(a, b, outs, n)
        eager = _timer(dev, fn, reps, warmup)
        graph_t = float("nan")
        if dev.type == "cuda":
            s = torch.cuda.Stream(dev)
            s.wait_stream(torch.cuda.current_stream(dev))
            with torch.cuda.stream(s):
                fn()  # warm-up on the capture stream
            torch.cuda.current_stream(dev).wait_stream(s)
            g = torch.cuda.CUDAGraph()
            with torch.cuda.graph(g):
                fn()
            graph_t = _timer(dev, g.replay, reps, warmup)
        rows.append({**sh, "kind": "chunked", "dtype": dtype_name, "n_chunks": n, "time_s": eager,
                     "graph_time_s": graph_t,
                     "launch_overhead_s": (eager - graph_t) if graph_t == graph_t else float("nan"),
                     "bytes": float(2 * sh["tokens"] * sh["n"])})
    return rows


def measure_membound(dev, dtype_name, shapes, reps, warmup) -> list[dict]:
    """c = a + b and copy_ on chunk-sized (S/N) buffers; GB/s counts bytes read + written."""
    rows, seen = [], set()
    dt = DTYPES[dtype_name]
    for sh in shapes:
        numel = sh["tokens"] * sh["n"] // sh["tp"]
        if numel in seen:
            continue
        seen.add(numel)
        a, b, c = (torch.randn(numel, device=dev, dtype=dt) for _ in range(3))
        esize = a.element_size()
        t_add = _timer(dev, lambda: torch.add(a, b, out=c), reps, warmup)
        t_cp = _timer(dev, lambda: c.copy_(a), reps, warmup)
        for kind, t, moved in (("reduce", t_add, 3 * numel * esize), ("copy", t_cp, 2 * numel * esize)):
            rows.append({"model": sh["model"], "tp": sh["tp"], "sublayer": sh["sublayer"], "tokens": sh["tokens"],
                         "kind": kind, "dtype": dtype_name, "time_s": t, "bytes": float(moved),
                         "gbps": moved / t / 1e9})
    return rows


def measure_contention(dev, dtype_name, shapes, reps, warmup, copy_mb: float = 256.0) -> list[dict]:
    """GEMM on stream A with a copy loop on stream B: slowdown of each vs alone (CUDA only)."""
    if dev.type != "cuda":
        return []
    rows = []
    dt = DTYPES[dtype_name]
    numel = int(copy_mb * 2**20 / 2)
    src, dst = torch.randn(numel, device=dev, dtype=dt), torch.empty(numel, device=dev, dtype=dt)
    sa, sb = torch.cuda.Stream(dev), torch.cuda.Stream(dev)
    for sh in shapes:
        a = torch.randn(sh["tokens"], sh["k"], device=dev, dtype=dt)
        b = torch.randn(sh["k"], sh["n"], device=dev, dtype=dt)
        gemm_alone = _timer(dev, lambda: torch.matmul(a, b), reps, warmup)
        copy_alone = _timer(dev, lambda: dst.copy_(src), reps, warmup)
        n_copies = max(1, int(round(gemm_alone / copy_alone)))
        ga, gb = [], []
        for _ in range(reps):
            e = [torch.cuda.Event(enable_timing=True) for _ in range(4)]
            torch.cuda.synchronize(dev)
            with torch.cuda.stream(sa):
                e[0].record(sa)
                torch.matmul(a, b)
                e[1].record(sa)
            with torch.cuda.stream(sb):
                e[2].record(sb)
                for _ in range(n_copies):
                    dst.copy_(src)
                e[3].record(sb)
            torch.cuda.synchronize(dev)
            ga.append(e[0].elapsed_time(e[1]) * 1e-3)
            gb.append(e[2].elapsed_time(e[3]) * 1e-3 / n_copies)
        rows.append({**sh, "kind": "contention", "dtype": dtype_name, "time_s": statistics.median(ga),
                     "gemm_alone_s": gemm_alone, "gemm_slowdown": statistics.median(ga) / gemm_alone,
                     "copy_alone_s": copy_alone, "copy_slowdown": statistics.median(gb) / copy_alone,
                     "bytes": float(2 * numel * src.element_size())})
    return rows


def _git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=paths.ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def run_campaign(out: Path, scale: float = 1.0, reps: int = 20, warmup: int = 3, tokens: list[int] | None = None,
                 dtypes: tuple[str, ...] = ("bf16", "fp16"), device: str | None = None,
                 contention_models: tuple[str, ...] = ("t-nlg", "palm")) -> tuple[Path, Path]:
    """Run every measurement; write the parquet and provenance files; return their paths."""
    if not 0 < scale <= 1:
        raise ValueError(f"scale must be in (0, 1], got {scale}")
    if reps < 1:
        raise ValueError(f"reps must be >= 1, got {reps}")
    dev = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    tokens = tokens or [2048, 8192]
    shapes = _shapes(scale, tokens)
    t0 = time.perf_counter()
    rows: list[dict] = []
    for dn in dtypes:
        rows += measure_gemm(dev, dn, shapes, reps, warmup)
    main_dt = dtypes[0]
    rows += measure_chunked(dev, main_dt, [s for s in shapes if s["tokens"] == max(x["tokens"] for x in shapes)],
                            reps, warmup)
    rows += measure_membound(dev, main_dt, shapes, reps, warmup)
    cont = [s for s in shapes if s["model"] in contention_models and s["sublayer"] in ("op", "fc2")
            and s["tokens"] == max(x["tokens"] for x in shapes)]
    rows += measure_contention(dev, main_dt, cont, reps, warmup)
    slug = device_slug(dev)
    out.mkdir(parents=True, exist_ok=True)
    frame = pl.DataFrame(rows, infer_schema_length=None).with_columns(pl.lit(slug).alias("device"))
    frame = frame.sort(["kind", "dtype", "model", "tp", "sublayer", "tokens"])
    pq = out / f"t3_{slug}.parquet"
    frame.write_parquet(pq)
    prov = {
        "paper": "t3", "tier": "measured", "device": slug, "device_type": dev.type,
        "device_name": torch.cuda.get_device_name(dev) if dev.type == "cuda" else platform.processor() or "cpu",
        "sm_count": torch.cuda.get_device_properties(dev).multi_processor_count if dev.type == "cuda" else None,
        "torch": torch.__version__, "cuda": torch.version.cuda, "python": platform.python_version(),
        "git_commit": _git_commit(), "command": " ".join(sys.argv), "scale": scale, "reps": reps,
        "warmup": warmup, "tokens": tokens, "dtypes": list(dtypes), "rows": frame.height,
        "utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "elapsed_s": round(time.perf_counter() - t0, 2),
        "note": "GPU settings left as found; chunked schedules timed eagerly and as one CUDA graph on CUDA",
    }
    pj = out / f"t3_{slug}.provenance.json"
    pj.write_text(json.dumps(prov, indent=1, sort_keys=True) + "\n")
    return pq, pj


@exit_on_bad_input
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m paperkit.t3.calibrate", description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None, help="output folder (default data/measured)")
    ap.add_argument("--scale", type=real(0, 1, lo_open=True), default=1.0,
                    help="shrink every dimension (toy runs), in (0, 1]")
    ap.add_argument("--reps", type=positive_int, default=20)
    ap.add_argument("--warmup", type=non_negative_int, default=3)
    ap.add_argument("--tokens", type=positive_int, nargs="+", default=[2048, 8192])
    ap.add_argument("--device", type=torch_device, default=None,
                    help="torch device (default: cuda if available, else cpu)")
    args = ap.parse_args(argv)
    pq, pj = run_campaign(args.out or paths.measured_dir(), args.scale, args.reps, args.warmup, args.tokens,
                          device=args.device)
    print(json.dumps({"parquet": str(pq), "provenance": str(pj)}, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
